// Package teststate implements AWS Step Functions' TestState action: it
// runs one state (alone, or named in a whole machine) once with a given
// input, variables and context object, optionally with its work mocked,
// and answers with the status, output, next state and the inspection data
// of every stage of the state's data flow. The request and response are
// those of aws-sdk-go-v2's service/sfn TestState; the daemon's AWS JSON
// API hands the request here and writes the answer or the Error back.
package teststate

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/stepd/stepd/compile"
	"github.com/stepd/stepd/fastpath"
	"github.com/stepd/stepd/fastpath/jsonb"
)

// Request is TestState's input, as the AWS JSON API names its fields.
type Request struct {
	Definition         string              `json:"definition"`
	RoleArn            *string             `json:"roleArn,omitempty"`
	Input              *string             `json:"input,omitempty"`
	InspectionLevel    string              `json:"inspectionLevel,omitempty"`
	RevealSecrets      bool                `json:"revealSecrets,omitempty"`
	Variables          *string             `json:"variables,omitempty"`
	StateName          *string             `json:"stateName,omitempty"`
	Context            *string             `json:"context,omitempty"`
	Mock               *Mock               `json:"mock,omitempty"`
	StateConfiguration *StateConfiguration `json:"stateConfiguration,omitempty"`
}

// Mock is the request's mock: a result (JSON text) or an error output,
// and how strictly a Task's result is checked against the API it mocks.
type Mock struct {
	Result              *string      `json:"result,omitempty"`
	ErrorOutput         *ErrorOutput `json:"errorOutput,omitempty"`
	FieldValidationMode string       `json:"fieldValidationMode,omitempty"`
}

// ErrorOutput is a mocked failure.
type ErrorOutput struct {
	Error *string `json:"error,omitempty"`
	Cause *string `json:"cause,omitempty"`
}

// StateConfiguration places the test in a larger run: retries already
// made, Map iterations failed, the state inside a Map that raised the
// mocked error, and the items an ItemReader would read.
type StateConfiguration struct {
	RetrierRetryCount        *int32  `json:"retrierRetryCount,omitempty"`
	ErrorCausedByState       *string `json:"errorCausedByState,omitempty"`
	MapIterationFailureCount *int32  `json:"mapIterationFailureCount,omitempty"`
	MapItemReaderData        *string `json:"mapItemReaderData,omitempty"`
}

// Response is TestState's answer.
type Response struct {
	Status         string          `json:"status"`
	Output         *string         `json:"output,omitempty"`
	Error          *string         `json:"error,omitempty"`
	Cause          *string         `json:"cause,omitempty"`
	NextState      *string         `json:"nextState,omitempty"`
	InspectionData *InspectionData `json:"inspectionData,omitempty"`
}

// InspectionData is what DEBUG and TRACE add: the value after each stage
// (JSON text), the Map state's limits, how Retry or Catch took the error,
// and at TRACE the HTTP Task's request and response.
type InspectionData struct {
	Input                      *string       `json:"input,omitempty"`
	AfterInputPath             *string       `json:"afterInputPath,omitempty"`
	AfterParameters            *string       `json:"afterParameters,omitempty"`
	Result                     *string       `json:"result,omitempty"`
	AfterResultSelector        *string       `json:"afterResultSelector,omitempty"`
	AfterResultPath            *string       `json:"afterResultPath,omitempty"`
	AfterArguments             *string       `json:"afterArguments,omitempty"`
	AfterItemsPath             *string       `json:"afterItemsPath,omitempty"`
	AfterItemSelector          *string       `json:"afterItemSelector,omitempty"`
	Variables                  *string       `json:"variables,omitempty"`
	MaxConcurrency             *int32        `json:"maxConcurrency,omitempty"`
	ToleratedFailureCount      *int32        `json:"toleratedFailureCount,omitempty"`
	ToleratedFailurePercentage *float32      `json:"toleratedFailurePercentage,omitempty"`
	ErrorDetails               *ErrorDetails `json:"errorDetails,omitempty"`
	Request                    *HTTPRequest  `json:"request,omitempty"`
	Response                   *HTTPResponse `json:"response,omitempty"`
}

