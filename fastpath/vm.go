package fastpath

import (
	"context"
	"errors"
	"strconv"
	"sync"
	"time"

	"github.com/stepd/stepd/fastpath/jsonata"
	"github.com/stepd/stepd/fastpath/jsonb"
)

// Status is how an execution ended.
type Status uint8

// The execution statuses, as AWS names them.
const (
	Succeeded Status = iota
	Failed
	TimedOut
	Aborted
	// Suspended is a run with a Recorder that parked: at a wait not due
	// yet (Result.Until), or because its records could not be made
	// durable (Until zero). The execution is still RUNNING; running it
	// again with the same Recorder resumes it.
	Suspended
)

var statusNames = [...]string{"SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED", "RUNNING"}

// String returns AWS's name of the status.
func (s Status) String() string { return statusNames[s] }

// Result is the outcome of an execution. Output is owned by the Execution
// that produced it and valid until that Execution is released.
type Result struct {
	Status Status
	// Output is the execution's output (compact JSON) when it succeeded.
	Output []byte
	// Error and Cause describe a failure; HasError and HasCause are false
	// when AWS reports no such field (a Fail state without Error, a
	// timeout).
	Error, Cause       string
	HasError, HasCause bool
	// Transitions is how many states the execution entered, branches
	// and iterations included.
	Transitions int
	// Until is when a Suspended run wants to run again; zero means as
	// soon as its records can be made durable.
	Until time.Time
}

// Outcome returns the output (a copy), error and cause as the APIs report
// them: nil for a field AWS leaves out.
func (r *Result) Outcome() (output, errName, cause *string) {
	if r.Status == Succeeded {
		out := string(r.Output)
		output = &out
	}
	if r.HasError {
		e := r.Error
		errName = &e
	}
	if r.HasCause {
		c := r.Cause
		cause = &c
	}
	return output, errName, cause
}

// Execution runs one state machine execution. It owns the arena that every
// intermediate value lives in and is reused through AcquireExecution and
// ReleaseExecution, so steady-state executions allocate nothing. An
// Execution is not safe for concurrent use; a Result's Output must not be used
// after the Execution is released.
type Execution struct {
	prog  *Program
	opts  *Options
	clock Clock
	ctx   context.Context

	arena    []byte
	vars     [][]byte
	varStack [][]byte // saved variable tables of enclosing scopes
	spans    [][]byte // stack of values being collected (branch outputs)
	assigned [][]byte // scratch for Assign values

	input    []byte        // the execution input
	start    time.Time     // zero until first needed; see startTime
	limit    time.Duration // how long the execution may run, 0 for ever
	maxBytes int
	budget   int // states the execution may still enter
	scopes   int // runScope calls active: 1 between the states of the outermost scope
	events   int // history events so far, for AWS's "entered at the event id #N"

	// History events (see events.go): the sink, nil when nobody listens,
	// the types it wants, the ids of the last event and of the last
	// StateExited (what the next StateEntered follows), whether this
	// Execution is a branch running concurrently with others, and the
	// Event handed to the sink (allocated with the first event, kept
	// across Reset, out of line so that it does not spread the hot fields
	// over more cache lines).
	sink       EventSink
	mask       EventMask
	lastEvent  int
	lastExit   int
	concurrent bool
	ev         *Event
	evResource string // the next event's Resource when its state has none

	// The state being executed.
	state        *State
	entered      time.Time // read from the clock when first asked for
	enteredEvent int
	retryCount   int
	dollar       []byte // what "$" refers to now
	mapActive    bool   // $$.Map exists (inside ItemSelector)
	mapIndex     int
	mapItem      []byte
	index        objectIndex // members of the "$" value last looked up

	// qc remembers the JSONata values of recent JSON in the arena, so
	// that JSONata states do not parse their inputs again; nil until a
	// JSONata state runs.
	qc *queryCache
	// qenvs are the queryEnvs of the JSONata states running, qdepth of
	// them in use (see newQueryEnv); kept across Reset.
	qenvs  []*queryEnv
	qdepth int

	// Durable executions (see Recorder): the recorder, nil for EXPRESS;
	// the scope's key and the count of its records; the live clock
	// behind the recording one (ex.clock is then &ex.rclock); when a
	// suspended run wants to resume; the first mismatch a replay found;
	// the JSONata functions with recorded randomness (kept across Reset,
	// built for this Execution) and a scratch buffer for records.
	rec          Recorder
	scope        string
	seq          int
	live         Clock
	rclock       recordingClock
	until        time.Time
	divergence   string
	durableFuncs *jsonata.Registry
	recBuf       []byte
	// taskToken is the token of the callback Task running ($$.Task.Token),
	// "" outside one; tokenKey is where it was recorded.
	taskToken string
	tokenKey  RecordKey

	// spanFeeds are spanFeeds to use again (see newSpanFeed).
	spanFeeds []*spanFeed

	// child is set while ex runs a child execution of a Distributed Map
	// (see childExecution): $$.Execution and $$.StateMachine are its own.
	child childExecution

	// test is TestState's run of one state (see inspect.go); nil in
	// every other execution.
	test *stateTestRun
}

