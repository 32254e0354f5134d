package durable

import (
	"context"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stepd/stepd/cluster"
	"github.com/stepd/stepd/fastpath"
)

const fnArn = "arn:aws:lambda:us-east-1:123456789012:function:"

// flaky is a task that fails until healed, counting its calls by input.
type flaky struct {
	mu     sync.Mutex
	calls  map[string]int
	healed atomic.Bool
}

func (f *flaky) invoker() fastpath.Funcs {
	f.calls = map[string]int{}
	ok := func(ctx context.Context, input, dst []byte) ([]byte, error) {
		f.count("ok " + string(input))
		return append(dst, `"ok"`...), nil
	}
	bad := func(ctx context.Context, input, dst []byte) ([]byte, error) {
		f.count("bad " + string(input))
		if !f.healed.Load() && strings.Contains(string(input), "bad") {
			return dst, &fastpath.Failure{Name: "Boom", Cause: "not yet"}
		}
		return append(dst, `"fixed"`...), nil
	}
	return fastpath.Funcs{fnArn + "ok": ok, fnArn + "bad": bad}
}

func (f *flaky) count(k string) {
	f.mu.Lock()
	f.calls[k]++
	f.mu.Unlock()
}

func (f *flaky) get(k string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls[k]
}

func (f *flaky) total() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, c := range f.calls {
		n += c
	}
	return n
}

// redrive proposes a redrive of arn with token and fails the test on an
// error.
func redrive(t *testing.T, n *cluster.Node, rn *Runner, arn, token string) cluster.Result {
	t.Helper()
	c, aerr := rn.RedriveCommand(arn, token)
	if aerr != nil {
		t.Fatalf("redrive: %v", aerr)
	}
	r, err := n.Propose(context.Background(), c)
	if err != nil || r.Err != nil {
		t.Fatalf("redrive: %+v %v", r, err)
	}
	return r
}

func eventTypes(t *testing.T, rn *Runner, arn string) string {
	t.Helper()
	h, ok, err := rn.History(arn)
	if !ok || err != nil {
		t.Fatal(ok, err)
	}
	var types []string
	for i, ev := range h.Events {
		if ev.ID != i+1 {
			t.Errorf("event %d has id %d", i, ev.ID)
		}
		types = append(types, ev.Type.String())
	}
	return strings.Join(types, " ")
}