// ErrorDetails says which Catcher took the error, or which Retrier would
// retry it and after how long.
type ErrorDetails struct {
	CatchIndex                  *int32 `json:"catchIndex,omitempty"`
	RetryIndex                  *int32 `json:"retryIndex,omitempty"`
	RetryBackoffIntervalSeconds *int32 `json:"retryBackoffIntervalSeconds,omitempty"`
}

// HTTPRequest is the request an HTTP Task sent, as TRACE shows it.
type HTTPRequest struct {
	Protocol string `json:"protocol,omitempty"`
	Method   string `json:"method,omitempty"`
	URL      string `json:"url,omitempty"`
	Headers  string `json:"headers,omitempty"`
	Body     string `json:"body,omitempty"`
}

// HTTPResponse is the response an HTTP Task received, as TRACE shows it.
type HTTPResponse struct {
	Protocol      string `json:"protocol,omitempty"`
	StatusCode    string `json:"statusCode,omitempty"`
	StatusMessage string `json:"statusMessage,omitempty"`
	Headers       string `json:"headers,omitempty"`
	Body          string `json:"body,omitempty"`
}

// Error is a request TestState refuses: Type is AWS's error name
// (ValidationException, InvalidDefinition, InvalidExecutionInput), Message
// its text. Every such answer is an HTTP 400.
type Error struct {
	Type    string
	Message string
}

func (e *Error) Error() string { return e.Type + ": " + e.Message }

func validation(msg string) *Error { return &Error{Type: "ValidationException", Message: msg} }

// Config is what TestState needs from the daemon.
type Config struct {
	// Region and Account make the ARNs of the context object.
	Region, Account string
	// Invoker runs a Task that has no mock (Lambda, HTTP, services).
	Invoker fastpath.Invoker
	// Clock is the time of the test; nil is a virtual clock starting
	// now, so that a Wait state or a task's back-off does not wait.
	Clock fastpath.Clock
}

// test is one request, checked and compiled.
type test struct {
	req      *Request
	prog     *fastpath.Program
	state    *fastpath.State
	rawState []byte // the tested state's definition, compact
	input    []byte
	context  []byte // the request's context object, compact
	st       fastpath.StateTest
}

// Run answers one TestState request. It never panics on bad input: every
// problem AWS would refuse is an *Error.
func Run(ctx context.Context, cfg *Config, req *Request) (*Response, *Error) {
	t, e := prepare(req)
	if e != nil {
		return nil, e
	}
	clock := cfg.Clock
	if clock == nil {
		clock = fastpath.NewVirtualClock(time.Now())
	}
	name := string(fastpath.AppendUUID(nil))
	machine := string(fastpath.AppendUUID(nil))
	opts := &fastpath.Options{
		ExecutionArn:     "arn:aws:states:" + cfg.Region + ":" + cfg.Account + ":express:" + machine + ":" + name,
		ExecutionName:    name,
		StateMachineArn:  "arn:aws:states:" + cfg.Region + ":" + cfg.Account + ":stateMachine:" + machine,
		StateMachineName: machine,
		Synchronous:      true,
		Invoker:          cfg.Invoker,
		Clock:            clock,
		StartTime:        clock.Now(),
	}
	if req.RoleArn != nil {
		opts.RoleArn = *req.RoleArn
	}
	if t.context != nil {
		opts.Context = t.context
	} else {
		opts.Context = t.contextObject(opts)
	}
	// A real call is bounded as an Express execution is.
	ctx, cancel := context.WithTimeout(ctx, fastpath.ExpressMaxDuration)
	defer cancel()
	var trace *HTTPTrace
	if req.InspectionLevel == "TRACE" {
		trace = &HTTPTrace{Reveal: req.RevealSecrets}
		ctx = WithHTTPTrace(ctx, trace)
	}
	ex := fastpath.AcquireExecution()
	defer fastpath.ReleaseExecution(ex)
	res, err := ex.TestState(ctx, t.prog, t.input, opts, &t.st)
	if err != nil {
		return nil, &Error{Type: "InvalidExecutionInput", Message: "Invalid State Machine Execution Input: '" + err.Error() + "'"}
	}
	return t.response(&res, trace), nil
}

