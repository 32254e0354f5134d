package daemon

import (
	"bytes"

	json "github.com/goccy/go-json"
	"github.com/valyala/fasthttp"

	"github.com/stepd/stepd/fastpath/jsonb"
	"github.com/stepd/stepd/internal/awserr"
)

// The worker side of the REST API, for services beside stepd that take
// activity tasks or answer task tokens with plain HTTP calls (README,
// "Callbacks and activities"):
//
//	POST /v1/activities/{name}/tasks[?worker=NAME]  long-polls for a task:
//	     200 {"taskToken": "...", "input": <JSON>}, or 204 when none came
//	POST /v1/tasks/{token}/success    body: the output (JSON)
//	POST /v1/tasks/{token}/failure    body: {"error": "...", "cause": "..."} (both optional)
//	POST /v1/tasks/{token}/heartbeat
//	GET  /v1/tasks    the tasks waiting for an answer (the console's inbox)
//
// They answer as the AWS actions they stand for (GetActivityTask,
// SendTaskSuccess, SendTaskFailure, SendTaskHeartbeat) do, errors as the
// rest of the REST API: {"error": <AWS code>, "cause": <message>}. All of
// them need the execute role (auth.RESTRole): a listed token answers its
// task.

var (
	restActivities = []byte("/v1/activities/")
	restTasks      = []byte("/v1/tasks/")
	restTaskList   = restTasks[:len(restTasks)-1]
)

// maxWaitingTasks bounds the list of GET /v1/tasks, oldest first: a page
// a person reads, not an export (its "total" says how many wait).
const maxWaitingTasks = 1000

// waitingTask is one entry of GET /v1/tasks. Status says what a person
// may do: WAITING (a `.waitForTaskToken` Task: answer it), TAKEN (an
// activity task a worker holds: answer it in the worker's place), or
// WAITING_FOR_WORKER (an activity task no worker has taken: it waits for
// GetActivityTask, and the inbox offers no answer).
type waitingTask struct {
	Token         string          `json:"taskToken"`
	ExecutionArn  string          `json:"executionArn"`
	ExecutionName string          `json:"executionName"`
	MachineArn    string          `json:"stateMachineArn"`
	State         string          `json:"stateName,omitempty"`
	Activity      string          `json:"activityArn,omitempty"`
	Status        string          `json:"status"`
	Worker        string          `json:"workerName,omitempty"`
	Since         epochTime       `json:"waitingSince"`
	Due           *epochTime      `json:"timeoutDate,omitempty"`
	Input         json.RawMessage `json:"input,omitempty"`
}

// restWaitingTasks answers GET /v1/tasks: the tasks that wait for an
// answer on this node's copy of the durable state, which every node
// holds (a follower's may lag the leader's by a commit or two).
func (s *server) restWaitingTasks(ctx *fasthttp.RequestCtx) {
	if !ctx.IsGet() && !ctx.IsHead() {
		writeRESTMethodNotAllowed(ctx, "GET, HEAD")
		return
	}
	x := s.node.Executions()
	pending := x.WaitingTasks()
	out := struct {
		Tasks []waitingTask `json:"tasks"`
		Total int           `json:"total"`
	}{Tasks: []waitingTask{}, Total: len(pending)}
	for i := range pending[:min(len(pending), maxWaitingTasks)] {
		p := &pending[i]
		e, ok := x.Get(p.Arn)
		if !ok {
			continue
		}
		w := waitingTask{Token: p.Token, ExecutionArn: p.Arn, ExecutionName: e.Name, MachineArn: e.MachineArn, State: p.State,
			Activity: p.Activity, Status: "WAITING", Since: epochTime(p.Since), Input: json.RawMessage(p.Input)}
		switch {
		case p.Activity != "" && p.Claimed:
			w.Status, w.Worker = "TAKEN", p.Worker
		case p.Activity != "":
			w.Status = "WAITING_FOR_WORKER"
		}
		if due, ok := p.Due(); ok {
			d := epochTime(due)
			w.Due = &d
		}
		out.Tasks = append(out.Tasks, w)
	}
	b, err := json.Marshal(out)
	if err != nil {
		writeRESTError(ctx, awserr.New("InternalFailure", "cannot encode the waiting tasks: %v", err))
		return
	}
	writeRESTJSON(ctx, fasthttp.StatusOK, b)
}

