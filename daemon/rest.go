package daemon

import (
	"bytes"
	"strings"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/stepd/stepd/cluster"
	"github.com/stepd/stepd/fastpath"
	"github.com/stepd/stepd/fastpath/jsonb"

	"github.com/stepd/stepd/internal/awserr"
)

// The REST API, for a service beside stepd that wants one plain HTTP call
// per execution:
//
//	PUT    /v1/state-machines/{name}[?type=EXPRESS|STANDARD]  body: the ASL definition
//	GET    /v1/state-machines/{name}
//	DELETE /v1/state-machines/{name}
//	GET    /v1/state-machines
//	POST   /v1/state-machines/{name}/executions[?name=...]   body: the input
//
// An execution that SUCCEEDED answers 200 with its output as the body.
// One that FAILED or TIMED_OUT answers 422 with {"status","error","cause"}.
// Requests that cannot run answer {"error": <AWS error code>, "cause":
// <message>} with 400 (bad input or definition), 404 (no such machine),
// 405 (wrong method, with Allow), 413 (body too large), 429 (over the
// in-flight limit) or 500; every error of the REST paths has that shape.

var restStatus = map[string]int{
	"StateMachineDoesNotExist": fasthttp.StatusNotFound,
	"ThrottlingException":      fasthttp.StatusTooManyRequests,
	"InternalFailure":          fasthttp.StatusInternalServerError,

	"MissingAuthenticationTokenException": fasthttp.StatusUnauthorized,
	"IncompleteSignatureException":        fasthttp.StatusUnauthorized,
	"UnrecognizedClientException":         fasthttp.StatusUnauthorized,
	"InvalidSignatureException":           fasthttp.StatusUnauthorized,
	"AccessDeniedException":               fasthttp.StatusForbidden,
}

var restMetrics = newHTTPMetrics("REST")

func writeRESTError(ctx *fasthttp.RequestCtx, e *awserr.Error) {
	status, ok := restStatus[e.Code]
	if !ok {
		status = e.Status()
	}
	restMetrics.done(status, ctx.Time())
	ctx.SetStatusCode(status)
	ctx.SetContentType("application/json")
	b := append([]byte(`{"error":`), jsonb.AppendQuotedString(nil, e.Code)...)
	b = append(b, `,"cause":`...)
	b = jsonb.AppendQuotedString(b, e.Message)
	ctx.SetBody(append(b, '}'))
}

// writeRESTMethodNotAllowed answers 405 naming the methods path allows.
func writeRESTMethodNotAllowed(ctx *fasthttp.RequestCtx, allow string) {
	ctx.Response.Header.Set(fasthttp.HeaderAllow, allow)
	writeRESTError(ctx, awserr.New("MethodNotAllowed", "%s %s is not allowed: use %s", ctx.Method(), ctx.Path(), allow))
}

func writeRESTJSON(ctx *fasthttp.RequestCtx, status int, body []byte) {
	restMetrics.done(status, ctx.Time())
	ctx.SetStatusCode(status)
	ctx.SetContentType("application/json")
	ctx.SetBody(body)
}

func (s *server) handleREST(ctx *fasthttp.RequestCtx) {
	rest, ok := bytes.CutPrefix(ctx.Path(), []byte("/v1/state-machines"))
	if !ok && s.handleRESTCallbacks(ctx) {
		return
	}
	if !ok {
		writeRESTError(ctx, awserr.New("UnknownOperationException", "Unknown path %q", ctx.Path()))
		return
	}
	rest = bytes.TrimPrefix(rest, []byte("/"))
	name, sub, _ := bytes.Cut(rest, []byte("/"))
	method := string(ctx.Method())
	switch {
	case len(name) == 0 && method == fasthttp.MethodGet:
		s.restList(ctx)
	case len(name) == 0:
		writeRESTMethodNotAllowed(ctx, fasthttp.MethodGet)
	case string(sub) == "executions" && method == fasthttp.MethodPost:
		s.restExecute(ctx, string(name))
	case string(sub) == "executions":
		writeRESTMethodNotAllowed(ctx, fasthttp.MethodPost)
	case len(sub) > 0:
		writeRESTError(ctx, awserr.New("UnknownOperationException", "Unknown path %q", ctx.Path()))
	case method == fasthttp.MethodPut:
		s.restPut(ctx, string(name))
	case method == fasthttp.MethodGet:
		s.restDescribe(ctx, string(name))
	case method == fasthttp.MethodDelete:
		s.restDelete(ctx, string(name))
	default:
		writeRESTMethodNotAllowed(ctx, "GET, PUT, DELETE")
	}
}

