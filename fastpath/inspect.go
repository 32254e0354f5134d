package fastpath

import (
	"context"
	"math"
	"strings"

	"github.com/stepd/stepd/fastpath/jsonb"
)

// This file runs one state the way AWS's TestState action does: once, with
// a given input, variables and context object, its task (or its whole
// Map/Parallel work) optionally mocked, its Retry and Catch decided rather
// than carried out, and the value after each stage of its data flow kept
// for the caller. The state runs on the VM's own code; where a stage ends
// or the work would start, the VM asks whether Execution.test is set,
// which it never is in an ordinary execution.

// TestStatus is how TestState's run of one state ended.
type TestStatus uint8

// The TestState statuses, as AWS names them.
const (
	TestSucceeded TestStatus = iota
	TestFailed
	// TestRetriable: the state failed and a Retrier would try it again.
	TestRetriable
	// TestCaughtError: the state failed and a Catcher took the error.
	TestCaughtError
)

var testStatusNames = [...]string{"SUCCEEDED", "FAILED", "RETRIABLE", "CAUGHT_ERROR"}

// String returns AWS's name of the status.
func (s TestStatus) String() string { return testStatusNames[s] }

// StateMock stands in for the work of the state under test: a Task's call
// or a Map's or Parallel's branches. Either Result (compact JSON) or, with
// Fails set, the failure Error/Cause.
type StateMock struct {
	Result       []byte
	Fails        bool
	Error, Cause string
}

// Invoke answers every task with the mock. It implements Invoker.
func (m *StateMock) Invoke(_ context.Context, _ *Task, _, dst []byte) ([]byte, []byte, error) {
	if m.Fails {
		return nil, dst, &Failure{Name: m.Error, Cause: m.Cause}
	}
	mark := len(dst)
	dst = append(dst, m.Result...)
	return dst[mark:], dst, nil
}

// StateTest says which state TestState runs and how.
type StateTest struct {
	// State is the index of the state in the program.
	State int
	// Mock, when not nil, replaces the state's task or branches.
	Mock *StateMock
	// RetrierRetryCount is how many retries have already happened: a
	// failure is RETRIABLE while the matching Retrier allows more.
	RetrierRetryCount int
	// MapIterationFailureCount is how many of a mocked Map's iterations
	// count as failed against its tolerated failures.
	MapIterationFailureCount int
	// Variables is a JSON object of the variables in scope, or nil.
	Variables []byte
	// Items, when not nil, is the JSON array a Map state iterates over
	// instead of what its ItemReader would read (mapItemReaderData).
	Items []byte
}

// Inspection is the value after each stage of the tested state's data
// flow, as TestState's inspectionData reports it. A nil field is a stage
// the state does not have (or did not reach). The byte slices are owned
// by the Execution and valid until it is released.
type Inspection struct {
	Input, AfterInputPath, AfterParameters, Result       []byte
	AfterResultSelector, AfterResultPath, AfterArguments []byte
	AfterItemsPath, AfterItemSelector                    []byte
	Variables                                            []byte
	MaxConcurrency                                       int
	HasMaxConcurrency                                    bool
	ToleratedFailureCount                                int
	HasToleratedFailureCount                             bool
	ToleratedFailurePercentage                           float64
	HasToleratedFailurePercentage                        bool
	CatchIndex, RetryIndex                               int // -1 when none
	RetryBackoffIntervalSeconds                          int
	HasRetryBackoff                                      bool
}

// StateTestResult is the outcome of TestState's run of one state.
type StateTestResult struct {
	Status TestStatus
	// Output is the state's output when it succeeded or a Catcher took
	// its error.
	Output             []byte
	Error, Cause       string
	HasError, HasCause bool
	// Next is the index of the next state (NoState when there is none).
	Next       int
	Inspection Inspection
}

// TestState runs state t.State of p once on input (any spacing) with
// opts, as AWS's TestState action does. It returns an error only when
// input or t.Variables is not valid JSON.
func (ex *Execution) TestState(ctx context.Context, p *Program, input []byte, opts *Options, t *StateTest) (StateTestResult, error) {
	res := StateTestResult{Next: NoState}
	res.Inspection.CatchIndex, res.Inspection.RetryIndex = -1, -1
	if opts == nil {
		opts = &defaultOptions
	}
	if t.Mock != nil {
		o := *opts
		o.Invoker = t.Mock
		opts = &o
	}
	if err := ex.begin(ctx, p, input, opts); err != nil {
		return res, err
	}
	ins := &res.Inspection
	ex.test = &stateTestRun{insp: ins, t: t}
	defer func() { ex.test = nil }()
	ins.Input = ex.input
	if err := ex.setVariables(t.Variables); err != nil {
		return res, err
	}
	st := &p.States[t.State]
	ex.enter(st, ex.input)
	ex.retryCount = t.RetrierRetryCount
	out, next, f, status := ex.testState(st, ex.input)
	res.Status, res.Output, res.Next = status, out, next
	if f != nil {
		res.Error, res.Cause, res.HasError, res.HasCause = f.Name, f.Cause, !f.noName, !f.noCause
	}
	if status != TestSucceeded && status != TestCaughtError {
		res.Output, res.Next = nil, NoState
	}
	ins.Variables = ex.appendVariables(t.Variables)
	return res, nil
}

