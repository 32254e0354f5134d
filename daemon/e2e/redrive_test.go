package e2e

import (
	"errors"
	"fmt"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"
)

// newFailingLambda is a lambdaStub whose calls with "bad" in their
// payload raise Boom until healed.
func newFailingLambda(t *testing.T) (*lambdaStub, string) {
	s, url := newLambdaStub(t)
	s.fails = "bad"
	return s, url
}

// notRedrivable asserts that redriving arn fails with code and, when
// not "", message.
func notRedrivable(t *testing.T, c *sfn.Client, arn, code, message string) {
	t.Helper()
	_, err := c.RedriveExecution(testContext(t), &sfn.RedriveExecutionInput{ExecutionArn: aws.String(arn)})
	var api interface {
		ErrorCode() string
		ErrorMessage() string
	}
	if !errors.As(err, &api) || api.ErrorCode() != code || message != "" && api.ErrorMessage() != message {
		t.Errorf("redrive of %s: %v, want %s %q", arn, err, code, message)
	}
}

// TestRedriveAcrossKill: an execution that failed in its Map resumes
// when redriven (through the AWS SDK) and survives a SIGKILL while its
// redriven Task runs: the Task before the Map and the item that
// succeeded are not called again, the failed item is; DescribeExecution,
// ListExecutions (redriveFilter) and the history show the redrive, and
// the same clientToken answers the same redrive. Executions that are
// RUNNING, SUCCEEDED, EXPRESS or unknown are refused as AWS refuses
// them.
func TestRedriveAcrossKill(t *testing.T) {
	fn, lambdaURL := newFailingLambda(t)
	n := &e2eNode{id: "n1", raftAddr: freeAddr(t), dataDir: t.TempDir()}
	n.start(t, "", "-lambda-endpoint", lambdaURL)
	c := n.sfn
	machine := createStandard(t, c, "redrive", `{"StartAt":"A","States":{
		"A":{"Type":"Task","Resource":"`+stubFunction+`","Parameters":{"step":"a"},"ResultPath":"$.a","Next":"M"},
		"M":{"Type":"Map","ItemsPath":"$.items","MaxConcurrency":1,"ResultPath":"$.m","End":true,
			"ItemProcessor":{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"`+stubFunction+`","End":true}}}}}}`)
	arn := *startNamed(t, c, machine, "r", `{"items":["good","bad"]}`).ExecutionArn
	d := waitExecution(t, c, arn, types.ExecutionStatusFailed)
	if d.RedriveStatus != types.ExecutionRedriveStatusRedrivable || d.RedriveCount == nil || *d.RedriveCount != 0 || d.RedriveDate != nil || d.RedriveStatusReason != nil {
		t.Errorf("failed execution: redrive status %s count %v date %v reason %v", d.RedriveStatus, d.RedriveCount, d.RedriveDate, d.RedriveStatusReason)
	}

	waiting := createStandard(t, c, "waits", `{"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":3600,"End":true}}}`)
	running := *startNamed(t, c, waiting, "w", `{}`).ExecutionArn
	notRedrivable(t, c, running, "ExecutionNotRedrivable", "Execution is RUNNING and cannot be redriven")
	notRedrivable(t, c, strings.Replace(arn, ":r", ":nope", 1), "ExecutionDoesNotExist", "")
	express, err := c.CreateStateMachine(testContext(t), &sfn.CreateStateMachineInput{Name: aws.String("fast"), RoleArn: aws.String(e2eRole),
		Type: types.StateMachineTypeExpress, Definition: aws.String(`{"StartAt":"F","States":{"F":{"Type":"Fail","Error":"E"}}}`)})
	if err != nil {
		t.Fatal(err)
	}
	fast := *startNamed(t, c, *express.StateMachineArn, "f", `{}`).ExecutionArn
	waitExecution(t, c, fast, types.ExecutionStatusFailed)
	notRedrivable(t, c, fast, "ExecutionNotRedrivable", "")

	fn.mu.Lock()
	fn.healed, fn.hold, fn.holdFor = true, make(chan struct{}), "bad"
	fn.mu.Unlock()
	out, err := c.RedriveExecution(testContext(t), &sfn.RedriveExecutionInput{ExecutionArn: aws.String(arn), ClientToken: aws.String("once")})
	if err != nil {
		t.Fatal(err)
	}
	redriven := *out.RedriveDate
	waitFor(t, 20*time.Second, 10*time.Millisecond, func() error {
		if fn.count(`"bad"`) < 2 {
			return errors.New("the failed item has not run again")
		}
		return nil
	})
	n.kill(t)
	fn.mu.Lock()
	close(fn.hold)
	fn.hold = nil
	fn.mu.Unlock()
	n.start(t, "", "-lambda-endpoint", lambdaURL)
	c = n.sfn

	d = waitExecution(t, c, arn, types.ExecutionStatusSucceeded)
	if want := `{"items":["good","bad"],"a":{"echo":{"step":"a"}},"m":[{"echo":"good"},{"echo":"bad"}]}`; *d.Output != want {
		t.Errorf("output %s\nwant %s", *d.Output, want)
	}
	if fn.count(`{"step":"a"}`) != 1 || fn.count(`"good"`) != 1 || fn.count(`"bad"`) < 2 {
		t.Errorf("calls %v: want the first Task and the good item once", fn.calls)
	}
	if *d.RedriveCount != 1 || d.RedriveDate == nil || !d.RedriveDate.Equal(redriven) || d.RedriveStatus != types.ExecutionRedriveStatusNotRedrivable ||
		d.RedriveStatusReason == nil || *d.RedriveStatusReason != "Execution is SUCCEEDED and cannot be redriven" {
		t.Errorf("redriven execution: count %v date %v (redrove at %v) status %s reason %v", *d.RedriveCount, d.RedriveDate, redriven, d.RedriveStatus, d.RedriveStatusReason)
	}
	again, err := c.RedriveExecution(testContext(t), &sfn.RedriveExecutionInput{ExecutionArn: aws.String(arn), ClientToken: aws.String("once")})
	if err != nil || !again.RedriveDate.Equal(redriven) {
		t.Errorf("the same clientToken: %v %v, want the redrive of %v", again, err, redriven)
	}
	notRedrivable(t, c, arn, "ExecutionNotRedrivable", "Execution is SUCCEEDED and cannot be redriven")

	for filter, want := range map[types.ExecutionRedriveFilter]int{types.ExecutionRedriveFilterRedriven: 1, types.ExecutionRedriveFilterNotRedriven: 0} {
		list, err := c.ListExecutions(testContext(t), &sfn.ListExecutionsInput{StateMachineArn: aws.String(machine), RedriveFilter: filter})
		if err != nil || len(list.Executions) != want {
			t.Fatalf("list %s: %v %v", filter, list, err)
		}
		if want == 1 && (*list.Executions[0].RedriveCount != 1 || !list.Executions[0].RedriveDate.Equal(redriven)) {
			t.Errorf("listed %+v", list.Executions[0])
		}
	}

	events := historyOf(t, c, arn)
	counts := countEvents(events)
	if counts[types.HistoryEventTypeExecutionRedriven] != 1 || counts[types.HistoryEventTypeMapIterationSucceeded] != 2 ||
		counts[types.HistoryEventTypeExecutionFailed] != 1 || counts[types.HistoryEventTypeExecutionSucceeded] != 1 {
		t.Errorf("history counts %v", counts)
	}
	for i, ev := range events {
		if ev.Id != int64(i+1) {
			t.Fatalf("event %d has id %d", i, ev.Id)
		}
		if ev.Type == types.HistoryEventTypeExecutionRedriven && (ev.ExecutionRedrivenEventDetails == nil || ev.ExecutionRedrivenEventDetails.RedriveCount == nil || *ev.ExecutionRedrivenEventDetails.RedriveCount != 1) {
			t.Errorf("ExecutionRedriven details %+v", ev.ExecutionRedrivenEventDetails)
		}
	}
}

