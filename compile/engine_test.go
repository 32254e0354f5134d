package compile

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stepd/stepd/fastpath"
	"github.com/stepd/stepd/fastpath/jsonb"
)

// These tests drive the VM through the compiler with in-process Task
// functions and a virtual clock: the behaviours the AWS corpus cannot show
// without Lambda (Retry timing, Catch, task timeouts, limits, cancellation).

var epoch = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// flaky is a Task function that fails with the given error names, one per
// call, then succeeds with {"ok":true}; it records when it was called.
type flaky struct {
	mu     sync.Mutex
	fails  []string
	calls  []time.Time
	clock  fastpath.Clock
	inputs []string
}

func (f *flaky) fn(ctx context.Context, input, dst []byte) ([]byte, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, f.clock.Now())
	f.inputs = append(f.inputs, string(input))
	if len(f.fails) > 0 {
		name := f.fails[0]
		f.fails = f.fails[1:]
		return dst, &fastpath.Failure{Name: name, Cause: "failed with " + name}
	}
	return append(dst, `{"ok":true}`...), nil
}

// sleeper blocks until its context ends, like a function that outlives
// its TimeoutSeconds.
func sleeper(ctx context.Context, input, dst []byte) ([]byte, error) {
	<-ctx.Done()
	return dst, ctx.Err()
}

// huge returns a result just over the 256 KiB limit.
func huge(ctx context.Context, input, dst []byte) ([]byte, error) {
	dst = append(dst, '"')
	dst = append(dst, strings.Repeat("x", fastpath.MaxPayloadBytes)...)
	return append(dst, '"'), nil
}

// fn is the Resource ARN under which a test function is registered.
func fn(name string) string { return "arn:aws:lambda:us-east-1:123456789012:function:" + name }

type runResult struct {
	fastpath.Result
	output string
}

func runMachine(t *testing.T, def, input string, opts *fastpath.Options) runResult {
	t.Helper()
	prog, err := Compile([]byte(def), Express)
	if err != nil {
		t.Fatalf("compile: %v", err)
	}
	if opts.Clock == nil {
		opts.Clock = fastpath.NewVirtualClock(epoch)
	}
	ex := fastpath.AcquireExecution()
	defer fastpath.ReleaseExecution(ex)
	res, err := ex.Run(context.Background(), prog, []byte(input), opts)
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	return runResult{res, string(res.Output)}
}

const retryMachine = `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:lambda:us-east-1:123456789012:function:flaky",
 "Retry":[{"ErrorEquals":["Busy"],"IntervalSeconds":2,"MaxAttempts":3,"BackoffRate":3,"MaxDelaySeconds":10}],
 "Catch":[{"ErrorEquals":["States.ALL"],"ResultPath":"$.err","Next":"Caught"}],"End":true},
 "Caught":{"Type":"Pass","End":true}}}`

func TestRetryBackoff(t *testing.T) {
	clock := fastpath.NewVirtualClock(epoch)
	f := &flaky{fails: []string{"Busy", "Busy", "Busy"}, clock: clock}
	res := runMachine(t, retryMachine, `{"a":1}`, &fastpath.Options{Clock: clock, Invoker: fastpath.Funcs{fn("flaky"): f.fn}})
	if res.Status != fastpath.Succeeded || res.output != `{"ok":true}` {
		t.Fatalf("got %s %s %s", res.Status, res.output, res.Cause)
	}
	// Intervals 2s, 6s, then 18s capped at MaxDelaySeconds 10s.
	want := []time.Duration{0, 2 * time.Second, 8 * time.Second, 18 * time.Second}
	if len(f.calls) != len(want) {
		t.Fatalf("%d calls, want %d", len(f.calls), len(want))
	}
	for i, w := range want {
		if got := f.calls[i].Sub(epoch); got != w {
			t.Errorf("call %d at %v, want %v", i, got, w)
		}
	}
}

