package fastpath

import (
	"encoding/json"
	"hash/fnv"
	"strings"
	"sync"
	"time"
)

// MapRun is one run of a Distributed Map: its names, its live settings
// (UpdateMapRun changes them while it runs) and the counts of its items
// and child executions. The VM makes one for each Distributed Map state
// it runs and hands it to Options.MapRuns; its methods are safe for
// concurrent use, its exported fields are set before it is handed over
// and never change.
type MapRun struct {
	// Arn is arn:aws:states:<region>:<account>:mapRun:<machine>/<label>:<ID>;
	// ExecutionArn is the parent execution's; StateMachineArn the
	// children's state machine, <machine's ARN>/<label>.
	Arn, ID, ExecutionArn, StateMachineArn string
	// Label is the Map state's Label (or the one made up for it) and
	// StateName its name.
	Label, StateName string
	// Express is set when the children are EXPRESS executions.
	Express bool
	// Start is when the run started.
	Start time.Time

	childPrefix string    // the children's ExecutionArn up to their name
	machineName string    // the children's $$.StateMachine.Name
	seed        [2]uint64 // the children's names derive from it and their index

	mu    sync.Mutex
	wake  chan struct{} // wakes the Map waiting for a free slot (cap 1)
	state MapRunState
}

// MapRunState is what DescribeMapRun shows of a Map Run at one moment.
type MapRunState struct {
	// Status is RUNNING, SUCCEEDED, FAILED or ABORTED.
	Status string
	// Stop is when the run ended, zero while it runs.
	Stop time.Time
	// MaxConcurrency is 0 for no limit (AWS's 10,000).
	MaxConcurrency int
	// ToleratedCount is -1 when unset; ToleratedPercent counts only
	// when HasPercent.
	ToleratedCount   int64
	ToleratedPercent float64
	HasPercent       bool
	// Items counts the items, Executions the child executions (a batch
	// of items is one child).
	Items, Executions MapRunCounts
}

// MapRunCounts are the item or child execution counts of a Map Run, by
// status, as DescribeMapRun names them.
type MapRunCounts struct {
	Pending, Running, Succeeded, Failed, TimedOut, Aborted, Total, ResultsWritten int64
}

// The statuses of Map Runs and of their child executions.
const (
	StatusRunning   = "RUNNING"
	StatusSucceeded = "SUCCEEDED"
	StatusFailed    = "FAILED"
	StatusTimedOut  = "TIMED_OUT"
	StatusAborted   = "ABORTED"
)

// MapRunUpdate is an UpdateMapRun: each field not nil replaces the
// setting. The caller checks the ranges.
type MapRunUpdate struct {
	MaxConcurrency   *int
	ToleratedCount   *int64
	ToleratedPercent *float64
}

// MapRunObserver follows the Map Runs of executions (Options.MapRuns):
// the daemon keeps them for DescribeMapRun, ListMapRuns, UpdateMapRun and
// the STANDARD children's DescribeExecution. Its methods are called from
// the goroutines of concurrent children at once and must not block for
// long.
type MapRunObserver interface {
	// MapRunStarted is called when a Distributed Map starts its run,
	// before its first child. A durable execution resumed by replay
	// starts the same run (same Arn) again.
	MapRunStarted(run *MapRun)
	// MapRunChild is called when a STANDARD child execution starts
	// (Status RUNNING) and when it ends. c is valid only during the call.
	MapRunChild(run *MapRun, c *MapRunChild)
	// MapRunEnded is called once the run ended (State().Status says how).
	MapRunEnded(run *MapRun)
}

// MapRunChild is one child execution of a Map Run as MapRunObserver sees
// it. Input and Output are spans valid only during the call.
type MapRunChild struct {
	Arn, Name    string
	Index        int
	Status       string
	Input        []byte
	Output       []byte
	Error, Cause string
	Start, Stop  time.Time
}

// State returns the run's status, settings and counts now.
func (r *MapRun) State() MapRunState {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.state
}

// Update changes the run's settings while it runs: a higher
// MaxConcurrency starts waiting children at once, and tolerated failures
// count from the next failure on.
func (r *MapRun) Update(u MapRunUpdate) {
	r.mu.Lock()
	if u.MaxConcurrency != nil {
		r.state.MaxConcurrency = *u.MaxConcurrency
	}
	if u.ToleratedCount != nil {
		r.state.ToleratedCount = *u.ToleratedCount
	}
	if u.ToleratedPercent != nil {
		r.state.ToleratedPercent, r.state.HasPercent = *u.ToleratedPercent, true
	}
	r.mu.Unlock()
	r.signal()
}

