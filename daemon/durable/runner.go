package durable

import (
	"container/heap"
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"sync"
	"time"

	"github.com/VictoriaMetrics/metrics"

	"github.com/stepd/stepd/cluster"
	"github.com/stepd/stepd/compile"
	"github.com/stepd/stepd/daemon/history"
	"github.com/stepd/stepd/fastpath"
)

var (
	checkpoints      = metrics.NewCounter(`stepd_durable_checkpoints_total`)
	checkpointErrors = metrics.NewCounter(`stepd_durable_checkpoint_errors_total`)
	recordsCommitted = metrics.NewCounter(`stepd_durable_records_total`)
	resumedTotal     = metrics.NewCounter(`stepd_durable_runs_total`)
	parkedGauge      = metrics.NewGauge(`stepd_durable_parked`, nil)
)

// Store keeps the durable state of executions: the cluster node. It is
// declared here, by its consumer; *cluster.Node implements it.
type Store interface {
	Executions() *cluster.Executions
	IsLeader() bool
	// Barrier returns once the leader has applied everything committed.
	Barrier(timeout time.Duration) error
	// ProposeLocal commits on this node, the leader.
	ProposeLocal(c cluster.Command) (cluster.Result, error)
}

// Config is what a Runner is told. Fill it from DefaultConfig.
type Config struct {
	// Invoker runs the tasks when Execute is nil.
	Invoker fastpath.Invoker
	// Clock is the runner's clock: timers, retention (nil: the system
	// clock).
	Clock fastpath.Clock
	// RunClock, when set, makes the live clock of one run (the daemon's
	// -wait-time-scale and -virtual-time give each its own); nil, or a nil
	// clock from it: Clock.
	RunClock func() fastpath.Clock
	// Retention is how long an ended execution is kept (and its name
	// taken): AWS keeps them 90 days.
	Retention time.Duration
	// ParkAfter: a Wait or Retry back-off longer than this parks the
	// execution (no goroutine, resumed by replay when due); a shorter one
	// sleeps in place. Parking costs a replay, sleeping a goroutine.
	ParkAfter time.Duration
	// RetryAfter is how long a run that could not commit its records (a
	// full disk, a lost quorum) waits before it is tried again.
	RetryAfter time.Duration
	// LeaderPoll is how often the runner checks whether this node became
	// or stopped being the leader, which runs the executions.
	LeaderPoll time.Duration
	// Execute runs one run of an execution with rec as its Recorder and
	// calls done with the result while it is valid: the daemon passes its
	// one execute path. Nil runs the engine directly (tests, benchmarks,
	// embedders).
	Execute func(ctx context.Context, e *cluster.Execution, prog *fastpath.Program, clock fastpath.Clock, rec fastpath.Recorder, done func(res *fastpath.Result)) error
	// OnEnd, when set, sees each execution that ended on this node, with
	// the result of its last run (metrics).
	OnEnd func(e *cluster.Execution, res *fastpath.Result)
	// Logger receives what goes wrong; nil discards it.
	Logger *log.Logger
}

// DefaultConfig is AWS's retention, parking waits over a second.
func DefaultConfig() Config {
	return Config{Retention: 90 * 24 * time.Hour, ParkAfter: time.Second, RetryAfter: time.Second, LeaderPoll: 50 * time.Millisecond}
}

// Validate reports the first setting that cannot work.
func (c *Config) Validate() error {
	switch {
	case c.Retention <= 0:
		return errors.New("the retention of STANDARD executions must be positive")
	case c.ParkAfter < 0 || c.RetryAfter <= 0 || c.LeaderPoll <= 0:
		return errors.New("the park, retry and leader-poll durations must be positive")
	}
	return nil
}

