package daemon

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stepd/stepd/fastpath"
)

// mockMachine is the example of the Step Functions Local documentation: a
// Lambda task retried on ResourceNotReady, then an SQS task.
const mockMachine = `{"StartAt":"LambdaState","States":{
 "LambdaState":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","Parameters":{"FunctionName":"HelloWorld","Payload.$":"$"},
  "ResultSelector":{"body.$":"$.Payload.body"},
  "Retry":[{"ErrorEquals":["Lambda.ResourceNotReadyException","Lambda.TimeoutException"],"IntervalSeconds":10,"BackoffRate":2,"MaxAttempts":3}],
  "Next":"SQSState"},
 "SQSState":{"Type":"Task","Resource":"arn:aws:states:::sqs:sendMessage","Parameters":{"QueueUrl":"https://sqs.us-east-1.amazonaws.com/123456789012/q","MessageBody.$":"$.body"},"End":true}}}`

// mockConfigText is the Step Functions Local documentation's mock config
// for mockMachine.
var mockConfigText = func() string {
	b, err := os.ReadFile(filepath.Join("integrations", "testdata", "mock_config.json"))
	if err != nil {
		panic(err)
	}
	return string(b)
}()

// TestMockStartSyncExecution drives StartSyncExecution with
// "<stateMachineArn>#<TestCase>" as Step Functions Local takes it, and
// checks that the file is read again when it changes.
func TestMockStartSyncExecution(t *testing.T) {
	file := filepath.Join(t.TempDir(), "MockConfigFile.json")
	if err := os.WriteFile(file, []byte(mockConfigText), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := DefaultConfig()
	cfg.DataDir, cfg.MockConfig = t.TempDir(), file
	ts := startTestServerClock(t, cfg, fastpath.NewVirtualClock(time.Now()))
	var created struct {
		Arn string `json:"stateMachineArn"`
	}
	create := map[string]any{"name": "LambdaSQSIntegration", "definition": mockMachine, "roleArn": "arn:aws:iam::123456789012:role/stepd", "type": "EXPRESS"}
	if code, msg, err := ts.call("CreateStateMachine", create, &created); err != nil || code != "" {
		t.Fatalf("CreateStateMachine: %v %s %s", err, code, msg)
	}
	want := `{"MD5OfMessageBody":"3bcb6e8e","MessageId":"3bcb6e8e-8b51"}`
	for _, tc := range []string{"HappyPath", "RetryPath"} {
		start := time.Now()
		e := ts.startSync(t, created.Arn+"#"+tc, `{"x":1}`)
		if e.Status != "SUCCEEDED" || deref(e.Output) != want {
			t.Errorf("%s: %s %s %s %s", tc, e.Status, deref(e.Output), deref(e.Error), deref(e.Cause))
		}
		if time.Since(start) > 5*time.Second {
			t.Errorf("%s: the retries' 70 s of back-off took real time", tc)
		}
	}
	// HybridPath does not mock SQSState, which then calls SQS for real:
	// the tests' endpoint (main_test.go) is a port nothing listens on.
	e := ts.startSync(t, created.Arn+"#HybridPath", `{}`)
	if e.Status != "FAILED" || deref(e.Error) != "SQS.SdkClientException" || !strings.HasPrefix(deref(e.Cause), "Unable to execute HTTP request: ") {
		t.Errorf("HybridPath: %s %s %s", e.Status, deref(e.Error), deref(e.Cause))
	}
	// Without a test case the SQS task is not mocked either.
	if e := ts.startSync(t, created.Arn, `{}`); e.Status != "FAILED" {
		t.Errorf("no test case: %s", e.Status)
	}
	code, _, err := ts.call("StartSyncExecution", map[string]any{"stateMachineArn": created.Arn + "#NoSuchCase"}, nil)
	if err != nil || code != "InvalidArn" {
		t.Errorf("unknown test case: %v %q, want InvalidArn", err, code)
	}

	// Change the file: the next execution sees the new response.
	changed := strings.Replace(mockConfigText, `"MessageId":"3bcb6e8e-8b51"`, `"MessageId":"changed-id-00"`, 1)
	if err := os.WriteFile(file, []byte(changed), 0o644); err != nil {
		t.Fatal(err)
	}
	future := time.Now().Add(time.Minute)
	_ = os.Chtimes(file, future, future)
	e = ts.startSync(t, created.Arn+"#HappyPath", `{}`)
	if !strings.Contains(deref(e.Output), "changed-id-00") {
		t.Errorf("after the change: %s %s", e.Status, deref(e.Output))
	}

	// StartExecution takes the test case too.
	var started struct {
		Arn string `json:"executionArn"`
	}
	if code, msg, err := ts.call("StartExecution", map[string]any{"stateMachineArn": created.Arn + "#RetryPath"}, &started); err != nil || code != "" {
		t.Fatalf("StartExecution: %v %s %s", err, code, msg)
	}
	deadline := time.Now().Add(10 * time.Second)
	var d apiExecution
	for d.Status == "" || d.Status == "RUNNING" {
		if time.Now().After(deadline) {
			t.Fatal("still running")
		}
		if code, msg, err := ts.call("DescribeExecution", map[string]any{"executionArn": started.Arn}, &d); err != nil || code != "" {
			t.Fatalf("DescribeExecution: %v %s %s", err, code, msg)
		}
	}
	if d.Status != "SUCCEEDED" {
		t.Errorf("StartExecution with a test case: %s %s", d.Status, deref(d.Error))
	}
}

// TestRunMock runs a test case from the command line.
func TestRunMock(t *testing.T) {
	dir := t.TempDir()
	def := filepath.Join(dir, "LambdaSQSIntegration.asl.json")
	mock := filepath.Join(dir, "MockConfigFile.json")
	_ = os.WriteFile(def, []byte(mockMachine), 0o644)
	_ = os.WriteFile(mock, []byte(mockConfigText), 0o644)
	var out, errOut bytes.Buffer
	code := runCommand([]string{def, "-mock", mock, "-test-case", "HappyPath"}, nil, &out, &errOut)
	if code != exitOK || strings.TrimSpace(out.String()) != `{"MD5OfMessageBody":"3bcb6e8e","MessageId":"3bcb6e8e-8b51"}` {
		t.Errorf("exit %d, out %s, err %s", code, out.String(), errOut.String())
	}
	out.Reset()
	errOut.Reset()
	if code := runCommand([]string{def, "-mock", mock}, nil, &out, &errOut); code != exitUsage {
		t.Errorf("-mock without -test-case: exit %d", code)
	}
}
