package daemon

import (
	"context"
	"time"

	"github.com/VictoriaMetrics/metrics"
	json "github.com/goccy/go-json"

	"github.com/stepd/stepd/cluster"
	"github.com/stepd/stepd/fastpath"
	"github.com/stepd/stepd/fastpath/jsonb"
	"github.com/stepd/stepd/internal/awserr"
)

// Callbacks and activities, the worker side of the API: GetActivityTask
// hands an activity task to one worker; SendTaskSuccess, SendTaskFailure
// and SendTaskHeartbeat answer a task token. Each is a cluster command
// (cluster/callbacks.go) decided in Apply, so it works from any node and
// a token is used once; the leader's runner then resumes the execution
// by replay (fastpath/vm_callback.go).

// callbackInvoker is the invoker of durable executions: an activity's
// "call" checks that the activity exists (AWS fails the execution with
// States.Runtime when it does not); every other Task goes to next.
type callbackInvoker struct {
	next fastpath.Invoker
	s    *server
}

// Mocks implements fastpath.Mocker for the invoker it wraps.
func (c *callbackInvoker) Mocks(task *fastpath.Task) bool {
	m, ok := c.next.(fastpath.Mocker)
	return ok && m.Mocks(task)
}

// Invoke implements fastpath.Invoker.
func (c *callbackInvoker) Invoke(ctx context.Context, task *fastpath.Task, input, dst []byte) ([]byte, []byte, error) {
	if task.Callback != fastpath.CallbackActivity {
		return c.next.Invoke(ctx, task, input, dst)
	}
	name, aerr := c.s.id.parseActivityArn(task.Resource)
	if aerr != nil || c.s.node.State().Activities[name] == nil {
		return nil, dst, &fastpath.Failure{Name: fastpath.ErrRuntime, Cause: "The activity " + task.Resource + " does not exist."}
	}
	return append(dst, "{}"...), dst, nil
}

// checkToken refuses a token that stepd cannot have minted, as AWS's
// InvalidToken does.
func checkToken(token string) *awserr.Error {
	if err := required("taskToken", token); err != nil {
		return err
	}
	if _, _, ok := fastpath.ParseTaskToken(token); !ok {
		return awserr.New("InvalidToken", "Invalid Token: 'Invalid token'")
	}
	return nil
}

// answer proposes the answer to a task token and answers {}.
func (s *server) answer(dst []byte, token string, outcome []byte) ([]byte, *awserr.Error) {
	if _, aerr := s.propose(&cluster.AnswerTask{Token: token, Outcome: outcome, Now: time.Now()}); aerr != nil {
		return dst, aerr
	}
	return append(dst, "{}"...), nil
}

func (s *server) sendTaskSuccess(body, dst []byte) ([]byte, *awserr.Error) {
	var req struct {
		Token  string  `json:"taskToken"`
		Output *string `json:"output"`
	}
	if err := decode(body, &req); err != nil {
		return dst, err
	}
	if err := checkToken(req.Token); err != nil {
		return dst, err
	}
	if req.Output == nil {
		return dst, required("output", "")
	}
	if len(*req.Output) > fastpath.MaxPayloadBytes {
		return dst, awserr.New("InvalidOutput", "Invalid State Machine Execution Output: 'the output is %d bytes, more than the maximum of %d'", len(*req.Output), fastpath.MaxPayloadBytes)
	}
	out, err := jsonb.Compact(nil, []byte(*req.Output), jsonb.MaxDepth)
	if err != nil {
		return dst, awserr.New("InvalidOutput", "Invalid State Machine Execution Output: '%v'", err)
	}
	return s.answer(dst, req.Token, fastpath.AppendTaskSuccess(nil, out))
}

