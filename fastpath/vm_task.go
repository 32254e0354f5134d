package fastpath

import (
	"context"
	"errors"
	"math"
	"strconv"
	"time"

	"github.com/stepd/stepd/fastpath/jsonb"
)

// maxInlineRetriers is how many Retry entries keep their attempt counters
// on the stack; more than that is rare and allocates.
const maxInlineRetriers = 8

// runWithRetry runs a Task, Parallel or Map state, retrying and catching
// its failures as its Retry and Catch fields say. env is the JSONata
// environment of a JSONata state, nil for a JSONPath one.
func (ex *Execution) runWithRetry(st *State, env *queryEnv, raw []byte) ([]byte, int, *Failure) {
	var inline [maxInlineRetriers]int
	var attempts []int
	if len(st.Retry) > maxInlineRetriers {
		attempts = make([]int, len(st.Retry))
	} else {
		attempts = inline[:len(st.Retry)]
	}
	for {
		mark := len(ex.arena)
		var out []byte
		var f *Failure
		if env != nil {
			out, f = ex.queryAttempt(st, env, raw)
		} else {
			out, f = ex.attempt(st, raw)
		}
		if f == nil {
			return out, st.Next, nil
		}
		if interrupted(f) {
			return nil, NoState, f
		}
		delay, retry := ex.retryDelay(st, f, attempts)
		if !retry {
			if env != nil {
				return ex.queryCatch(st, env, f)
			}
			return ex.catch(st, raw, f)
		}
		ex.truncate(mark)
		if f := ex.sleepUntil(ex.clock.Now().Add(delay)); f != nil {
			return nil, NoState, f
		}
		ex.retryCount++
		if env != nil && st.JSONata.UsesContext {
			if f := ex.setQueryContext(env); f != nil { // $states.context has a new RetryCount
				return nil, NoState, f
			}
		}
	}
}

// retryDelay finds the first Retrier matching f and says whether it allows
// another attempt and after how long.
func (ex *Execution) retryDelay(st *State, f *Failure, attempts []int) (time.Duration, bool) {
	for i := range st.Retry {
		r := &st.Retry[i]
		if !r.Errors.Matches(f.Name) {
			continue
		}
		if attempts[i] >= r.MaxAttempts {
			return 0, false
		}
		d := float64(r.Interval) * math.Pow(r.BackoffRate, float64(attempts[i]))
		attempts[i]++
		if r.MaxDelay > 0 && d > float64(r.MaxDelay) {
			d = float64(r.MaxDelay)
		}
		if r.FullJitter {
			d = ex.randomFloat() * d
		}
		return time.Duration(d), true
	}
	return 0, false
}

// catcherFor returns the first Catcher of st that matches f, or nil.
func catcherFor(st *State, f *Failure) (int, *Catcher) {
	for i := range st.Catch {
		if st.Catch[i].Errors.Matches(f.Name) {
			return i, &st.Catch[i]
		}
	}
	return -1, nil
}

// errorOutput appends a caught failure's error output, {"Error","Cause"},
// to the arena.
func (ex *Execution) errorOutput(f *Failure) []byte {
	mark := len(ex.arena)
	ex.arena = append(ex.arena, `{"Error":`...)
	ex.arena = appendOptString(ex.arena, f.Name, !f.noName)
	ex.arena = append(ex.arena, `,"Cause":`...)
	ex.arena = appendOptString(ex.arena, f.Cause, !f.noName || !f.noCause)
	ex.arena = append(ex.arena, '}')
	return ex.arena[mark:len(ex.arena):len(ex.arena)]
}

// appendOptString appends s quoted, or null when it is absent: a failure
// without an error name (a SendTaskFailure without error, which AWS
// catches as {"Error":null,"Cause":null}); a failure with a name but no
// cause (a timeout) has "" as its cause.
func appendOptString(dst []byte, s string, present bool) []byte {
	if !present {
		return append(dst, "null"...)
	}
	return jsonb.AppendQuotedString(dst, s)
}

// catch applies the first Catcher that matches f, or fails the state.
func (ex *Execution) catch(st *State, raw []byte, f *Failure) ([]byte, int, *Failure) {
	_, c := catcherFor(st, f)
	if c == nil {
		return nil, NoState, f
	}
	errOut := ex.errorOutput(f)
	if c.Assign != nil {
		if f := ex.evalAssign(c.Assign, errOut); f != nil {
			return nil, NoState, f
		}
	}
	// AWS applies the Catcher's ResultPath, not the state's OutputPath, to
	// the error output.
	out, f := ex.resultPath(c.ResultPath, c.ResultPathNull, raw, errOut)
	if f != nil {
		return nil, NoState, f
	}
	if c.Assign != nil {
		ex.commitAssigned(c.Assign.Slots)
	}
	return out, c.Next, nil // runState counts the StateExited event
}

