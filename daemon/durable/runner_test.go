package durable

import (
	"context"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stepd/stepd/cluster"
	"github.com/stepd/stepd/fastpath"
	"github.com/stepd/stepd/internal/dircopy"
)

const execArn = "arn:aws:states:us-east-1:123456789012:execution:m:"

// openStore opens a one-node cluster in dir and waits for it to lead.
func openStore(t *testing.T, dir string) *cluster.Node {
	t.Helper()
	cfg := cluster.DefaultConfig()
	cfg.RaftAddr, cfg.DataDir = "127.0.0.1:0", dir
	n, err := cluster.Open(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := n.WaitLeader(ctx); err != nil {
		t.Fatal(err)
	}
	return n
}

func startRunner(t *testing.T, n *cluster.Node, inv fastpath.Invoker) *Runner {
	t.Helper()
	cfg := DefaultConfig()
	cfg.Invoker, cfg.ParkAfter, cfg.LeaderPoll = inv, 0, 5*time.Millisecond
	rn, err := New(n, cfg)
	if err != nil {
		t.Fatal(err)
	}
	rn.Start()
	return rn
}

// waitStatus polls until the execution has the status.
func waitStatus(t *testing.T, n *cluster.Node, arn, status string) cluster.Execution {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		e, ok := n.Executions().Get(arn)
		if ok && e.Status == status {
			return e
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s is %q, want %s", arn, e.Status, status)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func execution(name, def, input string) *cluster.Execution {
	return &cluster.Execution{Arn: execArn + name, MachineArn: "arn:aws:states:us-east-1:123456789012:stateMachine:m", MachineName: "m",
		Name: name, Definition: def, Input: input, Start: time.Now()}
}

// TestResumeAfterRestart: an execution parked at a Wait when its node
// closes finishes after the node opens again, its task called once, with
// one history.
func TestResumeAfterRestart(t *testing.T) {
	dir := t.TempDir()
	var calls atomic.Int64
	inv := fastpath.Funcs{"arn:aws:lambda:us-east-1:123456789012:function:f": func(ctx context.Context, input, dst []byte) ([]byte, error) {
		calls.Add(1)
		return append(dst, `"done"`...), nil
	}}
	def := `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:lambda:us-east-1:123456789012:function:f","ResultPath":"$.t","Next":"W"},
		"W":{"Type":"Wait","Seconds":1,"Next":"P"},"P":{"Type":"Pass","End":true}}}`
	n := openStore(t, dir)
	rn := startRunner(t, n, inv)
	e := execution("a", def, `{"x":1}`)
	ctx := context.Background()
	if r, err := n.Propose(ctx, &cluster.StartExecution{Execution: e}); err != nil || !r.Created {
		t.Fatalf("start: %+v %v", r, err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for calls.Load() == 0 || rn.Parked() == 0 {
		if time.Now().After(deadline) {
			t.Fatal("the execution did not park at its Wait")
		}
		time.Sleep(time.Millisecond)
	}
	rn.Close()
	if err := n.Close(); err != nil {
		t.Fatal(err)
	}
	// raft-wal v0.4.0 keeps its metadata file locked after Close, so the
	// node reopens a copy of its directory.
	n = openStore(t, dircopy.Copy(t, dir))
	defer n.Close()
	rn = startRunner(t, n, inv)
	defer rn.Close()
	got := waitStatus(t, n, e.Arn, "SUCCEEDED")
	if *got.Output != `{"x":1,"t":"done"}` {
		t.Errorf("output %s", *got.Output)
	}
	if calls.Load() != 1 {
		t.Errorf("task called %d times, want once", calls.Load())
	}
	h, ok, err := rn.History(e.Arn)
	if !ok || err != nil {
		t.Fatal(ok, err)
	}
	var types []string
	for _, ev := range h.Events {
		types = append(types, ev.Type.String())
	}
	want := "ExecutionStarted TaskStateEntered TaskScheduled TaskStarted TaskSucceeded TaskStateExited WaitStateEntered WaitStateExited PassStateEntered PassStateExited ExecutionSucceeded"
	if got := strings.Join(types, " "); got != want {
		t.Errorf("history\n%s\nwant\n%s", got, want)
	}
}

// TestStopWhileParked: a stop is durable and ends a parked execution;
// its history ends with ExecutionAborted; a start with the same name and
// input answers the same execution.
func TestStopWhileParked(t *testing.T) {
	n := openStore(t, t.TempDir())
	defer n.Close()
	rn := startRunner(t, n, nil)
	defer rn.Close()
	e := execution("s", `{"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":3600,"End":true}}}`, `{}`)
	ctx := context.Background()
	if _, err := n.Propose(ctx, &cluster.StartExecution{Execution: e}); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for rn.Parked() == 0 {
		if time.Now().After(deadline) {
			t.Fatal("the execution did not park")
		}
		time.Sleep(time.Millisecond)
	}
	if r, err := n.Propose(ctx, rn.StopCommand(e.Arn, nil, nil)); err != nil || r.Err != nil {
		t.Fatalf("stop: %+v %v", r, err)
	}
	waitStatus(t, n, e.Arn, "ABORTED")
	if rn.Parked() != 0 {
		t.Error("a stopped execution is still parked")
	}
	again := *e
	again.Start = time.Now()
	if r, err := n.Propose(ctx, &cluster.StartExecution{Execution: &again}); err != nil || r.Created || !r.Date.Equal(e.Start) {
		t.Errorf("same start: %+v %v, want the first execution", r, err)
	}
	h, _, _ := rn.History(e.Arn)
	if last := h.Events[len(h.Events)-1]; last.Type != fastpath.EventExecutionAborted {
		t.Errorf("last event %v", last.Type)
	}
}

// TestMapResumesWhereItStopped: a node closing in the middle of a Map of
// 1,000 items keeps the iterations done; after it opens again only the
// others run (and those in flight at the stop run again), the output has
// every item and the history every iteration once.
func TestMapResumesWhereItStopped(t *testing.T) {
	var mu sync.Mutex
	calls := map[string]int{}
	var total atomic.Int64
	release := make(chan struct{})
	inv := fastpath.Funcs{"arn:aws:lambda:us-east-1:123456789012:function:f": func(ctx context.Context, input, dst []byte) ([]byte, error) {
		if total.Add(1) > 500 {
			select { // the second half waits for the restart
			case <-release:
			case <-ctx.Done():
				return dst, ctx.Err()
			}
		}
		mu.Lock()
		calls[string(input)]++
		mu.Unlock()
		return append(append(dst, `{"done":`...), append(input, '}')...), nil
	}}
	def := `{"StartAt":"M","States":{"M":{"Type":"Map","MaxConcurrency":40,"End":true,
		"ItemProcessor":{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:lambda:us-east-1:123456789012:function:f","End":true}}}}}}`
	items := make([]string, 1000)
	for i := range items {
		items[i] = strconv.Itoa(i)
	}
	dir := t.TempDir()
	n := openStore(t, dir)
	rn := startRunner(t, n, inv)
	e := execution("m", def, "["+strings.Join(items, ",")+"]")
	if _, err := n.Propose(context.Background(), &cluster.StartExecution{Execution: e}); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for total.Load() < 540 {
		if time.Now().After(deadline) {
			t.Fatalf("only %d calls", total.Load())
		}
		time.Sleep(time.Millisecond)
	}
	rn.Close()
	n.Close()
	mu.Lock()
	before := len(calls)
	mu.Unlock()
	close(release)
	n = openStore(t, dircopy.Copy(t, dir))
	defer n.Close()
	rn = startRunner(t, n, inv)
	defer rn.Close()
	got := waitStatus(t, n, e.Arn, "SUCCEEDED")
	for _, it := range items {
		if !strings.Contains(*got.Output, `{"done":`+it+`}`) {
			t.Fatalf("output lacks item %s", it)
		}
	}
	for in, c := range calls {
		if c != 1 {
			t.Errorf("item %s ran %d times", in, c)
		}
	}
	if before != 500 || len(calls) != 1000 {
		t.Errorf("%d items done before the stop, %d after; want 500 and 1000", before, len(calls))
	}
	h, _, _ := rn.History(e.Arn)
	count := map[fastpath.EventType]int{}
	for _, ev := range h.Events {
		count[ev.Type]++
	}
	if count[fastpath.EventMapIterationStarted] != 1000 || count[fastpath.EventMapIterationSucceeded] != 1000 || count[fastpath.EventTaskSucceeded] != 1000 {
		t.Errorf("history counts %v", count)
	}
}

// TestScheduleKeepsTheSoonerTime: a wakeup set while a run was ending (an
// answer it did not see) survives the run parking until later; before, the
// later time replaced it and the execution slept with its answer
// committed (BenchmarkActivityRoundTrip hung on it, one run in a few).
func TestScheduleKeepsTheSoonerTime(t *testing.T) {
	rn := &Runner{byArn: map[string]*timer{}, wake: make(chan struct{}, 1)}
	later := time.Now().Add(time.Hour)
	rn.scheduleLocked("a", time.Time{}) // the answer's notification
	rn.scheduleLocked("a", later)       // the run that did not see it parks
	if got := rn.byArn["a"].at; !got.IsZero() {
		t.Errorf("a is due at %v, want now", got)
	}
	rn.scheduleLocked("b", later)
	rn.scheduleLocked("b", time.Time{})
	if got := rn.byArn["b"].at; !got.IsZero() || rn.timers[0].at != (time.Time{}) || len(rn.timers) != 2 {
		t.Errorf("b is due at %v (heap %d), want now", got, len(rn.timers))
	}
}
