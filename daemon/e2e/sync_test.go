package e2e

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"
)

// syncParent is a parent machine whose Task starts the child named by
// its input's Child with resource (.sync or .sync:2) and waits for it.
func syncParent(resource string) string {
	return `{"StartAt":"Run","States":{"Run":{"Type":"Task","Resource":"arn:aws:states:::states:` + resource + `",
	  "Parameters":{"StateMachineArn.$":"$.Child","Input":{"n.$":"$.n"},"Name.$":"$.Name"},"End":true}}}`
}

// childOf waits until the machine named machine has an execution with
// status and returns its ARN.
func childOf(t *testing.T, c *sfn.Client, machine string, status types.ExecutionStatus) string {
	t.Helper()
	var arn string
	waitFor(t, 30*time.Second, 20*time.Millisecond, func() error {
		out, err := c.ListExecutions(testContext(t), &sfn.ListExecutionsInput{StateMachineArn: aws.String(machineArn(machine)), StatusFilter: status})
		if err != nil {
			return err
		}
		if len(out.Executions) == 0 {
			return fmt.Errorf("no %s execution of %s yet", status, machine)
		}
		arn = aws.ToString(out.Executions[0].ExecutionArn)
		return nil
	})
	return arn
}

// TestSyncChildren: .sync and .sync:2 parents (STANDARD) wait for
// STANDARD and EXPRESS children; the parent's output is the child's
// description (Input and Output as JSON text for .sync, parsed for
// .sync:2); a failed child fails the parent with States.TaskFailed and
// the description as the cause; the parent's history is TaskScheduled,
// TaskStarted, TaskSubmitted, TaskSucceeded as AWS's; TimeoutSeconds
// bounds the wait; an EXPRESS parent is refused at create with AWS's
// message.
func TestSyncChildren(t *testing.T) {
	p := startStepd(t)
	c := newClient(p)
	createStandard(t, c, "sync-ok", `{"StartAt":"P","States":{"P":{"Type":"Pass","Parameters":{"got.$":"$.n"},"End":true}}}`)
	createStandard(t, c, "sync-fail", `{"StartAt":"F","States":{"F":{"Type":"Fail","Error":"SomeFailure","Cause":"it failed"}}}`)
	create(t, c, "sync-express", types.StateMachineTypeExpress, `{"StartAt":"P","States":{"P":{"Type":"Pass","Parameters":{"fast.$":"$.n"},"End":true}}}`)
	sync1 := createStandard(t, c, "parent-sync", syncParent("startExecution.sync"))
	sync2 := createStandard(t, c, "parent-sync2", syncParent("startExecution.sync:2"))
	_, err := c.CreateStateMachine(testContext(t), &sfn.CreateStateMachineInput{Name: aws.String("parent-express"), Definition: aws.String(syncParent("startExecution.sync")),
		RoleArn: aws.String(e2eRole), Type: types.StateMachineTypeExpress})
	if err == nil || !strings.Contains(err.Error(), "Express state machine does not support '.sync' service integration") {
		t.Errorf("an EXPRESS .sync parent: %v", err)
	}

	run := func(parent, child, name string, status types.ExecutionStatus) (*sfn.DescribeExecutionOutput, map[string]any) {
		t.Helper()
		in := fmt.Sprintf(`{"Child":%q,"n":7,"Name":%q}`, machineArn(child), name)
		d := waitExecution(t, c, *startNamed(t, c, parent, name, in).ExecutionArn, status)
		var out map[string]any
		text := aws.ToString(d.Output)
		if status != types.ExecutionStatusSucceeded {
			text = aws.ToString(d.Cause)
		}
		if err := json.Unmarshal([]byte(text), &out); err != nil {
			t.Fatalf("%s: %v in %s", name, err, text)
		}
		return d, out
	}

	d, out := run(sync1, "sync-ok", "a", types.ExecutionStatusSucceeded)
	if out["Output"] != `{"got":7}` || out["Input"] != `{"n":7}` || out["Status"] != "SUCCEEDED" || out["Name"] != "a" ||
		out["StateMachineArn"] != machineArn("sync-ok") || out["RedriveStatus"] != "NOT_REDRIVABLE" {
		t.Errorf(".sync output %s", aws.ToString(d.Output))
	}
	if _, ok := out["StartDate"].(float64); !ok {
		t.Errorf(".sync StartDate is not epoch milliseconds: %s", aws.ToString(d.Output))
	}
	var kinds []string
	for _, e := range historyOf(t, c, *d.ExecutionArn) {
		kinds = append(kinds, string(e.Type))
	}
	if got := strings.Join(kinds, ","); got != "ExecutionStarted,TaskStateEntered,TaskScheduled,TaskStarted,TaskSubmitted,TaskSucceeded,TaskStateExited,ExecutionSucceeded" {
		t.Errorf("parent history %s", got)
	}

	_, out = run(sync2, "sync-ok", "b", types.ExecutionStatusSucceeded)
	if o, _ := out["Output"].(map[string]any); o["got"] != float64(7) {
		t.Errorf(".sync:2 output %v", out)
	}
	if in, _ := out["Input"].(map[string]any); in["n"] != float64(7) {
		t.Errorf(".sync:2 input %v", out)
	}

	d, out = run(sync1, "sync-fail", "c", types.ExecutionStatusFailed)
	if aws.ToString(d.Error) != "States.TaskFailed" || out["Error"] != "SomeFailure" || out["Cause"] != "it failed" || out["Status"] != "FAILED" || out["Output"] != nil {
		t.Errorf("failed child: error %s cause %s", aws.ToString(d.Error), aws.ToString(d.Cause))
	}

	_, out = run(sync2, "sync-express", "d", types.ExecutionStatusSucceeded)
	if o, _ := out["Output"].(map[string]any); o["fast"] != float64(7) || out["RedriveStatus"] != nil {
		t.Errorf("EXPRESS child: %v", out)
	}

	// The Task's TimeoutSeconds bounds the wait (States.Timeout); the
	// child runs on, as a StartExecution already made does.
	createStandard(t, c, "sync-hour", `{"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":3600,"End":true}}}`)
	timed := createStandard(t, c, "parent-timeout", strings.Replace(syncParent("startExecution.sync"), `"End":true`, `"TimeoutSeconds":1,"End":true`, 1))
	d = waitExecution(t, c, *startNamed(t, c, timed, "e", fmt.Sprintf(`{"Child":%q,"n":1,"Name":"e"}`, machineArn("sync-hour"))).ExecutionArn, types.ExecutionStatusFailed)
	if aws.ToString(d.Error) != "States.Timeout" {
		t.Errorf("timed-out .sync Task: %s %s", aws.ToString(d.Error), aws.ToString(d.Cause))
	}
	childOf(t, c, "sync-hour", types.ExecutionStatusRunning)
}

