// StartSyncExecution against a stepd node with the AWS SDK for JavaScript
// v3: disableHostPrefix keeps the SDK from sending it to sync-<host>.
// Run: npm install @aws-sdk/client-sfn && node start-sync.mjs [http://127.0.0.1:8083]
// (README, "The AWS CLI and SDKs"; tried with @aws-sdk/client-sfn 3.1178, Node 20.)
import { SFNClient, StartSyncExecutionCommand, CreateStateMachineCommand } from "@aws-sdk/client-sfn";

const endpoint = process.argv[2] ?? "http://127.0.0.1:8083";
const base = { endpoint, region: "us-east-1", credentials: { accessKeyId: "x", secretAccessKey: "x" } };
const sfn = new SFNClient({ ...base, disableHostPrefix: true });
let arn = "arn:aws:states:us-east-1:123456789012:stateMachine:js";
try {
  arn = (await sfn.send(new CreateStateMachineCommand({
    name: "js", type: "EXPRESS", roleArn: "arn:aws:iam::123456789012:role/r",
    definition: JSON.stringify({ StartAt: "P", States: { P: { Type: "Pass", Result: { hi: "js" }, End: true } } }),
  }))).stateMachineArn;
} catch (e) {
  if (e.name !== "StateMachineAlreadyExists") throw e;
}
const r = await sfn.send(new StartSyncExecutionCommand({ stateMachineArn: arn, input: "{}" }));
console.log("with disableHostPrefix:", r.status, r.output, "requestId:", r.$metadata.requestId);
try {
  await new SFNClient(base).send(new StartSyncExecutionCommand({ stateMachineArn: arn, input: "{}" }));
  console.log("without: worked");
} catch (e) {
  console.log("without:", e.name, String(e.message).slice(0, 120));
}
