package integrations

import (
	"strings"
	"testing"
)

func TestSNSPublish(t *testing.T) {
	s := testServices(t, nil, nil)
	topic := mustRun(t, s, task("arn:aws:states:::aws-sdk:sns:createTopic", `{"Name":"`+uniqueName("topic")+`"}`), `{}`)["TopicArn"].(string)
	q := mustRun(t, s, task("arn:aws:states:::aws-sdk:sqs:createQueue", `{"QueueName":"`+uniqueName("sub")+`"}`), `{}`)["QueueUrl"].(string)
	qname := q[strings.LastIndexByte(q, '/')+1:]
	mustRun(t, s, task("arn:aws:states:::aws-sdk:sns:subscribe", `{"TopicArn":"`+topic+`","Protocol":"sqs","Endpoint":"arn:aws:sqs:us-east-1:111111111111:`+qname+`","Attributes":{"RawMessageDelivery":"true"}}`), `{}`)
	out := mustRun(t, s, task("arn:aws:states:::sns:publish", `{"TopicArn":"`+topic+`","Message":{"hello":"world"},"MessageAttributes":{"kind":{"DataType":"String","StringValue":"greeting"}}}`), `{}`)
	if out["MessageId"] == nil || out["SdkHttpMetadata"] == nil || out["SdkResponseMetadata"] == nil {
		t.Errorf("publish result: %v", out)
	}
	got := mustRun(t, s, task("arn:aws:states:::aws-sdk:sqs:receiveMessage", `{"QueueUrl":"`+q+`"}`), `{}`)
	msgs, _ := got["Messages"].([]any)
	if len(msgs) != 1 || !strings.Contains(msgs[0].(map[string]any)["Body"].(string), `{"hello":"world"}`) {
		t.Errorf("the subscribed queue got %v", got)
	}
}

func TestSNSErrors(t *testing.T) {
	s := testServices(t, nil, nil)
	r := runMachine(t, s, task("arn:aws:states:::sns:publish", `{"TopicArn":"arn:aws:sns:us-east-1:111111111111:no-such-topic","Message":"x"}`), `{}`)
	// AWS answers 404 NotFound; goaws 400 AWS.SimpleNotificationService.NonExistentTopic.
	if r.Error != "SNS.NotFoundException" || !strings.Contains(r.Cause, "(Service: AmazonSNS; Status Code: ") || !strings.Contains(r.Cause, "; Proxy: null)") {
		t.Errorf("no such topic: %+v", r)
	}
	def := `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:states:::sns:publish","Parameters":{"TopicArn":"arn:aws:sns:us-east-1:111111111111:none","Message":"x"},
	  "Retry":[{"ErrorEquals":["SNS.NotFoundException"],"MaxAttempts":1}],"Catch":[{"ErrorEquals":["States.ALL"],"Next":"C"}],"End":true},"C":{"Type":"Pass","End":true}}}`
	if r := runMachine(t, s, def, `{}`); r.Status != "SUCCEEDED" || r.Output.(map[string]any)["Error"] != "SNS.NotFoundException" {
		t.Errorf("catch: %+v", r)
	}
	dead := testServices(t, nil, map[string]string{"AWS_ENDPOINT_URL_SNS": deadPort(t)})
	if r := runMachine(t, dead, task("arn:aws:states:::sns:publish", `{"TopicArn":"a","Message":"x"}`), `{}`); r.Error != "SNS.SdkClientException" {
		t.Errorf("unreachable: %+v", r)
	}
}
