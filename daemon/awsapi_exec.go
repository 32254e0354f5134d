package daemon

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"time"
	"unsafe"

	"github.com/stepd/stepd/fastpath"
	"github.com/stepd/stepd/fastpath/jsonb"

	"github.com/stepd/stepd/daemon/integrations"
	"github.com/stepd/stepd/internal/awserr"
)

// scratchPool holds buffers for decoding StartSyncExecution requests
// without allocating.
var scratchPool = sync.Pool{New: func() any { b := make([]byte, 0, 4096); return &b }}

// syncRequest is a decoded StartSyncExecution (or StartExecution) request.
// Its strings view the scratch buffer they were decoded into.
type syncRequest struct {
	arn, name string
	input     []byte
	// quotedInput is the input as the request spelled it: a JSON string,
	// which the response echoes without unescaping and escaping again.
	quotedInput []byte
	// testCase is the mock test case named after '#' in the ARN, as Step
	// Functions Local takes it.
	testCase string
}

// decodeStart reads a start request. It decodes with the runtime's scanner
// rather than reflection, since this is every execution's path.
func decodeStart(body, scratch []byte) (syncRequest, []byte, *awserr.Error) {
	scratch, err := jsonb.Compact(scratch[:0], body, 64)
	if err != nil || jsonb.KindOf(scratch) != jsonb.KindObject {
		return syncRequest{}, scratch, awserr.New("SerializationException", "Cannot parse the request body: it must be a JSON object")
	}
	obj := scratch
	var req syncRequest
	field := func(name string) (string, bool, *awserr.Error) {
		v := jsonb.ObjectGet(obj, name)
		if v == nil || jsonb.KindOf(v) == jsonb.KindNull {
			return "", false, nil
		}
		if jsonb.KindOf(v) != jsonb.KindString {
			return "", false, awserr.New("SerializationException", "Cannot parse the request body: '%s' must be a string", name)
		}
		mark := len(scratch)
		scratch = jsonb.AppendUnquoted(scratch, v)
		return jsonb.BytesString(scratch[mark:]), true, nil
	}
	var aerr *awserr.Error
	if req.arn, _, aerr = field("stateMachineArn"); aerr != nil {
		return req, scratch, aerr
	}
	if aerr = required("stateMachineArn", req.arn); aerr != nil {
		return req, scratch, aerr
	}
	var hasName bool
	if req.name, hasName, aerr = field("name"); aerr != nil {
		return req, scratch, aerr
	}
	if hasName && !validName(req.name) {
		return req, scratch, awserr.InvalidName(req.name)
	}
	input, hasInput, aerr := field("input")
	if aerr != nil {
		return req, scratch, aerr
	}
	req.input, req.quotedInput = emptyInput, emptyInputQuoted
	if hasInput {
		req.input = unsafe.Slice(unsafe.StringData(input), len(input))
		req.quotedInput = jsonb.ObjectGet(obj, "input")
	}
	if len(req.input) > fastpath.MaxPayloadBytes {
		return req, scratch, awserr.InvalidExecutionInput(fmt.Sprintf("the input is %d bytes, more than the maximum of %d", len(req.input), fastpath.MaxPayloadBytes))
	}
	return req, scratch, nil
}

// The input of a start request without one.
var (
	emptyInput       = []byte("{}")
	emptyInputQuoted = []byte(`"{}"`)
)

// pickWeighted picks n in [0, total) for alias routing.
func pickWeighted(total int) int { return rand.IntN(total) }

// startRequest decodes a StartExecution or StartSyncExecution request into
// the scratch buffer *sp and finds the machine it names.
func (s *server) startRequest(body []byte, sp *[]byte) (syncRequest, resolved, *awserr.Error) {
	req, scratch, aerr := decodeStart(body, *sp)
	*sp = scratch[:0]
	if aerr != nil {
		return req, resolved{}, aerr
	}
	if arn, tc, ok := strings.Cut(req.arn, "#"); ok {
		req.arn, req.testCase = arn, tc
	}
	r, aerr := s.reg.resolve(req.arn, pickWeighted)
	return req, r, aerr
}

// invokerFor is the invoker of an execution of r: the node's, or for a
// mock test case one answering the states it mocks.
func (s *server) invokerFor(r resolved, testCase string) (fastpath.Invoker, *awserr.Error) {
	if testCase == "" {
		return s.execs.invoker, nil
	}
	if s.mocks == nil {
		return nil, awserr.New("InvalidArn", "Invalid Arn: '%s#%s': a test case needs -mock-config", r.arn, testCase)
	}
	set, err := s.mocks.Current()
	if err != nil {
		return nil, awserr.New("InvalidArn", "Invalid Arn: '%s#%s': %v", r.arn, testCase, err)
	}
	tc, err := set.Find(r.m.Name, testCase)
	if err != nil {
		return nil, awserr.New("InvalidArn", "Invalid Arn: '%s#%s': %v", r.arn, testCase, err)
	}
	return integrations.NewMockInvoker(s.execs.invoker, tc), nil
}

