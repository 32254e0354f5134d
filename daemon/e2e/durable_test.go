package e2e

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"
)

// Durable STANDARD executions against the real binary: SIGKILL while they
// wait, map, branch and call Lambda; a restart on the same data
// directory; every execution finishes with the output and the history
// one uninterrupted run would have.

// lambdaStub is a Lambda Invoke API: it answers {"echo": payload} and
// counts its calls per payload. While fails is set and not healed, calls
// whose payload contains fails raise Boom; while hold is set, calls whose
// payload contains holdFor wait for it to be closed (or for the caller to
// go away).
type lambdaStub struct {
	mu      sync.Mutex
	calls   map[string]int
	fails   string
	healed  bool
	hold    chan struct{}
	holdFor string
}

func newLambdaStub(t *testing.T) (*lambdaStub, string) {
	s := &lambdaStub{calls: map[string]int{}}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		s.mu.Lock()
		s.calls[string(body)]++
		hold, holdFor := s.hold, s.holdFor
		fail := s.fails != "" && !s.healed && strings.Contains(string(body), s.fails)
		s.mu.Unlock()
		if fail {
			w.Header().Set("X-Amz-Function-Error", "Unhandled")
			fmt.Fprint(w, `{"errorType":"Boom","errorMessage":"not yet"}`)
			return
		}
		if hold != nil && strings.Contains(string(body), holdFor) {
			select {
			case <-hold:
			case <-r.Context().Done():
				return
			}
		}
		fmt.Fprintf(w, `{"echo":%s}`, body)
	}))
	t.Cleanup(srv.Close)
	return s, srv.URL
}

func (s *lambdaStub) count(payload string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls[payload]
}

const stubFunction = "arn:aws:lambda:us-east-1:123456789012:function:stub"

// createStandard creates a STANDARD machine and returns its ARN.
func createStandard(t *testing.T, c *sfn.Client, name, def string) string {
	t.Helper()
	out, err := c.CreateStateMachine(testContext(t), &sfn.CreateStateMachineInput{Name: aws.String(name), Definition: aws.String(def),
		RoleArn: aws.String(e2eRole), Type: types.StateMachineTypeStandard})
	if err != nil {
		t.Fatalf("create %s: %v", name, err)
	}
	return *out.StateMachineArn
}

func startNamed(t *testing.T, c *sfn.Client, machine, name, input string) *sfn.StartExecutionOutput {
	t.Helper()
	out, err := c.StartExecution(testContext(t), &sfn.StartExecutionInput{StateMachineArn: aws.String(machine), Name: aws.String(name), Input: aws.String(input)})
	if err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	return out
}

// waitExecution polls DescribeExecution until the execution's status is
// status.
func waitExecution(t *testing.T, c *sfn.Client, arn string, status types.ExecutionStatus) *sfn.DescribeExecutionOutput {
	t.Helper()
	var d *sfn.DescribeExecutionOutput
	waitFor(t, 60*time.Second, 20*time.Millisecond, func() error {
		var err error
		if d, err = c.DescribeExecution(context.Background(), &sfn.DescribeExecutionInput{ExecutionArn: aws.String(arn)}); err != nil {
			return err
		}
		if d.Status != status {
			return fmt.Errorf("%s is %s, want %s", arn, d.Status, status)
		}
		return nil
	})
	return d
}

// historyOf reads an execution's whole history.
func historyOf(t *testing.T, c *sfn.Client, arn string) []types.HistoryEvent {
	t.Helper()
	events, err := tryHistory(c, arn)
	if err != nil {
		t.Fatal(err)
	}
	return events
}

// tryHistory is historyOf returning the error, for polls.
func tryHistory(c *sfn.Client, arn string) ([]types.HistoryEvent, error) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var events []types.HistoryEvent
	for pg := sfn.NewGetExecutionHistoryPaginator(c, &sfn.GetExecutionHistoryInput{ExecutionArn: aws.String(arn), MaxResults: 1000}); pg.HasMorePages(); {
		out, err := pg.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("history of %s: %w", arn, err)
		}
		events = append(events, out.Events...)
	}
	return events, nil
}

func countEvents(events []types.HistoryEvent) map[types.HistoryEventType]int {
	n := map[types.HistoryEventType]int{}
	for _, e := range events {
		n[e.Type]++
	}
	return n
}

