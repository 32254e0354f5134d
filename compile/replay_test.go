package compile

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stepd/stepd/fastpath"
)

// These tests drive durable executions (fastpath.Recorder): a run that
// suspends or is cut short, then a run of the same execution from its
// records, which must take the same path, call no task that answered,
// and end as one uninterrupted run would.

// memRecorder keeps records in memory. Its clock is the live clock of the
// runs; waits later than it park the run.
type memRecorder struct {
	mu      sync.Mutex
	records map[fastpath.RecordKey]memRecord
	events  []string // "Type State" of each event, in recording order
	clock   fastpath.Clock
	failing bool // Checkpoint fails
	// uncommitted are the keys recorded since the last Checkpoint, and
	// committedEvents the events before it: what crash forgets.
	uncommitted     []fastpath.RecordKey
	committedEvents int
}

type memRecord struct {
	kind fastpath.RecordKind
	val  []byte
}

func newMemRecorder(clock fastpath.Clock) *memRecorder {
	return &memRecorder{records: map[fastpath.RecordKey]memRecord{}, clock: clock}
}

func (r *memRecorder) Replay(key fastpath.RecordKey) (fastpath.RecordKind, []byte, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	rec, ok := r.records[key]
	return rec.kind, rec.val, ok
}

func (r *memRecorder) Record(key fastpath.RecordKey, kind fastpath.RecordKind, val []byte) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, dup := r.records[key]; dup {
		panic(fmt.Sprintf("BUG: %v recorded twice", key))
	}
	r.records[key] = memRecord{kind, append([]byte(nil), val...)}
	r.uncommitted = append(r.uncommitted, key)
}

func (r *memRecorder) Event(key fastpath.RecordKey, e *fastpath.Event) {
	r.Record(key, fastpath.RecordEvent, nil)
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, strings.TrimSpace(e.Type.String()+" "+e.State))
}

