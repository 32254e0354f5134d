package e2e

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"
)

// failingLambda is a Lambda Invoke API that raises Boom for payloads
// containing "bad" until healed, then answers {"echo": payload}; it
// counts its calls per payload, and while hold is set the healed calls
// wait for it to be closed.
type failingLambda struct {
	mu     sync.Mutex
	calls  map[string]int
	healed bool
	hold   chan struct{}
}

func newFailingLambda(t *testing.T) (*failingLambda, string) {
	l := &failingLambda{calls: map[string]int{}}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		l.mu.Lock()
		l.calls[string(body)]++
		healed, hold := l.healed, l.hold
		l.mu.Unlock()
		if !healed && strings.Contains(string(body), "bad") {
			w.Header().Set("X-Amz-Function-Error", "Unhandled")
			fmt.Fprint(w, `{"errorType":"Boom","errorMessage":"not yet"}`)
			return
		}
		if hold != nil && strings.Contains(string(body), "bad") {
			select {
			case <-hold:
			case <-r.Context().Done():
				return
			}
		}
		fmt.Fprintf(w, `{"echo":%s}`, body)
	}))
	t.Cleanup(srv.Close)
	return l, srv.URL
}

func (l *failingLambda) count(payload string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.calls[payload]
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
	fn.healed, fn.hold = true, make(chan struct{})
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
