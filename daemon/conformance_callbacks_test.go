package daemon

import (
	"context"
	"crypto/sha1"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stepd/stepd/daemon/awsclient"
	"github.com/stepd/stepd/daemon/integrations"
	"github.com/stepd/stepd/fastpath"
	"github.com/stepd/stepd/internal/conformance"
	"github.com/stepd/stepd/internal/emulators"
)

// activityCase is what an activity case adds to the base format: the
// calls made before the execution and the worker that answered.
type activityCase struct {
	Setup []struct {
		Service, Operation string
		Params             map[string]any
	} `json:"setup"`
	Worker []struct {
		Kind         string `json:"kind"`
		Then         any    `json:"then"`
		StateMachine struct {
			Definition string `json:"definition"`
		} `json:"state_machine"`
		ActivityArn string `json:"activity_arn"`
	} `json:"worker"`
	// Trace is the history AWS recorded: event types, state events with
	// ":StateName".
	Trace []string `json:"trace"`
	// Definition is the machine, read for its activity state's
	// TimeoutSeconds and HeartbeatSeconds.
	Definition struct {
		States map[string]struct {
			Resource                         string
			TimeoutSeconds, HeartbeatSeconds int64
		}
	} `json:"definition"`
}

// consumer is what an activity consumer machine of the corpus does, read
// from its definition: the worker name it polls with, whether it sends a
// heartbeat, and how it answers (success with the task's input as output,
// failure with an error name and the input as cause, or nothing).
type consumer struct {
	worker            string
	heartbeat         bool
	answer, failError string
}

func readConsumer(def string) (consumer, error) {
	var m struct {
		States map[string]struct {
			Resource   string         `json:"Resource"`
			Parameters map[string]any `json:"Parameters"`
		} `json:"States"`
	}
	if err := json.Unmarshal([]byte(def), &m); err != nil {
		return consumer{}, err
	}
	var c consumer
	for _, st := range m.States {
		switch strings.TrimPrefix(st.Resource, "arn:aws:states:::aws-sdk:sfn:") {
		case "getActivityTask":
			c.worker, _ = st.Parameters["WorkerName"].(string)
		case "sendTaskHeartbeat":
			c.heartbeat = true
		case "sendTaskSuccess":
			c.answer = "success"
		case "sendTaskFailure":
			c.answer = "failure"
			c.failError, _ = st.Parameters["Error"].(string)
		}
	}
	return c, nil
}

// TestConformanceActivities runs the corpus's activities category through
// the AWS API on the real clock: the setup calls, then the worker the
// case describes (its consumer machine's behaviour, played by this test),
// then the execution. Cases that need an AWS service integration are
// counted as not passing, with the reason in docs/CONFORMANCE.md.
func TestConformanceActivities(t *testing.T) {
	if testing.Short() {
		t.Skip("runs executions that wait seconds for activity timeouts")
	}
	dir, cases := corpusCases(t)
	cfg := DefaultConfig()
	cfg.DataDir, cfg.Account, cfg.ActivityPoll = t.TempDir(), "111111111111", time.Second
	ts := startTestServerClock(t, cfg, fastpath.SystemClock{})
	var tally conformance.Tally
	for _, c := range cases {
		if c.Category != "activities" {
			continue
		}
		err := ts.runActivityCase(filepath.Join(dir, c.File), c)
		tally.Add(c.Category, err == nil)
		if err != nil {
			t.Errorf("%s: %v", c.ID, err)
		}
	}
	t.Logf("activities:\n%s", tally.String())
}