// ChildArn is the ARN of the child named name.
func (r *MapRun) ChildArn(name string) string { return r.childPrefix + name }

// signal wakes the Map if it waits for a slot.
func (r *MapRun) signal() {
	select {
	case r.wake <- struct{}{}:
	default:
	}
}

// maxConcurrency is how many children may run at once now: its
// MaxConcurrency, at most the Distributed Map's ceiling.
func (r *MapRun) maxConcurrency() int {
	r.mu.Lock()
	limit := r.state.MaxConcurrency
	r.mu.Unlock()
	if limit <= 0 || limit > maxDistributedMapConcurrency {
		limit = maxDistributedMapConcurrency
	}
	return limit
}

// exceeded reports whether failed items out of total are more than the
// run tolerates now (a percentage only once total is known: it is -1
// while a streamed Map reads its items); failFast whether the first
// failure fails it.
func (r *MapRun) exceeded(failed, total int) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	s := &r.state
	return (s.ToleratedCount >= 0 && int64(failed) > s.ToleratedCount) || (s.HasPercent && total >= 0 && float64(failed)*100 > s.ToleratedPercent*float64(total))
}

func (r *MapRun) failFast() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.state.ToleratedCount < 0 && !r.state.HasPercent
}

// childQueued counts a child of items items more, pending: a streamed
// Map learns its items as it reads them.
func (r *MapRun) childQueued(items int) {
	r.mu.Lock()
	r.state.Items.Pending += int64(items)
	r.state.Items.Total += int64(items)
	r.state.Executions.Pending++
	r.state.Executions.Total++
	r.mu.Unlock()
}

// mapRunDelta is a change of a Map Run's counts, added to it under one
// lock: the children run inline (one after another, computing only) add
// theirs a batch at a time, the others as each starts and ends.
type mapRunDelta struct {
	items, execs MapRunCounts
	done         int // children it counts as ended
}

// started counts a child of n items as running.
func (d *mapRunDelta) started(n int) {
	d.items.Pending -= int64(n)
	d.items.Running += int64(n)
	d.execs.Pending--
	d.execs.Running++
}

// ended counts a child of n items as ended with f; a suspended child has
// not ended.
func (d *mapRunDelta) ended(n int, f *Failure) {
	if f == errSuspended {
		return
	}
	d.items.Running -= int64(n)
	d.execs.Running--
	*d.items.of(f) += int64(n)
	*d.execs.of(f)++
	d.done++
}

// of is the count of the children that ended with f.
func (c *MapRunCounts) of(f *Failure) *int64 {
	switch childStatus(f) {
	case StatusSucceeded:
		return &c.Succeeded
	case StatusTimedOut:
		return &c.TimedOut
	case StatusAborted:
		return &c.Aborted
	}
	return &c.Failed
}

func (c *MapRunCounts) add(d *MapRunCounts) {
	c.Pending += d.Pending
	c.Running += d.Running
	c.Succeeded += d.Succeeded
	c.Failed += d.Failed
	c.TimedOut += d.TimedOut
	c.Aborted += d.Aborted
}

// add adds d to the run's counts and clears d.
func (r *MapRun) add(d *mapRunDelta) {
	r.mu.Lock()
	r.state.Items.add(&d.items)
	r.state.Executions.add(&d.execs)
	r.mu.Unlock()
	*d = mapRunDelta{}
}

// inlineBatch is how many children run inline add their counts at once:
// DescribeMapRun lags that far behind, and a child costs no lock.
const inlineBatch = 256

// childStatus is the status of a child execution that ended with f.
func childStatus(f *Failure) string {
	switch {
	case f == nil:
		return StatusSucceeded
	case f == errTimedOut || f.Name == ErrTimeout:
		return StatusTimedOut
	case f == errAborted:
		return StatusAborted
	}
	return StatusFailed
}

// ended closes the run with the Map's outcome f: children that never
// started stay pending, as AWS shows them.
func (r *MapRun) ended(f *Failure, stop time.Time) {
	r.mu.Lock()
	s := &r.state
	switch {
	case f == nil:
		s.Status = StatusSucceeded
	case f == errAborted:
		s.Status = StatusAborted
	default:
		s.Status = StatusFailed
	}
	s.Stop = stop
	for _, c := range []*MapRunCounts{&s.Items, &s.Executions} {
		c.Aborted += c.Running // cut short with the run (parked, or stopped)
		c.Running = 0
	}
	if f == nil {
		s.Items.ResultsWritten = s.Items.Succeeded + s.Items.Failed + s.Items.TimedOut
		s.Executions.ResultsWritten = s.Executions.Succeeded + s.Executions.Failed + s.Executions.TimedOut
	}
	r.mu.Unlock()
}