// contextObject is the context object TestState makes when the request
// gives none: an Express execution of a machine of one state, entered
// when the execution started.
func (t *test) contextObject(o *fastpath.Options) []byte {
	now := appendTime(nil, o.StartTime)
	b := []byte(`{"Execution":{"Id":`)
	b = jsonb.AppendQuotedString(b, o.ExecutionArn)
	b = append(b, `,"Input":`...)
	b = append(b, t.input...)
	b = append(b, `,"Name":`...)
	b = jsonb.AppendQuotedString(b, o.ExecutionName)
	b = append(b, `,"RoleArn":`...)
	if t.req.RoleArn != nil {
		b = jsonb.AppendQuotedString(b, *t.req.RoleArn)
	} else {
		b = append(b, "null"...)
	}
	b = append(b, `,"StartTime":`...)
	b = append(b, now...)
	b = append(b, `},"StateMachine":{"Id":`...)
	b = jsonb.AppendQuotedString(b, o.StateMachineArn)
	b = append(b, `,"Name":`...)
	b = jsonb.AppendQuotedString(b, o.StateMachineName)
	b = append(b, `},"State":{"Name":`...)
	b = jsonb.AppendQuotedString(b, compile.TestStateName)
	b = append(b, `,"EnteredTime":`...)
	b = append(b, now...)
	switch t.state.Kind {
	case fastpath.StateTask, fastpath.StateMap, fastpath.StateParallel:
		b = append(b, `,"RetryCount":`...)
		b = strconv.AppendInt(b, int64(t.st.RetrierRetryCount), 10)
	}
	return append(b, "}}"...)
}

func appendTime(dst []byte, t time.Time) []byte {
	dst = append(dst, '"')
	dst = t.UTC().AppendFormat(dst, "2006-01-02T15:04:05.000Z")
	return append(dst, '"')
}

// response shapes a run's result as the inspection level asks.
func (t *test) response(res *fastpath.StateTestResult, trace *HTTPTrace) *Response {
	r := &Response{Status: res.Status.String()}
	if res.Status == fastpath.TestSucceeded || res.Status == fastpath.TestCaughtError {
		r.Output = text(res.Output)
	}
	if res.HasError {
		r.Error = &res.Error
	}
	if res.HasCause {
		r.Cause = &res.Cause
	}
	if res.Next != fastpath.NoState {
		r.NextState = &t.prog.States[res.Next].Name
	}
	if t.req.InspectionLevel == "DEBUG" || t.req.InspectionLevel == "TRACE" {
		r.InspectionData = inspection(&res.Inspection)
		if trace != nil && trace.Request != nil {
			r.InspectionData.Request, r.InspectionData.Response = trace.Request, trace.Response
		}
	}
	return r
}

// inspection turns the engine's inspection into the API's.
func inspection(in *fastpath.Inspection) *InspectionData {
	d := &InspectionData{
		Input: text(in.Input), AfterInputPath: text(in.AfterInputPath), AfterParameters: text(in.AfterParameters),
		Result: text(in.Result), AfterResultSelector: text(in.AfterResultSelector), AfterResultPath: text(in.AfterResultPath),
		AfterArguments: text(in.AfterArguments), AfterItemsPath: text(in.AfterItemsPath),
		AfterItemSelector: text(in.AfterItemSelector),
		Variables:         text(in.Variables),
	}
	if in.HasMaxConcurrency {
		d.MaxConcurrency = int32p(in.MaxConcurrency)
	}
	if in.HasToleratedFailureCount {
		d.ToleratedFailureCount = int32p(in.ToleratedFailureCount)
	}
	if in.HasToleratedFailurePercentage {
		p := float32(in.ToleratedFailurePercentage)
		d.ToleratedFailurePercentage = &p
	}
	if in.CatchIndex >= 0 || in.RetryIndex >= 0 {
		d.ErrorDetails = &ErrorDetails{}
		if in.CatchIndex >= 0 {
			d.ErrorDetails.CatchIndex = int32p(in.CatchIndex)
		}
		if in.RetryIndex >= 0 {
			d.ErrorDetails.RetryIndex = int32p(in.RetryIndex)
		}
		if in.HasRetryBackoff {
			d.ErrorDetails.RetryBackoffIntervalSeconds = int32p(in.RetryBackoffIntervalSeconds)
		}
	}
	return d
}