// TestDurableSurvivesKill: SIGKILL while executions wait, while a Map of
// 1,000 items is half done, while a Parallel's branches wait and while a
// Lambda task runs; after a restart every one finishes with its output
// and a history without duplicates; the Lambda call that answered before
// the kill is not made again, the one in flight is (at least once).
func TestDurableSurvivesKill(t *testing.T) {
	stub, lambdaURL := newLambdaStub(t)
	n := &e2eNode{id: "n1", raftAddr: freeAddr(t), dataDir: t.TempDir()}
	n.start(t, "", "-lambda-endpoint", lambdaURL)
	c := n.sfn
	wait := createStandard(t, c, "wait", `{"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":3,"Next":"P"},"P":{"Type":"Pass","Result":"woke","ResultPath":"$.r","End":true}}}`)
	mapped := createStandard(t, c, "map", `{"StartAt":"M","States":{"M":{"Type":"Map","MaxConcurrency":1000,"End":true,"ItemProcessor":{"StartAt":"W",
		"States":{"W":{"Type":"Wait","SecondsPath":"$.s","Next":"P"},"P":{"Type":"Pass","Parameters":{"i.$":"$.i"},"End":true}}}}}}`)
	parallel := createStandard(t, c, "par", `{"StartAt":"B","States":{"B":{"Type":"Parallel","End":true,"Branches":[
		{"StartAt":"W1","States":{"W1":{"Type":"Wait","Seconds":2,"Next":"P1"},"P1":{"Type":"Pass","Result":1,"End":true}}},
		{"StartAt":"W2","States":{"W2":{"Type":"Wait","Seconds":3,"Next":"P2"},"P2":{"Type":"Pass","Result":2,"End":true}}}]}}}`)
	lambda := createStandard(t, c, "lambda", `{"StartAt":"A","States":{
		"A":{"Type":"Task","Resource":"`+stubFunction+`","Parameters":{"step":"a"},"ResultPath":"$.a","Next":"B"},
		"B":{"Type":"Task","Resource":"`+stubFunction+`","Parameters":{"step":"b"},"ResultPath":"$.b","End":true}}}`)

	items := make([]string, 1000)
	for i := range items {
		items[i] = fmt.Sprintf(`{"i":%d,"s":%d}`, i, 4*(i%2)) // the even ones end at once, the odd ones wait 4 s
	}
	var arns []string
	for i := range 5 {
		arns = append(arns, *startNamed(t, c, wait, fmt.Sprintf("w%d", i), `{"n":1}`).ExecutionArn)
	}
	mapArn := *startNamed(t, c, mapped, "m", "["+strings.Join(items, ",")+"]").ExecutionArn
	parArn := *startNamed(t, c, parallel, "p", `{}`).ExecutionArn
	stub.mu.Lock()
	stub.hold, stub.holdFor = make(chan struct{}), `{"step":"b"}` // B hangs until after the restart
	stub.mu.Unlock()
	lamArn := *startNamed(t, c, lambda, "l", `{}`).ExecutionArn
	waitFor(t, 20*time.Second, 10*time.Millisecond, func() error {
		if stub.count(`{"step":"b"}`) == 0 {
			return fmt.Errorf("the second task has not been called")
		}
		h, err := tryHistory(c, mapArn)
		if err != nil {
			return err
		}
		if got := countEvents(h)[types.HistoryEventTypeMapIterationSucceeded]; got < 500 {
			return fmt.Errorf("%d map iterations done", got)
		}
		return nil
	})
	n.kill(t)
	stub.mu.Lock()
	close(stub.hold)
	stub.hold = nil
	stub.mu.Unlock()
	n.start(t, "", "-lambda-endpoint", lambdaURL)
	c = n.sfn

	for _, arn := range arns {
		d := waitExecution(t, c, arn, types.ExecutionStatusSucceeded)
		if *d.Output != `{"n":1,"r":"woke"}` {
			t.Errorf("%s output %s", arn, *d.Output)
		}
		if d.StopDate.Sub(*d.StartDate) < 3*time.Second {
			t.Errorf("%s waited %v, less than its 3 s", arn, d.StopDate.Sub(*d.StartDate))
		}
	}
	d := waitExecution(t, c, mapArn, types.ExecutionStatusSucceeded)
	for i := range items {
		if !strings.Contains(*d.Output, fmt.Sprintf(`{"i":%d}`, i)) {
			t.Fatalf("map output lacks item %d", i)
		}
	}
	counts := countEvents(historyOf(t, c, mapArn))
	if counts[types.HistoryEventTypeMapIterationStarted] != 1000 || counts[types.HistoryEventTypeMapIterationSucceeded] != 1000 ||
		counts[types.HistoryEventTypeExecutionStarted] != 1 || counts[types.HistoryEventTypeExecutionSucceeded] != 1 {
		t.Errorf("map history: %v", counts)
	}
	if d := waitExecution(t, c, parArn, types.ExecutionStatusSucceeded); *d.Output != `[1,2]` {
		t.Errorf("parallel output %s", *d.Output)
	}
	d = waitExecution(t, c, lamArn, types.ExecutionStatusSucceeded)
	if want := `{"a":{"echo":{"step":"a"}},"b":{"echo":{"step":"b"}}}`; *d.Output != want {
		t.Errorf("lambda output %s, want %s", *d.Output, want)
	}
	if a, b := stub.count(`{"step":"a"}`), stub.count(`{"step":"b"}`); a != 1 || b != 2 {
		t.Errorf("lambda calls: a %d (want 1: it answered before the kill), b %d (want 2: in flight at the kill, run again)", a, b)
	}
	counts = countEvents(historyOf(t, c, lamArn))
	if counts[types.HistoryEventTypeTaskSucceeded] != 2 || counts[types.HistoryEventTypeTaskScheduled] != 2 {
		t.Errorf("lambda history: %v", counts)
	}
}