var executionPool = sync.Pool{New: func() any { return &Execution{} }}

// AcquireExecution returns an Execution from the pool. Release it with
// ReleaseExecution once its Result is no longer used.
func AcquireExecution() *Execution { return executionPool.Get().(*Execution) }

// ReleaseExecution returns ex to the pool. ex and every Result it produced
// must not be used afterwards.
func ReleaseExecution(ex *Execution) {
	ex.Reset()
	executionPool.Put(ex)
}

// maxRetainedArena bounds the arena a pooled Execution keeps, so one huge
// execution does not pin its memory forever.
const maxRetainedArena = 4 << 20

// Reset clears ex for reuse, keeping its buffers.
func (ex *Execution) Reset() {
	arena := ex.arena[:0]
	if cap(arena) > maxRetainedArena {
		arena = nil
	}
	clear(ex.vars)
	clear(ex.varStack[:cap(ex.varStack)])
	clear(ex.spans[:cap(ex.spans)])
	clear(ex.assigned[:cap(ex.assigned)])
	ex.index.reset()
	if ex.qc != nil {
		ex.qc.reset()
	}
	*ex = Execution{arena: arena, vars: ex.vars[:0], varStack: ex.varStack[:0], spans: ex.spans[:0], assigned: ex.assigned[:0], index: ex.index, qc: ex.qc, qenvs: ex.qenvs, ev: ex.ev,
		durableFuncs: ex.durableFuncs, recBuf: ex.recBuf[:0], spanFeeds: ex.spanFeeds}
}

// errTimedOut marks an execution that ran past its deadline; it is never
// shown to users (AWS reports TIMED_OUT without error or cause).
var errTimedOut = &Failure{Name: ErrTimeout}

// Run executes p with the JSON input (any spacing) and returns how it ended.
// It returns an error only when input is not valid JSON. opts may be nil.
func (ex *Execution) Run(ctx context.Context, p *Program, input []byte, opts *Options) (Result, error) {
	if err := ex.begin(ctx, p, input, opts); err != nil {
		return Result{}, err
	}
	ex.events = 1 // ExecutionStarted
	ex.emit(EventExecutionStarted, nil, ex.input)
	budget := ex.budget
	out, f := ex.runScope(p.Start, ex.input)
	res := Result{Transitions: budget - ex.budget}
	ex.events++
	switch {
	case f == nil:
		res.Status, res.Output = Succeeded, out
	case f == errTimedOut:
		res.Status = TimedOut
	case f == errAborted:
		res.Status = Aborted
	case f == errSuspended:
		res.Status, res.Until = Suspended, ex.until
	default:
		res.Status, res.Error, res.Cause, res.HasError, res.HasCause = Failed, f.Name, f.Cause, !f.noName, !f.noCause
	}
	ex.emitEnd(out, f)
	return res, nil
}

// emitEnd records the event that ends the execution, or the child
// execution ex runs, with output out or failure f; none for a suspended
// run, which has not ended.
func (ex *Execution) emitEnd(out []byte, f *Failure) {
	switch {
	case f == nil:
		ex.emit(EventExecutionSucceeded, nil, out)
	case f == errTimedOut:
		ex.emit(EventExecutionTimedOut, nil, nil)
	case f == errAborted:
		ex.emit(EventExecutionAborted, nil, nil)
	case f == errSuspended:
	default:
		if ex.sink != nil {
			ex.record(EventExecutionFailed, ex.events, nil, nil, f, 0)
		}
	}
}