func (s *server) startSyncExecution(body, dst []byte) ([]byte, *awserr.Error) {
	sp := scratchPool.Get().(*[]byte)
	defer scratchPool.Put(sp)
	req, r, aerr := s.startRequest(body, sp)
	if aerr != nil {
		return dst, aerr
	}
	if r.m.Type != "EXPRESS" {
		return dst, awserr.New("StateMachineTypeNotSupported", "This operation is not supported by this type of state machine")
	}
	inv, aerr := s.invokerFor(r, req.testCase)
	if aerr != nil {
		return dst, aerr
	}
	aerr = s.execSyncWith(r, req.name, req.input, inv, func(sr *syncResult) {
		dst = appendSyncResponse(dst, sr, req.quotedInput)
	})
	return dst, aerr
}

// syncCall holds what one synchronous execution needs besides the engine,
// pooled so that a request allocates nothing for it.
type syncCall struct {
	x      execRequest
	arn    []byte
	name   [36]byte
	result syncResult
}

var syncCallPool = sync.Pool{New: func() any { return &syncCall{} }}

// execSync runs an execution to its end within the request and hands the
// result to reply before the execution's memory is reused.
func (s *server) execSync(r resolved, name string, input []byte, reply func(*syncResult)) *awserr.Error {
	return s.execSyncWith(r, name, input, s.execs.invoker, reply)
}

// execSyncWith is execSync with the given invoker.
func (s *server) execSyncWith(r resolved, name string, input []byte, inv fastpath.Invoker, reply func(*syncResult)) *awserr.Error {
	if aerr := s.execs.acquire(); aerr != nil {
		return aerr
	}
	defer s.execs.release()
	c := syncCallPool.Get().(*syncCall)
	defer syncCallPool.Put(c)
	if name == "" {
		name = jsonb.BytesString(newID(c.name[:0]))
	}
	c.arn = s.id.appendExecutionArn(c.arn[:0], r.m.Name, name, r.m.Type == "EXPRESS")
	sr := &c.result
	*sr = syncResult{arn: jsonb.BytesString(c.arn), machineArn: r.arn, name: name, start: s.execs.now()}
	c.x = execRequest{m: r.m, machineArn: r.arn, arn: sr.arn, name: name, input: input, start: sr.start, sync: true,
		invoker: inv, s3: s.execs.s3, mapRuns: s.execs.mapRuns, clock: s.execs.clockFor(), hist: s.hist}
	aerr := execute(s.ctx, &c.x, func(res *fastpath.Result, stop time.Time) {
		sr.stop, sr.res = stop, res
		reply(sr)
	})
	*sr, c.x = syncResult{}, execRequest{}
	return aerr
}

func (s *server) startExecution(body, dst []byte) ([]byte, *awserr.Error) {
	return s.startExecutionFor(body, dst, "")
}

// startExecutionFor is StartExecution for the `.sync` Task whose token is
// parent ("" for none): the execution's end answers that Task
// (nested_sync.go).
func (s *server) startExecutionFor(body, dst []byte, parent string) ([]byte, *awserr.Error) {
	sp := scratchPool.Get().(*[]byte)
	defer scratchPool.Put(sp)
	req, r, aerr := s.startRequest(body, sp)
	if aerr != nil {
		return dst, aerr
	}
	if _, err := jsonb.Compact(nil, req.input, jsonb.MaxDepth); err != nil {
		return dst, awserr.InvalidExecutionInput(err.Error())
	}
	name := strings.Clone(req.name) // the request's strings view the scratch buffer
	if name == "" {
		name = string(newID(nil))
	}
	r.arn = strings.Clone(r.arn)
	inv, aerr := s.invokerFor(r, req.testCase)
	if aerr != nil {
		return dst, aerr
	}
	if r.m.Type == "STANDARD" {
		return s.startDurable(dst, r, name, req.input, req.testCase, parent)
	}
	var ended func(execution)
	if parent != "" {
		ended = func(e execution) { s.answerParent(parent, &e) }
	}
	e, aerr := s.execs.startBackground(r, name, append([]byte(nil), req.input...), inv, parent, ended)
	if aerr != nil {
		return dst, aerr
	}
	return appendStarted(dst, e.Arn, e.Start)
}

// appendStarted appends a StartExecution response.
func appendStarted(dst []byte, arn string, start time.Time) ([]byte, *awserr.Error) {
	return encode(dst, struct {
		Arn   string    `json:"executionArn"`
		Start epochTime `json:"startDate"`
	}{arn, epochTime(start)})
}

