package fastpath

import (
	"math"
	"time"

	"github.com/stepd/stepd/fastpath/jsonata"

	"github.com/stepd/stepd/fastpath/jsonb"
)

// runQueryState runs a state whose query language is JSONata: its fields
// are JSONata queries evaluated with $states and the variables bound (see
// queryEnv), and its output is Output (by default the result of a Task,
// Parallel or Map, the input otherwise). JSONPath states never come here.
func (ex *Execution) runQueryState(st *State, raw []byte) ([]byte, int, *Failure) {
	js := st.JSONata
	if js.Output == nil && js.Assign == nil && (st.Kind == StatePass || st.Kind == StateSucceed) {
		next := st.Next // nothing to evaluate: the input passes through
		if st.Kind == StateSucceed {
			next = NoState
		}
		ex.events++ // StateExited
		ex.emit(exitedEvent(st.Kind), st, raw)
		return raw, next, nil
	}
	env, f := ex.newQueryEnv(st, raw)
	if f != nil {
		return nil, NoState, f
	}
	defer ex.releaseQueryEnv()
	var out []byte
	next := st.Next
	switch st.Kind {
	case StatePass:
		out, f = ex.queryFinish(env, raw, false, js.Output, js.Assign)
	case StateSucceed:
		out, f = ex.queryFinish(env, raw, false, js.Output, js.Assign)
		next = NoState
	case StateWait:
		if f = ex.queryWait(st, env); f == nil {
			out, f = ex.queryFinish(env, raw, false, js.Output, js.Assign)
		}
	case StateChoice:
		out, next, f = ex.queryChoice(st, env, raw)
	case StateFail:
		return nil, NoState, ex.queryFail(st, env)
	case StateTask, StateParallel, StateMap:
		out, next, f = ex.runWithRetry(st, env, raw)
	}
	if f != nil {
		return nil, NoState, f
	}
	ex.events++ // StateExited
	ex.emit(exitedEvent(st.Kind), st, out)
	return out, next, nil
}

// queryFinish evaluates Assign and Output (dflt when there is none) and
// then sets the variables. isResult says dflt is the state's result, bound
// as $states.result.
func (ex *Execution) queryFinish(env *queryEnv, dflt []byte, isResult bool, output *Query, assign *QueryAssign) ([]byte, *Failure) {
	if isResult && (output != nil || assign != nil) {
		if f := ex.setQueryResult(env, dflt); f != nil {
			return nil, f
		}
	}
	if assign != nil {
		if f := ex.evalQueryAssign(assign, env); f != nil {
			return nil, f
		}
	}
	out := dflt
	if output != nil {
		var f *Failure
		if out, f = ex.evalQuery(output, env); f != nil {
			return nil, f
		}
	}
	if len(out) > ex.maxBytes {
		return nil, ex.dataLimit()
	}
	if assign != nil {
		ex.commitAssigned(assign.Slots)
	}
	return out, nil
}

func (ex *Execution) queryChoice(st *State, env *queryEnv, raw []byte) ([]byte, int, *Failure) {
	js := st.JSONata
	for i, c := range js.Conditions {
		v, f := ex.evalQuery(c, env)
		if f != nil {
			return nil, NoState, f
		}
		if jsonb.KindOf(v) != jsonb.KindBool {
			return nil, NoState, ex.queryTypeError(c, "boolean", v)
		}
		if v[0] == 't' {
			out, f := ex.queryFinish(env, raw, false, js.RuleOutputs[i], js.RuleAssigns[i])
			return out, js.RuleNexts[i], f
		}
	}
	if st.Default == NoState {
		return nil, NoState, &Failure{Name: ErrNoChoiceMatched, Cause: "No Matches!"}
	}
	out, f := ex.queryFinish(env, raw, false, js.Output, js.Assign)
	return out, st.Default, f
}

func (ex *Execution) queryFail(st *State, env *queryEnv) *Failure {
	js := st.JSONata
	f := &Failure{Name: st.Error, Cause: st.Cause, noName: !st.HasError, noCause: !st.HasCause}
	if js.Error != nil {
		v, err := ex.evalQuery(js.Error, env)
		if err != nil {
			return err
		}
		f.Name, f.noName = displayValue(v), false
	}
	if js.Cause != nil {
		v, err := ex.evalQuery(js.Cause, env)
		if err != nil {
			return err
		}
		f.Cause, f.noCause = displayValue(v), false
	}
	return f
}