// TestSyncStopParentStopsChild: StopExecution of a parent waiting on a
// .sync child stops the child too, STANDARD or EXPRESS.
func TestSyncStopParentStopsChild(t *testing.T) {
	p := startStepd(t)
	c := newClient(p)
	long := `{"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":3600,"End":true}}}`
	createStandard(t, c, "sync-long", long)
	create(t, c, "sync-long-express", types.StateMachineTypeExpress, long)
	parent := createStandard(t, c, "parent-stop", syncParent("startExecution.sync"))
	for _, child := range []string{"sync-long", "sync-long-express"} {
		started := startNamed(t, c, parent, child, fmt.Sprintf(`{"Child":%q,"n":1,"Name":"kid"}`, machineArn(child)))
		kid := childOf(t, c, child, types.ExecutionStatusRunning)
		if _, err := c.StopExecution(testContext(t), &sfn.StopExecutionInput{ExecutionArn: started.ExecutionArn}); err != nil {
			t.Fatal(err)
		}
		waitExecution(t, c, *started.ExecutionArn, types.ExecutionStatusAborted)
		waitExecution(t, c, kid, types.ExecutionStatusAborted)
	}
}

// TestSyncParentAcrossKill: SIGKILL of the node while parents wait on
// their .sync:2 children; after the restart the STANDARD child resumes,
// ends, and its end answers its parent; the EXPRESS child, which lived in
// the killed process, runs again (at least once, as AWS's asynchronous
// Express workflows) and answers its parent. Both parents succeed with
// their child's output.
func TestSyncParentAcrossKill(t *testing.T) {
	n := &e2eNode{id: "n1", raftAddr: freeAddr(t), dataDir: t.TempDir()}
	n.start(t, "")
	slow := `{"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":3,"Next":"P"},"P":{"Type":"Pass","Parameters":{"done.$":"$.n"},"End":true}}}`
	createStandard(t, n.sfn, "sync-slow", slow)
	create(t, n.sfn, "sync-slow-express", types.StateMachineTypeExpress, slow)
	parent := createStandard(t, n.sfn, "parent-kill", syncParent("startExecution.sync:2"))
	started := map[string]*sfn.StartExecutionOutput{}
	for i, child := range []string{"sync-slow", "sync-slow-express"} {
		started[child] = startNamed(t, n.sfn, parent, child, fmt.Sprintf(`{"Child":%q,"n":%d,"Name":"kid"}`, machineArn(child), 5+i))
		childOf(t, n.sfn, child, types.ExecutionStatusRunning)
	}
	n.kill(t)
	n.start(t, "")
	for i, child := range []string{"sync-slow", "sync-slow-express"} {
		d := waitExecution(t, n.sfn, *started[child].ExecutionArn, types.ExecutionStatusSucceeded)
		var out struct {
			Output struct{ Done int }
			Status string
		}
		if err := json.Unmarshal([]byte(aws.ToString(d.Output)), &out); err != nil || out.Output.Done != 5+i || out.Status != "SUCCEEDED" {
			t.Errorf("%s: parent output after the kill: %s (%v)", child, aws.ToString(d.Output), err)
		}
	}
}