// begin prepares ex to run p with input (any spacing) and opts (nil for
// the defaults); it fails only when input is not valid JSON.
func (ex *Execution) begin(ctx context.Context, p *Program, input []byte, opts *Options) error {
	if opts == nil {
		opts = &defaultOptions
	}
	ex.prog, ex.opts, ex.ctx = p, opts, ctx
	ex.clock = opts.Clock
	if ex.clock == nil {
		ex.clock = SystemClock{}
	}
	ex.maxBytes = opts.MaxPayload
	if ex.maxBytes == 0 {
		ex.maxBytes = MaxPayloadBytes
	}
	if ex.qc != nil {
		ex.qc.reset() // the arena is rewritten from the start
	}
	var err error
	if ex.arena, err = jsonb.Compact(ex.arena[:0], input, jsonb.MaxDepth); err != nil {
		return err
	}
	ex.input = ex.arena[:len(ex.arena):len(ex.arena)]
	if n := len(p.VarNames); cap(ex.vars) >= n {
		ex.vars = ex.vars[:n]
	} else {
		ex.vars = make([][]byte, n)
	}
	ex.start = opts.StartTime
	if limit := p.Timeout; limit > 0 || p.Express {
		if p.Express && (limit == 0 || limit > ExpressMaxDuration) {
			limit = ExpressMaxDuration
		}
		ex.limit = limit
	}
	ex.budget = opts.MaxTransitions
	if ex.budget == 0 {
		ex.budget = DefaultMaxTransitions
	}
	ex.sink, ex.mask = opts.Events, opts.EventMask
	if opts.Recorder != nil {
		ex.setRecorder(opts.Recorder, "")
	}
	return nil
}

var defaultOptions Options

// setRecorder makes ex record through rec, in scope: its clock becomes a
// recording one over the live clock, and it emits events (for rec) even
// without a sink.
func (ex *Execution) setRecorder(rec Recorder, scope string) {
	ex.rec, ex.scope, ex.seq = rec, scope, 0
	ex.live = ex.clock
	ex.rclock = recordingClock{ex: ex}
	ex.clock = &ex.rclock
	if ex.sink == nil {
		ex.sink = discardEvents{}
	}
}

var errAborted = &Failure{Name: "States.Aborted"}

// runScope runs the states of one scope from start until one ends it.
func (ex *Execution) runScope(start int, input []byte) ([]byte, *Failure) {
	ex.scopes++
	defer func() { ex.scopes-- }()
	idx := start
	for {
		if f := ex.checkTime(); f != nil {
			return nil, f
		}
		st := &ex.prog.States[idx]
		out, next, f := ex.runState(st, input)
		if f != nil {
			return nil, f
		}
		if next == NoState {
			return out, nil
		}
		input, idx = out, next
		if f := ex.checkArena(); f != nil {
			return nil, f
		}
		if ex.rec != nil {
			if f := ex.checkpoint(); f != nil {
				return nil, f
			}
		}
		if ex.scopes == 1 && len(ex.arena) > ex.arenaLimit()/4 {
			input = ex.compactArena(input)
		}
	}
}

// clockCheckEvery is how many transitions run between two reads of the
// clock: states that do not wait or call out take well under a microsecond,
// so a pure state loop still notices its deadline within milliseconds,
// while short executions skip most clock reads. Waits and tasks check the
// deadline themselves.
const clockCheckEvery = 1024

func (ex *Execution) checkTime() *Failure {
	if ex.budget--; ex.budget < 0 {
		return &Failure{Name: ErrRuntime, Cause: "The execution exceeded the limit of " + strconv.Itoa(ex.transitionLimit()) + " state transitions"}
	}
	if ex.budget%clockCheckEvery != 0 {
		return nil
	}
	if ex.ctx.Err() != nil {
		return errAborted
	}
	if ex.pastDeadline() {
		return errTimedOut
	}
	return nil
}

func (ex *Execution) pastDeadline() bool {
	dl, ok := ex.deadline()
	return ok && !ex.clock.Now().Before(dl)
}

