package daemon

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// cdkGlueECS is the shape CDK synthesizes for a data pipeline: a Glue job
// run, an ECS task and a generic aws-sdk call, none of which this node
// can call.
const cdkGlueECS = `{"StartAt":"GlueJob","States":{
 "GlueJob":{"Type":"Task","Resource":"arn:aws:states:::glue:startJobRun","Parameters":{"JobName":"etl-job","Arguments":{"--day.$":"$.day"}},"ResultPath":"$.glue","Next":"Ecs"},
 "Ecs":{"Type":"Task","Resource":"arn:aws:states:::ecs:runTask","Parameters":{"Cluster":"arn:aws:ecs:us-east-1:123456789012:cluster/c","TaskDefinition":"td","LaunchType":"FARGATE"},"ResultPath":"$.ecs","Next":"Athena"},
 "Athena":{"Type":"Task","Resource":"arn:aws:states:::aws-sdk:athena:getQueryExecution","Parameters":{"QueryExecutionId":"q"},"End":true}}}`

// TestServiceResourcesAcceptedAtCreate checks that CreateStateMachine
// takes every request-response resource AWS takes (a CDK-style Glue/ECS
// definition deploys) and that a Task stepd cannot call fails at run time
// with States.TaskFailed naming the resource, where Catch can handle it;
// that .waitForTaskToken and states:startExecution.sync/.sync:2 are taken,
// the .sync of other services still refused at create, naming the
// resource; and that a mock-config test case still stands in.
func TestServiceResourcesAcceptedAtCreate(t *testing.T) {
	create := func(ts *testServer, name, def, typ string) (string, string) {
		code, msg, err := ts.call("CreateStateMachine", map[string]any{"name": name, "definition": def, "roleArn": "arn:aws:iam::123456789012:role/r", "type": typ}, nil)
		if err != nil {
			t.Fatal(err)
		}
		return code, msg
	}
	cfg := DefaultConfig()
	cfg.DataDir = t.TempDir()
	ts := startTestServer(t, cfg)
	e := ts.runSync(t, "pipeline", cdkGlueECS, `{"day":"2026-12-06"}`)
	if e.Status != "FAILED" || deref(e.Error) != "States.TaskFailed" || !strings.Contains(deref(e.Cause), "arn:aws:states:::glue:startJobRun") {
		t.Errorf("Glue task: %s %s %s", e.Status, deref(e.Error), deref(e.Cause))
	}
	caught := strings.Replace(cdkGlueECS, `"ResultPath":"$.glue","Next":"Ecs"`, `"ResultPath":"$.glue","Catch":[{"ErrorEquals":["States.TaskFailed"],"ResultPath":"$.err","Next":"Done"}],"Next":"Ecs"`, 1)
	caught = strings.Replace(caught, `"End":true}}}`, `"End":true},"Done":{"Type":"Succeed"}}}`, 1)
	if e := ts.runSync(t, "pipeline-caught", caught, `{"day":"d"}`); e.Status != "SUCCEEDED" || !strings.Contains(deref(e.Output), "glue:startJobRun") {
		t.Errorf("caught: %s %s", e.Status, deref(e.Output))
	}
	wait := `{"StartAt":"W","States":{"W":{"Type":"Task","Resource":"arn:aws:states:::sqs:sendMessage.waitForTaskToken","Parameters":{"QueueUrl":"q","MessageBody":{"t.$":"$$.Task.Token"}},"End":true}}}`
	if code, msg := create(ts, "callback", wait, "STANDARD"); code != "" {
		t.Errorf("waitForTaskToken refused: %s %q", code, msg)
	}
	sync := `{"StartAt":"S","States":{"S":{"Type":"Task","Resource":"arn:aws:states:::states:startExecution.sync","Parameters":{"StateMachineArn":"arn:aws:states:us-east-1:123456789012:stateMachine:c"},"End":true}}}`
	for i, res := range []string{"states:startExecution.sync", "states:startExecution.sync:2"} {
		if code, msg := create(ts, "sync-"+strconv.Itoa(i), strings.Replace(sync, "states:startExecution.sync", res, 1), "STANDARD"); code != "" {
			t.Errorf("%s refused: %s %q", res, code, msg)
		}
	}
	ecs := strings.Replace(sync, "states:startExecution.sync", "ecs:runTask.sync", 1)
	code, msg := create(ts, "ecs-sync", ecs, "STANDARD")
	if code != "InvalidDefinition" || !strings.Contains(msg, "arn:aws:states:::ecs:runTask.sync is not supported by stepd yet") {
		t.Errorf("ecs:runTask.sync: %s %q", code, msg)
	}

	file := filepath.Join(t.TempDir(), "MockConfigFile.json")
	if err := os.WriteFile(file, []byte(mockConfigText), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg = DefaultConfig()
	cfg.DataDir, cfg.MockConfig = t.TempDir(), file
	ts = startTestServer(t, cfg)
	if code, msg := create(ts, "LambdaSQSIntegration", mockMachine, "EXPRESS"); code != "" {
		t.Errorf("mocked machine refused: %s %s", code, msg)
	}
}