// TestSyncAcrossLeaderLoss: in a 3-node cluster, SIGKILL of the leader
// while a parent waits on its STANDARD .sync child; the new leader
// resumes the child, whose end answers the parent, on every survivor.
func TestSyncAcrossLeaderLoss(t *testing.T) {
	nodes := startE2ECluster(t, 3)
	leader := leaderOf(t, nodes)
	survivors := others(nodes, leader)
	c := survivors[0].sfn
	createStandard(t, c, "sync-failover", `{"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":2,"Next":"P"},"P":{"Type":"Pass","Parameters":{"done.$":"$.n"},"End":true}}}`)
	parent := createStandard(t, c, "parent-failover", syncParent("startExecution.sync"))
	started := startNamed(t, c, parent, "p", fmt.Sprintf(`{"Child":%q,"n":9,"Name":"kid"}`, machineArn("sync-failover")))
	childOf(t, c, "sync-failover", types.ExecutionStatusRunning)
	leader.kill(t)
	for _, n := range survivors {
		d := waitExecution(t, n.sfn, *started.ExecutionArn, types.ExecutionStatusSucceeded)
		var out struct{ Output, Status string }
		if err := json.Unmarshal([]byte(aws.ToString(d.Output)), &out); err != nil || out.Output != `{"done":9}` || out.Status != "SUCCEEDED" {
			t.Errorf("%s: parent output after the failover: %s (%v)", n.id, aws.ToString(d.Output), err)
		}
	}
}

// TestSyncExpressChildAcrossShutdown: a graceful shutdown (SIGTERM) that
// cuts an EXPRESS .sync child short does not fail its parent: the child
// runs again when the parent resumes after the restart.
func TestSyncExpressChildAcrossShutdown(t *testing.T) {
	n := &e2eNode{id: "n1", raftAddr: freeAddr(t), dataDir: t.TempDir()}
	n.start(t, "", "-shutdown-grace", "1s")
	create(t, n.sfn, "sync-express-4s", types.StateMachineTypeExpress, `{"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":4,"Next":"P"},"P":{"Type":"Pass","Parameters":{"done.$":"$.n"},"End":true}}}`)
	parent := createStandard(t, n.sfn, "parent-shutdown", syncParent("startExecution.sync:2"))
	started := startNamed(t, n.sfn, parent, "p", fmt.Sprintf(`{"Child":%q,"n":3,"Name":"kid"}`, machineArn("sync-express-4s")))
	childOf(t, n.sfn, "sync-express-4s", types.ExecutionStatusRunning)
	n.p.stop(t)
	n.start(t, "")
	d := waitExecution(t, n.sfn, *started.ExecutionArn, types.ExecutionStatusSucceeded)
	var out struct{ Output struct{ Done int } }
	if err := json.Unmarshal([]byte(aws.ToString(d.Output)), &out); err != nil || out.Output.Done != 3 {
		t.Errorf("parent output after the restart: %s (%v)", aws.ToString(d.Output), err)
	}
}