// TestRedriveAbortedActivity: an execution stopped while a worker holds
// its activity task, redriven, hands out a new task with a new token; the
// old token is used up (TaskTimedOut), and the Pass state before the
// activity does not run again.
func TestRedriveAbortedActivity(t *testing.T) {
	p := startStepd(t)
	c := newClient(p)
	ctx := testContext(t)
	act, err := c.CreateActivity(ctx, &sfn.CreateActivityInput{Name: aws.String("approve")})
	if err != nil {
		t.Fatal(err)
	}
	machine := createStandard(t, c, "approval", `{"StartAt":"P","States":{
		"P":{"Type":"Pass","Parameters":{"at.$":"$$.State.EnteredTime"},"Next":"A"},
		"A":{"Type":"Task","Resource":"`+*act.ActivityArn+`","End":true}}}`)
	arn := *startNamed(t, c, machine, "a", `{}`).ExecutionArn
	first, err := c.GetActivityTask(ctx, &sfn.GetActivityTaskInput{ActivityArn: act.ActivityArn, WorkerName: aws.String("w")})
	if err != nil || first.TaskToken == nil {
		t.Fatalf("first task: %+v %v", first, err)
	}
	if _, err := c.StopExecution(ctx, &sfn.StopExecutionInput{ExecutionArn: aws.String(arn)}); err != nil {
		t.Fatal(err)
	}
	waitExecution(t, c, arn, types.ExecutionStatusAborted)
	if _, err := c.RedriveExecution(ctx, &sfn.RedriveExecutionInput{ExecutionArn: aws.String(arn)}); err != nil {
		t.Fatal(err)
	}
	second, err := c.GetActivityTask(ctx, &sfn.GetActivityTaskInput{ActivityArn: act.ActivityArn, WorkerName: aws.String("w")})
	if err != nil || second.TaskToken == nil || *second.TaskToken == *first.TaskToken {
		t.Fatalf("second task: %+v %v", second, err)
	}
	if *second.Input != *first.Input {
		t.Errorf("the redriven activity's input %s, want the replayed Pass state's %s", *second.Input, *first.Input)
	}
	_, err = c.SendTaskSuccess(ctx, &sfn.SendTaskSuccessInput{TaskToken: first.TaskToken, Output: aws.String(`"old"`)})
	errorAs[*types.TaskTimedOut](t, err, "")
	if _, err := c.SendTaskSuccess(ctx, &sfn.SendTaskSuccessInput{TaskToken: second.TaskToken, Output: aws.String(`"new"`)}); err != nil {
		t.Fatal(err)
	}
	if d := waitExecution(t, c, arn, types.ExecutionStatusSucceeded); *d.Output != `"new"` {
		t.Errorf("output %s", *d.Output)
	}
	counts := countEvents(historyOf(t, c, arn))
	if counts[types.HistoryEventTypePassStateEntered] != 1 || counts[types.HistoryEventTypeActivityScheduled] != 2 || counts[types.HistoryEventTypeExecutionAborted] != 1 {
		t.Errorf("history counts %v", counts)
	}
}