// handleRESTCallbacks answers the worker routes; false when the path is
// not one of them.
func (s *server) handleRESTCallbacks(ctx *fasthttp.RequestCtx) bool {
	path := ctx.Path()
	if bytes.Equal(path, restTaskList) {
		s.restWaitingTasks(ctx)
		return true
	}
	var body []byte
	var handle func(*server, []byte, []byte) ([]byte, *awserr.Error)
	var take bool
	if rest, ok := bytes.CutPrefix(path, restActivities); ok {
		name, ok := bytes.CutSuffix(rest, []byte("/tasks"))
		if !ok || len(name) == 0 || bytes.IndexByte(name, '/') >= 0 {
			return false
		}
		body, _ = json.Marshal(struct {
			Arn    string `json:"activityArn"`
			Worker string `json:"workerName,omitempty"`
		}{s.id.activityArn(string(name)), string(ctx.QueryArgs().Peek("worker"))})
		handle, take = (*server).getActivityTask, true
	} else if rest, ok := bytes.CutPrefix(path, restTasks); ok {
		token, action, _ := bytes.Cut(rest, []byte("/"))
		var err *awserr.Error
		if body, handle, err = restAnswer(string(token), string(action), ctx.PostBody()); err != nil {
			writeRESTError(ctx, err)
			return true
		}
		if handle == nil {
			return false
		}
	} else {
		return false
	}
	if !ctx.IsPost() {
		writeRESTError(ctx, &awserr.Error{Code: "MethodNotAllowed", Message: "use POST"})
		return true
	}
	out, aerr := handle(s, body, nil)
	switch {
	case aerr != nil:
		writeRESTError(ctx, aerr)
	case !take:
		writeRESTJSON(ctx, fasthttp.StatusOK, []byte("{}"))
	default:
		var task struct {
			Token string `json:"taskToken"`
			Input string `json:"input"`
		}
		if json.Unmarshal(out, &task) != nil || task.Token == "" {
			restMetrics.count(fasthttp.StatusNoContent)
			ctx.SetStatusCode(fasthttp.StatusNoContent)
			return true
		}
		b := append([]byte(`{"taskToken":`), jsonb.AppendQuotedString(nil, task.Token)...)
		b = append(append(b, `,"input":`...), task.Input...)
		writeRESTJSON(ctx, fasthttp.StatusOK, append(b, '}'))
	}
	return true
}

// restAnswer builds the AWS request of a /v1/tasks/{token}/{action} call;
// a nil handler means no such action.
func restAnswer(token, action string, post []byte) ([]byte, func(*server, []byte, []byte) ([]byte, *awserr.Error), *awserr.Error) {
	req := map[string]any{"taskToken": token}
	switch action {
	case "success":
		req["output"] = string(post)
		return mustJSON(req), (*server).sendTaskSuccess, nil
	case "failure":
		var f struct {
			Error *string `json:"error"`
			Cause *string `json:"cause"`
		}
		if len(bytes.TrimSpace(post)) > 0 {
			if err := json.Unmarshal(post, &f); err != nil {
				return nil, nil, awserr.New("SerializationException", "Cannot parse the failure: %v", err)
			}
		}
		if f.Error != nil {
			req["error"] = *f.Error
		}
		if f.Cause != nil {
			req["cause"] = *f.Cause
		}
		return mustJSON(req), (*server).sendTaskFailure, nil
	case "heartbeat":
		return mustJSON(req), (*server).sendTaskHeartbeat, nil
	}
	return nil, nil, nil
}

// mustJSON encodes a request of strings, which cannot fail.
func mustJSON(v map[string]any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic("BUG: cannot encode a request of strings: " + err.Error())
	}
	return b
}