// setVariables sets the variables the program knows from the JSON object
// vars.
func (ex *Execution) setVariables(vars []byte) error {
	if vars == nil {
		return nil
	}
	mark := len(ex.arena)
	var err error
	if ex.arena, err = jsonb.Compact(ex.arena, vars, jsonb.MaxDepth); err != nil {
		return err
	}
	obj := ex.arena[mark:len(ex.arena):len(ex.arena)]
	var it jsonb.ObjectIter
	it.Reset(obj)
	for key, val, ok := it.Next(); ok; key, val, ok = it.Next() {
		for slot, name := range ex.prog.VarNames {
			if jsonb.KeyEquals(key, name) {
				ex.vars[slot] = val
			}
		}
	}
	return nil
}

// appendVariables is the object of the variables in scope after the state
// ran: those given (vars), with the program's current values, and those
// the state assigned. It is nil when there are none.
func (ex *Execution) appendVariables(vars []byte) []byte {
	mark := len(ex.arena)
	ex.arena = append(ex.arena, '{')
	seen := make([]bool, len(ex.prog.VarNames))
	if vars != nil {
		given, _ := jsonb.Compact(nil, vars, jsonb.MaxDepth)
		var it jsonb.ObjectIter
		it.Reset(given)
		for key, val, ok := it.Next(); ok; key, val, ok = it.Next() {
			for slot, name := range ex.prog.VarNames {
				if jsonb.KeyEquals(key, name) && ex.vars[slot] != nil {
					val, seen[slot] = ex.vars[slot], true
				}
			}
			ex.appendMember(key, val)
		}
	}
	for slot, name := range ex.prog.VarNames {
		if !seen[slot] && ex.vars[slot] != nil {
			ex.appendMember(jsonb.AppendQuotedString(nil, name), ex.vars[slot])
		}
	}
	if len(ex.arena) == mark+1 {
		ex.arena = ex.arena[:mark]
		return nil
	}
	ex.arena = append(ex.arena, '}')
	return ex.arena[mark:len(ex.arena):len(ex.arena)]
}

func (ex *Execution) appendMember(key, val []byte) {
	if ex.arena[len(ex.arena)-1] != '{' {
		ex.arena = append(ex.arena, ',')
	}
	ex.arena = append(ex.arena, key...)
	ex.arena = append(ex.arena, ':')
	ex.arena = append(ex.arena, val...)
}

// stateTestRun is what the VM consults while TestState runs: where to
// keep the stages, and the test's mock and configuration.
type stateTestRun struct {
	insp *Inspection
	t    *StateTest
}

// mocking reports whether a Map's or Parallel's work is mocked.
func (ex *Execution) mocking() bool { return ex.test != nil && ex.test.t.Mock != nil }

// mockResult is the mocked result of a Parallel state, or its failure.
func (r *stateTestRun) mockResult() ([]byte, *Failure) {
	m := r.t.Mock
	if m.Fails {
		return nil, &Failure{Name: m.Error, Cause: m.Cause}
	}
	return m.Result, nil
}

// passStages keeps the stages of a JSONPath Pass state as AWS shows them:
// a Result hides InputPath and Parameters.
func (r *stateTestRun) passStages(st *State, eff, result []byte) {
	if st.Result != nil {
		r.insp.Result = result
	} else {
		r.insp.AfterInputPath, r.insp.AfterParameters = eff, result
	}
	r.insp.AfterResultSelector = result
}

// notArray is TestState's failure for a Map whose items are not an
// array, in the words AWS's TestState uses (recorded for ItemsPath "$$"):
// the path is named within the document it reads, so a context object
// path loses its first "$".
func notArray(st *State) *Failure {
	p := strings.TrimPrefix(itemsPathText(st), "$")
	if !strings.HasPrefix(p, "$") {
		p = itemsPathText(st)
	}
	return &Failure{Name: ErrRuntime, Cause: `Reference path "` + p + `" must point to array.`}
}

