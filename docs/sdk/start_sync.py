"""StartSyncExecution against a stepd node with boto3: botocore's
Config(inject_host_prefix=False) keeps it from sending the call to
sync-<host>. Run: python3 start_sync.py [http://127.0.0.1:8083]
(README, "The AWS CLI and SDKs"; tried with boto3/botocore 1.43.)"""
import json
import sys

import boto3
from botocore.config import Config

endpoint = sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:8083"
kw = dict(endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
sfn = boto3.client("stepfunctions", config=Config(inject_host_prefix=False), **kw)
try:
    arn = sfn.create_state_machine(
        name="boto", type="EXPRESS", roleArn="arn:aws:iam::123456789012:role/r",
        definition=json.dumps({"StartAt": "P", "States": {"P": {"Type": "Pass", "Result": {"hi": "boto"}, "End": True}}}),
    )["stateMachineArn"]
except sfn.exceptions.StateMachineAlreadyExists:
    arn = "arn:aws:states:us-east-1:123456789012:stateMachine:boto"
r = sfn.start_sync_execution(stateMachineArn=arn, input="{}")
print("with inject_host_prefix=False:", r["status"], r["output"], "RequestId:", r["ResponseMetadata"].get("RequestId"))
plain = boto3.client("stepfunctions", **kw)
try:
    plain.start_sync_execution(stateMachineArn=arn, input="{}")
    print("without: worked")
except Exception as e:  # the error the README quotes
    print("without:", type(e).__name__, str(e)[:150])