func (ts *testServer) runActivityCase(file string, c *conformance.Case) error {
	b, err := os.ReadFile(file)
	if err != nil {
		return err
	}
	var ac activityCase
	if err := json.Unmarshal(b, &ac); err != nil {
		return err
	}
	for _, s := range ac.Setup {
		action := map[string]string{"create_activity": "CreateActivity", "delete_activity": "DeleteActivity"}[s.Operation]
		if s.Service != "stepfunctions" || action == "" {
			return fmt.Errorf("setup %s.%s needs what this runner does not have", s.Service, s.Operation)
		}
		if code, msg, err := ts.call(action, s.Params, nil); err != nil || code != "" {
			return fmt.Errorf("%s: %v %s %s", action, err, code, msg)
		}
	}
	done := make(chan error, len(ac.Worker))
	var worker string
	for _, w := range ac.Worker {
		if w.Kind != "state_machine" || w.Then != "activity_consumer" {
			return fmt.Errorf("a worker of kind %s (%v) this runner does not play", w.Kind, w.Then)
		}
		cons, err := readConsumer(w.StateMachine.Definition)
		if err != nil {
			return err
		}
		worker = cons.worker
		go func() { done <- ts.playConsumer(w.ActivityArn, cons) }()
	}
	sum := sha1.Sum([]byte(c.ID))
	name := "activity-case-" + hex.EncodeToString(sum[:8])
	var created struct {
		Arn string `json:"stateMachineArn"`
	}
	create := map[string]any{"name": name, "definition": string(c.DefinitionBytes()), "roleArn": "arn:aws:iam::111111111111:role/stepd", "type": c.Type()}
	if code, msg, err := ts.call("CreateStateMachine", create, &created); err != nil || code != "" {
		return fmt.Errorf("CreateStateMachine: %v %s %s", err, code, msg)
	}
	var started struct {
		Arn string `json:"executionArn"`
	}
	if code, msg, err := ts.call("StartExecution", map[string]any{"stateMachineArn": created.Arn, "input": string(c.Input)}, &started); err != nil || code != "" {
		return fmt.Errorf("StartExecution: %v %s %s", err, code, msg)
	}
	var e apiExecution
	for deadline := time.Now().Add(time.Minute); e.Status == "" || e.Status == "RUNNING"; {
		if time.Now().After(deadline) {
			return fmt.Errorf("still RUNNING after a minute")
		}
		if code, msg, err := ts.call("DescribeExecution", map[string]any{"executionArn": started.Arn}, &e); err != nil || code != "" {
			return fmt.Errorf("DescribeExecution: %v %s %s", err, code, msg)
		}
		time.Sleep(10 * time.Millisecond)
	}
	for range ac.Worker {
		if err := <-done; err != nil {
			return fmt.Errorf("worker: %w", err)
		}
	}
	o := conformance.Outcome{Status: e.Status, Error: e.Error, Cause: e.Cause}
	if e.Output != nil {
		o.Output = []byte(*e.Output)
	}
	if err := c.CheckExecution(o); err != nil {
		return err
	}
	return ts.checkActivityHistory(started.Arn, &ac, worker)
}

// checkActivityHistory compares the history of the execution arn with the
// trace AWS recorded, and the details of its activity events with what
// AWS's recordings of these cases show: ActivityScheduled has
// heartbeatInSeconds and timeoutInSeconds exactly when the state sets
// them, ActivityStarted the workerName the worker polled with (an empty
// object when it gave none).
func (ts *testServer) checkActivityHistory(arn string, ac *activityCase, worker string) error {
	var h struct {
		Events []struct {
			Type      string
			Scheduled *struct {
				Timeout   *int64 `json:"timeoutInSeconds"`
				Heartbeat *int64 `json:"heartbeatInSeconds"`
			} `json:"activityScheduledEventDetails"`
			Started *struct {
				Worker *string `json:"workerName"`
			} `json:"activityStartedEventDetails"`
		}
	}
	if code, msg, err := ts.call("GetExecutionHistory", map[string]any{"executionArn": arn}, &h); err != nil || code != "" {
		return fmt.Errorf("GetExecutionHistory: %v %s %s", err, code, msg)
	}
	var got, want []string
	for _, ev := range h.Events {
		got = append(got, ev.Type)
	}
	for _, tr := range ac.Trace {
		typ, _, _ := strings.Cut(tr, ":")
		want = append(want, typ)
	}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		return fmt.Errorf("history %v, AWS recorded %v", got, want)
	}
	var timeout, heartbeat int64
	for _, st := range ac.Definition.States {
		if strings.Contains(st.Resource, ":activity:") {
			timeout, heartbeat = st.TimeoutSeconds, st.HeartbeatSeconds
		}
	}
	orZero := func(p *int64) int64 {
		if p == nil {
			return 0
		}
		return *p
	}
	for _, ev := range h.Events {
		switch {
		case ev.Type == "ActivityScheduled" && (ev.Scheduled == nil || orZero(ev.Scheduled.Timeout) != timeout || orZero(ev.Scheduled.Heartbeat) != heartbeat):
			return fmt.Errorf("ActivityScheduled details %+v, want timeoutInSeconds %d and heartbeatInSeconds %d (absent when 0)", ev.Scheduled, timeout, heartbeat)
		case ev.Type == "ActivityStarted" && (ev.Started == nil || (ev.Started.Worker == nil) != (worker == "") || (worker != "" && *ev.Started.Worker != worker)):
			return fmt.Errorf("ActivityStarted details %+v, want workerName %q (absent when empty)", ev.Started, worker)
		}
	}
	return nil
}

