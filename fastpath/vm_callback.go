package fastpath

import (
	"time"
)

// Callback Tasks: a `.waitForTaskToken` integration, a `.sync` one
// (childexec.go) or an activity ends with the answer to its task token,
// which may come days later, from another process, through another node. Waiting is one more kind of
// durable suspension: the run records the token (RecordToken) and the
// wait (RecordAwait), commits them, and returns Suspended; the durable
// store keeps the wait as a pending task and records the answer —
// SendTaskSuccess, SendTaskFailure, or a timeout the runner decides — at
// the token's AnswerKey; the runner then resumes the execution, whose
// replay finds the answer there. No goroutine waits meanwhile.

// farFuture is when a wait without a timeout is due again: never, in
// practice (AWS executions last at most a year); the store wakes it when
// its answer comes.
const farFuture = 366 * 24 * time.Hour

// awaits reports whether st waits for the answer to a task token in this
// execution: a callback Task, except in TestState, which tests the state
// alone (its context gives the token, its mock the answer).
func (ex *Execution) awaits(st *State) bool {
	return st.Task.Callback != CallbackNone && ex.test == nil
}

// Mocker is an Invoker that answers some Tasks itself, as Step Functions
// Local's mocked responses do: a callback Task it mocks (`.sync`,
// `.waitForTaskToken`) ends with the mocked answer instead of waiting, as
// on Step Functions Local; its token still exists while it runs.
type Mocker interface {
	Mocks(task *Task) bool
}

// mocked reports whether the execution's invoker mocks st's Task.
func (ex *Execution) mocked(st *State) bool {
	m, ok := ex.opts.Invoker.(Mocker)
	return ok && m.Mocks(st.Task)
}

// runCallbackTask runs a callback Task of a JSONPath state with its
// token in the context object.
func (ex *Execution) runCallbackTask(st *State, eff []byte) ([]byte, *Failure) {
	if f := ex.beginCallback(); f != nil {
		return nil, f
	}
	out, f := ex.taskCall(st, eff)
	ex.endCallback()
	return out, f
}

// beginCallback gives the Task its token: the recorded one on replay, a
// new one otherwise. Only durable executions can wait for an answer.
func (ex *Execution) beginCallback() *Failure {
	if ex.rec == nil {
		return ex.stateError(ErrRuntime, "A Task that waits for a task token or an activity worker needs a durable STANDARD execution.")
	}
	key, val, ok := ex.replay(RecordToken)
	tok := string(val)
	if !ok {
		var err error
		if tok, err = newTaskToken(ex.opts.ExecutionArn, key); err != nil {
			return ex.stateError(ErrRuntime, "Cannot make a task token: "+err.Error())
		}
		ex.put(key, RecordToken, []byte(tok))
	}
	ex.taskToken, ex.tokenKey = tok, key
	return nil
}

// endCallback ends the life of $$.Task.Token.
func (ex *Execution) endCallback() { ex.taskToken = "" }

// awaitCallback runs a callback Task's call (the integration that passes
// the token on, or the check that the activity exists) and waits for its
// answer.
func (ex *Execution) awaitCallback(st *State, in []byte, timeout, heartbeat time.Duration) ([]byte, *Failure) {
	activity := st.Task.Callback == CallbackActivity
	inv := ex.opts.Invoker
	if inv == nil {
		inv = Funcs(nil)
	}
	failed := EventTaskFailed
	if activity {
		failed = EventActivityFailed
		if _, f := ex.durableInvoke(ex.ctx, inv, st, in, false); f != nil {
			if f.Name == ErrRuntime {
				f = ex.stateError(ErrRuntime, f.Cause)
			}
			return nil, f
		}
	} else {
		ex.events++
		ex.emit(EventTaskScheduled, st, in)
		ex.events++
		ex.emit(EventTaskStarted, st, nil)
	}
	// The wait is durable before the token leaves: a worker may answer
	// before the call that hands it the token has returned.
	key, _, ok := ex.replay(RecordAwait)
	if !ok {
		now := ex.live.Now()
		a := Await{Token: ex.taskToken, Key: ex.tokenKey, Callback: st.Task.Callback, Since: now, Heartbeat: heartbeat,
			State: st.Name, Input: in}
		if timeout > 0 {
			a.Timeout = now.Add(timeout)
		}
		if activity {
			a.Activity = st.Task.Resource
		}
		ex.recBuf = AppendAwait(ex.recBuf[:0], &a)
		ex.put(key, RecordAwait, ex.recBuf)
	}
	if f := ex.checkpoint(); f != nil {
		return nil, f
	}
	if activity {
		ex.events++
		ex.emitActivity(EventActivityScheduled, st, in, ActivityDetails{TimeoutSeconds: int64(timeout / time.Second), HeartbeatSeconds: int64(heartbeat / time.Second)})
	} else {
		ctx := ex.ctx
		if st.Task.Callback == CallbackSync || st.Task.Callback == CallbackSync2 {
			ctx = WithParentToken(ctx, ex.taskToken)
		}
		mark := len(ex.arena)
		result, f := ex.durableInvoke(ctx, inv, st, in, false)
		ex.events++
		if f != nil {
			ex.truncate(mark)
			ex.emitTaskFailure(failed, st, f)
			return nil, f
		}
		ex.emit(EventTaskSubmitted, st, result)
		ex.truncate(mark)
	}
	// A worker that takes an activity task commits a claim holding its
	// name; the claim resumes the run, which records ActivityStarted
	// then, as AWS does when a worker takes the task.
	claimed := false
	if activity {
		kind, claim, ok := ex.rec.Replay(AnswerKey(ex.tokenKey, CallbackNone))
		if claimed = ok && kind == RecordClaim; claimed {
			ex.events++
			ex.emitActivity(EventActivityStarted, st, nil, ActivityDetails{Worker: string(claim)})
		}
	}
	answer := AnswerKey(ex.tokenKey, st.Task.Callback)
	kind, val, ok := ex.rec.Replay(answer)
	if !ok || kind != RecordTask {
		if f := ex.checkpoint(); f != nil {
			return nil, f
		}
		ex.until = ex.live.Now().Add(farFuture)
		if dl, ok := ex.deadline(); ok && dl.Before(ex.until) {
			ex.until = dl
		}
		return nil, errSuspended
	}
	result, f, ok := taskOutcome(val)
	if !ok {
		if ex.divergence == "" {
			ex.divergence = "the answer recorded at " + answer.String() + " cannot be decoded"
		}
		return nil, ex.diverged()
	}
	if activity && !claimed && (f == nil || f.Name != ErrTimeout) {
		// Answered without being taken (its token from GET /v1/tasks):
		// started by no worker. A task that timed out before any worker
		// took it was never started, as in AWS.
		ex.events++
		ex.emitActivity(EventActivityStarted, st, nil, ActivityDetails{})
	}
	ex.events++
	if f != nil {
		ex.emitTaskFailure(failed, st, f)
		return nil, f
	}
	if len(result) > ex.maxBytes {
		return nil, ex.dataLimit()
	}
	mark := len(ex.arena)
	ex.arena = append(ex.arena, result...)
	result = ex.arena[mark:len(ex.arena):len(ex.arena)]
	if activity {
		ex.emit(EventActivitySucceeded, st, result)
	} else {
		ex.emit(EventTaskSucceeded, st, result)
	}
	return result, nil
}