func text(b []byte) *string {
	if b == nil {
		return nil
	}
	s := string(b)
	return &s
}

func int32p(n int) *int32 {
	v := int32(n)
	return &v
}

// prepare checks req as AWS does, in AWS's order, and compiles it.
func prepare(req *Request) (*test, *Error) {
	t := &test{req: req}
	var e *Error
	if e = checkMockShape(req); e != nil {
		return nil, e
	}
	if req.Variables != nil {
		v, err := jsonb.Compact(nil, []byte(*req.Variables), jsonb.MaxDepth)
		if err != nil || jsonb.KindOf(v) != jsonb.KindObject {
			return nil, validation("Variables must be a JSON object")
		}
		t.st.Variables = v
	}
	if e = t.compile(); e != nil {
		return nil, e
	}
	if e = t.checkState(); e != nil {
		return nil, e
	}
	if req.Context != nil {
		if t.context, e = checkContext(*req.Context); e != nil {
			return nil, e
		}
	}
	in := "{}"
	if req.Input != nil {
		in = *req.Input
	}
	input, err := jsonb.Compact(nil, []byte(in), jsonb.MaxDepth)
	if err != nil {
		return nil, &Error{Type: "InvalidExecutionInput", Message: "Invalid State Machine Execution Input: '" + err.Error() + "'"}
	}
	t.input = input
	if e = t.configure(); e != nil {
		return nil, e
	}
	return t, nil
}

// checkMockShape refuses a mock and configuration that contradict each
// other, whatever the state.
func checkMockShape(req *Request) *Error {
	m := req.Mock
	if m != nil && m.Result != nil && m.ErrorOutput != nil {
		return validation("A test mock should have only one of the following fields: [result, errorOutput].")
	}
	if m != nil && req.RevealSecrets {
		return validation("TestState does not support RevealSecrets when a mock is specified.")
	}
	if m == nil && req.StateConfiguration != nil && req.StateConfiguration.MapIterationFailureCount != nil {
		return validation("TestState does not support MapIterationFailureCount when a mock is not specified.")
	}
	if m != nil {
		switch m.FieldValidationMode {
		case "", "STRICT", "PRESENT", "NONE":
		default:
			return validation("1 validation error detected: Value '" + m.FieldValidationMode + "' at 'mock.fieldValidationMode' failed to satisfy constraint: Member must satisfy enum value set: [STRICT, PRESENT, NONE]")
		}
	}
	switch req.InspectionLevel {
	case "", "INFO", "DEBUG", "TRACE":
	default:
		return validation("1 validation error detected: Value '" + req.InspectionLevel + "' at 'inspectionLevel' failed to satisfy constraint: Member must satisfy enum value set: [INFO, DEBUG, TRACE]")
	}
	return nil
}

// compile compiles the definition: one state, or a whole machine and the
// state named by stateName. TestState validates with the STANDARD rules,
// which accept every integration pattern.
func (t *test) compile() *Error {
	def := []byte(t.req.Definition)
	var vars []string
	var it jsonb.ObjectIter
	it.Reset(t.st.Variables)
	for k, _, ok := it.Next(); ok; k, _, ok = it.Next() {
		vars = append(vars, string(jsonb.AppendUnquoted(nil, k)))
	}
	var err error
	if t.req.StateName != nil {
		t.prog, err = compile.CompileForTest(def, compile.Standard, vars)
		if err == nil {
			idx, ok := t.prog.StateIndex(*t.req.StateName)
			if !ok {
				return validation("State not found in definition")
			}
			t.st.State = idx
		}
	} else {
		t.prog, t.st.State, err = compile.CompileState(def, compile.Standard, vars)
	}
	if err != nil {
		return &Error{Type: "InvalidDefinition", Message: definitionMessage(err)}
	}
	t.state = &t.prog.States[t.st.State]
	t.rawState = stateDefinition(def, t.req.StateName)
	return nil
}

