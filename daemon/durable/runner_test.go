package durable

import (
	"context"
	"errors"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/hashicorp/raft"

	"github.com/stepd/stepd/cluster"
	"github.com/stepd/stepd/fastpath"
	"github.com/stepd/stepd/internal/dircopy"
)

const execArn = "arn:aws:states:us-east-1:123456789012:execution:m:"

// openStore opens a one-node cluster in dir and waits for it to lead;
// wrap, when given, wraps its log store.
func openStore(t *testing.T, dir string, wrap ...func(raft.LogStore) raft.LogStore) *cluster.Node {
	t.Helper()
	cfg := cluster.DefaultConfig()
	cfg.RaftAddr, cfg.DataDir = "127.0.0.1:0", dir
	for _, w := range wrap {
		cfg.WrapLogStore = w
	}
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
	count := eventCounts(t, rn, e.Arn)
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

// fullDisk is a log store whose writes fail with ENOSPC while full is
// set, as on a full disk.
type fullDisk struct {
	raft.LogStore
	full atomic.Bool
}

func (d *fullDisk) StoreLog(l *raft.Log) error { return d.StoreLogs([]*raft.Log{l}) }

func (d *fullDisk) StoreLogs(logs []*raft.Log) error {
	if d.full.Load() {
		return &os.PathError{Op: "write", Path: "segment.wal", Err: syscall.ENOSPC}
	}
	return d.LogStore.StoreLogs(logs)
}

// TestFullDisk: while the disk is full, StartExecution's command fails
// with the disk's error (nothing is committed), and an execution whose
// transition cannot be committed stays RUNNING, retried; once there is
// space again it finishes, with each event in its history once.
func TestFullDisk(t *testing.T) {
	disk := &fullDisk{}
	n := openStore(t, t.TempDir(), func(l raft.LogStore) raft.LogStore { disk.LogStore = l; return disk })
	defer n.Close()
	cfg := DefaultConfig()
	cfg.ParkAfter, cfg.RetryAfter, cfg.LeaderPoll = 0, 50*time.Millisecond, 5*time.Millisecond
	rn, err := New(n, cfg)
	if err != nil {
		t.Fatal(err)
	}
	rn.Start()
	defer rn.Close()
	def := `{"StartAt":"A","States":{"A":{"Type":"Pass","Result":1,"ResultPath":"$.a","Next":"W"},
		"W":{"Type":"Wait","Seconds":1,"Next":"B"},"B":{"Type":"Pass","Result":2,"ResultPath":"$.b","End":true}}}`
	e := execution("full", def, `{}`)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if r, err := n.Propose(ctx, &cluster.StartExecution{Execution: e}); err != nil || !r.Created {
		t.Fatalf("start: %+v %v", r, err)
	}
	for rn.Parked() == 0 { // parked at W, due in a second
		time.Sleep(time.Millisecond)
	}
	disk.full.Store(true)
	short, cancelShort := context.WithTimeout(ctx, time.Second)
	_, err = n.Propose(short, &cluster.StartExecution{Execution: execution("refused", def, `{}`)})
	cancelShort()
	if err == nil || !strings.Contains(err.Error(), "no space left on device") && !errors.Is(err, cluster.ErrNoLeader) {
		t.Fatalf("a start on a full disk: %v, want the disk's error (or no leader: it steps down when a write fails)", err)
	}
	t.Logf("a start on a full disk: %v", err)
	time.Sleep(2 * time.Second) // W is due meanwhile: its end cannot be committed
	if got, _ := n.Executions().Get(e.Arn); got.Status != "RUNNING" {
		t.Fatalf("on a full disk the execution is %s, want RUNNING", got.Status)
	}
	disk.full.Store(false)
	got := waitStatus(t, n, e.Arn, "SUCCEEDED")
	if *got.Output != `{"a":1,"b":2}` {
		t.Errorf("output %s", *got.Output)
	}
	if _, ok := n.Executions().Get(execArn + "refused"); ok {
		t.Error("the start refused on a full disk exists")
	}
	h, _, err := rn.History(e.Arn)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{} // type and state
	if len(h.Events) != 8 {
		t.Errorf("%d events, want 8", len(h.Events))
	}
	for _, ev := range h.Events {
		k := ev.Type.String() + " " + ev.State
		if seen[k] {
			t.Errorf("%s twice in the history", k)
		}
		seen[k] = true
	}
}

// eventCounts counts the events of each type in the history of arn.
func eventCounts(t *testing.T, rn *Runner, arn string) map[fastpath.EventType]int {
	t.Helper()
	h, _, err := rn.History(arn)
	if err != nil {
		t.Fatal(err)
	}
	count := map[fastpath.EventType]int{}
	for _, ev := range h.Events {
		count[ev.Type]++
	}
	return count
}

// runUntil starts the execution name of def with input on a runner of
// its own whose tasks are flaky, and returns once it has status.
func runUntil(t *testing.T, name, def, input, status string) (*cluster.Node, *Runner, *flaky, *cluster.Execution, cluster.Execution) {
	t.Helper()
	n := openStore(t, t.TempDir())
	t.Cleanup(func() { n.Close() })
	f := new(flaky)
	rn := startRunner(t, n, f.invoker())
	t.Cleanup(rn.Close)
	e := execution(name, def, input)
	if _, err := n.Propose(context.Background(), &cluster.StartExecution{Execution: e}); err != nil {
		t.Fatal(err)
	}
	return n, rn, f, e, waitStatus(t, n, e.Arn, status)
}