func (s *server) stopExecution(body, dst []byte) ([]byte, *awserr.Error) {
	var req struct {
		Arn   string  `json:"executionArn"`
		Error *string `json:"error"`
		Cause *string `json:"cause"`
	}
	if err := decode(body, &req); err != nil {
		return dst, err
	}
	if err := required("executionArn", req.Arn); err != nil {
		return dst, err
	}
	children := s.expressChildren(req.Arn)
	stop, durable, aerr := s.stopDurable(req.Arn, req.Error, req.Cause)
	if !durable {
		stop, aerr = s.execs.stop(req.Arn, req.Error, req.Cause)
	}
	if aerr != nil {
		return dst, aerr
	}
	s.stopChildren(children)
	return encode(dst, struct {
		Stop epochTime `json:"stopDate"`
	}{epochTime(stop)})
}

// redriveExecution answers RedriveExecution: a durable (STANDARD)
// execution that ended FAILED, TIMED_OUT or ABORTED runs again from
// where it failed, once the redrive is committed (see durable.Runner.
// RedriveCommand).
func (s *server) redriveExecution(body, dst []byte) ([]byte, *awserr.Error) {
	var req struct {
		Arn   string `json:"executionArn"`
		Token string `json:"clientToken"`
	}
	if err := decode(body, &req); err != nil {
		return dst, err
	}
	if err := required("executionArn", req.Arn); err != nil {
		return dst, err
	}
	if len(req.Token) > 64 {
		return dst, awserr.New("ValidationException", "1 validation error detected: Value at 'clientToken' failed to satisfy constraint: Member must have length less than or equal to 64")
	}
	date, aerr := s.redriveDurable(req.Arn, req.Token)
	if aerr != nil {
		return dst, aerr
	}
	return encode(dst, struct {
		Date epochTime `json:"redriveDate"`
	}{epochTime(date)})
}

// decodeExecution reads a request naming an execution ({"executionArn"})
// and finds it.
func (s *server) decodeExecution(body []byte) (execution, *awserr.Error) {
	var req struct {
		Arn string `json:"executionArn"`
	}
	if err := decode(body, &req); err != nil {
		return execution{}, err
	}
	return s.executionByArn(req.Arn)
}

func (s *server) executionByArn(arn string) (execution, *awserr.Error) {
	if err := required("executionArn", arn); err != nil {
		return execution{}, err
	}
	if e, ok := s.durableExecution(arn); ok {
		return e, nil
	}
	if e, ok := s.execs.mapRuns.child(arn); ok {
		return e, nil
	}
	if e, ok := s.recordedChild(arn); ok {
		return e, nil
	}
	rec := s.execs.recent.get(arn)
	if rec == nil {
		return s.executionFromHistory(arn) // ExecutionDoesNotExist without history
	}
	return rec.snapshot(), nil
}

func (s *server) describeExecution(body, dst []byte) ([]byte, *awserr.Error) {
	e, aerr := s.decodeExecution(body)
	if aerr != nil {
		return dst, aerr
	}
	type details struct {
		Included bool `json:"included"`
	}
	out := struct {
		Arn           string     `json:"executionArn"`
		MachineArn    string     `json:"stateMachineArn"`
		Name          string     `json:"name"`
		Status        string     `json:"status"`
		Start         epochTime  `json:"startDate"`
		Stop          *epochTime `json:"stopDate,omitempty"`
		Input         string     `json:"input"`
		InputDetails  details    `json:"inputDetails"`
		Output        *string    `json:"output,omitempty"`
		OutputDetails *details   `json:"outputDetails,omitempty"`
		Error         *string    `json:"error,omitempty"`
		Cause         *string    `json:"cause,omitempty"`
		RedriveCount  int        `json:"redriveCount"`
		RedriveDate   *epochTime `json:"redriveDate,omitempty"`
		RedriveStatus string     `json:"redriveStatus"`
		RedriveReason string     `json:"redriveStatusReason,omitempty"`
		MapRunArn     string     `json:"mapRunArn,omitempty"`
	}{Arn: e.Arn, MachineArn: e.MachineArn, Name: e.Name, Status: e.Status, Start: epochTime(e.Start),
		Input: e.Input, InputDetails: details{true}, Output: e.Output, Error: e.Error, Cause: e.Cause,
		RedriveCount: e.Redrives, RedriveStatus: e.RedriveStatus, RedriveReason: e.RedriveReason, MapRunArn: e.MapRunArn}
	if out.RedriveStatus == "" {
		out.RedriveStatus = "NOT_REDRIVABLE"
	}
	if !e.Stop.IsZero() {
		stop := epochTime(e.Stop)
		out.Stop = &stop
	}
	if !e.RedriveDate.IsZero() {
		date := epochTime(e.RedriveDate)
		out.RedriveDate = &date
	}
	if e.Output != nil {
		out.OutputDetails = &details{true}
	}
	return encode(dst, out)
}