// TestRedriveAfterTaskFailure: an execution that failed at its second
// Task, after retrying it, resumes there when redriven: the first Task
// is not called again, the second runs with its retries counted from
// zero, the history goes on after ExecutionRedriven with the same ids,
// and the same clientToken again answers the same redrive.
func TestRedriveAfterTaskFailure(t *testing.T) {
	def := `{"StartAt":"A","States":{
		"A":{"Type":"Task","Resource":"` + fnArn + `ok","ResultPath":"$.a","Next":"B"},
		"B":{"Type":"Task","Resource":"` + fnArn + `bad","ResultPath":"$.b","Retry":[{"ErrorEquals":["Boom"],"IntervalSeconds":1,"MaxAttempts":1}],"Next":"C"},
		"C":{"Type":"Pass","Parameters":{"a.$":"$.a","b.$":"$.b","n.$":"$$.Execution.RedriveCount"},"End":true}}}`
	n, rn, f, e, failed := runUntil(t, "t", def, `{"bad":1}`, "FAILED")
	if *failed.Error != "Boom" || f.get(`bad {"bad":1,"a":"ok"}`) != 2 {
		t.Fatalf("first run: %v %v, %v", *failed.Error, *failed.Cause, f.calls)
	}
	if reason := rn.NotRedrivable(&failed); reason != "" {
		t.Fatalf("a FAILED execution is not redrivable: %s", reason)
	}
	f.healed.Store(true)
	r := redrive(t, n, rn, e.Arn, "tok")
	got := waitStatus(t, n, e.Arn, "SUCCEEDED")
	if *got.Output != `{"a":"ok","b":"fixed","n":1}` {
		t.Errorf("output %s", *got.Output)
	}
	if f.get(`ok {"bad":1}`) != 1 || f.get(`bad {"bad":1,"a":"ok"}`) != 3 {
		t.Errorf("calls %v: want A once, B twice then once", f.calls)
	}
	if got.Epoch() != 1 || !got.RedriveDate().Equal(r.Date) || got.Error != nil {
		t.Errorf("after the redrive: epoch %d date %v error %v", got.Epoch(), got.RedriveDate(), got.Error)
	}
	want := "ExecutionStarted TaskStateEntered TaskScheduled TaskStarted TaskSucceeded TaskStateExited " +
		"TaskStateEntered TaskScheduled TaskStarted TaskFailed TaskScheduled TaskStarted TaskFailed ExecutionFailed " +
		"ExecutionRedriven TaskStateEntered TaskScheduled TaskStarted TaskSucceeded TaskStateExited PassStateEntered PassStateExited ExecutionSucceeded"
	if types := eventTypes(t, rn, e.Arn); types != want {
		t.Errorf("history\n%s\nwant\n%s", types, want)
	}
	// The same token answers the same redrive; the execution, now
	// SUCCEEDED, is not redrivable with another.
	again, aerr := rn.RedriveCommand(e.Arn, "tok")
	if aerr != nil {
		t.Fatal(aerr)
	}
	if r2, err := n.Propose(context.Background(), again); err != nil || r2.Err != nil || !r2.Date.Equal(r.Date) {
		t.Errorf("same token: %+v %v, want the redrive of %v", r2, err, r.Date)
	}
	if _, aerr := rn.RedriveCommand(e.Arn, "other"); aerr == nil || aerr.Code != "ExecutionNotRedrivable" || aerr.Message != "Execution is SUCCEEDED and cannot be redriven" {
		t.Errorf("redrive of a SUCCEEDED execution: %v", aerr)
	}
}

// TestRedriveMapRerunsFailedItems: a Map whose items "bad" failed (and
// whose others succeeded, or were cut short) reruns only the items that
// did not succeed when redriven.
func TestRedriveMapRerunsFailedItems(t *testing.T) {
	def := `{"StartAt":"M","States":{"M":{"Type":"Map","MaxConcurrency":1,"ToleratedFailureCount":1,"End":true,
		"ItemProcessor":{"StartAt":"P","States":{"P":{"Type":"Task","Resource":"` + fnArn + `ok","ResultPath":null,"Next":"Q"},
			"Q":{"Type":"Task","Resource":"` + fnArn + `bad","End":true}}}}}}`
	n, rn, f, e, _ := runUntil(t, "m", def, `["a","bad1","b","bad2","c","d"]`, "FAILED")
	// One at a time, tolerating one failure: a, bad1, b, bad2 ran; the
	// second failure ended the Map before c and d.
	before := f.total()
	if before != 8 || f.get(`bad "bad2"`) != 1 || f.get(`ok "c"`) != 0 {
		t.Fatalf("first run calls %v", f.calls)
	}
	f.healed.Store(true)
	redrive(t, n, rn, e.Arn, "")
	got := waitStatus(t, n, e.Arn, "SUCCEEDED")
	for _, item := range []string{"a", "b"} {
		if f.get(`ok "`+item+`"`) != 1 || f.get(`bad "`+item+`"`) != 1 {
			t.Errorf("succeeded item %s ran again: %v", item, f.calls)
		}
	}
	for _, item := range []string{"bad1", "bad2"} {
		if f.get(`ok "`+item+`"`) != 1 || f.get(`bad "`+item+`"`) != 2 {
			t.Errorf("failed item %s: its first state ran again, or its failed one did not: %v", item, f.calls)
		}
	}
	for _, item := range []string{"c", "d"} {
		if f.get(`ok "`+item+`"`) != 1 || f.get(`bad "`+item+`"`) != 1 {
			t.Errorf("item %s not started before: %v", item, f.calls)
		}
	}
	if *got.Output != `["fixed","fixed","fixed","fixed","fixed","fixed"]` {
		t.Errorf("output %s", *got.Output)
	}
	count := eventCounts(t, rn, e.Arn)
	if count[fastpath.EventMapIterationSucceeded] != 6 || count[fastpath.EventExecutionRedriven] != 1 || count[fastpath.EventMapStateEntered] != 2 {
		t.Errorf("history counts %v", count)
	}
}