func TestRetryExhaustedThenCatch(t *testing.T) {
	clock := fastpath.NewVirtualClock(epoch)
	f := &flaky{fails: []string{"Busy", "Busy", "Busy", "Busy"}, clock: clock}
	res := runMachine(t, retryMachine, `{"a":1}`, &fastpath.Options{Clock: clock, Invoker: fastpath.Funcs{fn("flaky"): f.fn}})
	want := `{"a":1,"err":{"Error":"Busy","Cause":"failed with Busy"}}`
	if res.Status != fastpath.Succeeded || res.output != want {
		t.Fatalf("got %s %s, want %s", res.Status, res.output, want)
	}
	if len(f.calls) != 4 {
		t.Errorf("%d calls, want 4 (1 + MaxAttempts 3)", len(f.calls))
	}
}

func TestRetryMaxAttemptsZeroAndOrder(t *testing.T) {
	def := `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:lambda:us-east-1:123456789012:function:flaky",
	 "Retry":[{"ErrorEquals":["Busy"],"MaxAttempts":0},{"ErrorEquals":["States.ALL"],"MaxAttempts":1,"IntervalSeconds":1}],"End":true}}}`
	f := &flaky{fails: []string{"Busy", "Other"}, clock: fastpath.NewVirtualClock(epoch)}
	res := runMachine(t, def, `{}`, &fastpath.Options{Clock: f.clock, Invoker: fastpath.Funcs{fn("flaky"): f.fn}})
	// The first matching retrier (MaxAttempts 0) decides: Busy is not retried.
	if res.Status != fastpath.Failed || res.Error != "Busy" || len(f.calls) != 1 {
		t.Fatalf("got %s %s after %d calls", res.Status, res.Error, len(f.calls))
	}
}

func TestCatchAllDoesNotCatchRuntime(t *testing.T) {
	def := `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:lambda:us-east-1:123456789012:function:flaky","ResultSelector":{"x.$":"$.missing"},
	 "Catch":[{"ErrorEquals":["States.ALL"],"Next":"Caught"}],"End":true},"Caught":{"Type":"Succeed"}}}`
	f := &flaky{clock: fastpath.NewVirtualClock(epoch)}
	res := runMachine(t, def, `{}`, &fastpath.Options{Clock: f.clock, Invoker: fastpath.Funcs{fn("flaky"): f.fn}})
	if res.Status != fastpath.Failed || res.Error != fastpath.ErrRuntime {
		t.Fatalf("got %s %s %s", res.Status, res.Error, res.Cause)
	}
	wantCause := `An error occurred while executing the state 'T' (entered at the event id #2). The JSONPath '$.missing' specified for the field 'x.$' could not be found in the input '{"ok":true}'`
	if res.Cause != wantCause {
		t.Errorf("cause %q\nwant  %q", res.Cause, wantCause)
	}
}

func TestTaskTimeout(t *testing.T) {
	def := `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:lambda:us-east-1:123456789012:function:sleep","TimeoutSeconds":1,
	 "Catch":[{"ErrorEquals":["States.Timeout"],"Next":"Caught"}],"End":true},"Caught":{"Type":"Pass","End":true}}}`
	res := runMachine(t, def, `{}`, &fastpath.Options{Clock: fastpath.SystemClock{}, Invoker: fastpath.Funcs{fn("sleep"): sleeper}})
	if res.Status != fastpath.Succeeded || res.output != `{"Error":"States.Timeout","Cause":""}` {
		t.Fatalf("got %s %s %s: %s", res.Status, res.output, res.Error, res.Cause)
	}
}

func TestExecutionTimeout(t *testing.T) {
	def := `{"StartAt":"W","TimeoutSeconds":5,"States":{"W":{"Type":"Wait","Seconds":60,"End":true}}}`
	res := runMachine(t, def, `{}`, &fastpath.Options{})
	if res.Status != fastpath.TimedOut || res.HasError || res.HasCause {
		t.Fatalf("got %s %q %q", res.Status, res.Error, res.Cause)
	}
	// Express machines stop at five minutes even without TimeoutSeconds.
	def = `{"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":301,"End":true}}}`
	if res := runMachine(t, def, `{}`, &fastpath.Options{}); res.Status != fastpath.TimedOut {
		t.Fatalf("express cap: got %s", res.Status)
	}
}