// attempt runs one try of a Task, Parallel or Map state up to its output.
func (ex *Execution) attempt(st *State, raw []byte) ([]byte, *Failure) {
	eff, f := ex.inputPath(st, raw)
	if f != nil {
		return nil, f
	}
	if ex.test != nil && st.Kind != StateParallel {
		ex.test.insp.AfterInputPath = eff
	}
	var result []byte
	switch st.Kind {
	case StateTask:
		result, f = ex.runTask(st, eff)
	case StateParallel:
		result, f = ex.runParallel(st, eff)
	case StateMap:
		result, f = ex.runMap(st, eff)
	}
	if f != nil {
		return nil, f
	}
	if st.ResultSelector != nil {
		if result, f = ex.template(st.ResultSelector, result); f != nil {
			return nil, f
		}
	}
	if ex.test != nil {
		ex.test.insp.AfterResultSelector = result
	}
	return ex.finish(st, raw, result, st.Assign)
}

func (ex *Execution) runTask(st *State, eff []byte) ([]byte, *Failure) {
	if ex.awaits(st) {
		return ex.runCallbackTask(st, eff)
	}
	return ex.taskCall(st, eff)
}

// taskCall evaluates a Task's Parameters and timeouts and calls it.
func (ex *Execution) taskCall(st *State, eff []byte) ([]byte, *Failure) {
	in := eff
	var f *Failure
	if st.Parameters != nil {
		if in, f = ex.template(st.Parameters, eff); f != nil {
			return nil, f
		}
	}
	if ex.test != nil {
		ex.test.insp.AfterParameters = in
	}
	return ex.callTask(st, eff, in)
}

// callTask invokes a JSONPath Task state's task with input in, its
// timeouts resolved against its effective input eff.
func (ex *Execution) callTask(st *State, eff, in []byte) ([]byte, *Failure) {
	timeout := st.TaskTimeout
	if st.TimeoutPath != nil {
		v, f := ex.pathValue(st.TimeoutPath, eff)
		if f != nil {
			return nil, f
		}
		n, err := strconv.ParseInt(jsonb.BytesString(v), 10, 64)
		if err != nil || n <= 0 {
			return nil, ex.stateError(ErrRuntime, "The TimeoutSecondsPath parameter does not reference a positive integer: "+st.TimeoutPath.Text+" == "+displayValue(v))
		}
		timeout = time.Duration(n) * time.Second
	}
	heartbeat := st.Heartbeat
	if st.HeartbeatPath != nil {
		v, f := ex.pathValue(st.HeartbeatPath, eff)
		if f != nil {
			return nil, f
		}
		n, err := strconv.ParseInt(jsonb.BytesString(v), 10, 64)
		if err != nil || n <= 0 {
			return nil, ex.stateError(ErrRuntime, "The HeartbeatSecondsPath parameter does not reference a positive integer: "+st.HeartbeatPath.Text+" == "+displayValue(v))
		}
		heartbeat = time.Duration(n) * time.Second
	}
	return ex.invoke(st, in, timeout, heartbeat)
}