func (s *server) sendTaskFailure(body, dst []byte) ([]byte, *awserr.Error) {
	var req struct {
		Token string  `json:"taskToken"`
		Error *string `json:"error"`
		Cause *string `json:"cause"`
	}
	if err := decode(body, &req); err != nil {
		return dst, err
	}
	if err := checkToken(req.Token); err != nil {
		return dst, err
	}
	var errName, cause string
	if req.Error != nil {
		errName = *req.Error
	}
	if req.Cause != nil {
		cause = *req.Cause
	}
	if len(errName) > 256 || len(cause) > 32768 {
		return dst, awserr.New("ValidationException", "1 validation error detected: the error is at most 256 characters and the cause at most 32768")
	}
	return s.answer(dst, req.Token, fastpath.AppendTaskFailure(nil, errName, cause, req.Error != nil, req.Cause != nil))
}

func (s *server) sendTaskHeartbeat(body, dst []byte) ([]byte, *awserr.Error) {
	var req struct {
		Token string `json:"taskToken"`
	}
	if err := decode(body, &req); err != nil {
		return dst, err
	}
	if err := checkToken(req.Token); err != nil {
		return dst, err
	}
	if _, aerr := s.propose(&cluster.HeartbeatTask{Token: req.Token, Now: time.Now()}); aerr != nil {
		return dst, aerr
	}
	return append(dst, "{}"...), nil
}

// activityTaskBatch is how many unclaimed tasks a poll tries to claim
// before it waits again: one usually suffices, more ride out races
// with other workers.
const activityTaskBatch = 8

// claimsRefused counts the claims of activity tasks that another worker
// won: each cost a Raft commit for nothing. Polls of one node never race
// each other for a task (server.claiming), so these are races between
// nodes.
var claimsRefused = metrics.NewCounter(`stepd_activity_claims_refused_total`)

// claim proposes that worker takes the activity task of token, unless
// another poll of this node is claiming it already: a new task wakes
// every waiting poll at once, and without this each would spend a commit
// on the same task. A poll that steps aside loses nothing: the claim in
// flight either wins, or fails because the task is gone.
func (s *server) claim(token, worker string) bool {
	if _, busy := s.claiming.LoadOrStore(token, struct{}{}); busy {
		return false
	}
	defer s.claiming.Delete(token)
	if _, aerr := s.propose(&cluster.ClaimActivityTask{Token: token, Worker: worker}); aerr != nil {
		claimsRefused.Inc()
		return false
	}
	return true
}

func (s *server) getActivityTask(body, dst []byte) ([]byte, *awserr.Error) {
	var req struct {
		Arn    string `json:"activityArn"`
		Worker string `json:"workerName"`
	}
	if err := decode(body, &req); err != nil {
		return dst, err
	}
	if _, aerr := s.activityByArn(req.Arn); aerr != nil {
		return dst, aerr
	}
	if len(req.Worker) > 80 {
		return dst, awserr.New("ValidationException", "1 validation error detected: Value at 'workerName' failed to satisfy constraint: Member must have length less than or equal to 80")
	}
	if n := s.pollers.Add(1); n > int64(s.cfg.ActivityPollers) {
		s.pollers.Add(-1)
		return dst, awserr.New("ActivityWorkerLimitExceeded", "The maximum number of workers concurrently polling for activity tasks (%d on this node) has been reached", s.cfg.ActivityPollers)
	}
	defer s.pollers.Add(-1)
	timer := time.NewTimer(s.cfg.ActivityPoll)
	defer timer.Stop()
	for {
		tasks, changed := s.node.Executions().ActivityTasks(req.Arn, activityTaskBatch)
		for _, p := range tasks {
			if !s.claim(p.Token, req.Worker) {
				continue // another worker took it, or it ended meanwhile
			}
			return encode(dst, struct {
				Token string          `json:"taskToken"`
				Input json.RawMessage `json:"input"`
			}{p.Token, json.RawMessage(jsonb.AppendQuoted(nil, p.Input))})
		}
		select {
		case <-changed:
		case <-timer.C:
			return append(dst, "{}"...), nil // AWS answers no token when nothing came
		case <-s.ctx.Done():
			return append(dst, "{}"...), nil
		}
	}
}
