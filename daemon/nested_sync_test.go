package daemon

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// runStandard starts a STANDARD execution of machine and polls it until
// it ends.
func (ts *testServer) runStandard(t *testing.T, machine, input string) (string, apiExecution) {
	t.Helper()
	var started struct {
		Arn string `json:"executionArn"`
	}
	if code, msg, err := ts.call("StartExecution", map[string]any{"stateMachineArn": machine, "input": input}, &started); err != nil || code != "" {
		t.Fatalf("StartExecution: %v %s %s", err, code, msg)
	}
	var e apiExecution
	for deadline := time.Now().Add(30 * time.Second); e.Status == "" || e.Status == "RUNNING"; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%s still RUNNING after 30 s", started.Arn)
		}
		if code, msg, err := ts.call("DescribeExecution", map[string]any{"executionArn": started.Arn}, &e); err != nil || code != "" {
			t.Fatalf("DescribeExecution: %v %s %s", err, code, msg)
		}
	}
	return started.Arn, e
}

// createMachine creates a machine and returns its ARN.
func (ts *testServer) createMachine(t *testing.T, name, typ, def string) string {
	t.Helper()
	var created struct {
		Arn string `json:"stateMachineArn"`
	}
	if code, msg, err := ts.call("CreateStateMachine", map[string]any{"name": name, "definition": def, "roleArn": "arn:aws:iam::123456789012:role/r", "type": typ}, &created); err != nil || code != "" {
		t.Fatalf("CreateStateMachine %s: %v %s %s", name, err, code, msg)
	}
	return created.Arn
}

// TestSyncTaskEvents: a .sync:2 Task's events carry AWS's resource and
// resourceType, TaskSubmitted the StartExecution answer and TaskSucceeded
// the child's description; a JSONata parent reads the description in
// $states.result.
func TestSyncTaskEvents(t *testing.T) {
	cfg := DefaultConfig()
	cfg.DataDir = t.TempDir()
	ts := startTestServer(t, cfg)
	child := ts.createMachine(t, "child", "STANDARD", `{"StartAt":"P","States":{"P":{"Type":"Pass","Parameters":{"got.$":"$.x"},"End":true}}}`)
	parent := ts.createMachine(t, "parent", "STANDARD", fmt.Sprintf(`{"StartAt":"R","States":{"R":{"Type":"Task","Resource":"arn:aws:states:::states:startExecution.sync:2",
	  "Parameters":{"StateMachineArn":%q,"Input":{"x.$":"$.x"}},"End":true}}}`, child))
	arn, e := ts.runStandard(t, parent, `{"x":3}`)
	if e.Status != "SUCCEEDED" {
		t.Fatalf("parent %s %s %s", e.Status, deref(e.Error), deref(e.Cause))
	}
	var h struct {
		Events []struct {
			Type      string `json:"type"`
			Scheduled *struct {
				Resource     string `json:"resource"`
				ResourceType string `json:"resourceType"`
			} `json:"taskScheduledEventDetails"`
			Submitted *struct {
				Output string `json:"output"`
			} `json:"taskSubmittedEventDetails"`
			Succeeded *struct {
				Output   string `json:"output"`
				Resource string `json:"resource"`
			} `json:"taskSucceededEventDetails"`
		} `json:"events"`
	}
	if code, msg, err := ts.call("GetExecutionHistory", map[string]any{"executionArn": arn}, &h); err != nil || code != "" {
		t.Fatalf("GetExecutionHistory: %v %s %s", err, code, msg)
	}
	for _, ev := range h.Events {
		switch {
		case ev.Scheduled != nil && (ev.Scheduled.Resource != "startExecution.sync:2" || ev.Scheduled.ResourceType != "states"):
			t.Errorf("TaskScheduled %+v", ev.Scheduled)
		case ev.Submitted != nil:
			var out map[string]any
			if json.Unmarshal([]byte(ev.Submitted.Output), &out) != nil || out["ExecutionArn"] == nil || out["StartDate"] == nil || out["SdkHttpMetadata"] == nil {
				t.Errorf("TaskSubmitted output %s", ev.Submitted.Output)
			}
		case ev.Succeeded != nil && (ev.Succeeded.Output != deref(e.Output) || ev.Succeeded.Resource != "startExecution.sync:2"):
			t.Errorf("TaskSucceeded %+v, output %s", ev.Succeeded, deref(e.Output))
		}
	}

	jsonata := ts.createMachine(t, "parent-jsonata", "STANDARD", fmt.Sprintf(`{"QueryLanguage":"JSONata","StartAt":"R","States":{"R":{"Type":"Task",
	  "Resource":"arn:aws:states:::states:startExecution.sync:2","Arguments":{"StateMachineArn":%q,"Input":{"x":"{%% $states.input.x %%}"}},
	  "Output":"{%% $states.result.Output %%}","End":true}}}`, child))
	if _, e := ts.runStandard(t, jsonata, `{"x":"j"}`); e.Status != "SUCCEEDED" || deref(e.Output) != `{"got":"j"}` {
		t.Errorf("JSONata parent: %s %s %s %s", e.Status, deref(e.Output), deref(e.Error), deref(e.Cause))
	}
}

// TestSyncMocked: with Step Functions Local's mock config, a mocked .sync
// Task (and a mocked .waitForTaskToken one) ends with the mocked answer
// instead of waiting, as on Step Functions Local.
func TestSyncMocked(t *testing.T) {
	file := filepath.Join(t.TempDir(), "MockConfigFile.json")
	config := `{"StateMachines":{"mocked-sync":{"TestCases":{"Happy":{"Child":"ChildDone","Token":"Answered"}}}},
	  "MockedResponses":{"ChildDone":{"0":{"Return":{"Status":"SUCCEEDED","Output":"{\"ok\":true}"}}},"Answered":{"0":{"Return":{"approved":true}}}}}`
	if err := os.WriteFile(file, []byte(config), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := DefaultConfig()
	cfg.DataDir, cfg.MockConfig = t.TempDir(), file
	ts := startTestServer(t, cfg)
	m := ts.createMachine(t, "mocked-sync", "STANDARD", `{"StartAt":"Child","States":{
	  "Child":{"Type":"Task","Resource":"arn:aws:states:::states:startExecution.sync","Parameters":{"StateMachineArn":"arn:aws:states:us-east-1:123456789012:stateMachine:none"},"ResultPath":"$.child","Next":"Token"},
	  "Token":{"Type":"Task","Resource":"arn:aws:states:::sqs:sendMessage.waitForTaskToken","Parameters":{"QueueUrl":"q","MessageBody":{"t.$":"$$.Task.Token"}},"ResultPath":"$.token","End":true}}}`)
	_, e := ts.runStandard(t, m+"#Happy", `{}`)
	if want := `{"child":{"Status":"SUCCEEDED","Output":"{\"ok\":true}"},"token":{"approved":true}}`; e.Status != "SUCCEEDED" || deref(e.Output) != want {
		t.Errorf("mocked: %s %s %s %s, want %s", e.Status, deref(e.Output), deref(e.Error), deref(e.Cause), want)
	}
}
