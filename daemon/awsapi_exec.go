package daemon

import (
	"math/rand/v2"
	"strconv"
	"strings"
	"sync"
	"unsafe"

	"github.com/stepd/stepd/fastpath"
)

// scratchPool holds buffers for decoding StartSyncExecution requests
// without allocating.
var scratchPool = sync.Pool{New: func() any { b := make([]byte, 0, 4096); return &b }}

// bytesString views b as a string without copying; b must not change while
// the string is in use.
func bytesString(b []byte) string { return unsafe.String(unsafe.SliceData(b), len(b)) }

// syncRequest is a decoded StartSyncExecution (or StartExecution) request.
// Its strings view the scratch buffer they were decoded into.
type syncRequest struct {
	arn, name string
	input     []byte
}

// decodeStart reads a start request. It decodes with the runtime's scanner
// rather than reflection, since this is every execution's path.
func decodeStart(body, scratch []byte) (syncRequest, []byte, *apiError) {
	scratch, err := fastpath.Compact(scratch[:0], body, 64)
	if err != nil || fastpath.KindOf(scratch) != fastpath.KindObject {
		return syncRequest{}, scratch, apiErr("SerializationException", "Cannot parse the request body: it must be a JSON object")
	}
	obj := scratch
	var req syncRequest
	field := func(name string) (string, bool, *apiError) {
		v := fastpath.ObjectGet(obj, name)
		if v == nil || fastpath.KindOf(v) == fastpath.KindNull {
			return "", false, nil
		}
		if fastpath.KindOf(v) != fastpath.KindString {
			return "", false, apiErr("SerializationException", "Cannot parse the request body: '%s' must be a string", name)
		}
		mark := len(scratch)
		scratch = fastpath.AppendUnquoted(scratch, v)
		return bytesString(scratch[mark:]), true, nil
	}
	var aerr *apiError
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
		return req, scratch, apiErr("InvalidName", "Invalid Name: '%s'", req.name)
	}
	input, hasInput, aerr := field("input")
	if aerr != nil {
		return req, scratch, aerr
	}
	req.input = []byte("{}")
	if hasInput {
		req.input = unsafe.Slice(unsafe.StringData(input), len(input))
	}
	if len(req.input) > fastpath.MaxPayloadBytes {
		return req, scratch, apiErr("InvalidExecutionInput", "Invalid State Machine Execution Input: 'the input is %d bytes, more than the maximum of %d'", len(req.input), fastpath.MaxPayloadBytes)
	}
	return req, scratch, nil
}

// pickWeighted picks n in [0, total) for alias routing.
func pickWeighted(total int) int { return rand.IntN(total) }

func (s *server) startSyncExecution(body, dst []byte) ([]byte, *apiError) {
	sp := scratchPool.Get().(*[]byte)
	defer scratchPool.Put(sp)
	req, scratch, aerr := decodeStart(body, *sp)
	*sp = scratch[:0]
	if aerr != nil {
		return dst, aerr
	}
	r, aerr := s.reg.resolve(req.arn, pickWeighted)
	if aerr != nil {
		return dst, aerr
	}
	if r.m.Type != "EXPRESS" {
		return dst, apiErr("StateMachineTypeNotSupported", "This operation is not supported by this type of state machine")
	}
	e, aerr := s.runSync(r, req.name, req.input)
	if aerr != nil {
		return dst, aerr
	}
	return appendSyncResponse(dst, &e, req.input), nil
}

// runSync runs an execution to its end within the request.
func (s *server) runSync(r resolved, name string, input []byte) (execution, *apiError) {
	if aerr := s.runs.acquire(); aerr != nil {
		return execution{}, aerr
	}
	defer s.runs.release()
	if name == "" {
		var id [36]byte
		name = string(newID(id[:0]))
	}
	e := execution{Arn: s.runs.executionArn(r, name), MachineArn: r.arn, Name: name, Start: s.runs.now(), machine: r.m}
	if aerr := s.runs.run(s.ctx, r, &e, input, true); aerr != nil {
		return execution{}, aerr
	}
	return e, nil
}

// appendSyncResponse appends a StartSyncExecution response.
func appendSyncResponse(dst []byte, e *execution, input []byte) []byte {
	dst = append(dst, `{"executionArn":`...)
	dst = fastpath.AppendQuotedString(dst, e.Arn)
	dst = append(dst, `,"stateMachineArn":`...)
	dst = fastpath.AppendQuotedString(dst, e.MachineArn)
	dst = append(dst, `,"name":`...)
	dst = fastpath.AppendQuotedString(dst, e.Name)
	dst = append(dst, `,"startDate":`...)
	dst = appendEpoch(dst, e.Start)
	dst = append(dst, `,"stopDate":`...)
	dst = appendEpoch(dst, e.Stop)
	dst = append(dst, `,"status":"`...)
	dst = append(dst, e.Status...)
	dst = append(dst, `","input":`...)
	dst = fastpath.AppendQuoted(dst, input)
	dst = append(dst, `,"inputDetails":{"included":true}`...)
	if e.Output != nil {
		dst = append(dst, `,"output":`...)
		dst = fastpath.AppendQuotedString(dst, *e.Output)
		dst = append(dst, `,"outputDetails":{"included":true}`...)
	}
	if e.Error != nil {
		dst = append(dst, `,"error":`...)
		dst = fastpath.AppendQuotedString(dst, *e.Error)
	}
	if e.Cause != nil {
		dst = append(dst, `,"cause":`...)
		dst = fastpath.AppendQuotedString(dst, *e.Cause)
	}
	billed := max(100, (e.Stop.Sub(e.Start).Milliseconds()+99)/100*100)
	dst = append(dst, `,"billingDetails":{"billedMemoryUsedInMB":64,"billedDurationInMilliseconds":`...)
	dst = strconv.AppendInt(dst, billed, 10)
	return append(dst, "}}"...)
}