// playConsumer takes one task of the activity and answers it as the
// consumer machine does.
func (ts *testServer) playConsumer(activity string, c consumer) error {
	var task struct {
		Token *string `json:"taskToken"`
		Input string  `json:"input"`
	}
	for deadline := time.Now().Add(30 * time.Second); task.Token == nil; {
		if time.Now().After(deadline) {
			return fmt.Errorf("no task of %s in 30 s", activity)
		}
		req := map[string]any{"activityArn": activity}
		if c.worker != "" {
			req["workerName"] = c.worker
		}
		if code, msg, err := ts.call("GetActivityTask", req, &task); err != nil || code != "" {
			return fmt.Errorf("GetActivityTask: %v %s %s", err, code, msg)
		}
	}
	token := *task.Token
	if c.heartbeat {
		if code, msg, err := ts.call("SendTaskHeartbeat", map[string]any{"taskToken": token}, nil); err != nil || code != "" {
			return fmt.Errorf("SendTaskHeartbeat: %v %s %s", err, code, msg)
		}
	}
	switch c.answer {
	case "success":
		if code, msg, err := ts.call("SendTaskSuccess", map[string]any{"taskToken": token, "output": task.Input}, nil); err != nil || code != "" {
			return fmt.Errorf("SendTaskSuccess: %v %s %s", err, code, msg)
		}
	case "failure":
		if code, msg, err := ts.call("SendTaskFailure", map[string]any{"taskToken": token, "error": c.failError, "cause": task.Input}, nil); err != nil || code != "" {
			return fmt.Errorf("SendTaskFailure: %v %s %s", err, code, msg)
		}
	}
	return nil
}

// callbackWorker is a worker of a callbacks case: it reads the messages
// of an SQS queue and answers the token each carries.
type callbackWorker struct {
	Kind string          `json:"kind"`
	Then json.RawMessage `json:"then"`
	On   struct {
		QueueURL string `json:"queue_url"`
	} `json:"on"`
	QueueURL string `json:"queue_url"`
}

// TestConformanceCallbacks runs the corpus's callbacks category (and the
// nested cases with a worker) against goaws (SQS, SNS): the setup, then the case's worker played by this test
// (it receives the queue's messages, finds the task token in the body or
// the SNS envelope, and makes the calls the case lists), then the
// execution, on the real clock.
func TestConformanceCallbacks(t *testing.T) {
	if testing.Short() {
		t.Skip("runs executions that wait seconds for heartbeat timeouts")
	}
	dir, all := corpusCases(t)
	goaws := emulators.GoAWS(t)
	t.Setenv("AWS_ENDPOINT_URL_SQS", goaws)
	t.Setenv("AWS_ENDPOINT_URL_SNS", goaws)
	cfg := DefaultConfig()
	cfg.DataDir, cfg.Account = t.TempDir(), emulators.Account
	ts := startTestServerClock(t, cfg, fastpath.SystemClock{})
	client, err := awsclient.New(context.Background(), awsclient.Config{Region: emulators.Region})
	if err != nil {
		t.Fatal(err)
	}
	setup := integrations.NewServices(integrations.ServicesConfig{Client: client})
	var tally conformance.Tally
	for _, c := range all {
		if c.Category != "callbacks" && (c.Category != "nested" || !hasWorker(dir, c)) {
			continue
		}
		err := ts.runCallbackCase(setup, dir, c)
		tally.Add(c.Category, err == nil)
		if err != nil {
			t.Errorf("%s: %v", c.ID, err)
		}
	}
	t.Logf("callbacks:\n%s", tally.String())
}

// hasWorker reports whether the case c lists a worker that answers its
// task tokens.
func hasWorker(dir string, c *conformance.Case) bool {
	b, err := os.ReadFile(filepath.Join(dir, c.File))
	if err != nil {
		return false
	}
	var cc struct {
		Worker []json.RawMessage `json:"worker"`
	}
	return json.Unmarshal(b, &cc) == nil && len(cc.Worker) > 0
}