// mapRunLabel is the label of a Map Run of st: its Label, or (as AWS
// makes one up when there is none) a UUID-shaped name derived from the
// machine and the state, the same for every run of the state.
func mapRunLabel(st *State, machine string) string {
	if st.Label != "" {
		return st.Label
	}
	h := fnv.New128a()
	h.Write([]byte(machine))
	h.Write([]byte{0})
	h.Write([]byte(st.Name))
	var sum [16]byte
	h.Sum(sum[:0])
	var a, b uint64
	for i := range 8 {
		a |= uint64(sum[i]) << (8 * i)
		b |= uint64(sum[8+i]) << (8 * i)
	}
	return string(appendUUIDFrom(nil, a, b))
}

// startMapRun starts the Map Run of st over children child executions
// holding items items in all, with the resolved policy pol, and tells
// Options.MapRuns. Its id comes from the execution's (recorded)
// randomness and clock, so a durable execution resumed by replay starts
// the same run.
func (ex *Execution) startMapRun(st *State, children, items int, pol *branchPolicy) *MapRun {
	sm := ex.opts.StateMachineArn
	label := mapRunLabel(st, sm)
	seed := [2]uint64{ex.random64(), ex.random64()}
	id := string(appendUUIDFrom(nil, seed[0], seed[1]))
	kind := ":execution:"
	if st.ChildExpress {
		kind = ":express:"
	}
	name := ex.opts.StateMachineName
	if name == "" {
		name = sm[strings.LastIndexByte(sm, ':')+1:]
	}
	r := &MapRun{
		Arn:             strings.Replace(sm, ":stateMachine:", ":mapRun:", 1) + "/" + label + ":" + id,
		ID:              id,
		ExecutionArn:    ex.opts.ExecutionArn,
		StateMachineArn: sm + "/" + label,
		Label:           label,
		StateName:       st.Name,
		Express:         st.ChildExpress,
		Start:           ex.clock.Now(),
		childPrefix:     strings.Replace(sm, ":stateMachine:", kind, 1) + "/" + label + ":",
		machineName:     name + "/" + label,
		wake:            make(chan struct{}, 1),
		seed:            [2]uint64{splitmix(seed[0]), splitmix(seed[1])},
	}
	r.state = MapRunState{
		Status:           StatusRunning,
		MaxConcurrency:   pol.limit,
		ToleratedCount:   int64(pol.count),
		ToleratedPercent: pol.percent,
		HasPercent:       pol.tolerance,
		Items:            MapRunCounts{Pending: int64(items), Total: int64(items)},
		Executions:       MapRunCounts{Pending: int64(children), Total: int64(children)},
	}
	pol.run = r
	if o := ex.opts.MapRuns; o != nil {
		o.MapRunStarted(r)
	}
	return r
}

// mapRunStarted starts the Map Run of st (see startMapRun) and records
// MapRunStarted, which names it.
func (ex *Execution) mapRunStarted(st *State, children, items int, pol *branchPolicy) *MapRun {
	run := ex.startMapRun(st, children, items, pol)
	ex.events++ // MapRunStarted
	ex.evResource = run.Arn
	ex.emit(EventMapRunStarted, st, nil)
	ex.evResource = ""
	return run
}

// endMapRun closes run with the Map's outcome f and records
// MapRunSucceeded or MapRunFailed, whose payload is the run as it ended
// (see MapRunRecord): a durable execution keeps it with its history, so
// that the run is described after a restart too.
func (ex *Execution) endMapRun(st *State, run *MapRun, f *Failure) {
	if f == errSuspended {
		return // it goes on when the execution resumes
	}
	run.ended(f, ex.clock.Now())
	if o := ex.opts.MapRuns; o != nil {
		o.MapRunEnded(run)
	}
	if f == nil {
		ex.events++ // MapRunSucceeded
	}
	if ex.sink == nil {
		return
	}
	if f != nil {
		ex.record(EventMapRunFailed, 0, st, run.Record(), f, 0)
		return
	}
	ex.record(EventMapRunSucceeded, ex.events, st, run.Record(), nil, 0)
}

// MapRunRecord is a Map Run that ended, as the payload of its
// MapRunSucceeded or MapRunFailed event keeps it: what DescribeMapRun
// and ListMapRuns show of it.
type MapRunRecord struct {
	Arn, ID, ExecutionArn, StateMachineArn, Label, StateName string
	Express                                                  bool
	Start                                                    time.Time
	State                                                    MapRunState
}