// Runner runs the durable (STANDARD) executions while its node is the
// leader: new ones as their start commits, all RUNNING ones when it
// becomes leader (after a restart, or a failover), parked ones when their
// time comes. Its methods are safe for concurrent use.
type Runner struct {
	cfg   Config
	store Store
	log   *log.Logger

	progMu sync.Mutex
	progs  map[string]*fastpath.Program // by definition

	mu     sync.Mutex
	leader bool
	active map[string]context.CancelFunc // runs in progress
	// rerun marks runs in progress that became due meanwhile (an answer
	// to a task token came): they run again as soon as they end.
	rerun  map[string]bool
	timers timerHeap
	byArn  map[string]*timer
	wake   chan struct{}

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// New returns a runner of the executions in store; Start starts it.
func New(store Store, cfg Config) (*Runner, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	rn := &Runner{cfg: cfg, store: store, log: cfg.Logger, progs: map[string]*fastpath.Program{},
		active: map[string]context.CancelFunc{}, rerun: map[string]bool{}, byArn: map[string]*timer{}, wake: make(chan struct{}, 1)}
	if rn.log == nil {
		rn.log = log.New(io.Discard, "", 0)
	}
	if rn.cfg.Clock == nil {
		rn.cfg.Clock = fastpath.SystemClock{}
	}
	rn.ctx, rn.cancel = context.WithCancel(context.Background())
	return rn, nil
}

// Start watches the store and the leadership and runs executions until
// Close.
func (rn *Runner) Start() {
	rn.store.Executions().Watch(rn.changed)
	rn.wg.Add(2)
	go rn.timerLoop()
	go rn.leaderLoop()
}

// Close stops the runs in progress without ending their executions (they
// stay RUNNING and resume on the next leader) and waits for them.
func (rn *Runner) Close() {
	rn.store.Executions().Watch(nil)
	rn.cancel()
	rn.wg.Wait()
}

func (rn *Runner) now() time.Time { return rn.cfg.Clock.Now() }

// changed reacts to a committed change, on Raft's apply goroutine: a new
// execution runs at once on the leader; a stopped one ends its run here.
func (rn *Runner) changed(c cluster.ExecutionChange) {
	rn.mu.Lock()
	defer rn.mu.Unlock()
	switch {
	case (c.Started || c.Answered || c.Claimed) && rn.leader:
		rn.scheduleLocked(c.Arn, time.Time{})
	case c.Stopped:
		if cancel := rn.active[c.Arn]; cancel != nil {
			cancel()
		}
		rn.unscheduleLocked(c.Arn)
	}
}

// leaderLoop follows the leadership: a new leader resumes every RUNNING
// execution and prunes those past retention; a node that lost it stops
// its runs (the new leader resumes them).
func (rn *Runner) leaderLoop() {
	defer rn.wg.Done()
	tick := time.NewTicker(rn.cfg.LeaderPoll)
	defer tick.Stop()
	var lastPrune time.Time
	for {
		leader := rn.store.IsLeader()
		if leader && !rn.isLeader() {
			if err := rn.store.Barrier(10 * time.Second); err != nil {
				rn.log.Printf("durable: leader, but cannot catch up with the log (will try again): %v", err)
				leader = false
			}
		}
		rn.mu.Lock()
		was := rn.leader
		rn.leader = leader
		switch {
		case leader && !was:
			start := time.Now()
			running := rn.store.Executions().Running()
			for _, arn := range running {
				rn.scheduleLocked(arn, time.Time{})
			}
			rn.log.Printf("durable: leader: resuming %d RUNNING executions (listed in %v)", len(running), time.Since(start))
		case !leader && was:
			for _, cancel := range rn.active {
				cancel()
			}
			rn.timers, rn.byArn = nil, map[string]*timer{}
			parkedGauge.Set(0)
		}
		rn.mu.Unlock()
		if leader && time.Since(lastPrune) > time.Hour {
			lastPrune = time.Now()
			if _, err := rn.store.ProposeLocal(&cluster.PruneExecutions{Before: rn.now().Add(-rn.cfg.Retention)}); err != nil {
				rn.log.Printf("durable: cannot prune executions past retention: %v", err)
			}
		}
		select {
		case <-rn.ctx.Done():
			return
		case <-tick.C:
		}
	}
}

func (rn *Runner) isLeader() bool {
	rn.mu.Lock()
	defer rn.mu.Unlock()
	return rn.leader
}

// timer is an execution waiting for its time to run.
type timer struct {
	arn   string
	at    time.Time
	index int
}

type timerHeap []*timer

func (h timerHeap) Len() int           { return len(h) }
func (h timerHeap) Less(i, j int) bool { return h[i].at.Before(h[j].at) }
func (h timerHeap) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].index, h[j].index = i, j
}
func (h *timerHeap) Push(x any) {
	t := x.(*timer)
	t.index = len(*h)
	*h = append(*h, t)
}
func (h *timerHeap) Pop() any {
	old := *h
	t := old[len(old)-1]
	old[len(old)-1] = nil
	*h = old[:len(old)-1]
	return t
}

// scheduleLocked runs arn at at (zero: now), or sooner if it is due
// sooner already: a timer set while its run was ending is an answer, a
// claim or a leadership change the run did not see, and a run that parks
// until later must not push that back (the execution would sleep with
// its answer committed). Running early costs a replay that parks again.
func (rn *Runner) scheduleLocked(arn string, at time.Time) {
	if t := rn.byArn[arn]; t != nil {
		if at.Before(t.at) {
			t.at = at
			heap.Fix(&rn.timers, t.index)
		}
	} else {
		t = &timer{arn: arn, at: at}
		heap.Push(&rn.timers, t)
		rn.byArn[arn] = t
	}
	parkedGauge.Set(float64(len(rn.timers)))
	select {
	case rn.wake <- struct{}{}:
	default:
	}
}