// startTime is when the execution started. Unless the caller said, the
// clock is read the first time it is needed: a short execution without
// waits or tasks never needs it, and a clock read is a tenth of such an
// execution's cost.
func (ex *Execution) startTime() time.Time {
	if ex.start.IsZero() {
		ex.start = ex.clock.Now()
	}
	return ex.start
}

// deadline is when the execution times out; ok is false when it never
// does.
func (ex *Execution) deadline() (time.Time, bool) {
	if ex.limit == 0 {
		return time.Time{}, false
	}
	if !ex.opts.RedriveTime.IsZero() {
		return ex.opts.RedriveTime.Add(ex.limit), true // a redrive resets the machine's timeout
	}
	return ex.startTime().Add(ex.limit), true
}

func (ex *Execution) transitionLimit() int {
	if ex.opts.MaxTransitions > 0 {
		return ex.opts.MaxTransitions
	}
	return DefaultMaxTransitions
}

// enteredTime is when the current state was entered, read from the clock
// the first time it is needed: most states never ask.
func (ex *Execution) enteredTime() time.Time {
	if ex.entered.IsZero() {
		ex.entered = ex.clock.Now()
	}
	return ex.entered
}

// enter records entering st with the input raw.
func (ex *Execution) enter(st *State, raw []byte) {
	ex.state = st
	ex.events++
	ex.enteredEvent = ex.events
	ex.entered = time.Time{}
	ex.retryCount = 0
	ex.emit(enteredEvent(st.Kind), st, raw)
}

// runState runs one state on its raw input and returns its output and the
// index of the next state (NoState when the scope ends).
func (ex *Execution) runState(st *State, raw []byte) (out []byte, next int, f *Failure) {
	ex.enter(st, raw)
	if st.JSONata != nil {
		return ex.runQueryState(st, raw)
	}
	switch st.Kind {
	case StatePass:
		out, f = ex.runPass(st, raw)
		next = st.Next
	case StateTask, StateParallel, StateMap:
		out, next, f = ex.runWithRetry(st, nil, raw)
	case StateChoice:
		out, next, f = ex.runChoice(st, raw)
	case StateWait:
		out, f = ex.runWait(st, raw)
		next = st.Next
	case StateSucceed:
		var eff []byte
		if eff, f = ex.inputPath(st, raw); f == nil {
			out, f = ex.outputPath(st, eff)
		}
		next = NoState
	case StateFail:
		return nil, NoState, ex.runFail(st, raw)
	}
	if f != nil {
		return nil, NoState, f
	}
	ex.events++ // StateExited
	ex.emit(exitedEvent(st.Kind), st, out)
	return out, next, nil
}

func (ex *Execution) runPass(st *State, raw []byte) ([]byte, *Failure) {
	eff, f := ex.inputPath(st, raw)
	if f != nil {
		return nil, f
	}
	result := eff
	switch {
	case st.Result != nil:
		result = st.Result
	case st.Parameters != nil:
		if result, f = ex.template(st.Parameters, eff); f != nil {
			return nil, f
		}
	}
	if ex.test != nil {
		ex.test.passStages(st, eff, result)
	}
	return ex.finish(st, raw, result, st.Assign)
}

// finish applies Assign (with "$" as the result), ResultPath and OutputPath,
// and then sets the assigned variables, in AWS's order.
func (ex *Execution) finish(st *State, raw, result []byte, assign *Assign) ([]byte, *Failure) {
	if assign != nil {
		if f := ex.evalAssign(assign, result); f != nil {
			return nil, f
		}
	}
	out, f := ex.resultPath(st.ResultPath, st.ResultPathNull, raw, result)
	if f != nil {
		return nil, f
	}
	if ex.test != nil {
		ex.test.insp.AfterResultPath = out
	}
	if out, f = ex.outputPath(st, out); f != nil {
		return nil, f
	}
	if assign != nil {
		ex.commitAssigned(assign.Slots)
	}
	return out, nil
}

// evalAssign evaluates every value of a into ex.assigned;
// commitAssigned(a.Slots) then sets them, so that all values see the
// variables as they were.
func (ex *Execution) evalAssign(a *Assign, dollar []byte) *Failure {
	ex.assigned = ex.assigned[:0]
	for _, t := range a.Values {
		v, f := ex.template(t, dollar)
		if f != nil {
			return f
		}
		ex.assigned = append(ex.assigned, v)
	}
	return nil
}

