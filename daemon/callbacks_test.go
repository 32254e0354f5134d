package daemon

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stepd/stepd/fastpath"
)

// waitDone polls DescribeExecution until the execution has ended.
func (ts *testServer) waitDone(t *testing.T, arn string) apiExecution {
	t.Helper()
	var e apiExecution
	for deadline := time.Now().Add(30 * time.Second); e.Status == "" || e.Status == "RUNNING"; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%s still RUNNING", arn)
		}
		if code, msg, err := ts.call("DescribeExecution", map[string]any{"executionArn": arn}, &e); err != nil || code != "" {
			t.Fatalf("DescribeExecution: %v %s %s", err, code, msg)
		}
	}
	return e
}

// historyTypes is the event types of the execution's history.
func (ts *testServer) historyTypes(t *testing.T, arn string) string {
	t.Helper()
	var h struct{ Events []struct{ Type string } }
	if code, msg, err := ts.call("GetExecutionHistory", map[string]any{"executionArn": arn}, &h); err != nil || code != "" {
		t.Fatalf("GetExecutionHistory: %v %s %s", err, code, msg)
	}
	var types []string
	for _, e := range h.Events {
		types = append(types, e.Type)
	}
	return strings.Join(types, " ")
}

// createActivity creates an activity and returns its ARN.
func (ts *testServer) createActivity(t *testing.T, name string) string {
	t.Helper()
	var act struct {
		Arn string `json:"activityArn"`
	}
	if code, msg, err := ts.call("CreateActivity", map[string]any{"name": name}, &act); err != nil || code != "" {
		t.Fatalf("CreateActivity: %v %s %s", err, code, msg)
	}
	return act.Arn
}

// createStandard creates a STANDARD machine and returns its ARN.
func (ts *testServer) createStandard(t *testing.T, name, def string) string {
	t.Helper()
	var m struct {
		Arn string `json:"stateMachineArn"`
	}
	if code, msg, err := ts.call("CreateStateMachine", map[string]any{"name": name, "definition": def, "roleArn": "arn:aws:iam::123456789012:role/r", "type": "STANDARD"}, &m); err != nil || code != "" {
		t.Fatalf("CreateStateMachine: %v %s %s", err, code, msg)
	}
	return m.Arn
}

// listedTask is an entry of GET /v1/tasks, as the tests read it.
type listedTask struct {
	Token        string          `json:"taskToken"`
	ExecutionArn string          `json:"executionArn"`
	State        string          `json:"stateName"`
	Status       string          `json:"status"`
	Worker       string          `json:"workerName"`
	Input        json.RawMessage `json:"input"`
}

// listedTask is the waiting task of the execution arn that GET /v1/tasks
// lists (zero when it lists none).
func (ts *testServer) listedTask(t *testing.T, arn string) listedTask {
	t.Helper()
	resp, err := http.Get(ts.url + "v1/tasks")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	var list struct{ Tasks []listedTask }
	if err := json.Unmarshal(b, &list); err != nil {
		t.Fatalf("GET /v1/tasks: %d %s", resp.StatusCode, b)
	}
	for _, w := range list.Tasks {
		if w.ExecutionArn == arn {
			return w
		}
	}
	return listedTask{}
}

