package e2e

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"
)

// The histories of a Map Run's STANDARD children: each child has its own,
// from its ExecutionStarted to its end, and its parent's history shows
// only the Map Run.

// eventTypesOf is the types of events in order, space separated.
func eventTypesOf(events []types.HistoryEvent) string {
	names := make([]string, len(events))
	for i, e := range events {
		names[i] = string(e.Type)
	}
	return strings.Join(names, " ")
}

// childHistoryChecks checks the history of the child arn, which started
// with input and ends as its last event says: ids from 1, its data, and
// the same events read in pages of 2 and in reverse order.
func childHistoryChecks(t *testing.T, c *sfn.Client, arn, input, wantTypes string) []types.HistoryEvent {
	t.Helper()
	events := historyOf(t, c, arn)
	if got := eventTypesOf(events); got != wantTypes {
		t.Errorf("history of child %s:\n%s\nwant\n%s", arn, got, wantTypes)
		return events
	}
	for i, e := range events {
		if e.Id != int64(i+1) || e.PreviousEventId >= e.Id || e.Timestamp == nil {
			t.Errorf("child %s event %d: id %d previous %d", arn, i, e.Id, e.PreviousEventId)
		}
	}
	started := events[0].ExecutionStartedEventDetails
	if started == nil || aws.ToString(started.Input) != input || aws.ToString(started.RoleArn) != e2eRole {
		t.Errorf("child %s ExecutionStarted details %+v, want input %s", arn, started, input)
	}
	switch last := events[len(events)-1]; last.Type {
	case types.HistoryEventTypeExecutionSucceeded:
		if out := aws.ToString(last.ExecutionSucceededEventDetails.Output); !strings.Contains(out, `"id":"`+arn+`"`) {
			t.Errorf("child %s ExecutionSucceeded output %s", arn, out)
		}
	case types.HistoryEventTypeExecutionFailed:
		if d := last.ExecutionFailedEventDetails; aws.ToString(d.Error) != "Item.Failed" || aws.ToString(d.Cause) != "asked to" {
			t.Errorf("child %s ExecutionFailed %s %s", arn, aws.ToString(d.Error), aws.ToString(d.Cause))
		}
	}
	var paged []types.HistoryEvent
	in := &sfn.GetExecutionHistoryInput{ExecutionArn: aws.String(arn), MaxResults: 2, ReverseOrder: true}
	for {
		out, err := c.GetExecutionHistory(testContext(t), in)
		if err != nil {
			t.Fatal(err)
		}
		paged = append(paged, out.Events...)
		if out.NextToken == nil {
			break
		}
		in.NextToken = out.NextToken
	}
	for i := range paged {
		if j := len(events) - 1 - i; j < 0 || paged[i].Id != events[j].Id || paged[i].Type != events[j].Type {
			t.Fatalf("child %s: reverse pages of 2 differ from the history at %d", arn, i)
		}
	}
	if len(paged) != len(events) {
		t.Errorf("child %s: %d events in reverse pages, %d in the history", arn, len(paged), len(events))
	}
	return events
}

// TestMapRunChildHistory: a STANDARD parent whose Distributed Map runs a
// STANDARD child that waits then succeeds and one that fails. Each
// child's GetExecutionHistory is its own (ExecutionStarted with its input,
// its states, ExecutionSucceeded with its output or ExecutionFailed with
// its error), paged and reversed like any history; the parent's has no
// child event. The node is killed (SIGKILL) while the first child waits:
// after the restart the failed child's history is what it was, the
// waiting one's goes on to its end, and the parent's still has only its
// own events.
func TestMapRunChildHistory(t *testing.T) {
	n := &e2eNode{id: "n1", raftAddr: freeAddr(t), dataDir: t.TempDir()}
	n.start(t, "")
	c := n.sfn
	m := createStandard(t, c, "dmaphist", dmapMachine("STANDARD", `"Label":"lbl","ToleratedFailureCount":1,`))
	exec := *startNamed(t, c, m, "e", `{"items":[{"i":0,"wait":3},{"i":1,"fail":true}]}`).ExecutionArn
	runArn := onlyMapRun(t, c, exec)
	inputs := map[string]string{}
	waitFor(t, 30*time.Second, 10*time.Millisecond, func() error {
		list, err := c.ListExecutions(testContext(t), &sfn.ListExecutionsInput{MapRunArn: aws.String(runArn)})
		if err != nil {
			return err
		}
		failed := 0
		for _, it := range list.Executions {
			if it.Status == types.ExecutionStatusFailed {
				failed++
			}
			d, err := c.DescribeExecution(testContext(t), &sfn.DescribeExecutionInput{ExecutionArn: it.ExecutionArn})
			if err != nil {
				return err
			}
			inputs[aws.ToString(it.ExecutionArn)] = aws.ToString(d.Input)
		}
		if len(list.Executions) != 2 || failed != 1 {
			return fmt.Errorf("%d children, %d failed", len(list.Executions), failed)
		}
		return nil
	})
	const (
		succeeded = "ExecutionStarted ChoiceStateEntered ChoiceStateExited WaitStateEntered WaitStateExited PassStateEntered PassStateExited ExecutionSucceeded"
		failed    = "ExecutionStarted ChoiceStateEntered ChoiceStateExited FailStateEntered ExecutionFailed"
		waiting   = "ExecutionStarted ChoiceStateEntered ChoiceStateExited WaitStateEntered"
		parent    = "ExecutionStarted MapStateEntered MapStateStarted MapRunStarted MapRunSucceeded MapStateSucceeded MapStateExited ExecutionSucceeded"
	)
	before := map[string][]types.HistoryEvent{}
	for arn, input := range inputs {
		if strings.Contains(input, "fail") {
			before[arn] = childHistoryChecks(t, c, arn, input, failed)
		} else if got := eventTypesOf(historyOf(t, c, arn)); got != waiting {
			t.Errorf("history of the waiting child %s:\n%s\nwant\n%s", arn, got, waiting)
		}
	}
	if got := eventTypesOf(historyOf(t, c, exec)); got != "ExecutionStarted MapStateEntered MapStateStarted MapRunStarted" {
		t.Errorf("parent history while its children run: %s", got)
	}

	n.kill(t)
	n.start(t, "")
	c = n.sfn
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("the server after the restart logged:\n%s", n.p.log())
		}
	})
	waitExecution(t, c, exec, types.ExecutionStatusSucceeded)
	if got := eventTypesOf(historyOf(t, c, exec)); got != parent {
		t.Errorf("parent history:\n%s\nwant\n%s", got, parent)
	}
	for arn, input := range inputs {
		if strings.Contains(input, "fail") {
			if after := childHistoryChecks(t, c, arn, input, failed); !reflect.DeepEqual(after, before[arn]) {
				t.Errorf("the failed child's history changed with the restart")
			}
			continue
		}
		childHistoryChecks(t, c, arn, input, succeeded)
		d, err := c.DescribeExecution(testContext(t), &sfn.DescribeExecutionInput{ExecutionArn: aws.String(arn)})
		if err != nil || d.Status != types.ExecutionStatusSucceeded {
			t.Errorf("DescribeExecution of %s after the restart: %v %v", arn, d, err)
		}
	}
}