// commitAssigned sets the variables in slots to the values evalAssign or
// evalQueryAssign left in ex.assigned.
func (ex *Execution) commitAssigned(slots []int) {
	for i, slot := range slots {
		ex.vars[slot] = ex.assigned[i]
	}
}

// truncate drops the arena's bytes from mark on. Values there may have
// been indexed, and new values will reuse their addresses, so the index is
// dropped too.
func (ex *Execution) truncate(mark int) {
	ex.arena = ex.arena[:mark]
	ex.index.reset()
	if ex.qc != nil {
		ex.qc.reset()
	}
}

// template evaluates t with "$" bound to dollar, into the arena.
func (ex *Execution) template(t *Template, dollar []byte) ([]byte, *Failure) {
	saved := ex.dollar
	ex.dollar = dollar
	v, arena, err := t.Eval(ex.arena, ex)
	ex.arena = arena
	ex.dollar = saved
	switch {
	case err == errTemplateTooLarge:
		return nil, ex.dataLimit()
	case err != nil:
		return nil, ex.runtimeFailure(err, dollar)
	}
	return v, nil
}

// runtimeFailure turns an evaluation error into the Failure AWS reports,
// with its "An error occurred while executing the state" prefix.
func (ex *Execution) runtimeFailure(err error, input []byte) *Failure {
	var nf *PathNotFound
	if errors.As(err, &nf) {
		return ex.stateError(ErrRuntime, "The JSONPath '"+nf.Path+"' specified for the field '"+nf.Field+"' could not be found in the input '"+string(input)+"'")
	}
	var f *Failure
	if errors.As(err, &f) {
		if f.Name == ErrRuntime {
			return ex.stateError(ErrRuntime, f.Cause)
		}
		return f
	}
	return ex.stateError(ErrRuntime, err.Error())
}

// stateError builds a failure whose cause names the current state the way
// AWS does.
func (ex *Execution) stateError(name, msg string) *Failure {
	return &Failure{Name: name, Cause: "An error occurred while executing the state '" + ex.state.Name +
		"' (entered at the event id #" + strconv.Itoa(ex.enteredEvent) + "). " + msg}
}

func (ex *Execution) inputPath(st *State, raw []byte) ([]byte, *Failure) {
	if st.InputPathNull {
		return jsonb.EmptyObject, nil
	}
	return ex.selectPath(st.InputPath, raw)
}

func (ex *Execution) outputPath(st *State, v []byte) ([]byte, *Failure) {
	if st.OutputPathNull {
		return jsonb.EmptyObject, nil
	}
	out, f := ex.selectPath(st.OutputPath, v)
	if f == nil && len(out) > ex.maxBytes {
		return nil, ex.dataLimit()
	}
	return out, f
}

func (ex *Execution) dataLimit() *Failure {
	return &Failure{Name: ErrDataLimitExceeded, Cause: "The state/task '" + ex.state.Name +
		"' returned a result with a size exceeding the maximum number of bytes service limit."}
}

// selectPath applies an InputPath or OutputPath to v.
func (ex *Execution) selectPath(p *Path, v []byte) ([]byte, *Failure) {
	if p == nil {
		return v, nil
	}
	if p.Root == RootInput && p.IsRoot() {
		return v, nil
	}
	saved := ex.dollar
	ex.dollar = v
	mark := len(ex.arena)
	out, arena := ex.Resolve(p, ex.arena)
	ex.dollar = saved
	ex.arena = arena
	if out == nil {
		ex.truncate(mark)
		return nil, ex.invalidPath(p, v)
	}
	return out, nil
}

// invalidPath is the failure of a state field's path that finds nothing
// ("$" being dollar), in AWS's words.
func (ex *Execution) invalidPath(p *Path, dollar []byte) *Failure {
	var why string
	switch p.Root {
	case RootInput:
		why = p.NotFoundMessage(dollar)
	case RootVar:
		why = p.NotFoundMessage(ex.vars[p.VarSlot])
	default:
		why = "No results for path: " + string(p.AppendNormalized(nil))
	}
	return ex.stateError(ErrRuntime, "Invalid path '"+p.Text+"' : "+why)
}