// TestRedriveParallelReruns: of a Parallel whose second branch failed in
// a Map nested in it, a redrive reruns only that branch, and in it only
// the Map's failed item: the first branch and the succeeded item are not
// called again.
func TestRedriveParallelReruns(t *testing.T) {
	def := `{"StartAt":"P","States":{"P":{"Type":"Parallel","End":true,"Branches":[
		{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"` + fnArn + `ok","End":true}}},
		{"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":1,"Next":"M"},"M":{"Type":"Map","ItemsPath":"$.items","MaxConcurrency":1,"End":true,
			"ItemProcessor":{"StartAt":"I","States":{"I":{"Type":"Task","Resource":"` + fnArn + `bad","End":true}}}}}}]}}}`
	n, rn, f, e, _ := runUntil(t, "p", def, `{"items":["x","bad"]}`, "FAILED")
	f.healed.Store(true)
	redrive(t, n, rn, e.Arn, "")
	got := waitStatus(t, n, e.Arn, "SUCCEEDED")
	if *got.Output != `["ok",["fixed","fixed"]]` {
		t.Errorf("output %s", *got.Output)
	}
	if f.get(`ok {"items":["x","bad"]}`) != 1 || f.get(`bad "x"`) != 1 || f.get(`bad "bad"`) != 2 {
		t.Errorf("calls %v: want the first branch and item x once, item bad twice", f.calls)
	}
	count := eventCounts(t, rn, e.Arn)
	if count[fastpath.EventWaitStateEntered] != 1 || count[fastpath.EventParallelStateEntered] != 2 || count[fastpath.EventMapStateEntered] != 2 {
		t.Errorf("history counts %v: want the Wait once, the Parallel and the Map entered again", count)
	}
}

// TestRedriveRetriedMap: a Map retried (as a whole) before it failed
// reruns, when redriven, the failed items of its first attempt; if it
// retries again, that attempt runs every item, as a retry does. A second
// redrive goes on from the first's records.
func TestRedriveRetriedMap(t *testing.T) {
	def := `{"StartAt":"M","States":{"M":{"Type":"Map","MaxConcurrency":1,"End":true,
		"Retry":[{"ErrorEquals":["States.ALL"],"IntervalSeconds":1,"MaxAttempts":1}],
		"ItemProcessor":{"StartAt":"I","States":{"I":{"Type":"Task","Resource":"` + fnArn + `bad","End":true}}}}}}`
	n, rn, f, e, _ := runUntil(t, "r", def, `["x","bad"]`, "FAILED")
	if f.get(`bad "x"`) != 2 || f.get(`bad "bad"`) != 2 {
		t.Fatalf("first run calls %v", f.calls)
	}
	redrive(t, n, rn, e.Arn, "")
	waitStatus(t, n, e.Arn, "FAILED")
	if f.get(`bad "x"`) != 3 || f.get(`bad "bad"`) != 4 {
		t.Errorf("calls %v after the first redrive: want x replayed in the first attempt and run in the retry", f.calls)
	}
	f.healed.Store(true)
	redrive(t, n, rn, e.Arn, "")
	got := waitStatus(t, n, e.Arn, "SUCCEEDED")
	if *got.Output != `["fixed","fixed"]` || got.Epoch() != 2 {
		t.Errorf("output %s epoch %d", *got.Output, got.Epoch())
	}
	if f.get(`bad "x"`) != 3 || f.get(`bad "bad"`) != 5 {
		t.Errorf("calls %v after the second redrive: want only the bad item run", f.calls)
	}
}

