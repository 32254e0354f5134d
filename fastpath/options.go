package fastpath

import (
	"context"
	"sync"
	"time"
)

// Invoker runs the work of Task states. It is the runtime's only door to the
// outside world; the daemon supplies Lambda, HTTP and mock invokers, tests and
// embedders supply Go functions (see Funcs).
type Invoker interface {
	// Invoke runs task with the compact JSON input and appends the result's
	// compact JSON to dst, returning it (a span of out, or any other slice
	// that stays valid until the execution ends). A task failure is a
	// *Failure carrying the error name that Retry and Catch match. ctx ends
	// when the task's timeout or the execution's deadline passes.
	Invoke(ctx context.Context, task *Task, input, dst []byte) (result, out []byte, err error)
}

// Clock is the time source of executions: Wait states and Retry back-offs
// sleep on it, so tests replace it to run without waiting.
type Clock interface {
	Now() time.Time
	// Sleep waits for d or until ctx ends, returning ctx.Err() in that case.
	Sleep(ctx context.Context, d time.Duration) error
}

// SystemClock is the real clock.
type SystemClock struct{}

// Now returns the current time.
func (SystemClock) Now() time.Time { return time.Now() }

// Sleep waits for d or until ctx is done.
func (SystemClock) Sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Funcs is an Invoker that runs Go functions registered under their Resource
// ARN: the in-process invoker for tests and for programs that embed stepd.
// Register all functions before executions start; it is then safe for
// concurrent use.
type Funcs map[string]func(ctx context.Context, input, dst []byte) ([]byte, error)

// Invoke calls the function registered under task.Resource, or fails with
// States.TaskFailed when there is none.
func (f Funcs) Invoke(ctx context.Context, task *Task, input, dst []byte) ([]byte, []byte, error) {
	fn := f[task.Resource]
	if fn == nil {
		return nil, dst, &Failure{Name: ErrTaskFailed, Cause: "no function is registered for the resource " + task.Resource}
	}
	mark := len(dst)
	out, err := fn(ctx, input, dst)
	if err != nil {
		return nil, dst[:mark], err
	}
	return out[mark:], out, nil
}

// Options describe one execution: the names that appear in the context
// object and the services it may use. The zero value is usable: it runs on
// the system clock with no tasks available.
type Options struct {
	// ExecutionArn, ExecutionName, StateMachineArn, StateMachineName and
	// RoleArn appear in the context object ($$).
	ExecutionArn     string
	ExecutionName    string
	StateMachineArn  string
	StateMachineName string
	RoleArn          string
	// StartTime is when the execution started, for callers that already
	// read the clock (to report startDate); zero means the VM reads it
	// when first needed.
	StartTime time.Time
	// Context, when not nil, is the whole context object ($$ and
	// $states.context), compact JSON, instead of the one the execution
	// makes: TestState's "context" parameter.
	Context []byte
	// Synchronous marks an execution started by StartSyncExecution: AWS
	// cannot redrive those, so their context object has no RedriveCount.
	Synchronous bool
	// RedriveCount is how many times the execution was redriven
	// ($$.Execution.RedriveCount) and RedriveTime when it last was
	// ($$.Execution.RedriveTime, and the start of the machine's
	// TimeoutSeconds, which a redrive resets); zero for none.
	RedriveCount int
	RedriveTime  time.Time
	Invoker      Invoker
	Clock        Clock
	// Items opens the items of Distributed Maps that have an ItemReader;
	// nil fails such a Map with States.ItemReaderFailed.
	Items ItemReader
	// Results receives the files of Distributed Maps that export their
	// results (ResultWriter with a Resource); nil fails such a Map with
	// States.ResultWriterFailed.
	Results ResultStore
	// ResultFileBytes is the most bytes one exported result file holds;
	// 0 means AWS's MaxResultFileBytes (tests set less to see the results
	// go on to a next file).
	ResultFileBytes int64
	// MapRuns, when not nil, follows the Map Runs of Distributed Maps
	// (see MapRunObserver).
	MapRuns MapRunObserver
	// MaxPayload is the largest state input or output in bytes; 0 means
	// AWS's 256 KiB.
	MaxPayload int
	// MaxTransitions bounds the states one execution may enter, so that a
	// machine looping without waiting cannot spin for the whole Express
	// time limit; 0 means DefaultMaxTransitions.
	MaxTransitions int
	// Events, when not nil, receives the execution's history events of
	// the types in EventMask (see EventSink). Nil costs nothing.
	Events    EventSink
	EventMask EventMask
	// Recorder, when not nil, makes the execution durable: what it
	// cannot decide again is recorded through it and replayed from it
	// (see Recorder). Nil, the EXPRESS case, costs nothing.
	Recorder Recorder
	// QueryMaxSteps and QueryMaxBytes bound each evaluation of a JSONata
	// expression: node evaluations, and the bytes of the values that can
	// multiply their input (ranges, concatenation, $pad, $join, $replace,
	// $append). Past either the state fails with
	// States.QueryEvaluationError; 0 means DefaultQueryMaxSteps and
	// DefaultQueryMaxBytes.
	QueryMaxSteps int
	QueryMaxBytes int
	// MaxArenaBytes bounds the memory one execution (or one concurrent
	// branch of it) holds for its values; 0 means DefaultMaxArenaBytes.
	// Between the states of the outermost scope the VM drops the values
	// no state can reach any more, so a long loop over a large payload
	// stays within it; a nested loop that outgrows it fails with
	// States.Runtime.
	MaxArenaBytes int
}

