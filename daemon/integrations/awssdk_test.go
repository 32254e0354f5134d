package integrations

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stepd/stepd/daemon/awsclient"
)

// jsonStandIn serves a JSON-protocol service for the services no emulator
// is packaged for (Secrets Manager, SSM): it checks that requests are
// signed for signingName and answers each X-Amz-Target from answers.
func jsonStandIn(t *testing.T, signingName string, answers map[string]string) string {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if !strings.Contains(r.Header.Get("Authorization"), "/us-east-1/"+signingName+"/aws4_request") || !json.Valid(body) {
			w.WriteHeader(400)
			_, _ = w.Write([]byte(`{"__type":"InvalidSignatureException","message":"bad request"}`))
			return
		}
		a, ok := answers[r.Header.Get("X-Amz-Target")]
		if !ok {
			w.Header().Set("x-amzn-RequestId", "req-1")
			w.WriteHeader(400)
			_, _ = w.Write([]byte(`{"__type":"com.amazonaws#ValidationException","message":"Invalid name. Must be a valid name containing alphanumeric characters, or any of the following: -/_+=.@!"}`))
			return
		}
		_, _ = w.Write([]byte(a))
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

func TestAWSSDKServices(t *testing.T) {
	lambda := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if r.URL.Path != "/2015-03-31/functions/echo/invocations" || !strings.Contains(r.Header.Get("Authorization"), "/lambda/aws4_request") {
			w.Header().Set("X-Amzn-ErrorType", "ResourceNotFoundException")
			w.WriteHeader(404)
			_, _ = w.Write([]byte(`{"Type":"User","Message":"Function not found: ` + r.URL.Path + `"}`))
			return
		}
		w.Header().Set("X-Amz-Executed-Version", "$LATEST")
		_, _ = w.Write(body)
	}))
	defer lambda.Close()
	s := testServices(t, nil, map[string]string{
		"AWS_ENDPOINT_URL_SECRETS_MANAGER": jsonStandIn(t, "secretsmanager", map[string]string{"secretsmanager.GetSecretValue": `{"Name":"db","SecretString":"pw"}`}),
		"AWS_ENDPOINT_URL_SSM":             jsonStandIn(t, "ssm", map[string]string{"AmazonSSM.GetParameter": `{"Parameter":{"Name":"/app/x","Value":"1","Version":1}}`}),
		"AWS_ENDPOINT_URL_LAMBDA":          lambda.URL,
	})
	for _, c := range []struct {
		name, resource, params string
		check                  func(map[string]any) bool
	}{
		{"secretsmanager", "aws-sdk:secretsmanager:getSecretValue", `{"SecretId":"db"}`, func(m map[string]any) bool { return m["SecretString"] == "pw" }},
		{"ssm", "aws-sdk:ssm:getParameter", `{"Name":"/app/x"}`, func(m map[string]any) bool { return m["Parameter"].(map[string]any)["Value"] == "1" }},
		{"lambda", "aws-sdk:lambda:invoke", `{"FunctionName":"echo","Payload":{"a":1}}`, func(m map[string]any) bool { return m["Payload"] == `{"a":1}` && m["StatusCode"] == 200.0 }},
		{"eventbridge", "aws-sdk:eventbridge:putEvents", `{"Entries":[{"Source":"s","DetailType":"d","Detail":"{}"}]}`, func(m map[string]any) bool { return m["FailedEntryCount"] == 0.0 }},
		{"dynamodb", "aws-sdk:dynamodb:listTables", `{}`, func(m map[string]any) bool { _, ok := m["TableNames"]; return ok }},
		{"sqs", "aws-sdk:sqs:listQueues", `{}`, func(m map[string]any) bool { return m != nil }},
		{"sns", "aws-sdk:sns:listTopics", `{}`, func(m map[string]any) bool { return m != nil }},
		{"s3", "aws-sdk:s3:listBuckets", `{}`, func(m map[string]any) bool { return m != nil }},
	} {
		t.Run(c.name, func(t *testing.T) {
			out := mustRun(t, s, task("arn:aws:states:::"+c.resource, c.params), `{}`)
			if !c.check(out) {
				t.Errorf("result: %v", out)
			}
		})
	}
	r := runMachine(t, s, task("arn:aws:states:::aws-sdk:secretsmanager:createSecret", `{"Name":"Invalid Name","SecretString":"x"}`), `{}`)
	if r.Error != "SecretsManager.SecretsManagerException" || r.Cause != "Invalid name. Must be a valid name containing alphanumeric characters, or any of the following: -/_+=.@! (Service: SecretsManager, Status Code: 400, Request ID: req-1)" {
		t.Errorf("unmodeled error: %+v", r)
	}
	r = runMachine(t, s, task("arn:aws:states:::aws-sdk:lambda:invoke", `{"FunctionName":"nope"}`), `{}`)
	if r.Error != "Lambda.ResourceNotFoundException" {
		t.Errorf("lambda error: %+v", r)
	}
	r = runMachine(t, s, task("arn:aws:states:::aws-sdk:glue:startJobRun", `{"JobName":"j"}`), `{}`)
	if r.Error != "States.TaskFailed" || !strings.Contains(r.Cause, "arn:aws:states:::aws-sdk:glue:startJobRun") {
		t.Errorf("unsupported: %+v", r)
	}
}

// fakeSFN answers the node's own API for nested-execution tests.
type fakeSFN struct{ calls []string }

