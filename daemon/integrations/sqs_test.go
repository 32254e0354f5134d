package integrations

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestSQSSendMessage(t *testing.T) {
	s := testServices(t, nil, nil)
	q := uniqueName("q")
	created := mustRun(t, s, task("arn:aws:states:::aws-sdk:sqs:createQueue", `{"QueueName":"`+q+`"}`), `{}`)
	url, _ := created["QueueUrl"].(string)
	if !strings.HasSuffix(url, "/"+q) {
		t.Fatalf("createQueue: %v", created)
	}
	// AWS's queue URL works too: the request goes to the configured
	// endpoint, never to the URL's host.
	awsURL := "https://sqs.us-east-1.amazonaws.com/111111111111/" + q
	out := mustRun(t, s, task("arn:aws:states:::sqs:sendMessage", `{"QueueUrl":"`+awsURL+`","MessageBody":{"order":1,"text":"a&b=c"},"MessageAttributes":{"kind":{"DataType":"String","StringValue":"order"}}}`), `{}`)
	for _, k := range []string{"MD5OfMessageBody", "MessageId", "SdkHttpMetadata", "SdkResponseMetadata"} {
		if out[k] == nil {
			t.Errorf("result has no %s: %v", k, out)
		}
	}
	got := mustRun(t, s, task("arn:aws:states:::aws-sdk:sqs:receiveMessage", `{"QueueUrl":"`+url+`","MaxNumberOfMessages":1,"MessageAttributeNames":["All"]}`), `{}`)
	msgs, _ := got["Messages"].([]any)
	if len(msgs) != 1 {
		t.Fatalf("receiveMessage: %v", got)
	}
	body := msgs[0].(map[string]any)["Body"].(string)
	var v map[string]any
	if err := json.Unmarshal([]byte(body), &v); err != nil || v["text"] != "a&b=c" {
		t.Errorf("the object MessageBody arrived as %q, want its JSON text", body)
	}
}

func TestSQSErrors(t *testing.T) {
	s := testServices(t, nil, nil)
	r := runMachine(t, s, task("arn:aws:states:::sqs:sendMessage", `{"QueueUrl":"https://sqs.us-east-1.amazonaws.com/111111111111/no-such-queue","MessageBody":"x"}`), `{}`)
	if r.Status != "FAILED" || r.Error != "SQS.QueueDoesNotExistException" || !strings.Contains(r.Cause, "(Service: AmazonSQS; Status Code: 400; Error Code: ") {
		t.Errorf("no such queue: %+v", r)
	}
	// Retry and Catch see the name.
	def := `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:states:::sqs:sendMessage","Parameters":{"QueueUrl":"http://x/111111111111/no-such-queue","MessageBody":"x"},
	  "Retry":[{"ErrorEquals":["SQS.QueueDoesNotExistException"],"MaxAttempts":2,"IntervalSeconds":1}],
	  "Catch":[{"ErrorEquals":["SQS.QueueDoesNotExistException"],"ResultPath":"$.err","Next":"Caught"}],"End":true},
	  "Caught":{"Type":"Pass","End":true}}}`
	r = runMachine(t, s, def, `{}`)
	if r.Status != "SUCCEEDED" || r.Output.(map[string]any)["err"].(map[string]any)["Error"] != "SQS.QueueDoesNotExistException" {
		t.Errorf("catch: %+v", r)
	}
	dead := testServices(t, nil, map[string]string{"AWS_ENDPOINT_URL_SQS": deadPort(t)})
	r = runMachine(t, dead, task("arn:aws:states:::sqs:sendMessage", `{"QueueUrl":"q","MessageBody":"x"}`), `{}`)
	if r.Error != "SQS.SdkClientException" || !strings.HasPrefix(r.Cause, "Unable to execute HTTP request: ") || strings.Contains(r.Cause, "stepd-test-secret") {
		t.Errorf("unreachable: %+v", r)
	}
}