// invoke calls st's task with input in, bounded by timeout (0: none), by
// heartbeat (0: none) and by the execution's deadline. A call is
// synchronous, so no heartbeat arrives while it runs: one that outlasts
// HeartbeatSeconds fails with States.HeartbeatTimeout.
func (ex *Execution) invoke(st *State, in []byte, timeout, heartbeat time.Duration) ([]byte, *Failure) {
	if ex.awaits(st) && !ex.mocked(st) {
		return ex.awaitCallback(st, in, timeout, heartbeat)
	}
	heartbeatFirst := heartbeat > 0 && (timeout == 0 || heartbeat < timeout)
	if heartbeatFirst {
		timeout = heartbeat
	}
	// A durable execution's task timeout runs from the call's first
	// start: the reading and the TaskStarted event are made durable before
	// the call, so a run resumed after a crash cut the call waits only for
	// what is left (a call past its deadline fails at once) rather than
	// for a whole new TimeoutSeconds or HeartbeatSeconds.
	var taskDeadline time.Time
	if ex.rec != nil && timeout > 0 {
		taskDeadline = ex.clock.Now().Add(timeout)
	}
	inv := ex.opts.Invoker
	if inv == nil {
		inv = Funcs(nil)
	}
	// The call is bounded by the task's timeout and by what is left until
	// the execution's deadline. Both are durations on the execution's
	// clock, which a test may run virtually, so they become a real-time
	// timeout here rather than an absolute deadline.
	if dl, ok := ex.deadline(); ok {
		if left := dl.Sub(ex.clock.Now()); timeout == 0 || left < timeout {
			timeout = max(left, time.Nanosecond)
		}
	}
	ex.events++ // TaskScheduled
	ex.emit(EventTaskScheduled, st, in)
	ex.events++ // TaskStarted
	ex.emit(EventTaskStarted, st, nil)
	if !taskDeadline.IsZero() {
		if f := ex.checkpoint(); f != nil {
			return nil, f
		}
		timeout = min(timeout, max(taskDeadline.Sub(ex.live.Now()), time.Nanosecond))
	}
	ctx := ex.ctx
	var cancel context.CancelFunc
	if timeout > 0 {
		ctx, cancel = context.WithTimeout(ctx, timeout)
	}
	mark := len(ex.arena)
	var result []byte
	var f *Failure
	if ex.rec != nil {
		result, f = ex.durableInvoke(ctx, inv, st, in, heartbeatFirst)
	} else {
		var err error
		var arena []byte
		result, arena, err = inv.Invoke(ctx, st.Task, in, ex.arena)
		ex.arena = arena
		if err != nil {
			f = ex.taskFailure(err, heartbeatFirst)
		}
	}
	if cancel != nil {
		cancel()
	}
	ex.events++ // TaskSucceeded or TaskFailed
	if f != nil {
		ex.truncate(mark)
		ex.emitTaskFailure(EventTaskFailed, st, f)
		return nil, f
	}
	if len(result) > ex.maxBytes {
		return nil, ex.dataLimit()
	}
	ex.emit(EventTaskSucceeded, st, result)
	if ex.test != nil {
		ex.test.insp.Result = result
	}
	return result, nil
}

// emitTaskFailure records the event of a failed task: failed (the type
// given, Task or Activity), or timed out (the next type) for a timeout.
// A stop or the execution's own timeout records none.
func (ex *Execution) emitTaskFailure(failed EventType, st *State, f *Failure) {
	if ex.sink != nil && f != errAborted && f != errTimedOut && f != errSuspended {
		t := failed
		if f.Name == ErrTimeout || f.Name == ErrHeartbeatTimeout {
			t = failed + 1
		}
		ex.record(t, ex.events, st, nil, f, 0)
	}
}

// durableInvoke calls the task of an execution with a Recorder: a
// replay returns the recorded outcome without calling it; a live call's
// outcome is recorded, unless the execution was stopped meanwhile (a
// resumed run then calls the task again).
func (ex *Execution) durableInvoke(ctx context.Context, inv Invoker, st *State, in []byte, heartbeatFirst bool) ([]byte, *Failure) {
	key, val, ok := ex.replay(RecordTask)
	if ok {
		result, f, ok := taskOutcome(val)
		if !ok {
			if ex.divergence == "" {
				ex.divergence = "the task outcome recorded at " + key.String() + " cannot be decoded"
			}
			return nil, ex.diverged()
		}
		if f != nil {
			return nil, f
		}
		mark := len(ex.arena)
		ex.arena = append(ex.arena, result...)
		return ex.arena[mark:len(ex.arena):len(ex.arena)], nil
	}
	result, arena, err := inv.Invoke(ctx, st.Task, in, ex.arena)
	ex.arena = arena
	var f *Failure
	if err != nil {
		// The failure is decided on the live clock: a replay returns the
		// recorded outcome without deciding again, so this reading must
		// not take a place in the scope's sequence.
		ex.clock = ex.live
		f = ex.taskFailure(err, heartbeatFirst)
		ex.clock = &ex.rclock
		if f == errAborted {
			return nil, f
		}
	}
	ex.recBuf = appendTaskOutcome(ex.recBuf[:0], result, f)
	ex.put(key, RecordTask, ex.recBuf)
	return result, f
}

// taskFailure is the failure of a task call that returned err.
func (ex *Execution) taskFailure(err error, heartbeatFirst bool) *Failure {
	switch {
	case ex.ctx.Err() != nil:
		return errAborted
	case ex.pastDeadline():
		return errTimedOut
	case errors.Is(err, context.DeadlineExceeded) && heartbeatFirst:
		return &Failure{Name: ErrHeartbeatTimeout, noCause: true}
	case errors.Is(err, context.DeadlineExceeded):
		return &Failure{Name: ErrTimeout, noCause: true}
	}
	var tf *Failure
	if errors.As(err, &tf) {
		return tf
	}
	return &Failure{Name: ErrTaskFailed, Cause: err.Error()}
}