func (rn *Runner) unscheduleLocked(arn string) {
	if t := rn.byArn[arn]; t != nil {
		heap.Remove(&rn.timers, t.index)
		delete(rn.byArn, arn)
		parkedGauge.Set(float64(len(rn.timers)))
	}
}

// timerLoop starts the runs whose time has come: one goroutine for all
// parked executions, however many.
func (rn *Runner) timerLoop() {
	defer rn.wg.Done()
	t := time.NewTimer(time.Hour)
	defer t.Stop()
	for {
		rn.mu.Lock()
		now := rn.now()
		for len(rn.timers) > 0 && !rn.timers[0].at.After(now) {
			tm := heap.Pop(&rn.timers).(*timer)
			delete(rn.byArn, tm.arn)
			if rn.active[tm.arn] == nil {
				ctx, cancel := context.WithCancel(rn.ctx)
				rn.active[tm.arn] = cancel
				rn.wg.Add(1)
				go rn.run(ctx, cancel, tm.arn)
			} else {
				rn.rerun[tm.arn] = true
			}
		}
		parkedGauge.Set(float64(len(rn.timers)))
		wait := time.Hour
		if len(rn.timers) > 0 {
			wait = rn.timers[0].at.Sub(now)
		}
		rn.mu.Unlock()
		t.Reset(wait)
		select {
		case <-rn.ctx.Done():
			return
		case <-rn.wake:
		case <-t.C:
		}
	}
}

// program compiles a definition once.
func (rn *Runner) program(def string) (*fastpath.Program, error) {
	rn.progMu.Lock()
	defer rn.progMu.Unlock()
	if p := rn.progs[def]; p != nil {
		return p, nil
	}
	p, err := compile.Compile([]byte(def), compile.Standard)
	if err != nil {
		return nil, err
	}
	if len(rn.progs) > 1024 { // definitions of ended executions
		clear(rn.progs)
	}
	rn.progs[def] = p
	return p, nil
}

// run runs (or resumes, by replay) one execution until it ends, parks,
// or its context ends, and schedules it again if it has to.
func (rn *Runner) run(ctx context.Context, cancel context.CancelFunc, arn string) {
	defer rn.wg.Done()
	at, again := rn.runOnce(ctx, arn)
	rn.mu.Lock()
	delete(rn.active, arn)
	if rn.rerun[arn] {
		delete(rn.rerun, arn)
		at, again = time.Time{}, true
	}
	if again && rn.leader && ctx.Err() == nil {
		rn.scheduleLocked(arn, at)
	}
	rn.mu.Unlock()
	cancel()
}

// runOnce runs arn once; again says it must run again at at.
func (rn *Runner) runOnce(ctx context.Context, arn string) (at time.Time, again bool) {
	resumedTotal.Inc()
	rn.timeOut(arn) // before the records are read: the replay finds the timeouts
	e, ok := rn.store.Executions().Get(arn)
	if !ok || e.Status != "RUNNING" {
		return at, false
	}
	var clock fastpath.Clock
	if rn.cfg.RunClock != nil {
		clock = rn.cfg.RunClock()
	}
	if clock == nil {
		clock = rn.cfg.Clock
	}
	rec := newRecorder(ctx, rn, &e, clock)
	prog, err := rn.program(e.Definition)
	if err != nil {
		return rn.end(&e, rec, &fastpath.Result{Status: fastpath.Failed, Error: fastpath.ErrRuntime, HasError: true,
			Cause: "the definition no longer compiles: " + err.Error(), HasCause: true})
	}
	exec := rn.cfg.Execute
	if exec == nil {
		exec = rn.engine
	}
	err = exec(ctx, &e, prog, clock, rec, func(res *fastpath.Result) { at, again = rn.settle(&e, rec, res) })
	if err != nil {
		return rn.end(&e, rec, &fastpath.Result{Status: fastpath.Failed, Error: fastpath.ErrRuntime, HasError: true, Cause: err.Error(), HasCause: true})
	}
	return at, again
}