// resultPath places result into raw as ResultPath says.
func (ex *Execution) resultPath(p *Path, discard bool, raw, result []byte) ([]byte, *Failure) {
	switch {
	case discard:
		return raw, nil
	case p == nil || p.IsRoot():
		return result, nil
	}
	if len(p.steps) == 1 && p.steps[0].kind == stepField && jsonb.KindOf(raw) == jsonb.KindObject {
		var out []byte
		out, ex.arena = ex.index.setMember(ex.arena, raw, p.steps[0].name, result)
		return out, nil
	}
	mark := len(ex.arena)
	arena, ok := setPath(ex.arena, raw, p.steps, result, ex.index.get)
	if !ok {
		ex.truncate(mark)
		return nil, ex.stateError(ErrResultPathMatchFailure, "Unable to apply ResultPath '"+p.Text+"' to input '"+string(raw)+"'")
	}
	ex.arena = arena
	return arena[mark:len(arena):len(arena)], nil
}

// setPath appends a copy of v with the value at steps replaced by (or, for
// a missing object member, extended with) val. Missing intermediate
// objects are created. It fails when a step meets a value of the wrong
// kind. Only the path's members are looked up; everything around them is
// copied as whole spans. first, when not nil, finds members of v itself
// (the VM passes its index).
func setPath(dst, v []byte, steps []pathStep, val []byte, first func(obj []byte, name string) []byte) ([]byte, bool) {
	if len(steps) == 0 {
		return append(dst, val...), true
	}
	st := &steps[0]
	var m []byte
	switch st.kind {
	case stepField:
		if v == nil {
			dst = append(dst, '{')
			dst = jsonb.AppendQuotedString(dst, st.name)
			dst = append(dst, ':')
			dst, ok := setPath(dst, nil, steps[1:], val, nil)
			return append(dst, '}'), ok
		}
		if jsonb.KindOf(v) != jsonb.KindObject {
			return dst, false
		}
		if first != nil {
			m = first(v, st.name)
		} else {
			m = jsonb.ObjectGet(v, st.name)
		}
		if m == nil {
			dst = append(dst, v[:len(v)-1]...)
			if len(v) > 2 {
				dst = append(dst, ',')
			}
			dst = jsonb.AppendQuotedString(dst, st.name)
			dst = append(dst, ':')
			dst, ok := setPath(dst, nil, steps[1:], val, nil)
			return append(dst, '}'), ok
		}
	case stepIndex:
		if jsonb.KindOf(v) != jsonb.KindArray {
			return dst, false
		}
		idx := st.index
		if idx < 0 {
			idx += jsonb.ArrayLen(v)
		}
		if m = jsonb.ArrayIndex(v, idx); idx < 0 || m == nil {
			return dst, false
		}
	default:
		return dst, false
	}
	off := spanOffset(v, m)
	dst = append(dst, v[:off]...)
	dst, ok := setPath(dst, m, steps[1:], val, nil)
	return append(dst, v[off+len(m):]...), ok
}

func (ex *Execution) runChoice(st *State, raw []byte) ([]byte, int, *Failure) {
	eff, f := ex.inputPath(st, raw)
	if f != nil {
		return nil, NoState, f
	}
	next, assign := st.Default, st.Assign
	matched := false
	saved := ex.dollar
	ex.dollar = eff
	for i, rule := range st.Choices {
		ok, arena, err := rule.Eval(ex, ex.arena)
		ex.arena = arena
		if err != nil {
			ex.dollar = saved
			return nil, NoState, ex.runtimeFailure(err, eff)
		}
		if ok {
			next, assign, matched = rule.Next, st.ChoiceAssigns[i], true
			break
		}
	}
	ex.dollar = saved
	if !matched && next == NoState {
		return nil, NoState, &Failure{Name: ErrNoChoiceMatched, Cause: "No Matches!"}
	}
	if assign != nil {
		if f := ex.evalAssign(assign, eff); f != nil {
			return nil, NoState, f
		}
	}
	out, f := ex.outputPath(st, eff)
	if f != nil {
		return nil, NoState, f
	}
	if assign != nil {
		ex.commitAssigned(assign.Slots)
	}
	return out, next, nil
}

