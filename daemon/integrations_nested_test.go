package daemon

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/stepd/stepd/fastpath"
)

// TestNestedExecutions starts child machines from a parent on one node:
// states:startExecution of a STANDARD child (the child runs in process
// from the registry and can be described), aws-sdk:sfn:startSyncExecution
// of an EXPRESS child (its sync response is the result), and a child that
// does not exist (StepFunctions.StateMachineDoesNotExistException, caught).
func TestNestedExecutions(t *testing.T) {
	cfg := DefaultConfig()
	cfg.DataDir = t.TempDir()
	ts := startTestServer(t, cfg)
	child := `{"StartAt":"P","States":{"P":{"Type":"Pass","Parameters":{"doubled.$":"States.MathAdd($.n, $.n)"},"End":true}}}`
	for _, c := range []struct{ name, typ string }{{"child-std", "STANDARD"}, {"child-exp", "EXPRESS"}} {
		if code, msg, err := ts.call("CreateStateMachine", map[string]any{"name": c.name, "definition": child, "roleArn": "arn:aws:iam::123456789012:role/r", "type": c.typ}, nil); err != nil || code != "" {
			t.Fatalf("create %s: %v %s %s", c.name, err, code, msg)
		}
	}
	arn := func(name string) string { return "arn:aws:states:us-east-1:123456789012:stateMachine:" + name }
	parent := `{"StartAt":"Start","States":{
	 "Start":{"Type":"Task","Resource":"arn:aws:states:::states:startExecution","Parameters":{"StateMachineArn":"` + arn("child-std") + `","Input":{"n":2},"Name":"from-parent"},"ResultPath":"$.started","Next":"Sync"},
	 "Sync":{"Type":"Task","Resource":"arn:aws:states:::aws-sdk:sfn:startSyncExecution","Parameters":{"StateMachineArn":"` + arn("child-exp") + `","Input":{"n":21}},"ResultSelector":{"Status.$":"$.Status","Output.$":"States.StringToJson($.Output)"},"ResultPath":"$.sync","Next":"Missing"},
	 "Missing":{"Type":"Task","Resource":"arn:aws:states:::states:startExecution","Parameters":{"StateMachineArn":"` + arn("nope") + `"},
	   "Catch":[{"ErrorEquals":["StepFunctions.StateMachineDoesNotExistException"],"ResultPath":"$.missing","Next":"Done"}],"End":true},
	 "Done":{"Type":"Succeed"}}}`
	e := ts.runSync(t, "parent", parent, `{}`)
	if e.Status != "SUCCEEDED" {
		t.Fatalf("parent: %s %s %s", e.Status, deref(e.Error), deref(e.Cause))
	}
	var out struct {
		Started struct {
			ExecutionArn string
			StartDate    float64
		}
		Sync struct {
			Status string
			Output struct{ Doubled int }
		}
		Missing struct{ Error, Cause string }
	}
	if err := json.Unmarshal([]byte(deref(e.Output)), &out); err != nil {
		t.Fatal(err)
	}
	if out.Started.ExecutionArn != "arn:aws:states:us-east-1:123456789012:execution:child-std:from-parent" || out.Started.StartDate == 0 {
		t.Errorf("startExecution: %+v", out.Started)
	}
	if out.Sync.Status != "SUCCEEDED" || out.Sync.Output.Doubled != 42 {
		t.Errorf("startSyncExecution: %+v", out.Sync)
	}
	if want := "State Machine Does Not Exist: '" + arn("nope") + "' (Service: AWSStepFunctions; Status Code: 400; Error Code: StateMachineDoesNotExist; Request ID: "; !strings.HasPrefix(out.Missing.Cause, want) || out.Missing.Error != "StepFunctions.StateMachineDoesNotExistException" {
		t.Errorf("missing child: %+v", out.Missing)
	}
	var d struct {
		Status string `json:"status"`
		Output string `json:"output"`
	}
	for deadline := time.Now().Add(10 * time.Second); d.Status != "SUCCEEDED"; time.Sleep(2 * time.Millisecond) { // poll
		if time.Now().After(deadline) {
			t.Fatalf("the STANDARD child did not succeed: %+v", d)
		}
		_, _, _ = ts.call("DescribeExecution", map[string]any{"executionArn": out.Started.ExecutionArn}, &d)
	}
	if d.Output != `{"doubled":4}` {
		t.Errorf("the STANDARD child: %+v", d)
	}
}

// TestNestedSyncTimeout checks that TimeoutSeconds ends a Task waiting for
// a child with aws-sdk:sfn:startSyncExecution (States.Timeout, caught),
// on the real clock: the child waits 3 s, the Task allows 1.
func TestNestedSyncTimeout(t *testing.T) {
	cfg := DefaultConfig()
	cfg.DataDir = t.TempDir()
	ts := startTestServerClock(t, cfg, fastpath.SystemClock{})
	if code, msg, err := ts.call("CreateStateMachine", map[string]any{"name": "slow", "type": "EXPRESS", "roleArn": "arn:aws:iam::123456789012:role/r",
		"definition": `{"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":3,"End":true}}}`}, nil); err != nil || code != "" {
		t.Fatalf("create: %v %s %s", err, code, msg)
	}
	e := ts.runSync(t, "impatient", `{"StartAt":"C","States":{"C":{"Type":"Task","Resource":"arn:aws:states:::aws-sdk:sfn:startSyncExecution","TimeoutSeconds":1,
	  "Parameters":{"StateMachineArn":"arn:aws:states:us-east-1:123456789012:stateMachine:slow"},
	  "Catch":[{"ErrorEquals":["States.Timeout"],"Next":"Late"}],"End":true},"Late":{"Type":"Pass","End":true}}}`, `{}`)
	if e.Status != "SUCCEEDED" || !strings.Contains(deref(e.Output), "States.Timeout") {
		t.Errorf("got %s %s %s %s", e.Status, deref(e.Output), deref(e.Error), deref(e.Cause))
	}
}