// TestRedriveDistributedMap: a redrive resumes the Map Run of a failed
// Distributed Map (a MapRunRedriven event names it) rather than starting
// another: its failed and unstarted children run, its succeeded ones do
// not.
func TestRedriveDistributedMap(t *testing.T) {
	def := `{"StartAt":"M","States":{"M":{"Type":"Map","MaxConcurrency":1,"End":true,"ItemProcessor":{
		"ProcessorConfig":{"Mode":"DISTRIBUTED","ExecutionType":"STANDARD"},"StartAt":"I","States":{"I":{"Type":"Task","Resource":"` + fnArn + `bad","End":true}}}}}}`
	n, rn, f, e, _ := runUntil(t, "d", def, `["x","bad","y"]`, "FAILED")
	f.healed.Store(true)
	redrive(t, n, rn, e.Arn, "")
	got := waitStatus(t, n, e.Arn, "SUCCEEDED")
	if *got.Output != `["fixed","fixed","fixed"]` {
		t.Errorf("output %s", *got.Output)
	}
	if f.get(`bad "x"`) != 1 || f.get(`bad "bad"`) != 2 || f.get(`bad "y"`) != 1 {
		t.Errorf("calls %v: want x once, bad twice, y once", f.calls)
	}
	h, _, _ := rn.History(e.Arn)
	count := map[fastpath.EventType]int{}
	runs := map[fastpath.EventType]string{}
	for _, ev := range h.Events {
		count[ev.Type]++
		if ev.Type == fastpath.EventMapRunStarted || ev.Type == fastpath.EventMapRunRedriven {
			runs[ev.Type] = ev.Resource
			if ev.Type == fastpath.EventMapRunRedriven && ev.Index != 1 {
				t.Errorf("MapRunRedriven count %d", ev.Index)
			}
		}
	}
	if count[fastpath.EventMapRunStarted] != 1 || count[fastpath.EventMapRunRedriven] != 1 || count[fastpath.EventMapStateEntered] != 1 ||
		runs[fastpath.EventMapRunStarted] == "" || runs[fastpath.EventMapRunStarted] != runs[fastpath.EventMapRunRedriven] {
		t.Errorf("history counts %v, runs %v", count, runs)
	}
	// The child that failed ran again: its history goes on after an
	// ExecutionRedriven, as AWS's redriven child's does.
	children, err := Children(&got)
	if err != nil || len(children) != 3 {
		t.Fatalf("children %d, %v", len(children), err)
	}
	redriven := 0
	for _, c := range children {
		h, _, _ := ChildHistory(&got, c.ExecutionArn)
		if c.Status != fastpath.Succeeded || h.Status != fastpath.Succeeded || c.RedriveCount != h.RedriveCount {
			t.Errorf("child %s: listed %v (%d redrives), history %v (%d redrives)", c.Input, c.Status, c.RedriveCount, h.Status, h.RedriveCount)
		}
		if c.Input != `"bad"` {
			continue
		}
		redriven++
		var types []string
		for i, ev := range h.Events {
			if ev.ID != i+1 {
				t.Errorf("event %d has id %d", i, ev.ID)
			}
			types = append(types, ev.Type.String())
		}
		want := "ExecutionStarted TaskStateEntered TaskScheduled TaskStarted TaskFailed ExecutionFailed ExecutionRedriven " +
			"TaskStateEntered TaskScheduled TaskStarted TaskSucceeded TaskStateExited ExecutionSucceeded"
		if got := strings.Join(types, " "); got != want || h.RedriveCount != 1 {
			t.Errorf("history of the redriven child (%d redrives):\n%s\nwant\n%s", h.RedriveCount, got, want)
		}
	}
	if redriven != 1 {
		t.Errorf("%d children of input \"bad\"", redriven)
	}
}