// TestRedriveSurvivesLeaderLoss: in a 3-node cluster, a redrive asked of
// a follower is committed through Raft; the leader running the redriven
// execution is killed while it waits; it finishes on the new leader and
// both survivors describe it and its history alike.
func TestRedriveSurvivesLeaderLoss(t *testing.T) {
	fn, lambdaURL := newFailingLambda(t)
	nodes := startE2ECluster(t, 3, "-lambda-endpoint", lambdaURL)
	leader := leaderOf(t, nodes)
	survivors := others(nodes, leader)
	c := survivors[0].sfn
	m := createStandard(t, c, "redrive-failover", `{"StartAt":"A","States":{
		"A":{"Type":"Task","Resource":"`+stubFunction+`","Parameters":{"step":"bad"},"ResultPath":"$.a","Next":"W"},
		"W":{"Type":"Wait","Seconds":2,"End":true}}}`)
	arn := *startNamed(t, c, m, "r", `{}`).ExecutionArn
	waitExecution(t, c, arn, types.ExecutionStatusFailed)
	fn.mu.Lock()
	fn.healed = true
	fn.mu.Unlock()
	if _, err := survivors[1].sfn.RedriveExecution(testContext(t), &sfn.RedriveExecutionInput{ExecutionArn: aws.String(arn)}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 20*time.Second, 20*time.Millisecond, func() error {
		h, err := tryHistory(c, arn)
		if err != nil {
			return err
		}
		if countEvents(h)[types.HistoryEventTypeWaitStateEntered] == 0 {
			return errors.New("the redriven execution does not wait yet")
		}
		return nil
	})
	leader.kill(t)
	var seen []string
	for _, n := range survivors {
		d := waitExecution(t, n.sfn, arn, types.ExecutionStatusSucceeded)
		if *d.Output != `{"a":{"echo":{"step":"bad"}}}` || *d.RedriveCount != 1 {
			t.Errorf("output %s, redrive count %d", *d.Output, *d.RedriveCount)
		}
		seen = append(seen, fmt.Sprint(countEvents(historyOf(t, n.sfn, arn))))
	}
	if seen[0] != seen[1] {
		t.Errorf("the survivors answer differently: %v", seen)
	}
	if got := fn.count(`{"step":"bad"}`); got != 2 {
		t.Errorf("the task was called %d times, want 2 (failed, then redriven)", got)
	}
}