func (ex *Execution) runFail(st *State, raw []byte) *Failure {
	f := &Failure{Name: st.Error, Cause: st.Cause, noName: !st.HasError, noCause: !st.HasCause}
	var err *Failure
	if st.ErrorPath != nil {
		if f.Name, err = ex.failField(st.ErrorPath, raw); err != nil {
			return err
		}
		f.noName = false
	}
	if st.CausePath != nil {
		if f.Cause, err = ex.failField(st.CausePath, raw); err != nil {
			return err
		}
		f.noCause = false
	}
	return f
}

// failField evaluates a Fail state's ErrorPath or CausePath to its text.
func (ex *Execution) failField(t *Template, raw []byte) (string, *Failure) {
	v, f := ex.template(t, raw)
	if f != nil {
		return "", f
	}
	if jsonb.KindOf(v) == jsonb.KindString {
		return string(jsonb.AppendUnquoted(nil, v)), nil
	}
	return string(v), nil
}

func (ex *Execution) runWait(st *State, raw []byte) ([]byte, *Failure) {
	eff, f := ex.inputPath(st, raw)
	if f != nil {
		return nil, f
	}
	var until time.Time
	now := ex.clock.Now()
	switch {
	case st.WaitSecondsPath != nil:
		v, f := ex.pathValue(st.WaitSecondsPath, eff)
		if f != nil {
			return nil, f
		}
		n, err := strconv.ParseInt(jsonb.BytesString(v), 10, 64)
		if err != nil {
			return nil, ex.stateError(ErrRuntime, "The SecondsPath parameter cannot be parsed as a long value: "+st.WaitSecondsPath.Text+" == "+displayValue(v))
		}
		if n < 0 {
			return nil, ex.stateError(ErrRuntime, "The SecondsPath parameter references a negative value: "+st.WaitSecondsPath.Text+" == "+displayValue(v))
		}
		until = now.Add(time.Duration(n) * time.Second)
	case st.WaitTimestampPath != nil:
		v, f := ex.pathValue(st.WaitTimestampPath, eff)
		if f != nil {
			return nil, f
		}
		ns, ok := int64(0), false
		if jsonb.KindOf(v) == jsonb.KindString {
			ns, ok = ParseTimestamp(v[1 : len(v)-1])
		}
		if !ok {
			return nil, ex.stateError(ErrRuntime, "The TimestampPath parameter does not reference a valid ISO-8601 extended offset date-time format string: "+st.WaitTimestampPath.Text+" == "+displayValue(v))
		}
		until = time.Unix(0, ns)
	case st.WaitHasTimestamp:
		until = time.Unix(0, st.WaitTimestamp)
	default:
		until = now.Add(time.Duration(st.WaitSeconds) * time.Second)
	}
	if f := ex.sleepUntil(until); f != nil {
		return nil, f
	}
	return ex.finish(st, eff, eff, st.Assign)
}

// displayValue renders a value the way AWS quotes it in messages: strings
// without their quotes, anything else as its JSON text.
func displayValue(v []byte) string {
	if jsonb.KindOf(v) == jsonb.KindString {
		return string(jsonb.AppendUnquoted(nil, v))
	}
	return string(v)
}

// pathValue resolves a definite path that a state field must find.
func (ex *Execution) pathValue(p *Path, dollar []byte) ([]byte, *Failure) {
	saved := ex.dollar
	ex.dollar = dollar
	v, arena := ex.Resolve(p, ex.arena)
	ex.arena = arena
	ex.dollar = saved
	if v == nil {
		return nil, ex.invalidPath(p, dollar)
	}
	return v, nil
}

// sleepUntil waits on the clock until t, the execution's deadline, or
// cancellation, whichever comes first.
func (ex *Execution) sleepUntil(t time.Time) *Failure {
	timedOut := false
	if dl, ok := ex.deadline(); ok && t.After(dl) {
		t, timedOut = dl, true
	}
	if ex.rec != nil {
		if f := ex.durableSleep(t); f != nil {
			return f
		}
	} else if d := t.Sub(ex.clock.Now()); d > 0 {
		if err := ex.clock.Sleep(ex.ctx, d); err != nil {
			return errAborted
		}
	}
	if timedOut {
		return errTimedOut
	}
	return nil
}