// mockedMap shows a Map state's items (JSONPath only: items not nil),
// ItemSelector and limits, and returns its mocked result, failing when
// the mocked iteration failures exceed what it tolerates.
func (ex *Execution) mockedMap(st *State, items []byte, sel *itemSelector, pol branchPolicy) ([]byte, *Failure) {
	ins := ex.test.insp
	ins.AfterItemsPath = items
	if sel != nil {
		base, _, f := ex.mapInputs(st, items, sel, nil)
		if f != nil {
			return nil, f
		}
		ins.AfterItemSelector = ex.collectArray(base)
	}
	ins.MaxConcurrency, ins.HasMaxConcurrency = pol.limit, true
	if pol.count >= 0 {
		ins.ToleratedFailureCount, ins.HasToleratedFailureCount = pol.count, true
	}
	if pol.tolerance {
		ins.ToleratedFailurePercentage, ins.HasToleratedFailurePercentage = pol.percent, true
	}
	result, f := ex.test.mockResult()
	if f == nil && !pol.failFast() && pol.exceeded(ex.test.t.MapIterationFailureCount) {
		return nil, errToleranceExceeded
	}
	return result, f
}

// testState runs st once on raw.
func (ex *Execution) testState(st *State, raw []byte) ([]byte, int, *Failure, TestStatus) {
	var out []byte
	next := st.Next
	var f *Failure
	switch {
	case st.Kind == StateTask || st.Kind == StateParallel || st.Kind == StateMap:
		return ex.testWithRetry(st, raw)
	case st.JSONata != nil:
		out, next, f = ex.runQueryState(st, raw)
	case st.Kind == StatePass:
		out, f = ex.runPass(st, raw)
	default:
		// Choice, Wait, Succeed and Fail show their effective input.
		eff, g := ex.inputPath(st, raw)
		if g != nil {
			return nil, NoState, g, TestFailed
		}
		ex.test.insp.AfterInputPath = eff
		switch st.Kind {
		case StateChoice:
			out, next, f = ex.runChoice(st, raw)
		case StateWait:
			out, f = ex.runWait(st, raw)
		case StateSucceed:
			out, f = ex.outputPath(st, eff)
			next = NoState
		case StateFail:
			f = ex.runFail(st, raw)
		}
	}
	if f != nil {
		return nil, NoState, f, TestFailed
	}
	return out, next, nil, TestSucceeded
}

// testWithRetry runs a Task, Parallel or Map state once and decides what
// its Retry and Catch would do with a failure.
func (ex *Execution) testWithRetry(st *State, raw []byte) ([]byte, int, *Failure, TestStatus) {
	var env *queryEnv
	var out []byte
	var f *Failure
	if st.JSONata != nil {
		if env, f = ex.newQueryEnv(st, raw); f != nil {
			return nil, NoState, f, TestFailed
		}
		defer ex.releaseQueryEnv()
		out, f = ex.queryAttempt(st, env, raw)
	} else {
		out, f = ex.attempt(st, raw)
	}
	if f == nil {
		return out, st.Next, nil, TestSucceeded
	}
	if f == errTimedOut || f == errAborted {
		return nil, NoState, f, TestFailed
	}
	ins, count := ex.test.insp, ex.test.t.RetrierRetryCount
	for i := range st.Retry {
		r := &st.Retry[i]
		if !r.Errors.Matches(f.Name) {
			continue
		}
		ins.RetryIndex = i
		if count < r.MaxAttempts {
			ins.RetryBackoffIntervalSeconds, ins.HasRetryBackoff = backoffSeconds(r, count), true
			return nil, NoState, f, TestRetriable
		}
		break
	}
	i, c := catcherFor(st, f)
	if c == nil {
		return nil, NoState, f, TestFailed
	}
	ins.CatchIndex = i
	var next int
	var g *Failure
	if env != nil {
		out, next, g = ex.queryCatch(st, env, f)
	} else {
		out, next, g = ex.catch(st, raw, f)
	}
	if g != nil {
		return nil, NoState, g, TestFailed
	}
	return out, next, f, TestCaughtError
}

// backoffSeconds is the wait before retry number count+1 of r, in whole
// seconds, without jitter.
func backoffSeconds(r *Retrier, count int) int {
	d := r.Interval.Seconds() * math.Pow(r.BackoffRate, float64(count))
	if r.MaxDelay > 0 {
		d = min(d, r.MaxDelay.Seconds())
	}
	return int(min(d, math.MaxInt32))
}

// StateIndex finds the state named name in any scope of p (the top level,
// a Parallel branch, a Map's item processor); the first one in definition
// order when several scopes use the name.
func (p *Program) StateIndex(name string) (int, bool) {
	for i := range p.States {
		if p.States[i].Name == name {
			return i, true
		}
	}
	return NoState, false
}