func (s *server) restExecute(ctx *fasthttp.RequestCtx, name string) {
	r, aerr := s.reg.resolve(s.id.stateMachineArn(name), pickWeighted)
	if aerr != nil {
		writeRESTError(ctx, aerr)
		return
	}
	input := ctx.PostBody()
	if len(bytes.TrimSpace(input)) == 0 {
		input = []byte("{}")
	}
	if len(input) > fastpath.MaxPayloadBytes {
		writeRESTError(ctx, awserr.New("InvalidExecutionInput", "the input is %d bytes, more than the maximum of %d", len(input), fastpath.MaxPayloadBytes))
		return
	}
	execName := string(ctx.QueryArgs().Peek("name"))
	if execName != "" && !validName(execName) {
		writeRESTError(ctx, awserr.InvalidName(execName))
		return
	}
	aerr = s.execSync(r, execName, input, func(sr *syncResult) {
		ctx.Response.Header.Set("X-Stepd-Execution-Arn", sr.arn)
		res := sr.res
		if res.Status == fastpath.Succeeded {
			writeRESTJSON(ctx, fasthttp.StatusOK, res.Output)
			return
		}
		b := append([]byte(`{"status":`), jsonb.AppendQuotedString(nil, res.Status.String())...)
		b = appendErrorCause(b, res)
		writeRESTJSON(ctx, fasthttp.StatusUnprocessableEntity, append(b, '}'))
	})
	if aerr != nil {
		writeRESTError(ctx, aerr)
	}
}

// restPut creates the machine, or updates its definition when it exists.
func (s *server) restPut(ctx *fasthttp.RequestCtx, name string) {
	if !validName(name) {
		writeRESTError(ctx, awserr.InvalidName(name))
		return
	}
	typ, aerr := machineTypeOf(strings.ToUpper(string(ctx.QueryArgs().Peek("type"))))
	if aerr != nil {
		writeRESTError(ctx, aerr)
		return
	}
	if len(ctx.QueryArgs().Peek("type")) == 0 {
		typ = "EXPRESS" // the REST API is for synchronous calls
	}
	def := string(ctx.PostBody())
	roleArn := string(ctx.QueryArgs().Peek("roleArn"))
	if roleArn == "" {
		roleArn = s.id.defaultRoleArn()
	}
	if aerr := checkRoleArn(roleArn); aerr != nil {
		writeRESTError(ctx, aerr)
		return
	}
	if old := s.reg.snap.Load().machines[name]; old != nil && old.Type != typ {
		writeRESTError(ctx, awserr.MachineAlreadyExists(old.Arn, old.Type))
		return
	}
	if _, aerr := s.checkDefinition(name, def, typ); aerr != nil {
		writeRESTError(ctx, aerr)
		return
	}
	now := time.Now()
	res, aerr := s.propose(&cluster.PutMachine{Machine: &cluster.Machine{Arn: s.id.stateMachineArn(name), Name: name, Type: typ, RoleArn: roleArn,
		Definition: def, Created: now, Updated: now, RevisionID: newRevisionID()}})
	if aerr != nil {
		writeRESTError(ctx, aerr)
		return
	}
	status := fasthttp.StatusOK
	if res.Created {
		status = fasthttp.StatusCreated
	}
	s.restDescribeStatus(ctx, name, status)
}

func (s *server) restDescribe(ctx *fasthttp.RequestCtx, name string) {
	s.restDescribeStatus(ctx, name, fasthttp.StatusOK)
}

// restDescribeStatus answers status with the description of the machine
// called name, or 404 when there is none.
func (s *server) restDescribeStatus(ctx *fasthttp.RequestCtx, name string, status int) {
	m := s.reg.snap.Load().machines[name]
	if m == nil {
		writeRESTError(ctx, awserr.MachineDoesNotExist(s.id.stateMachineArn(name)))
		return
	}
	body, _ := encode(nil, describe(m))
	writeRESTJSON(ctx, status, body)
}

func (s *server) restDelete(ctx *fasthttp.RequestCtx, name string) {
	body := []byte(`{"stateMachineArn":` + string(jsonb.AppendQuotedString(nil, s.id.stateMachineArn(name))) + `}`)
	if _, aerr := s.deleteStateMachine(body, nil); aerr != nil {
		writeRESTError(ctx, aerr)
		return
	}
	restMetrics.done(fasthttp.StatusNoContent, ctx.Time())
	ctx.SetStatusCode(fasthttp.StatusNoContent)
}

func (s *server) restList(ctx *fasthttp.RequestCtx) {
	body, aerr := s.listStateMachines([]byte(`{"maxResults":1000}`), nil)
	if aerr != nil {
		writeRESTError(ctx, aerr)
		return
	}
	writeRESTJSON(ctx, fasthttp.StatusOK, body)
}