func (s *server) startExecution(body, dst []byte) ([]byte, *apiError) {
	sp := scratchPool.Get().(*[]byte)
	defer scratchPool.Put(sp)
	req, scratch, aerr := decodeStart(body, *sp)
	*sp = scratch[:0]
	if aerr != nil {
		return dst, aerr
	}
	r, aerr := s.reg.resolve(req.arn, pickWeighted)
	if aerr != nil {
		return dst, aerr
	}
	if _, err := fastpath.Compact(scratch[len(scratch):], req.input, fastpath.MaxDepth); err != nil {
		return dst, apiErr("InvalidExecutionInput", "Invalid State Machine Execution Input: '%v'", err)
	}
	name := strings.Clone(req.name) // the request's strings view the scratch buffer
	if name == "" {
		name = string(newID(nil))
	}
	r.arn = strings.Clone(r.arn)
	e, aerr := s.runs.startBackground(r, name, append([]byte(nil), req.input...))
	if aerr != nil {
		return dst, aerr
	}
	return encode(dst, struct {
		Arn   string    `json:"executionArn"`
		Start epochTime `json:"startDate"`
	}{e.Arn, epochTime(e.Start)})
}

func (s *server) stopExecution(body, dst []byte) ([]byte, *apiError) {
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
	stop, aerr := s.runs.stop(req.Arn, req.Error, req.Cause)
	if aerr != nil {
		return dst, aerr
	}
	return encode(dst, struct {
		Stop epochTime `json:"stopDate"`
	}{epochTime(stop)})
}

func (s *server) executionByArn(arn string) (execution, *apiError) {
	if err := required("executionArn", arn); err != nil {
		return execution{}, err
	}
	rec := s.runs.recent.get(arn)
	if rec == nil {
		return execution{}, apiErr("ExecutionDoesNotExist", "Execution Does Not Exist: '%s'", arn)
	}
	return rec.snapshot(), nil
}

func (s *server) describeExecution(body, dst []byte) ([]byte, *apiError) {
	var req struct {
		Arn string `json:"executionArn"`
	}
	if err := decode(body, &req); err != nil {
		return dst, err
	}
	e, aerr := s.executionByArn(req.Arn)
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
		RedriveStatus string     `json:"redriveStatus"`
	}{Arn: e.Arn, MachineArn: e.MachineArn, Name: e.Name, Status: e.Status, Start: epochTime(e.Start),
		Input: e.Input, InputDetails: details{true}, Output: e.Output, Error: e.Error, Cause: e.Cause, RedriveStatus: "NOT_REDRIVABLE"}
	if !e.Stop.IsZero() {
		stop := epochTime(e.Stop)
		out.Stop = &stop
	}
	if e.Output != nil {
		out.OutputDetails = &details{true}
	}
	return encode(dst, out)
}

func (s *server) listExecutions(body, dst []byte) ([]byte, *apiError) {
	var req struct {
		Arn          string `json:"stateMachineArn"`
		StatusFilter string `json:"statusFilter"`
		MaxResults   int    `json:"maxResults"`
		NextToken    string `json:"nextToken"`
	}
	if err := decode(body, &req); err != nil {
		return dst, err
	}
	m, aerr := s.machineByArn(req.Arn)
	if aerr != nil {
		return dst, aerr
	}
	type item struct {
		Arn        string     `json:"executionArn"`
		MachineArn string     `json:"stateMachineArn"`
		Name       string     `json:"name"`
		Status     string     `json:"status"`
		Start      epochTime  `json:"startDate"`
		Stop       *epochTime `json:"stopDate,omitempty"`
	}
	var items []item
	for _, e := range s.runs.recent.list(m.Name, req.StatusFilter) {
		it := item{Arn: e.Arn, MachineArn: e.MachineArn, Name: e.Name, Status: e.Status, Start: epochTime(e.Start)}
		if !e.Stop.IsZero() {
			stop := epochTime(e.Stop)
			it.Stop = &stop
		}
		items = append(items, it)
	}
	pageItems, next, aerr := page(items, req.NextToken, req.MaxResults)
	if aerr != nil {
		return dst, aerr
	}
	if pageItems == nil {
		pageItems = []item{}
	}
	return encode(dst, struct {
		Executions []item `json:"executions"`
		NextToken  string `json:"nextToken,omitempty"`
	}{pageItems, next})
}

func (s *server) describeStateMachineForExecution(body, dst []byte) ([]byte, *apiError) {
	var req struct {
		Arn string `json:"executionArn"`
	}
	if err := decode(body, &req); err != nil {
		return dst, err
	}
	e, aerr := s.executionByArn(req.Arn)
	if aerr != nil {
		return dst, aerr
	}
	m := e.machine
	return encode(dst, struct {
		Arn        string    `json:"stateMachineArn"`
		Name       string    `json:"name"`
		Definition string    `json:"definition"`
		RoleArn    string    `json:"roleArn"`
		Updated    epochTime `json:"updateDate"`
		RevisionID string    `json:"revisionId"`
	}{e.MachineArn, m.Name, m.Definition, m.RoleArn, epochTime(m.Updated), m.RevisionID})
}