func TestDataLimitExceeded(t *testing.T) {
	def := `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:lambda:us-east-1:123456789012:function:huge","Catch":[{"ErrorEquals":["States.ALL"],"Next":"C"}],"End":true},"C":{"Type":"Succeed"}}}`
	res := runMachine(t, def, `{}`, &fastpath.Options{Invoker: fastpath.Funcs{fn("huge"): huge}})
	// AWS catches a Task result over the limit with States.ALL (corpus case
	// error_handling.states_errors.task_lambda_catch_state_all_data_limit_exceeded_on_large_utf8_response).
	if res.Status != fastpath.Succeeded {
		t.Fatalf("got %s %s", res.Status, res.Error)
	}
}

func TestRunawayLoopIsBounded(t *testing.T) {
	def := `{"StartAt":"A","States":{"A":{"Type":"Pass","Next":"B"},
	 "B":{"Type":"Choice","Choices":[{"Variable":"$.stop","IsPresent":true,"Next":"Done"}],"Default":"A"},"Done":{"Type":"Succeed"}}}`
	res := runMachine(t, def, `{}`, &fastpath.Options{MaxTransitions: 1000})
	if res.Status != fastpath.Failed || res.Error != fastpath.ErrRuntime {
		t.Fatalf("got %s %s", res.Status, res.Error)
	}
}

func TestCancellationAborts(t *testing.T) {
	prog, err := Compile([]byte(`{"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":100,"End":true}}}`), Express)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	ex := fastpath.AcquireExecution()
	defer fastpath.ReleaseExecution(ex)
	res, err := ex.Run(ctx, prog, []byte(`{}`), &fastpath.Options{Clock: fastpath.SystemClock{}})
	if err != nil || res.Status != fastpath.Aborted {
		t.Fatalf("got %v %s", err, res.Status)
	}
}

func TestMapToleratedFailures(t *testing.T) {
	def := `{"StartAt":"M","States":{"M":{"Type":"Map","ToleratedFailureCount":1,"ItemProcessor":{"StartAt":"C","States":{
	 "C":{"Type":"Choice","Choices":[{"Variable":"$","NumericEquals":2,"Next":"F"}],"Default":"P"},
	 "F":{"Type":"Fail","Error":"Two"},"P":{"Type":"Pass","End":true}}},"End":true}}}`
	res := runMachine(t, def, `[1,2,3]`, &fastpath.Options{})
	if res.Status != fastpath.Succeeded || res.output != `[1,null,3]` {
		t.Fatalf("one failure tolerated: got %s %s %s", res.Status, res.output, res.Cause)
	}
	res = runMachine(t, def, `[2,2]`, &fastpath.Options{})
	if res.Status != fastpath.Failed || res.Error != fastpath.ErrExceedToleratedFailureThreshold {
		t.Fatalf("two failures: got %s %s", res.Status, res.Error)
	}
}

func TestInvalidInputIsAnError(t *testing.T) {
	prog, err := Compile([]byte(`{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}}`), Express)
	if err != nil {
		t.Fatal(err)
	}
	ex := fastpath.AcquireExecution()
	defer fastpath.ReleaseExecution(ex)
	var se *jsonb.SyntaxError
	if _, err := ex.Run(context.Background(), prog, []byte(`{"a":`), nil); !errors.As(err, &se) {
		t.Fatalf("got %v, want a *jsonb.SyntaxError", err)
	}
}

// inFlight counts concurrent calls of a Task function and remembers the
// most seen at once.
type inFlight struct {
	mu       sync.Mutex
	now, max int
}

func (c *inFlight) enter() {
	c.mu.Lock()
	c.now++
	c.max = max(c.max, c.now)
	c.mu.Unlock()
}

func (c *inFlight) leave() {
	c.mu.Lock()
	c.now--
	c.mu.Unlock()
}