func (r *memRecorder) Checkpoint() error {
	if r.failing {
		return errors.New("disk full")
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.uncommitted, r.committedEvents = r.uncommitted[:0], len(r.events)
	return nil
}

// crash forgets what was recorded since the last Checkpoint, as a process
// killed then would.
func (r *memRecorder) crash() {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, k := range r.uncommitted {
		delete(r.records, k)
	}
	r.uncommitted, r.events = r.uncommitted[:0], r.events[:r.committedEvents]
}

func (r *memRecorder) Suspend(until time.Time) bool { return until.After(r.clock.Now()) }

// countingTask counts its calls per input and answers {"in": input}; the
// call numbered cancelAt (from 1) cancels the run it belongs to instead,
// as a crash would cut it. A call whose deadline has passed fails with
// its error, as a real task's would, and is not counted; left keeps how long each call had until
// its context's deadline (0: none).
type countingTask struct {
	mu       sync.Mutex
	calls    map[string]int
	left     []time.Duration
	total    atomic.Int64
	cancelAt int64
	cancel   context.CancelFunc
}

func (c *countingTask) fn(ctx context.Context, input, dst []byte) ([]byte, error) {
	if n := c.total.Add(1); n == c.cancelAt {
		c.cancel()
		<-ctx.Done()
		return dst, ctx.Err()
	}
	c.mu.Lock()
	var left time.Duration
	if d, ok := ctx.Deadline(); ok {
		left = time.Until(d)
	}
	c.left = append(c.left, left)
	if err := ctx.Err(); errors.Is(err, context.DeadlineExceeded) {
		c.mu.Unlock()
		return dst, err
	}
	c.calls[string(input)]++
	c.mu.Unlock()
	return append(append(append(dst, `{"in":`...), input...), '}'), nil
}

// durableRun runs def on input with rec; the context ends when the task
// says so.
func durableRun(t *testing.T, def, input string, rec *memRecorder, task *countingTask) fastpath.Result {
	t.Helper()
	prog, err := Compile([]byte(def), Standard)
	if err != nil {
		t.Fatalf("compile: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	task.cancel = cancel
	opts := &fastpath.Options{
		ExecutionArn: "arn:aws:states:us-east-1:123456789012:execution:m:e", ExecutionName: "e",
		Invoker: fastpath.Funcs{fn("t"): task.fn}, Clock: rec.clock, Recorder: rec, StartTime: epoch,
	}
	ex := fastpath.AcquireExecution()
	defer fastpath.ReleaseExecution(ex)
	res, err := ex.Run(ctx, prog, []byte(input), opts)
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	res.Output = append([]byte(nil), res.Output...)
	return res
}

// fakeClock is a live clock that moves only when the test says.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Sleep(ctx context.Context, d time.Duration) error { return ctx.Err() }

func (c *fakeClock) advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

func newTask() *countingTask { return &countingTask{calls: map[string]int{}} }

func TestReplaySuspendsAtWaitAndResumes(t *testing.T) {
	def := `{"StartAt":"A","States":{
		"A":{"Type":"Task","Resource":"` + fn("t") + `","ResultPath":"$.a","Next":"W"},
		"W":{"Type":"Wait","Seconds":3600,"Next":"B"},
		"B":{"Type":"Task","Resource":"` + fn("t") + `","InputPath":"$.x","ResultPath":"$.b","End":true}}}`
	clock := &fakeClock{now: epoch}
	rec := newMemRecorder(clock)
	task := newTask()
	res := durableRun(t, def, `{"x":1}`, rec, task)
	if res.Status != fastpath.Suspended || !res.Until.Equal(epoch.Add(time.Hour)) {
		t.Fatalf("first run: %v until %v, want Suspended until %v", res.Status, res.Until, epoch.Add(time.Hour))
	}
	res = durableRun(t, def, `{"x":1}`, rec, task)
	if res.Status != fastpath.Suspended {
		t.Fatalf("early resume: %v, want Suspended again", res.Status)
	}
	clock.advance(time.Hour)
	res = durableRun(t, def, `{"x":1}`, rec, task)
	want := `{"x":1,"a":{"in":{"x":1}},"b":{"in":1}}`
	if res.Status != fastpath.Succeeded || string(res.Output) != want {
		t.Fatalf("resumed: %v %s, want SUCCEEDED %s", res.Status, res.Output, want)
	}
	if task.calls[`{"x":1}`] != 1 || task.calls[`1`] != 1 {
		t.Errorf("task calls %v, want each input once", task.calls)
	}
	wantEvents := "ExecutionStarted,TaskStateEntered A,TaskScheduled A,TaskStarted A,TaskSucceeded A,TaskStateExited A," +
		"WaitStateEntered W,WaitStateExited W,TaskStateEntered B,TaskScheduled B,TaskStarted B,TaskSucceeded B,TaskStateExited B,ExecutionSucceeded"
	if got := strings.Join(rec.events, ","); got != wantEvents {
		t.Errorf("recorded events\n%s\nwant\n%s", got, wantEvents)
	}
}

func TestReplayAfterCrashInTask(t *testing.T) {
	def := `{"StartAt":"A","States":{
		"A":{"Type":"Task","Resource":"` + fn("t") + `","Parameters":{"n":1},"ResultPath":"$.a","Next":"B"},
		"B":{"Type":"Task","Resource":"` + fn("t") + `","Parameters":{"n":2},"ResultPath":"$.b","Next":"C"},
		"C":{"Type":"Task","Resource":"` + fn("t") + `","Parameters":{"n":3},"ResultPath":"$.c","End":true}}}`
	rec := newMemRecorder(&fakeClock{now: epoch})
	task := newTask()
	task.cancelAt = 2 // the process dies while B runs
	if res := durableRun(t, def, `{}`, rec, task); res.Status != fastpath.Aborted {
		t.Fatalf("cut run: %v, want ABORTED", res.Status)
	}
	task.cancelAt = 0
	res := durableRun(t, def, `{}`, rec, task)
	want := `{"a":{"in":{"n":1}},"b":{"in":{"n":2}},"c":{"in":{"n":3}}}`
	if res.Status != fastpath.Succeeded || string(res.Output) != want {
		t.Fatalf("resumed: %v %s, want SUCCEEDED %s", res.Status, res.Output, want)
	}
	// A answered before the crash and is not called again; B was in
	// flight and runs again (at least once).
	if got := fmt.Sprint(task.calls); got != `map[{"n":1}:1 {"n":2}:1 {"n":3}:1]` {
		t.Errorf("calls %s", got)
	}
}

// A durable Task's TimeoutSeconds and HeartbeatSeconds run from the
// call's first start: a run resumed after a crash cut the call gives the
// new call only what was left, and fails it with the timeout's error when
// nothing is.
func TestReplayTaskTimeoutKeepsItsDeadline(t *testing.T) {
	for _, tc := range []struct {
		name, timeouts, err string
	}{
		{"timeout", `"TimeoutSeconds":100`, "States.Timeout"},
		{"heartbeat", `"TimeoutSeconds":1000,"HeartbeatSeconds":100`, "States.HeartbeatTimeout"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			def := `{"StartAt":"A","States":{"A":{"Type":"Task","Resource":"` + fn("t") + `",` + tc.timeouts + `,"End":true}}}`
			clock := &fakeClock{now: epoch}
			rec := newMemRecorder(clock)
			task := newTask()
			task.cancelAt = 1 // the process dies while A runs
			if res := durableRun(t, def, `{}`, rec, task); res.Status != fastpath.Aborted {
				t.Fatalf("cut run: %v, want ABORTED", res.Status)
			}
			rec.crash()
			// Down for 90 of the 100 seconds: the call gets the other 10,
			// not 100 (the bound leaves room for a slow machine).
			task.cancelAt = 0
			clock.advance(90 * time.Second)
			resumed := newMemRecorder(clock) // the cut run's records, for the next case
			resumed.records = maps.Clone(rec.records)
			res := durableRun(t, def, `{}`, resumed, task)
			if res.Status != fastpath.Succeeded {
				t.Fatalf("resumed within the timeout: %v %s %s", res.Status, res.Error, res.Cause)
			}
			if left := task.left[0]; left <= 0 || left > 10*time.Second {
				t.Errorf("the resumed call had %v until its timeout, want at most the 10s left", left)
			}
			if got := strings.Join(append(rec.events, resumed.events...), ","); got != "ExecutionStarted,TaskStateEntered A,TaskScheduled A,TaskStarted A,TaskSucceeded A,TaskStateExited A,ExecutionSucceeded" {
				t.Errorf("events %s: the task started once, at its first call", got)
			}
			// Down past the deadline: the call fails with the timeout.
			clock.advance(20 * time.Second)
			res = durableRun(t, def, `{}`, rec, task)
			if res.Status != fastpath.Failed || res.Error != tc.err {
				t.Fatalf("resumed past the deadline: %v %s, want FAILED %s", res.Status, res.Error, tc.err)
			}
		})
	}
}

func TestReplayMapKeepsFinishedIterations(t *testing.T) {
	def := `{"StartAt":"M","States":{"M":{"Type":"Map","MaxConcurrency":10,"End":true,
		"ItemProcessor":{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"` + fn("t") + `","End":true}}}}}}`
	items := make([]string, 200)
	for i := range items {
		items[i] = fmt.Sprint(i)
	}
	input := "[" + strings.Join(items, ",") + "]"
	rec := newMemRecorder(&fakeClock{now: epoch})
	task := newTask()
	task.cancelAt = 101
	if res := durableRun(t, def, input, rec, task); res.Status != fastpath.Aborted {
		t.Fatalf("cut run: %v, want ABORTED", res.Status)
	}
	done := len(task.calls)
	task.cancelAt = 0
	res := durableRun(t, def, input, rec, task)
	if res.Status != fastpath.Succeeded {
		t.Fatalf("resumed: %v %s %s", res.Status, res.Error, res.Cause)
	}
	for i := range items {
		if !strings.Contains(string(res.Output), `{"in":`+items[i]+`}`) {
			t.Fatalf("output lacks item %d: %s", i, res.Output)
		}
	}
	if done < 100 {
		t.Fatalf("%d iterations done before the cut, want 100", done)
	}
	for in, n := range task.calls {
		if n != 1 {
			t.Errorf("item %s called %d times: a finished iteration ran again", in, n)
		}
	}
	if len(task.calls) != 200 {
		t.Errorf("%d items called, want 200", len(task.calls))
	}
}

func TestReplayMapOfWaitsSuspendsOnce(t *testing.T) {
	def := `{"StartAt":"M","States":{"M":{"Type":"Map","End":true,
		"ItemProcessor":{"StartAt":"W","States":{"W":{"Type":"Wait","SecondsPath":"$","Next":"T"},
		"T":{"Type":"Task","Resource":"` + fn("t") + `","End":true}}}}}}`
	clock := &fakeClock{now: epoch}
	rec := newMemRecorder(clock)
	task := newTask()
	res := durableRun(t, def, `[30,10,20]`, rec, task)
	if res.Status != fastpath.Suspended || !res.Until.Equal(epoch.Add(10*time.Second)) {
		t.Fatalf("first run: %v until %v, want Suspended until +10s", res.Status, res.Until)
	}
	clock.advance(20 * time.Second)
	res = durableRun(t, def, `[30,10,20]`, rec, task)
	if res.Status != fastpath.Suspended || !res.Until.Equal(epoch.Add(30*time.Second)) {
		t.Fatalf("second run: %v until %v, want Suspended until +30s", res.Status, res.Until)
	}
	clock.advance(10 * time.Second)
	res = durableRun(t, def, `[30,10,20]`, rec, task)
	if want := `[{"in":30},{"in":10},{"in":20}]`; res.Status != fastpath.Succeeded || string(res.Output) != want {
		t.Fatalf("last run: %v %s, want %s", res.Status, res.Output, want)
	}
	if got := fmt.Sprint(task.calls); got != `map[10:1 20:1 30:1]` {
		t.Errorf("calls %s", got)
	}
}

func TestReplayRecordsTimeAndRandomness(t *testing.T) {
	def := `{"StartAt":"P","States":{
		"P":{"Type":"Pass","Parameters":{"id.$":"States.UUID()","n.$":"States.MathRandom(0, 1000000)","at.$":"$$.State.EnteredTime"},"Next":"W"},
		"W":{"Type":"Wait","Seconds":60,"Next":"Q"},
		"Q":{"Type":"Pass","QueryLanguage":"JSONata","Output":"{% $merge([$states.input, {'u': $uuid(), 'r': $random()}]) %}","Next":"W2"},
		"W2":{"Type":"Wait","Seconds":60,"End":true}}}`
	clock := &fakeClock{now: epoch}
	rec := newMemRecorder(clock)
	task := newTask()
	durableRun(t, def, `{}`, rec, task)
	clock.advance(time.Minute)
	mid := durableRun(t, def, `{}`, rec, task) // suspended again at W2
	if mid.Status != fastpath.Suspended {
		t.Fatalf("second run: %v, want Suspended", mid.Status)
	}
	clock.advance(time.Hour)
	first := durableRun(t, def, `{}`, rec, task)
	second := durableRun(t, def, `{}`, rec, task) // a replay of the whole run
	if first.Status != fastpath.Succeeded || string(first.Output) != string(second.Output) {
		t.Fatalf("replays differ: %v %s / %s", first.Status, first.Output, second.Output)
	}
	if !strings.Contains(string(first.Output), `"at":"2026-01-01T00:00:00.000Z"`) {
		t.Errorf("output %s: EnteredTime is not the recorded start", first.Output)
	}
}

func TestReplayOfAnotherDefinitionFailsLoudly(t *testing.T) {
	a := `{"StartAt":"A","States":{"A":{"Type":"Task","Resource":"` + fn("t") + `","Next":"W"},"W":{"Type":"Wait","Seconds":10,"End":true}}}`
	b := `{"StartAt":"A","States":{"A":{"Type":"Pass","Parameters":{"t.$":"$$.State.EnteredTime"},"Next":"W"},"W":{"Type":"Wait","Seconds":10,"End":true}}}`
	rec := newMemRecorder(&fakeClock{now: epoch})
	task := newTask()
	durableRun(t, a, `{}`, rec, task)
	res := durableRun(t, b, `{}`, rec, task)
	if res.Status != fastpath.Failed || res.Error != fastpath.ErrRuntime || !strings.Contains(res.Cause, "does not match") {
		t.Fatalf("got %v %s %s, want a States.Runtime failure naming the mismatch", res.Status, res.Error, res.Cause)
	}
}

func TestReplayCheckpointFailureSuspends(t *testing.T) {
	def := `{"StartAt":"A","States":{"A":{"Type":"Task","Resource":"` + fn("t") + `","Next":"B"},"B":{"Type":"Pass","End":true}}}`
	rec := newMemRecorder(&fakeClock{now: epoch})
	rec.failing = true
	task := newTask()
	res := durableRun(t, def, `{}`, rec, task)
	if res.Status != fastpath.Suspended || !res.Until.IsZero() {
		t.Fatalf("got %v until %v, want Suspended with no time", res.Status, res.Until)
	}
	rec.failing = false
	if res = durableRun(t, def, `{}`, rec, task); res.Status != fastpath.Succeeded {
		t.Fatalf("after the disk recovered: %v", res.Status)
	}
	if task.total.Load() != 1 {
		t.Errorf("task called %d times, want once (its outcome was recorded)", task.total.Load())
	}
}