// DefaultMaxArenaBytes is the default of Options.MaxArenaBytes: 256 times
// the largest payload. A loop of a million transitions over a 250 KB
// payload took 22 GB before the VM reclaimed its arena.
const DefaultMaxArenaBytes = 64 << 20

// DefaultQueryMaxSteps is the default of Options.QueryMaxSteps: about a
// second of evaluation, far more than any expression over a 256 KiB
// payload needs, yet it ends a runaway recursion (which JSONata's tail
// calls would otherwise run for the whole Express time limit).
const DefaultQueryMaxSteps = 10_000_000

// DefaultQueryMaxBytes is the default of Options.QueryMaxBytes: 256 times
// the largest payload, so that no expression a real machine writes meets
// it, while $pad("x", 1e8) or [1..10000000] fail before taking hundreds
// of megabytes.
const DefaultQueryMaxBytes = 64 << 20

// DefaultMaxTransitions is the default of Options.MaxTransitions: far more
// than any Express execution makes in five minutes of real work, yet small
// enough that a runaway loop ends within a second.
const DefaultMaxTransitions = 1_000_000

// MaxPayloadBytes is AWS's limit on the size of state inputs and outputs.
const MaxPayloadBytes = 256 * 1024

// ExpressMaxDuration is the longest an Express workflow may run.
const ExpressMaxDuration = 5 * time.Minute

// VirtualClock is a Clock on which sleeping takes no real time: Sleep moves
// the clock forward at once. Tests use it so that Wait states and Retry
// back-offs of any length finish immediately while timeouts still trigger.
// It is safe for concurrent use.
type VirtualClock struct {
	mu  sync.Mutex
	now time.Time
}

// NewVirtualClock returns a clock that starts at start.
func NewVirtualClock(start time.Time) *VirtualClock { return &VirtualClock{now: start} }

// Now returns the clock's current time.
func (c *VirtualClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Sleep advances the clock by d, unless ctx is already done.
func (c *VirtualClock) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
	return nil
}

// fork returns a clock for one concurrent branch: virtual time passes for
// each branch on its own, as real time passes for all at once.
func (c *VirtualClock) fork() Clock { return NewVirtualClock(c.Now()) }

// join moves the clock to the end of a branch's time if that is later.
func (c *VirtualClock) join(branch Clock) {
	t := branch.Now()
	c.mu.Lock()
	if t.After(c.now) {
		c.now = t
	}
	c.mu.Unlock()
}

// branchClock is a Clock that concurrent branches must not share, because
// its time moves only when someone sleeps on it.
type branchClock interface {
	Clock
	fork() Clock
	join(branch Clock)
}