func TestParallelBranchesWithTasksOverlap(t *testing.T) {
	// Each branch waits until the other has started: only concurrent
	// branches can both finish (the rendezvous gives up after 10 s).
	var started sync.WaitGroup
	started.Add(2)
	meet := func(ctx context.Context, input, dst []byte) ([]byte, error) {
		started.Done()
		done := make(chan struct{})
		go func() { started.Wait(); close(done) }()
		select {
		case <-done:
			return append(dst, input...), nil
		case <-time.After(10 * time.Second):
			return dst, &fastpath.Failure{Name: "NotConcurrent", Cause: "the other branch never started"}
		}
	}
	def := `{"StartAt":"P","States":{"P":{"Type":"Parallel","End":true,"Branches":[
	 {"StartAt":"A","States":{"A":{"Type":"Task","Resource":"arn:aws:lambda:us-east-1:123456789012:function:meet","Parameters":{"b":1},"End":true}}},
	 {"StartAt":"B","States":{"B":{"Type":"Task","Resource":"arn:aws:lambda:us-east-1:123456789012:function:meet","Parameters":{"b":2},"End":true}}}]}}}`
	res := runMachine(t, def, `{}`, &fastpath.Options{Clock: fastpath.SystemClock{}, Invoker: fastpath.Funcs{fn("meet"): meet}})
	if res.Status != fastpath.Succeeded || res.output != `[{"b":1},{"b":2}]` {
		t.Fatalf("got %s %s %s: %s", res.Status, res.output, res.Error, res.Cause)
	}
}

func TestMapMaxConcurrency(t *testing.T) {
	for _, limit := range []int{1, 2, 0} {
		var c inFlight
		block := make(chan struct{})
		work := func(ctx context.Context, input, dst []byte) ([]byte, error) {
			c.enter()
			defer c.leave()
			select { // hold the slot a moment so that overlaps show
			case <-block:
			case <-time.After(20 * time.Millisecond):
			}
			return append(dst, input...), nil
		}
		def := `{"StartAt":"M","States":{"M":{"Type":"Map","MaxConcurrency":` + itoa(int64(limit)) + `,"End":true,
		 "ItemProcessor":{"StartAt":"W","States":{"W":{"Type":"Task","Resource":"arn:aws:lambda:us-east-1:123456789012:function:work","End":true}}}}}}`
		res := runMachine(t, def, `[1,2,3,4,5]`, &fastpath.Options{Clock: fastpath.SystemClock{}, Invoker: fastpath.Funcs{fn("work"): work}})
		if res.Status != fastpath.Succeeded || res.output != `[1,2,3,4,5]` {
			t.Fatalf("limit %d: got %s %s %s", limit, res.Status, res.output, res.Cause)
		}
		if limit > 0 && c.max > limit {
			t.Errorf("limit %d: %d iterations ran at once", limit, c.max)
		}
	}
}

func TestParallelFailureCancelsOtherBranches(t *testing.T) {
	wait := func(ctx context.Context, input, dst []byte) ([]byte, error) {
		select {
		case <-ctx.Done():
			return dst, ctx.Err()
		case <-time.After(10 * time.Second):
			return dst, &fastpath.Failure{Name: "NotCancelled", Cause: "the branch was not cancelled"}
		}
	}
	def := `{"StartAt":"P","States":{"P":{"Type":"Parallel","End":true,"Branches":[
	 {"StartAt":"A","States":{"A":{"Type":"Task","Resource":"arn:aws:lambda:us-east-1:123456789012:function:wait","End":true}}},
	 {"StartAt":"B","States":{"B":{"Type":"Fail","Error":"Boom","Cause":"branch B failed"}}}]}}}`
	res := runMachine(t, def, `{}`, &fastpath.Options{Clock: fastpath.SystemClock{}, Invoker: fastpath.Funcs{fn("wait"): wait}})
	if res.Status != fastpath.Failed || res.Error != "Boom" || res.Cause != "branch B failed" {
		t.Fatalf("got %s %s: %s", res.Status, res.Error, res.Cause)
	}
}

func TestConcurrentWaitsOnVirtualClock(t *testing.T) {
	// Ten iterations wait 60 s each, concurrently: a minute passes, not ten,
	// so the Express five-minute limit is not reached.
	def := `{"StartAt":"M","States":{"M":{"Type":"Map","End":true,
	 "ItemProcessor":{"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":60,"End":true}}}}}}`
	clock := fastpath.NewVirtualClock(epoch)
	res := runMachine(t, def, `[0,1,2,3,4,5,6,7,8,9]`, &fastpath.Options{Clock: clock})
	if res.Status != fastpath.Succeeded {
		t.Fatalf("got %s", res.Status)
	}
	if got := clock.Now().Sub(epoch); got != time.Minute {
		t.Errorf("virtual time passed: %v, want 1m", got)
	}
}