// TestActivityTimesOutUntaken: an activity task no worker takes is listed
// by GET /v1/tasks as waiting for a worker, then times out with
// States.Timeout and a history without ActivityStarted (nothing started
// it), as AWS records it; a task answered without being taken (its token
// from the list) has an ActivityStarted without a worker.
func TestActivityTimesOutUntaken(t *testing.T) {
	cfg := DefaultConfig()
	cfg.DataDir = t.TempDir()
	ts := startTestServerClock(t, cfg, fastpath.SystemClock{})
	act := ts.createActivity(t, "nobody")
	start := func(name, timeout string) string {
		machine := ts.createStandard(t, name, `{"StartAt":"Review","States":{"Review":{"Type":"Task","Resource":"`+act+`",`+timeout+`"End":true}}}`)
		var run struct {
			Arn string `json:"executionArn"`
		}
		if code, msg, err := ts.call("StartExecution", map[string]any{"stateMachineArn": machine, "name": name, "input": `{"doc":1}`}, &run); err != nil || code != "" {
			t.Fatalf("StartExecution: %v %s %s", err, code, msg)
		}
		return run.Arn
	}

	lapsed := start("lapsed", `"TimeoutSeconds":1,`)
	e := ts.waitDone(t, lapsed)
	if e.Status != "FAILED" || e.Error == nil || *e.Error != fastpath.ErrTimeout {
		t.Errorf("untaken task: %s %v", e.Status, e.Error)
	}
	if got, want := ts.historyTypes(t, lapsed), "ExecutionStarted TaskStateEntered ActivityScheduled ActivityTimedOut ExecutionFailed"; got != want {
		t.Errorf("history %s, want %s", got, want)
	}

	answered := start("answered", "")
	var task listedTask
	for deadline := time.Now().Add(10 * time.Second); task.Token == ""; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the task never showed in GET /v1/tasks")
		}
		task = ts.listedTask(t, answered)
	}
	if task.Status != "WAITING_FOR_WORKER" || task.State != "Review" || string(task.Input) != `{"doc":1}` {
		t.Errorf("listed %+v", task)
	}
	if code, msg, err := ts.call("SendTaskSuccess", map[string]any{"taskToken": task.Token, "output": `"ok"`}, nil); err != nil || code != "" {
		t.Fatalf("SendTaskSuccess: %v %s %s", err, code, msg)
	}
	if e := ts.waitDone(t, answered); e.Status != "SUCCEEDED" {
		t.Errorf("answered: %s", e.Status)
	}
	var h struct {
		Events []struct {
			Type    string
			Started json.RawMessage `json:"activityStartedEventDetails"`
		}
	}
	if code, msg, err := ts.call("GetExecutionHistory", map[string]any{"executionArn": answered}, &h); err != nil || code != "" {
		t.Fatalf("GetExecutionHistory: %v %s %s", err, code, msg)
	}
	if len(h.Events) < 4 || h.Events[3].Type != "ActivityStarted" || string(h.Events[3].Started) != "{}" {
		t.Errorf("history of a task answered untaken: %s", fmt.Sprint(h.Events))
	}
}

// TestPollsOfANodeDoNotRaceForATask: a task that comes while eight polls
// of one node wait wakes them all; one takes it, and none spends a Raft
// commit on a claim that loses (stepd_activity_claims_refused_total).
func TestPollsOfANodeDoNotRaceForATask(t *testing.T) {
	cfg := DefaultConfig()
	cfg.DataDir, cfg.ActivityPoll = t.TempDir(), time.Second
	ts := startTestServerClock(t, cfg, fastpath.SystemClock{})
	act := ts.createActivity(t, "crowded")
	machine := ts.createStandard(t, "crowded", `{"StartAt":"Work","States":{"Work":{"Type":"Task","Resource":"`+act+`","End":true}}}`)
	refused := claimsRefused.Get()
	const polls, tasks = 8, 4
	got := make(chan string, polls*tasks)
	done := make(chan struct{})
	var wg sync.WaitGroup
	t.Cleanup(func() { close(done); wg.Wait() }) // before the server stops
	for w := range polls {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-done:
					return
				default:
				}
				var task struct {
					Token *string `json:"taskToken"`
					Input string  `json:"input"`
				}
				if code, _, err := ts.call("GetActivityTask", map[string]any{"activityArn": act, "workerName": fmt.Sprint("w", w)}, &task); err != nil || code != "" {
					return // the server is shutting down
				}
				if task.Token != nil {
					got <- task.Input
					_, _, _ = ts.call("SendTaskSuccess", map[string]any{"taskToken": *task.Token, "output": "{}"}, nil)
				}
			}
		}()
	}
	for i := range tasks {
		for deadline := time.Now().Add(10 * time.Second); ts.srv.pollers.Load() < polls; time.Sleep(time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("%d polls wait, want %d", ts.srv.pollers.Load(), polls)
			}
		}
		if code, msg, err := ts.call("StartExecution", map[string]any{"stateMachineArn": machine, "input": fmt.Sprintf(`{"i":%d}`, i)}, nil); err != nil || code != "" {
			t.Fatalf("StartExecution: %v %s %s", err, code, msg)
		}
		select {
		case in := <-got:
			if want := fmt.Sprintf(`{"i":%d}`, i); in != want {
				t.Errorf("a poll took %s, want %s", in, want)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("no poll took task %d", i)
		}
	}
	if n := claimsRefused.Get() - refused; n != 0 {
		t.Errorf("%d claims refused: polls of one node raced each other for a task", n)
	}
	select {
	case in := <-got:
		t.Errorf("a task went to two polls: %s", in)
	default:
	}
}