// engine runs the engine directly: Config.Execute's default.
func (rn *Runner) engine(ctx context.Context, e *cluster.Execution, prog *fastpath.Program, clock fastpath.Clock, rec fastpath.Recorder, done func(res *fastpath.Result)) error {
	opts := fastpath.Options{ExecutionArn: e.Arn, ExecutionName: e.Name, StateMachineArn: e.MachineArn,
		StateMachineName: e.MachineName, RoleArn: e.RoleArn, StartTime: e.Start, Invoker: rn.cfg.Invoker,
		Clock: clock, Recorder: rec, RedriveCount: e.Epoch(), RedriveTime: e.RedriveDate()}
	ex := fastpath.AcquireExecution()
	defer fastpath.ReleaseExecution(ex)
	res, err := ex.Run(ctx, prog, []byte(e.Input), &opts)
	if err != nil {
		return err
	}
	done(&res)
	return nil
}

// settle acts on how a run ended: a parked run is due again at its time
// (or in RetryAfter when its records could not be committed); a stopped
// one is left alone; an ended one commits its end.
func (rn *Runner) settle(e *cluster.Execution, rec *recorder, res *fastpath.Result) (at time.Time, again bool) {
	switch res.Status {
	case fastpath.Suspended:
		at := res.Until
		if err := rec.Checkpoint(); err != nil || at.IsZero() {
			at = rn.now().Add(rn.cfg.RetryAfter)
		}
		for _, p := range rn.store.Executions().Pending(e.Arn) {
			if due, ok := p.Due(); ok && due.Before(at) {
				at = due
			}
		}
		if cur, ok := rn.store.Executions().Get(e.Arn); ok && rec.committed() < len(cur.Records) {
			at = rn.now() // an answer came while it ran: resume it with the answer
		}
		return at, true
	case fastpath.Aborted:
		// Stopped (StopExecution committed ABORTED), or this node is
		// closing or lost the leadership: nothing to record here.
		return at, false
	}
	return rn.end(e, rec, res)
}

// end commits how an execution ended, with its last records; when that
// fails it must run again later (a replay, which ends the same way).
func (rn *Runner) end(e *cluster.Execution, rec *recorder, res *fastpath.Result) (at time.Time, again bool) {
	c := &cluster.EndExecution{Arn: e.Arn, Status: res.Status.String(), Stop: rec.clock.Now(), Epoch: rec.epoch}
	rec.commit.Lock()
	defer rec.commit.Unlock()
	c.Records = rec.take()
	c.Output, c.Error, c.Cause = res.Outcome()
	r, err := rn.store.ProposeLocal(c)
	switch {
	case err != nil:
		rn.log.Printf("durable: cannot record the end of %s (will run it again): %v", e.Arn, err)
		return rn.now().Add(rn.cfg.RetryAfter), true
	case r.Err != nil: // stopped meanwhile
		return at, false
	}
	if rn.cfg.OnEnd != nil {
		e.Status, e.Stop = c.Status, c.Stop
		rn.cfg.OnEnd(e, res)
	}
	return at, false
}

// stopScope is the key scope of the ExecutionAborted event a stop
// records: no run of the engine uses it.
const stopScope = "stop/"

// StopCommand is the command that makes a RUNNING execution ABORTED,
// durably, with its ExecutionAborted event stamped now; once committed
// (from any node), the run ends wherever it is, a Map's running
// iterations included, and so do the STANDARD children its `.sync` Tasks
// wait for. Its Result.Date is the stop date.
func (rn *Runner) StopCommand(arn string, errName, cause *string) *cluster.StopExecution {
	now := rn.now()
	ev := fastpath.Event{Type: fastpath.EventExecutionAborted}
	if errName != nil {
		ev.Error, ev.HasError = *errName, true
	}
	if cause != nil {
		ev.Cause, ev.HasCause = *cause, true
	}
	rec := &cluster.Record{Scope: stopScope, Kind: uint8(fastpath.RecordEvent), Val: history.AppendEvent(nil, &ev, now.UnixMilli())}
	child := &cluster.Record{Scope: stopScope, Kind: uint8(fastpath.RecordEvent),
		Val: history.AppendEvent(nil, &fastpath.Event{Type: fastpath.EventExecutionAborted}, now.UnixMilli())}
	return &cluster.StopExecution{Arn: arn, Stop: now, Error: errName, Cause: cause, Record: rec, ChildRecord: child}
}

// History returns the history of an execution from its durable state.
func (rn *Runner) History(arn string) (*history.Record, bool, error) {
	e, ok := rn.store.Executions().Get(arn)
	if !ok {
		return nil, false, nil
	}
	h, err := historyOf(&e)
	if err != nil {
		return nil, true, fmt.Errorf("cannot read the history of %s: %w", arn, err)
	}
	return h, true, nil
}

// Parked is how many executions wait for their time (a Wait not yet due,
// or a retry of a commit that failed).
func (rn *Runner) Parked() int {
	rn.mu.Lock()
	defer rn.mu.Unlock()
	return len(rn.timers)
}