// TestDurableTimeoutsAcrossKill: a Task's TimeoutSeconds and the
// machine's TimeoutSeconds keep their deadlines across a SIGKILL and a
// process that stays down past them: both end as soon as it is back, not
// a whole new timeout after the restart, and the task in flight at the
// kill is not called again once its deadline has passed.
func TestDurableTimeoutsAcrossKill(t *testing.T) {
	stub, lambdaURL := newLambdaStub(t)
	n := &e2eNode{id: "n1", raftAddr: freeAddr(t), dataDir: t.TempDir()}
	n.start(t, "", "-lambda-endpoint", lambdaURL)
	c := n.sfn
	task := createStandard(t, c, "slowtask", `{"StartAt":"A","States":{
		"A":{"Type":"Task","Resource":"`+stubFunction+`","Parameters":{"step":"slow"},"TimeoutSeconds":4,"End":true}}}`)
	machine := createStandard(t, c, "timedout", `{"TimeoutSeconds":4,"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":3600,"End":true}}}`)
	stub.mu.Lock()
	stub.hold, stub.holdFor = make(chan struct{}), `{"step":"slow"}` // the call never answers
	stub.mu.Unlock()
	defer close(stub.hold)
	taskArn := *startNamed(t, c, task, "t", `{}`).ExecutionArn
	machineArn := *startNamed(t, c, machine, "m", `{}`).ExecutionArn
	waitFor(t, 20*time.Second, 10*time.Millisecond, func() error {
		if stub.count(`{"step":"slow"}`) == 0 {
			return fmt.Errorf("the task has not been called")
		}
		return nil
	})
	n.kill(t)
	time.Sleep(4 * time.Second) // down past both deadlines
	launched := time.Now()
	n.start(t, "", "-lambda-endpoint", lambdaURL)
	c = n.sfn

	d := waitExecution(t, c, taskArn, types.ExecutionStatusFailed)
	if aws.ToString(d.Error) != "States.Timeout" {
		t.Errorf("task execution failed with %q, want States.Timeout", aws.ToString(d.Error))
	}
	h := historyOf(t, c, taskArn)
	counts := countEvents(h)
	if counts[types.HistoryEventTypeTaskStarted] != 1 || counts[types.HistoryEventTypeTaskTimedOut] != 1 {
		t.Errorf("task history: %v, want one TaskStarted and one TaskTimedOut", counts)
	}
	for _, e := range h {
		if e.Type == types.HistoryEventTypeTaskStarted && !e.Timestamp.Before(launched) {
			t.Errorf("TaskStarted at %v, after the restart at %v: the task started again", e.Timestamp, launched)
		}
	}
	// A new 4 s timeout would end no earlier than 4 s after the launch.
	if !d.StopDate.Before(launched.Add(4 * time.Second)) {
		t.Errorf("the task timed out at %v, a whole TimeoutSeconds after the restart at %v", d.StopDate, launched)
	}
	if got := stub.count(`{"step":"slow"}`); got != 1 {
		t.Errorf("the task was called %d times, want 1: its deadline had passed at the restart", got)
	}
	d = waitExecution(t, c, machineArn, types.ExecutionStatusTimedOut)
	if took := d.StopDate.Sub(*d.StartDate); took < 4*time.Second || !d.StopDate.Before(launched.Add(4*time.Second)) {
		t.Errorf("the machine timed out %v after its start, at %v (restart at %v)", took, d.StopDate, launched)
	}
}