// TestActivityStartedWhenTaken: ActivityStarted is in the history as soon
// as a worker takes the task, with its name, not only once it answers; the
// answer then adds ActivitySucceeded after it, and the history is AWS's.
func TestActivityStartedWhenTaken(t *testing.T) {
	cfg := DefaultConfig()
	cfg.DataDir, cfg.ActivityPoll = t.TempDir(), 5*time.Second
	ts := startTestServerClock(t, cfg, fastpath.SystemClock{})
	act := ts.createActivity(t, "slow")
	machine := ts.createStandard(t, "slow", `{"StartAt":"Work","States":{"Work":{"Type":"Task","Resource":"`+act+`","HeartbeatSeconds":60,"End":true}}}`)
	var run struct {
		Arn string `json:"executionArn"`
	}
	if code, msg, err := ts.call("StartExecution", map[string]any{"stateMachineArn": machine, "input": `{}`}, &run); err != nil || code != "" {
		t.Fatalf("StartExecution: %v %s %s", err, code, msg)
	}
	var task struct {
		Token *string `json:"taskToken"`
	}
	if code, msg, err := ts.call("GetActivityTask", map[string]any{"activityArn": act, "workerName": "w1"}, &task); err != nil || code != "" || task.Token == nil {
		t.Fatalf("GetActivityTask: %v %s %s %v", err, code, msg, task.Token)
	}
	want := "ExecutionStarted TaskStateEntered ActivityScheduled ActivityStarted"
	for deadline := time.Now().Add(10 * time.Second); ts.historyTypes(t, run.Arn) != want; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("history of a taken task: %s, want %s", ts.historyTypes(t, run.Arn), want)
		}
	}
	var h struct {
		Events []struct {
			Started json.RawMessage `json:"activityStartedEventDetails"`
		}
	}
	if code, msg, err := ts.call("GetExecutionHistory", map[string]any{"executionArn": run.Arn}, &h); err != nil || code != "" || string(h.Events[3].Started) != `{"workerName":"w1"}` {
		t.Fatalf("GetExecutionHistory: %v %s %s %s", err, code, msg, h.Events[3].Started)
	}
	// The approval inbox shows who holds it.
	if w := ts.listedTask(t, run.Arn); w.Status != "TAKEN" || w.Worker != "w1" || w.Token != *task.Token {
		t.Errorf("GET /v1/tasks lists the taken task as %+v", w)
	}
	if code, msg, err := ts.call("SendTaskSuccess", map[string]any{"taskToken": *task.Token, "output": `{"done":true}`}, nil); err != nil || code != "" {
		t.Fatalf("SendTaskSuccess: %v %s %s", err, code, msg)
	}
	if e := ts.waitDone(t, run.Arn); e.Status != "SUCCEEDED" {
		t.Errorf("execution %s", e.Status)
	}
	if got, want := ts.historyTypes(t, run.Arn), "ExecutionStarted TaskStateEntered ActivityScheduled ActivityStarted ActivitySucceeded TaskStateExited ExecutionSucceeded"; got != want {
		t.Errorf("history %s, want %s", got, want)
	}
}