func (f *fakeSFN) Call(_ context.Context, action string, body, dst []byte) ([]byte, error) {
	f.calls = append(f.calls, action+" "+string(body))
	var req map[string]any
	_ = json.Unmarshal(body, &req)
	if !strings.HasSuffix(req["stateMachineArn"].(string), ":child") {
		return dst, &awsclient.APIError{Status: 400, Code: "StateMachineDoesNotExist", Message: "State Machine Does Not Exist: '" + req["stateMachineArn"].(string) + "'", RequestID: "rid"}
	}
	switch action {
	case "StartExecution":
		return append(dst, `{"executionArn":"arn:aws:states:us-east-1:111111111111:execution:child:n1","startDate":1765000000.123}`...), nil
	case "StartSyncExecution":
		return append(dst, `{"executionArn":"arn:aws:states:us-east-1:111111111111:express:child:n1:x","status":"SUCCEEDED","output":"{\"ok\":true}","startDate":1765000000.1,"stopDate":1765000000.2}`...), nil
	}
	return dst, &awsclient.APIError{Status: 400, Code: "UnknownOperationException"}
}

func TestNestedStartExecution(t *testing.T) {
	f := &fakeSFN{}
	s := NewServices(ServicesConfig{StepFunctions: f})
	out := mustRun(t, s, task("arn:aws:states:::states:startExecution", `{"StateMachineArn":"arn:aws:states:us-east-1:111111111111:stateMachine:child","Input":{"a":1},"Name":"n1"}`), `{}`)
	if out["ExecutionArn"] != "arn:aws:states:us-east-1:111111111111:execution:child:n1" || out["StartDate"] != 1765000000123.0 || out["SdkHttpMetadata"] == nil || out["SdkResponseMetadata"] == nil {
		t.Errorf("startExecution result: %v", out)
	}
	if want := `StartExecution {"stateMachineArn":"arn:aws:states:us-east-1:111111111111:stateMachine:child","input":"{\"a\":1}","name":"n1"}`; f.calls[0] != want {
		t.Errorf("request:\n got  %s\n want %s", f.calls[0], want)
	}
	r := runMachine(t, s, task("arn:aws:states:::states:startExecution", `{"StateMachineArn":"arn:aws:states:us-east-1:111111111111:stateMachine:none"}`), `{}`)
	if r.Error != "StepFunctions.StateMachineDoesNotExistException" || r.Cause != "State Machine Does Not Exist: 'arn:aws:states:us-east-1:111111111111:stateMachine:none' (Service: AWSStepFunctions; Status Code: 400; Error Code: StateMachineDoesNotExist; Request ID: rid; Proxy: null)" {
		t.Errorf("no such machine: %+v", r)
	}
	out = mustRun(t, s, task("arn:aws:states:::aws-sdk:sfn:startSyncExecution", `{"StateMachineArn":"arn:aws:states:us-east-1:111111111111:stateMachine:child","Input":"{}"}`), `{}`)
	if out["Status"] != "SUCCEEDED" || out["Output"] != `{"ok":true}` || out["StartDate"] != "2025-12-06T05:46:40.100Z" {
		t.Errorf("startSyncExecution result: %v", out)
	}
	r = runMachine(t, s, task("arn:aws:states:::aws-sdk:sfn:startExecution", `{"StateMachineArn":"arn:aws:states:us-east-1:111111111111:stateMachine:none"}`), `{}`)
	if r.Error != "Sfn.StateMachineDoesNotExistException" || !strings.HasSuffix(r.Cause, "(Service: Sfn, Status Code: 400, Request ID: rid)") {
		t.Errorf("aws-sdk no such machine: %+v", r)
	}
	if r := runMachine(t, NewServices(ServicesConfig{}), task("arn:aws:states:::states:startExecution", `{"StateMachineArn":"x"}`), `{}`); r.Error != "StepFunctions.SdkClientException" {
		t.Errorf("without an API: %+v", r)
	}
}

// TestLambdaToAWSSigned checks that a Lambda task whose function has no
// configured endpoint goes to the Lambda endpoint awsclient resolves
// (AWS's, here a stand-in through AWS_ENDPOINT_URL_LAMBDA), signed.
func TestLambdaToAWSSigned(t *testing.T) {
	lambda := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.Contains(r.Header.Get("Authorization"), "/us-east-1/lambda/aws4_request") || r.URL.Path != "/2015-03-31/functions/echo/invocations" || r.URL.Query().Get("Qualifier") != "live" {
			w.Header().Set("X-Amzn-ErrorType", "AccessDeniedException")
			w.WriteHeader(403)
			return
		}
		body, _ := io.ReadAll(r.Body)
		_, _ = w.Write(body)
	}))
	defer lambda.Close()
	s := testServices(t, nil, map[string]string{"AWS_ENDPOINT_URL_LAMBDA": lambda.URL})
	router := NewRouter(Config{}, "us-east-1", "111111111111", s)
	out := mustRun(t, router, task("arn:aws:states:::lambda:invoke", `{"FunctionName":"echo:live","Payload":{"a":1}}`), `{}`)
	if p, _ := out["Payload"].(map[string]any); p["a"] != 1.0 || out["StatusCode"] != 200.0 {
		t.Errorf("lambda:invoke: %v", out)
	}
	if r := runMachine(t, router, `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:lambda:us-east-1:111111111111:function:echo","End":true}}}`, `{}`); r.Error != "Lambda.AccessDeniedException" {
		t.Errorf("unqualified: %+v", r)
	}
}