// TestDurableDamagedLogRefusesToStart: a byte changed on disk in a
// committed log entry (a start's input) after a SIGKILL is found by the
// entry's checksum when the node replays its log: stepd serve exits with
// an error naming the damaged entry instead of serving what it holds.
func TestDurableDamagedLogRefusesToStart(t *testing.T) {
	dir := t.TempDir()
	p := startStepdIn(t, dir)
	c := newClient(p)
	m := createStandard(t, c, "hold", `{"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":3600,"End":true}}}`)
	for i := range 20 {
		startNamed(t, c, m, fmt.Sprintf("e%d", i), fmt.Sprintf(`{"marker":"M%04d"}`, i))
	}
	p.stopped = true
	if err := p.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	<-p.exited
	segments, _ := filepath.Glob(filepath.Join(dir, "raft", "wal", "*.wal"))
	damaged := false
	for _, seg := range segments {
		b, err := os.ReadFile(seg)
		if err != nil {
			t.Fatal(err)
		}
		if i := bytes.Index(b, []byte("M0005")); i >= 0 && !damaged {
			b[i], damaged = 'N', true
			if err := os.WriteFile(seg, b, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	if !damaged {
		t.Fatal("no log segment holds the start of e5")
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, stepdBin, "serve", "-listen", "127.0.0.1:0", "-raft-addr", "127.0.0.1:0", "-data-dir", dir).CombinedOutput()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 || !strings.Contains(string(out), "is damaged") {
		t.Fatalf("stepd serve on a damaged log: %v, want exit status 1 naming the damaged entry\n%s", err, out)
	}
}

// TestDurableNamesAndStopAcrossRestart: a name with the same input
// answers the same execution after a restart, with another input
// ExecutionAlreadyExists; a StopExecution committed before a SIGKILL is
// still ABORTED after it, with its ExecutionAborted event.
func TestDurableNamesAndStopAcrossRestart(t *testing.T) {
	n := &e2eNode{id: "n1", raftAddr: freeAddr(t), dataDir: t.TempDir()}
	n.start(t, "")
	c := n.sfn
	m := createStandard(t, c, "long", `{"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":3600,"End":true}}}`)
	first := startNamed(t, c, m, "once", `{"k":1}`)
	n.kill(t)
	n.start(t, "")
	c = n.sfn
	again := startNamed(t, c, m, "once", `{"k":1}`)
	if *again.ExecutionArn != *first.ExecutionArn || !again.StartDate.Equal(*first.StartDate) {
		t.Errorf("same name and input after a restart: %v %v, want %v %v", *again.ExecutionArn, again.StartDate, *first.ExecutionArn, first.StartDate)
	}
	_, err := c.StartExecution(testContext(t), &sfn.StartExecutionInput{StateMachineArn: aws.String(m), Name: aws.String("once"), Input: aws.String(`{"k":2}`)})
	errorAs[*types.ExecutionAlreadyExists](t, err, "Execution Already Exists")
	if _, err := c.StopExecution(testContext(t), &sfn.StopExecutionInput{ExecutionArn: first.ExecutionArn, Error: aws.String("Halt"), Cause: aws.String("by the test")}); err != nil {
		t.Fatal(err)
	}
	n.kill(t)
	n.start(t, "")
	c = n.sfn
	d := waitExecution(t, c, *first.ExecutionArn, types.ExecutionStatusAborted)
	if aws.ToString(d.Error) != "Halt" || aws.ToString(d.Cause) != "by the test" {
		t.Errorf("stopped execution: error %q cause %q", aws.ToString(d.Error), aws.ToString(d.Cause))
	}
	h := historyOf(t, c, *first.ExecutionArn)
	last := h[len(h)-1]
	if last.Type != types.HistoryEventTypeExecutionAborted || aws.ToString(last.ExecutionAbortedEventDetails.Error) != "Halt" {
		t.Errorf("last event %v %+v", last.Type, last.ExecutionAbortedEventDetails)
	}
	list, err := c.ListExecutions(testContext(t), &sfn.ListExecutionsInput{StateMachineArn: aws.String(m), StatusFilter: types.ExecutionStatusAborted})
	if err != nil || len(list.Executions) != 1 {
		t.Errorf("ListExecutions ABORTED: %+v %v", list, err)
	}
}

// TestDurableSurvivesLeaderLoss: in a 3-node cluster, SIGKILL of the
// leader, which runs the STANDARD executions, while 20 of them wait; they
// all finish on the new leader, and both survivors describe them and
// their histories alike.
func TestDurableSurvivesLeaderLoss(t *testing.T) {
	nodes := startE2ECluster(t, 3)
	leader := leaderOf(t, nodes)
	survivors := others(nodes, leader)
	m := createStandard(t, survivors[0].sfn, "failover", `{"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":2,"Next":"P"},
		"P":{"Type":"Pass","Parameters":{"n.$":"$.n","at.$":"$$.State.EnteredTime"},"End":true}}}`)
	var arns []string
	for i := range 20 {
		arns = append(arns, *startNamed(t, survivors[i%2].sfn, m, fmt.Sprintf("f%d", i), fmt.Sprintf(`{"n":%d}`, i)).ExecutionArn)
	}
	waitFor(t, 20*time.Second, 20*time.Millisecond, func() error { // they all wait on the leader
		for _, arn := range arns {
			h, err := tryHistory(survivors[0].sfn, arn)
			if err != nil {
				return err
			}
			if countEvents(h)[types.HistoryEventTypeWaitStateEntered] == 0 {
				return fmt.Errorf("%s does not wait yet", arn)
			}
		}
		return nil
	})
	leader.kill(t)
	for i, arn := range arns {
		var outputs []string
		for _, n := range survivors {
			d := waitExecution(t, n.sfn, arn, types.ExecutionStatusSucceeded)
			if !strings.HasPrefix(*d.Output, fmt.Sprintf(`{"n":%d,"at":`, i)) {
				t.Errorf("%s output %s", arn, *d.Output)
			}
			outputs = append(outputs, *d.Output+fmt.Sprint(len(historyOf(t, n.sfn, arn))))
		}
		if outputs[0] != outputs[1] {
			t.Errorf("%s: the survivors answer differently: %v", arn, outputs)
		}
	}
}

// TestDurableLogged: a STANDARD execution of a machine with logging ALL
// keeps its durable history and is written to the history log once it
// ends (stepd history prints the same events); ListExecutions lists it
// once although both hold it.
func TestDurableLogged(t *testing.T) {
	p := startStepd(t)
	c := newClient(p)
	ctx := testContext(t)
	out, err := c.CreateStateMachine(ctx, &sfn.CreateStateMachineInput{Name: aws.String("logged"), Definition: aws.String(e2eFlow),
		RoleArn: aws.String(e2eRole), Type: types.StateMachineTypeStandard, LoggingConfiguration: logTo(types.LogLevelAll, true)})
	if err != nil {
		t.Fatal(err)
	}
	arn := *startNamed(t, c, *out.StateMachineArn, "one", `{"n":2}`).ExecutionArn
	waitExecution(t, c, arn, types.ExecutionStatusSucceeded)
	events := historyOf(t, c, arn)
	waitFor(t, 10*time.Second, 20*time.Millisecond, func() error {
		log, err := exec.Command(stepdBin, "history", "-data-dir", p.dataDir, "-execution", arn).Output()
		if n := strings.Count(string(log), "\n"); err != nil || n != len(events) {
			return fmt.Errorf("stepd history: %d lines, want %d (%v)", n, len(events), err)
		}
		return nil
	})
	list, err := c.ListExecutions(ctx, &sfn.ListExecutionsInput{StateMachineArn: out.StateMachineArn})
	if err != nil || len(list.Executions) != 1 {
		t.Errorf("ListExecutions: %+v %v", list, err)
	}
}