// TestRedriveLogged: a redriven execution of a machine with logging ALL
// is written to the history log once per ending, the second time from its
// ExecutionRedriven event on: stepd history prints each event once, and
// ListExecutions lists it once.
func TestRedriveLogged(t *testing.T) {
	fn, lambdaURL := newFailingLambda(t)
	p := startStepd(t, "-lambda-endpoint", lambdaURL)
	c := newClient(p)
	ctx := testContext(t)
	out, err := c.CreateStateMachine(ctx, &sfn.CreateStateMachineInput{Name: aws.String("logged"), RoleArn: aws.String(e2eRole),
		Type: types.StateMachineTypeStandard, LoggingConfiguration: logTo(types.LogLevelAll, true),
		Definition: aws.String(`{"StartAt":"A","States":{"A":{"Type":"Task","Resource":"` + stubFunction + `","Parameters":{"step":"bad"},"End":true}}}`)})
	if err != nil {
		t.Fatal(err)
	}
	arn := *startNamed(t, c, *out.StateMachineArn, "one", `{}`).ExecutionArn
	logged := func(want int) {
		t.Helper()
		waitFor(t, 10*time.Second, 20*time.Millisecond, func() error {
			log, err := exec.Command(stepdBin, "history", "-data-dir", p.dataDir, "-execution", arn).Output()
			if n := strings.Count(string(log), "\n"); err != nil || n != want {
				return fmt.Errorf("stepd history: %d lines, want %d (%v)", n, want, err)
			}
			return nil
		})
	}
	waitExecution(t, c, arn, types.ExecutionStatusFailed)
	logged(len(historyOf(t, c, arn)))
	fn.mu.Lock()
	fn.healed = true
	fn.mu.Unlock()
	if _, err := c.RedriveExecution(ctx, &sfn.RedriveExecutionInput{ExecutionArn: aws.String(arn)}); err != nil {
		t.Fatal(err)
	}
	waitExecution(t, c, arn, types.ExecutionStatusSucceeded)
	logged(len(historyOf(t, c, arn)))
	list, err := c.ListExecutions(ctx, &sfn.ListExecutionsInput{StateMachineArn: out.StateMachineArn})
	if err != nil || len(list.Executions) != 1 || list.Executions[0].Status != types.ExecutionStatusSucceeded {
		t.Errorf("ListExecutions: %+v %v", list, err)
	}
}

// TestRedriveMapRun: redriving an execution whose Distributed Map failed
// resumes its Map Run, as AWS does: the same Map Run (ListMapRuns lists
// one) with redriveCount 1 and its redriveDate, a MapRunRedriven event,
// and only the failed child run again.
func TestRedriveMapRun(t *testing.T) {
	fn, lambdaURL := newFailingLambda(t)
	p := startStepd(t, "-lambda-endpoint", lambdaURL)
	c := newClient(p)
	ctx := testContext(t)
	m := createStandard(t, c, "dmap", `{"StartAt":"M","States":{"M":{"Type":"Map","MaxConcurrency":1,"Label":"lbl","End":true,"ItemProcessor":{
		"ProcessorConfig":{"Mode":"DISTRIBUTED","ExecutionType":"STANDARD"},"StartAt":"T","States":{"T":{"Type":"Task","Resource":"`+stubFunction+`","End":true}}}}}}`)
	arn := *startNamed(t, c, m, "d", `["good","bad"]`).ExecutionArn
	waitExecution(t, c, arn, types.ExecutionStatusFailed)
	fn.mu.Lock()
	fn.healed = true
	fn.mu.Unlock()
	out, err := c.RedriveExecution(ctx, &sfn.RedriveExecutionInput{ExecutionArn: aws.String(arn)})
	if err != nil {
		t.Fatal(err)
	}
	if d := waitExecution(t, c, arn, types.ExecutionStatusSucceeded); *d.Output != `[{"echo":"good"},{"echo":"bad"}]` {
		t.Errorf("output %s", *d.Output)
	}
	if fn.count(`"good"`) != 1 || fn.count(`"bad"`) != 2 {
		t.Errorf("calls %v", fn.calls)
	}
	runs, err := c.ListMapRuns(ctx, &sfn.ListMapRunsInput{ExecutionArn: aws.String(arn)})
	if err != nil || len(runs.MapRuns) != 1 {
		t.Fatalf("ListMapRuns: %+v %v", runs, err)
	}
	d, err := c.DescribeMapRun(ctx, &sfn.DescribeMapRunInput{MapRunArn: runs.MapRuns[0].MapRunArn})
	if err != nil || d.Status != types.MapRunStatusSucceeded || d.RedriveCount == nil || *d.RedriveCount != 1 || d.RedriveDate == nil ||
		!d.RedriveDate.Truncate(time.Second).Equal(out.RedriveDate.Truncate(time.Second)) || d.ExecutionCounts.Succeeded != 2 {
		t.Errorf("DescribeMapRun: %+v %v", d, err)
	}
	var redriven *types.MapRunRedrivenEventDetails
	for _, ev := range historyOf(t, c, arn) {
		if ev.Type == types.HistoryEventTypeMapRunRedriven {
			redriven = ev.MapRunRedrivenEventDetails
		}
	}
	if redriven == nil || aws.ToString(redriven.MapRunArn) != aws.ToString(runs.MapRuns[0].MapRunArn) || aws.ToInt32(redriven.RedriveCount) != 1 {
		t.Errorf("MapRunRedriven details %+v", redriven)
	}
}