// TestRedriveAbortedWait: an ABORTED execution, stopped at a long Wait,
// redriven runs the Wait again from its start; one still RUNNING, or
// unknown, is refused with AWS's errors.
func TestRedriveAbortedWait(t *testing.T) {
	n := openStore(t, t.TempDir())
	defer n.Close()
	rn := startRunner(t, n, nil)
	defer rn.Close()
	e := execution("w", `{"StartAt":"P","States":{"P":{"Type":"Pass","Next":"W"},"W":{"Type":"Wait","Seconds":3600,"End":true}}}`, `{}`)
	ctx := context.Background()
	if _, err := n.Propose(ctx, &cluster.StartExecution{Execution: e}); err != nil {
		t.Fatal(err)
	}
	waitParked(t, rn, e.Arn)
	if _, aerr := rn.RedriveCommand(e.Arn, ""); aerr == nil || aerr.Code != "ExecutionNotRedrivable" || aerr.Message != "Execution is RUNNING and cannot be redriven" {
		t.Errorf("redrive of a RUNNING execution: %v", aerr)
	}
	if _, aerr := rn.RedriveCommand(e.Arn+"x", ""); aerr == nil || aerr.Code != "ExecutionDoesNotExist" {
		t.Errorf("redrive of an unknown execution: %v", aerr)
	}
	if _, err := n.Propose(ctx, rn.StopCommand(e.Arn, nil, nil)); err != nil {
		t.Fatal(err)
	}
	waitStatus(t, n, e.Arn, "ABORTED")
	redrive(t, n, rn, e.Arn, "")
	waitStatus(t, n, e.Arn, "RUNNING")
	waitParked(t, rn, e.Arn)
	want := "ExecutionStarted PassStateEntered PassStateExited WaitStateEntered ExecutionAborted ExecutionRedriven WaitStateEntered"
	if types := eventTypes(t, rn, e.Arn); types != want {
		t.Errorf("history\n%s\nwant\n%s", types, want)
	}
	// Two redrives decided from the same state: the second is refused.
	if _, err := n.Propose(ctx, rn.StopCommand(e.Arn, nil, nil)); err != nil {
		t.Fatal(err)
	}
	waitStatus(t, n, e.Arn, "ABORTED")
	first, _ := rn.RedriveCommand(e.Arn, "")
	second, _ := rn.RedriveCommand(e.Arn, "")
	if r, err := n.Propose(ctx, first); err != nil || r.Err != nil {
		t.Fatal(r, err)
	}
	if r, err := n.Propose(ctx, second); err != nil || r.Err == nil || r.Err.Code != "ExecutionNotRedrivable" {
		t.Errorf("a second redrive of the same epoch: %+v %v", r, err)
	}
}

// TestRedriveTimedOut: a redrive gives a TIMED_OUT execution its whole
// TimeoutSeconds again, counted from the redrive, and the Wait it timed
// out in runs again from its start.
func TestRedriveTimedOut(t *testing.T) {
	n := openStore(t, t.TempDir())
	defer n.Close()
	rn := startRunner(t, n, nil)
	defer rn.Close()
	e := execution("to", `{"TimeoutSeconds":1,"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":30,"End":true}}}`, `{}`)
	if _, err := n.Propose(context.Background(), &cluster.StartExecution{Execution: e}); err != nil {
		t.Fatal(err)
	}
	waitStatus(t, n, e.Arn, "TIMED_OUT")
	r := redrive(t, n, rn, e.Arn, "")
	got := waitStatus(t, n, e.Arn, "TIMED_OUT")
	if d := got.Stop.Sub(r.Date); d < time.Second {
		t.Errorf("timed out %v after the redrive, want its TimeoutSeconds (1 s)", d)
	}
	want := "ExecutionStarted WaitStateEntered ExecutionTimedOut ExecutionRedriven WaitStateEntered ExecutionTimedOut"
	if types := eventTypes(t, rn, e.Arn); types != want {
		t.Errorf("history\n%s\nwant\n%s", types, want)
	}
	h, _, _ := rn.History(e.Arn)
	if ev := h.Events[4]; ev.Prev != 4 {
		t.Errorf("the first event after the redrive follows event %d, want ExecutionRedriven (4)", ev.Prev)
	}
}

// waitParked polls until arn is parked at a Wait: its history ends
// with WaitStateEntered and the runner holds its timer.
func waitParked(t *testing.T, rn *Runner, arn string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		if h, ok, _ := rn.History(arn); ok && len(h.Events) > 0 && h.Events[len(h.Events)-1].Type == fastpath.EventWaitStateEntered && rn.Parked() > 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("the execution did not park")
		}
		time.Sleep(time.Millisecond)
	}
}