func TestTaskHeartbeatTimeout(t *testing.T) {
	// A call sends no heartbeats, so one that outlasts HeartbeatSeconds
	// (shorter than TimeoutSeconds) fails with States.HeartbeatTimeout.
	def := `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:lambda:us-east-1:123456789012:function:sleep","TimeoutSeconds":10,"HeartbeatSeconds":1,
	 "Catch":[{"ErrorEquals":["States.HeartbeatTimeout"],"Next":"Caught"}],"End":true},"Caught":{"Type":"Pass","End":true}}}`
	res := runMachine(t, def, `{}`, &fastpath.Options{Clock: fastpath.SystemClock{}, Invoker: fastpath.Funcs{fn("sleep"): sleeper}})
	if res.Status != fastpath.Succeeded || res.output != `{"Error":"States.HeartbeatTimeout","Cause":""}` {
		t.Fatalf("got %s %s %s: %s", res.Status, res.output, res.Error, res.Cause)
	}
}

func TestTransitionsCounted(t *testing.T) {
	// Map over three items, one Pass each: the Map, three Passes and the
	// final Succeed, also when the iterations run concurrently (a Wait).
	for _, inner := range []string{`"P":{"Type":"Pass","End":true}`, `"P":{"Type":"Wait","Seconds":1,"End":true}`} {
		def := `{"StartAt":"M","States":{"M":{"Type":"Map","Next":"S","ItemProcessor":{"StartAt":"P","States":{` + inner + `}}},"S":{"Type":"Succeed"}}}`
		res := runMachine(t, def, `[1,2,3]`, &fastpath.Options{})
		if res.Status != fastpath.Succeeded || res.Transitions != 5 {
			t.Errorf("%s: %s after %d transitions, want 5", inner, res.Status, res.Transitions)
		}
	}
}

func TestInlineMapRunsAtMost40AtOnce(t *testing.T) {
	var c inFlight
	work := func(ctx context.Context, input, dst []byte) ([]byte, error) {
		c.enter()
		defer c.leave()
		time.Sleep(time.Millisecond)
		return append(dst, input...), nil
	}
	items := "[" + strings.Repeat("1,", 99) + "1]"
	def := `{"StartAt":"M","States":{"M":{"Type":"Map","End":true,
	 "ItemProcessor":{"StartAt":"W","States":{"W":{"Type":"Task","Resource":"arn:aws:lambda:us-east-1:123456789012:function:work","End":true}}}}}}`
	res := runMachine(t, def, items, &fastpath.Options{Clock: fastpath.SystemClock{}, Invoker: fastpath.Funcs{fn("work"): work}})
	if res.Status != fastpath.Succeeded {
		t.Fatalf("got %s %s", res.Status, res.Cause)
	}
	if c.max > 40 {
		t.Errorf("%d iterations ran at once; AWS runs at most 40 of an inline Map", c.max)
	}
}

// TestStatesObjectKeptAcrossStates checks a JSONata state whose output
// holds the $states object itself: the next states (which reuse their
// environments) must not change it, however many run after it, nested in
// a Parallel branch or not.
func TestStatesObjectKeptAcrossStates(t *testing.T) {
	const def = `{"QueryLanguage":"JSONata","StartAt":"Keep","States":{
 "Keep":{"Type":"Pass","Output":"{% $states %}","Next":"Par"},
 "Par":{"Type":"Parallel","Branches":[{"StartAt":"In","States":{"In":{"Type":"Pass","Output":"{% {'n': 2} %}","End":true}}}],
  "Output":"{% $states.input %}","Next":"After"},
 "After":{"Type":"Pass","Output":"{% {'kept': $states.input, 'again': $states.input} %}","End":true}}}`
	got := runMachine(t, def, `{"a":1}`, &fastpath.Options{})
	keep := `{"input":{"a":1},"context":{"Execution":{"Id":"","Input":{"a":1},"StartTime":"2026-01-01T00:00:00.000Z","Name":"","RoleArn":"","RedriveCount":0},"StateMachine":{"Id":"","Name":""},"State":{"Name":"Keep","EnteredTime":"2026-01-01T00:00:00.000Z"}}}`
	if want := `{"kept":` + keep + `,"again":` + keep + `}`; got.output != want {
		t.Errorf("output %s (%v), want %s", got.output, got.Error, want)
	}
}