func (ts *testServer) runCallbackCase(setup *integrations.Services, dir string, c *conformance.Case) error {
	if err := ts.replaySetup(setup, dir, c); err != nil {
		return err
	}
	b, err := os.ReadFile(filepath.Join(dir, c.File))
	if err != nil {
		return err
	}
	var cc struct {
		Worker []callbackWorker `json:"worker"`
	}
	if err := json.Unmarshal(b, &cc); err != nil {
		return err
	}
	// runCase names the machine after the case: the worker answers only
	// tokens of its executions (queues, and messages, outlive a case).
	sum := sha1.Sum([]byte(c.ID))
	mine := ":execution:case-" + hex.EncodeToString(sum[:8]) + ":"
	stop := make(chan struct{})
	errs := make(chan error, 1)
	if len(cc.Worker) > 0 { // one worker plays them all: each answers a message the same way
		go func() { errs <- ts.playCallbackWorker(setup, cc.Worker[0], mine, stop) }()
	} else {
		errs <- nil
	}
	err = ts.runCase(c)
	close(stop)
	if werr := <-errs; werr != nil && err != nil {
		return fmt.Errorf("%v (worker: %v)", err, werr)
	}
	return err
}

// playCallbackWorker answers every message of the worker's queue until
// stop is closed.
func (ts *testServer) playCallbackWorker(setup *integrations.Services, w callbackWorker, mine string, stop <-chan struct{}) error {
	queue := w.On.QueueURL
	if queue == "" {
		queue = w.QueueURL
	}
	for {
		select {
		case <-stop:
			return nil
		default:
		}
		task := &fastpath.Task{Resource: "arn:aws:states:::aws-sdk:sqs:receiveMessage", State: "worker"}
		in, _ := json.Marshal(map[string]any{"QueueUrl": queue, "WaitTimeSeconds": 1})
		out, _, err := setup.Invoke(context.Background(), task, in, nil)
		if err != nil {
			time.Sleep(100 * time.Millisecond)
			continue
		}
		var msgs struct {
			Messages []struct{ Body string }
		}
		if json.Unmarshal(out, &msgs) != nil {
			continue
		}
		for _, m := range msgs.Messages {
			// A message left by an earlier case (the queue names repeat)
			// carries a used token: its TaskTimedOut is expected.
			if err := ts.answerMessage(w, m.Body, mine); err != nil && !strings.Contains(err.Error(), "TaskTimedOut") {
				return err
			}
		}
	}
}

// answerMessage makes the worker's calls for the token in body, when it
// is a token of an execution whose ARN contains mine.
func (ts *testServer) answerMessage(w callbackWorker, body, mine string) error {
	token, payload := tokenIn(body)
	if arn, _, ok := fastpath.ParseTaskToken(token); !ok || !strings.Contains(arn, mine) {
		return nil // another case's message (one without a token too)
	}
	var calls []struct {
		Call   string  `json:"call"`
		Output *string `json:"output"`
		Error  *string `json:"error"`
		Cause  *string `json:"cause"`
	}
	var then string
	if json.Unmarshal(w.Then, &calls) != nil && json.Unmarshal(w.Then, &then) == nil {
		switch then { // the SQS helper machines of the corpus
		case "SendTaskSuccess":
			var m struct{ Message json.RawMessage }
			_ = json.Unmarshal([]byte(payload), &m)
			out := string(m.Message)
			calls = append(calls, struct {
				Call   string  `json:"call"`
				Output *string `json:"output"`
				Error  *string `json:"error"`
				Cause  *string `json:"cause"`
			}{Call: "SendTaskSuccess", Output: &out})
		case "SendTaskFailure":
			e, c := "Failure error", "Failure cause"
			calls = append(calls, struct {
				Call   string  `json:"call"`
				Output *string `json:"output"`
				Error  *string `json:"error"`
				Cause  *string `json:"cause"`
			}{Call: "SendTaskFailure", Error: &e, Cause: &c})
		}
	}
	for _, call := range calls {
		req := map[string]any{"taskToken": token}
		switch call.Call {
		case "SendTaskSuccess":
			out := payload
			if call.Output != nil && !strings.Contains(*call.Output, "TASK_TOKEN") {
				out = *call.Output
			}
			req["output"] = out
		case "SendTaskFailure":
			if call.Error != nil {
				req["error"] = *call.Error
			}
			if call.Cause != nil {
				req["cause"] = *call.Cause
			}
		}
		if code, msg, err := ts.call(call.Call, req, nil); err != nil || code != "" {
			return fmt.Errorf("%s: %v %s %s", call.Call, err, code, msg)
		}
	}
	return nil
}

// tokenIn finds the TaskToken in an SQS message body, or in the Message
// of the SNS envelope around it, and returns it with the JSON object that
// holds it.
func tokenIn(body string) (token, holder string) {
	var m map[string]any
	if json.Unmarshal([]byte(body), &m) != nil {
		return "", ""
	}
	if tok, ok := m["TaskToken"].(string); ok {
		return tok, body
	}
	if inner, ok := m["Message"].(string); ok {
		return tokenIn(inner)
	}
	return "", ""
}