// testStateWording maps the messages of CreateStateMachine's validation
// to the words TestState's validation uses for the same problem.
var testStateWording = map[string]string{
	"The field 'Branches' should be non-empty":                                                       "Value cannot be empty",
	"Value should be one of the following: [Pass, Task, Choice, Wait, Succeed, Fail, Parallel, Map]": "The field 'Type' should have one of these values: [Task, Wait, Pass, Succeed, Fail, Choice, Parallel, Map]",
}

// definitionMessage is TestState's InvalidDefinition message for a
// compile error.
func definitionMessage(err error) string {
	var de *compile.DefinitionError
	if !errors.As(err, &de) {
		return err.Error()
	}
	diags := make([]compile.Diagnostic, len(de.Diagnostics))
	for i, d := range de.Diagnostics {
		if w, ok := testStateWording[d.Message]; ok {
			d.Message = w
		}
		diags[i] = d
	}
	return compile.CreateError(diags)
}

// stateDefinition finds the compact definition of the tested state: def
// itself, or the state named name in any scope of the machine def.
func stateDefinition(def []byte, name *string) []byte {
	c, err := jsonb.Compact(nil, def, jsonb.MaxDepth)
	if err != nil {
		return nil
	}
	if name == nil {
		return c
	}
	return findState(c, *name)
}

func findState(scope []byte, name string) []byte {
	states := jsonb.ObjectGet(scope, "States")
	if st := jsonb.ObjectGet(states, name); st != nil {
		return st
	}
	var it jsonb.ObjectIter
	it.Reset(states)
	for _, st, ok := it.Next(); ok; _, st, ok = it.Next() {
		for _, f := range []string{"ItemProcessor", "Iterator"} {
			if p := jsonb.ObjectGet(st, f); p != nil {
				if s := findState(p, name); s != nil {
					return s
				}
			}
		}
		var bi jsonb.ArrayIter
		bi.Reset(jsonb.ObjectGet(st, "Branches"))
		for b, ok := bi.Next(); ok; b, ok = bi.Next() {
			if s := findState(b, name); s != nil {
				return s
			}
		}
	}
	return nil
}

// needsMock reports whether a Task resource waits for someone else (an
// activity worker, a callback, a job): TestState runs those only mocked.
func needsMock(resource string) bool {
	return strings.Contains(resource, ":activity:") || strings.HasSuffix(resource, ".waitForTaskToken") ||
		strings.HasSuffix(resource, ".sync") || strings.HasSuffix(resource, ".sync:2")
}

// checkState refuses what TestState cannot do with this state.
func (t *test) checkState() *Error {
	k := t.state.Kind
	m := t.req.Mock
	if m == nil {
		if k == fastpath.StateMap || k == fastpath.StateParallel {
			return &Error{Type: "InvalidDefinition", Message: "TestState API does not support Map or Parallel states. Supported state types include: [Task, Wait, Pass, Succeed, Fail, Choice]"}
		}
		if k == fastpath.StateTask && t.req.RoleArn == nil {
			return validation("RoleArn must be specified when testing a Task state")
		}
		if k == fastpath.StateTask && needsMock(t.state.Task.Resource) {
			return validation("TestState API does not support activities or the .sync and .waitForTaskToken integration patterns when a mock is not specified.")
		}
		return nil
	}
	if k != fastpath.StateTask && k != fastpath.StateMap && k != fastpath.StateParallel {
		return validation("State type '" + k.String() + "' is not supported when a mock is specified")
	}
	return nil
}