// Record returns the run as a MapRunRecord in JSON.
func (r *MapRun) Record() []byte {
	b, err := json.Marshal(MapRunRecord{Arn: r.Arn, ID: r.ID, ExecutionArn: r.ExecutionArn, StateMachineArn: r.StateMachineArn,
		Label: r.Label, StateName: r.StateName, Express: r.Express, Start: r.Start, State: r.State()})
	if err != nil {
		panic("BUG: cannot encode a Map Run: " + err.Error())
	}
	return b
}

// ParseMapRunRecord reads a MapRunRecord back as the Map Run that ended,
// ok false when val is not one.
func ParseMapRunRecord(val []byte) (*MapRun, bool) {
	var rec MapRunRecord
	if json.Unmarshal(val, &rec) != nil || rec.Arn == "" {
		return nil, false
	}
	return &MapRun{Arn: rec.Arn, ID: rec.ID, ExecutionArn: rec.ExecutionArn, StateMachineArn: rec.StateMachineArn, Label: rec.Label,
		StateName: rec.StateName, Express: rec.Express, Start: rec.Start, state: rec.State, wake: make(chan struct{}, 1)}, true
}

// splitmix is SplitMix64's mixing step: distinct inputs give distinct,
// well spread outputs.
func splitmix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ x>>30) * 0xbf58476d1ce4e5b9
	x = (x ^ x>>27) * 0x94d049bb133111eb
	return x ^ x>>31
}

// childExecution is what a child execution of a Distributed Map knows of
// itself: its Map Run and index, from which its name derives (formatted
// only when something asks for it, so that EXPRESS children cost neither
// an allocation nor a random draw, and a durable run names its children
// again the same), its input, and its start, read from the clock when
// first asked for. run is nil outside a child.
type childExecution struct {
	run   *MapRun
	index int
	input []byte
	start time.Time
}

// beginChild makes ex run child index of run on input and, for a
// STANDARD child, tells the observer (the caller counts it). It returns
// what ex was before, for endChild.
//
// A child of a durable execution (one with a Recorder, which runs it in
// a key scope of its own) records its own history there, as its parent's
// records: ExecutionStarted, whose Resource is the child's ARN, its
// states' events, and the event that ends it. Its parent's history leaves
// those scopes out; GetExecutionHistory of the child reads them.
func (ex *Execution) beginChild(run *MapRun, index int, input []byte) childExecution {
	saved := ex.child
	ex.child = childExecution{run: run, index: index, input: input}
	if !run.Express && ex.opts.MapRuns != nil {
		ex.reportChild(index, StatusRunning, nil, nil)
	}
	if ex.rec != nil && ex.sink != nil {
		ex.evResource = run.ChildArn(string(ex.child.appendName(nil)))
		ex.emit(EventExecutionStarted, nil, input)
		ex.evResource = ""
	}
	return saved
}

// endChild tells the observer how a STANDARD child ended, with output
// or f, records the event that ends its history, and gives ex back what
// it was before beginChild.
func (ex *Execution) endChild(index int, output []byte, f *Failure, saved childExecution) {
	if run := ex.child.run; f != errSuspended && !run.Express && ex.opts.MapRuns != nil {
		ex.reportChild(index, childStatus(f), output, f)
	}
	if ex.rec != nil && f != errSuspended {
		ex.events++
		ex.emitEnd(output, f)
	}
	ex.child = saved
}

// reportChild tells the observer about the child ex runs.
func (ex *Execution) reportChild(index int, status string, output []byte, f *Failure) {
	c := &ex.child
	name := string(c.appendName(nil))
	mc := MapRunChild{Arn: c.run.ChildArn(name), Name: name, Index: index, Status: status, Input: c.input, Output: output, Start: ex.childStart()}
	if status != StatusRunning {
		mc.Stop = ex.clock.Now()
	}
	if f != nil && f != errTimedOut && f != errAborted {
		mc.Error, mc.Cause = f.Name, f.Cause
	}
	ex.opts.MapRuns.MapRunChild(c.run, &mc)
}

// appendName appends the name of the child execution: a UUID made of
// its Map Run's seed and its index.
func (c *childExecution) appendName(dst []byte) []byte {
	i := uint64(c.index)
	return appendUUIDFrom(dst, splitmix(c.run.seed[0]^i), splitmix(c.run.seed[1]+i))
}

// childStart is when the child execution ex runs started: read from the
// clock the first time something asks.
func (ex *Execution) childStart() time.Time {
	if ex.child.start.IsZero() {
		ex.child.start = ex.clock.Now()
	}
	return ex.child.start
}