func (ex *Execution) queryWait(st *State, env *queryEnv) *Failure {
	js := st.JSONata
	var until time.Time
	switch {
	case js.Seconds != nil:
		n, f := ex.queryNumber(js.Seconds, env, true)
		if f != nil {
			return f
		}
		if n < 0 {
			return ex.queryError(js.Seconds, "returned a negative value: "+formatFloat(n))
		}
		until = ex.clock.Now().Add(time.Duration(min(n, math.MaxInt64/1e9)) * time.Second)
	case js.Timestamp != nil:
		v, f := ex.evalQuery(js.Timestamp, env)
		if f != nil {
			return f
		}
		ns, ok := int64(0), false
		if jsonb.KindOf(v) == jsonb.KindString {
			ns, ok = ParseTimestamp(v[1 : len(v)-1])
		}
		if !ok {
			return ex.stateError(ErrQueryEvaluationError, "The Timestamp field cannot be parsed as an ISO-8601 extended offset date-time format string: "+displayValue(v))
		}
		until = time.Unix(0, ns)
	case st.WaitHasTimestamp:
		until = time.Unix(0, st.WaitTimestamp)
	default:
		until = ex.clock.Now().Add(time.Duration(st.WaitSeconds) * time.Second)
	}
	return ex.sleepUntil(until)
}

func formatFloat(f float64) string {
	return string(jsonata.AppendJSON(nil, f))
}

// queryCatch applies the first Catcher that matches f: its Output (by
// default $states.errorOutput) and Assign.
func (ex *Execution) queryCatch(st *State, env *queryEnv, f *Failure) ([]byte, int, *Failure) {
	i, c := catcherFor(st, f)
	if c == nil {
		return nil, NoState, f
	}
	errOut := ex.errorOutput(f)
	ex.setQueryError(env, errOut, f)
	js := st.JSONata
	out, f := ex.queryFinish(env, errOut, false, js.CatchOutputs[i], js.CatchAssigns[i])
	if f != nil {
		return nil, NoState, f
	}
	return out, c.Next, nil // runQueryState counts the StateExited event
}

// queryAttempt runs one try of a JSONata Task, Parallel or Map state.
func (ex *Execution) queryAttempt(st *State, env *queryEnv, raw []byte) ([]byte, *Failure) {
	js := st.JSONata
	in := raw
	var f *Failure
	if st.Kind == StateTask && ex.awaits(st) {
		if f := ex.beginCallback(); f != nil {
			return nil, f
		}
		defer ex.endCallback()
		if js.UsesContext {
			if f := ex.setQueryContext(env); f != nil {
				return nil, f
			}
		}
	}
	if js.Arguments != nil {
		if in, f = ex.evalQuery(js.Arguments, env); f != nil {
			return nil, f
		}
	}
	var result []byte
	switch st.Kind {
	case StateTask:
		if ex.test != nil {
			ex.test.insp.AfterArguments = in
		}
		result, f = ex.queryCallTask(st, env, in)
	case StateParallel:
		if ex.mocking() {
			result, f = ex.test.mockResult()
			break
		}
		result, f = ex.parallel(st, in)
	case StateMap:
		result, f = ex.queryMap(st, env, raw)
	}
	if f != nil {
		return nil, f
	}
	return ex.queryFinish(env, result, true, js.Output, js.Assign)
}

// queryCallTask invokes a JSONata Task state's task with input in (its
// evaluated Arguments), its timeouts evaluated in env.
func (ex *Execution) queryCallTask(st *State, env *queryEnv, in []byte) ([]byte, *Failure) {
	js := st.JSONata
	timeout := st.TaskTimeout
	if js.Timeout != nil {
		n, f := ex.queryNumber(js.Timeout, env, true)
		if f != nil {
			return nil, f
		}
		if n <= 0 {
			return nil, ex.queryError(js.Timeout, "returned a value that is not a positive integer: "+formatFloat(n))
		}
		timeout = time.Duration(min(n, math.MaxInt64/1e9)) * time.Second
	}
	heartbeat := st.Heartbeat
	if js.Heartbeat != nil {
		n, f := ex.queryNumber(js.Heartbeat, env, true)
		if f != nil {
			return nil, f
		}
		heartbeat = time.Duration(min(n, math.MaxInt64/1e9)) * time.Second
	}
	return ex.invoke(st, in, timeout, heartbeat)
}