func (s *server) listExecutions(body, dst []byte) ([]byte, *awserr.Error) {
	var byRun struct {
		MapRunArn  string `json:"mapRunArn"`
		MachineArn string `json:"stateMachineArn"`
	}
	if err := decode(body, &byRun); err != nil {
		return dst, err
	}
	var (
		req    listRequest
		m      *machine
		aerr   *awserr.Error
		listed []execution
	)
	switch {
	case byRun.MapRunArn != "" && byRun.MachineArn != "":
		return dst, awserr.New("ValidationException", "Only one of stateMachineArn or mapRunArn may be given")
	case byRun.MapRunArn != "":
		// A Map Run's STANDARD child executions.
		if err := decode(body, &req); err != nil {
			return dst, err
		}
		if err := s.id.parseMapRunArn(byRun.MapRunArn); err != nil {
			return dst, err
		}
		var ok bool
		if listed, ok = s.execs.mapRuns.childrenOf(byRun.MapRunArn, req.StatusFilter); !ok {
			if listed, aerr = s.recordedChildren(byRun.MapRunArn, req.StatusFilter); aerr != nil {
				return dst, aerr
			}
		}
	default:
		if req, m, aerr = s.decodeList(body); aerr != nil {
			return dst, aerr
		}
		// Durable executions first: withHistory leaves out those it is given,
		// and a STANDARD execution with logging on is in the log too.
		listed = s.withHistory(s.withDurable(s.execs.recent.list(m.Name, req.StatusFilter), m.Name, req.StatusFilter), m.Arn, req.StatusFilter)
	}
	redriven := req.RedriveFilter == "REDRIVEN"
	if !redriven && req.RedriveFilter != "" && req.RedriveFilter != "NOT_REDRIVEN" {
		return dst, awserr.New("ValidationException", "1 validation error detected: Value '%s' at 'redriveFilter' failed to satisfy constraint: Member must satisfy enum value set: [REDRIVEN, NOT_REDRIVEN]", req.RedriveFilter)
	}
	type item struct {
		Arn          string     `json:"executionArn"`
		MachineArn   string     `json:"stateMachineArn"`
		Name         string     `json:"name"`
		Status       string     `json:"status"`
		Start        epochTime  `json:"startDate"`
		Stop         *epochTime `json:"stopDate,omitempty"`
		RedriveCount *int       `json:"redriveCount,omitempty"`
		RedriveDate  *epochTime `json:"redriveDate,omitempty"`
		MapRunArn    string     `json:"mapRunArn,omitempty"`
	}
	var items []item
	for i := range listed {
		e := &listed[i]
		if req.RedriveFilter != "" && (e.Redrives > 0) != redriven {
			continue
		}
		it := item{Arn: e.Arn, MachineArn: e.MachineArn, Name: e.Name, Status: e.Status, Start: epochTime(e.Start), MapRunArn: e.MapRunArn}
		if !e.Stop.IsZero() {
			stop := epochTime(e.Stop)
			it.Stop = &stop
		}
		if e.RedriveStatus != "" { // a durable execution
			it.RedriveCount = &e.Redrives
		}
		if !e.RedriveDate.IsZero() {
			date := epochTime(e.RedriveDate)
			it.RedriveDate = &date
		}
		items = append(items, it)
	}
	return appendPage(dst, "executions", items, req.NextToken, req.MaxResults)
}

func (s *server) describeStateMachineForExecution(body, dst []byte) ([]byte, *awserr.Error) {
	e, aerr := s.decodeExecution(body)
	if aerr != nil {
		return dst, aerr
	}
	m := e.machine
	if m == nil { // an execution from the history of a deleted machine
		return dst, awserr.MachineDoesNotExist(e.MachineArn)
	}
	out := struct {
		Arn        string    `json:"stateMachineArn"`
		Name       string    `json:"name"`
		Definition string    `json:"definition"`
		RoleArn    string    `json:"roleArn"`
		Updated    epochTime `json:"updateDate"`
		RevisionID string    `json:"revisionId"`
		MapRunArn  string    `json:"mapRunArn,omitempty"`
		Label      string    `json:"label,omitempty"`
	}{e.MachineArn, m.Name, m.Definition, m.RoleArn, epochTime(m.Updated), m.RevisionID, "", ""}
	if e.MapRunArn != "" {
		if run := s.findMapRun(e.MapRunArn); run != nil {
			// A child of a Distributed Map runs the state machine of its
			// Map Run: the Map's ItemProcessor, named <machine>/<label>.
			out.MapRunArn, out.Label, out.Name = run.Arn, run.Label, m.Name+"/"+run.Label
			out.Definition = processorDefinition(m.Definition, run.StateName)
		}
	}
	return encode(dst, out)
}