func (ex *Execution) queryMap(st *State, env *queryEnv, raw []byte) ([]byte, *Failure) {
	js := st.JSONata
	items, f := ex.queryItems(st, env, raw)
	if f != nil {
		return nil, f
	}
	if st.Distributed {
		ex.mapStarted(st, items)
	}
	pol, f := ex.queryPolicy(st, env, items)
	if f != nil {
		return nil, f
	}
	var lim *batchLimits
	if st.Batcher != nil {
		lim = new(batchLimits)
		if *lim, f = ex.queryBatchLimits(st, env); f != nil {
			return nil, f
		}
	}
	var export []byte
	if st.Writer != nil && st.Writer.Resource != "" {
		export = jsonb.EmptyObject
		if js.WriterArguments != nil {
			if export, f = ex.evalQuery(js.WriterArguments, env); f != nil {
				return nil, f
			}
		}
	}
	if ex.mocking() {
		return ex.mockedMap(st, nil, nil, pol)
	}
	var sel *itemSelector
	if js.ItemSelector != nil {
		sel = &itemSelector{query: js.ItemSelector, env: env}
	}
	if st.Reader != nil {
		stream, maxItems, f := ex.queryReaderItems(st, env)
		if f != nil {
			return nil, ex.readerFailed(st, pol, f)
		}
		out, f := ex.mapStream(st, stream, maxItems, sel, lim, pol, export)
		if f == nil && sel != nil && js.UsesContext {
			f = ex.setQueryContext(env) // without Map again
		}
		return out, f
	}
	if !st.Distributed {
		ex.mapStarted(st, items)
	}
	base, n, f := ex.mapInputs(st, items, sel, lim)
	if f != nil {
		return nil, f
	}
	lim.count(&pol, n)
	if sel != nil && js.UsesContext {
		if f := ex.setQueryContext(env); f != nil { // without Map again
			return nil, f
		}
	}
	return ex.mapBranches(st, base, n, pol, export)
}

// queryItems is the array a JSONata Map state iterates over: what Items
// makes of its input raw, or raw itself; nil for a Map with an
// ItemReader.
func (ex *Execution) queryItems(st *State, env *queryEnv, raw []byte) ([]byte, *Failure) {
	if ex.test != nil && ex.test.t.Items != nil {
		return ex.test.t.Items, nil
	}
	js := st.JSONata
	if st.Reader != nil {
		return nil, nil // read after the checks AWS makes first
	}
	if js.Items == nil {
		if jsonb.KindOf(raw) != jsonb.KindArray {
			return nil, ex.stateError(ErrQueryEvaluationError, "Map state input must be an array but was: "+string(raw))
		}
		return raw, nil
	}
	items, f := ex.evalQuery(js.Items, env)
	if f != nil {
		return nil, f
	}
	if jsonb.KindOf(items) != jsonb.KindArray {
		return nil, ex.queryTypeError(js.Items, "array", items)
	}
	return items, nil
}

// queryPolicy evaluates a JSONata Map state's MaxConcurrency and
// tolerated failures for the array items.
func (ex *Execution) queryPolicy(st *State, env *queryEnv, items []byte) (branchPolicy, *Failure) {
	js := st.JSONata
	limit := st.MaxConcurrency
	if js.MaxConcurrency != nil {
		n, f := ex.queryNumber(js.MaxConcurrency, env, true)
		if f != nil {
			return branchPolicy{}, f
		}
		if n < 0 {
			return branchPolicy{}, ex.stateError(ErrQueryEvaluationError, "MaxConcurrency cannot be negative.")
		}
		limit = int(min(n, math.MaxInt32))
	}
	pol := branchPolicy{n: jsonb.ArrayLen(items), count: -1, percent: st.ToleratedPercent, tolerance: st.HasToleratedPercent, limit: limit}
	if st.HasToleratedCount {
		pol.count = st.ToleratedCount
	}
	if js.ToleratedPercent != nil {
		n, f := ex.queryNumber(js.ToleratedPercent, env, false)
		if f != nil {
			return branchPolicy{}, f
		}
		pol.percent, pol.tolerance = n, true
	}
	if pol.tolerance && (pol.percent < 0 || pol.percent > 100) {
		return branchPolicy{}, ex.stateError(ErrQueryEvaluationError, "ToleratedFailurePercentage must be between 0 and 100.")
	}
	if js.ToleratedCount != nil {
		n, f := ex.queryNumber(js.ToleratedCount, env, true)
		if f != nil {
			return branchPolicy{}, f
		}
		if n < 0 {
			return branchPolicy{}, ex.stateError(ErrQueryEvaluationError, "ToleratedFailureCount cannot be negative.")
		}
		pol.count = int(min(n, math.MaxInt32))
	}
	return pol, nil
}
