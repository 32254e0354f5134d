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

// TestActivityTimesOutUntaken: an activity task no worker takes is listed
// by GET /v1/tasks as waiting for a worker, then times out with
// States.Timeout and a history without ActivityStarted (nothing started
// it), as AWS records it; a task answered without being taken (its token
// from the list) has an ActivityStarted without a worker.
func TestActivityTimesOutUntaken(t *testing.T) {
	cfg := DefaultConfig()
	cfg.DataDir = t.TempDir()
	ts := startTestServerClock(t, cfg, fastpath.SystemClock{})
	var act struct {
		Arn string `json:"activityArn"`
	}
	if code, msg, err := ts.call("CreateActivity", map[string]any{"name": "nobody"}, &act); err != nil || code != "" {
		t.Fatalf("CreateActivity: %v %s %s", err, code, msg)
	}
	start := func(name, timeout string) string {
		var m struct {
			Arn string `json:"stateMachineArn"`
		}
		def := `{"StartAt":"Review","States":{"Review":{"Type":"Task","Resource":"` + act.Arn + `",` + timeout + `"End":true}}}`
		if code, msg, err := ts.call("CreateStateMachine", map[string]any{"name": name, "definition": def, "roleArn": "arn:aws:iam::123456789012:role/r", "type": "STANDARD"}, &m); err != nil || code != "" {
			t.Fatalf("CreateStateMachine: %v %s %s", err, code, msg)
		}
		var run struct {
			Arn string `json:"executionArn"`
		}
		if code, msg, err := ts.call("StartExecution", map[string]any{"stateMachineArn": m.Arn, "name": name, "input": `{"doc":1}`}, &run); err != nil || code != "" {
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
	type listed struct {
		Token        string          `json:"taskToken"`
		ExecutionArn string          `json:"executionArn"`
		State        string          `json:"stateName"`
		Status       string          `json:"status"`
		Input        json.RawMessage `json:"input"`
	}
	var task listed
	for deadline := time.Now().Add(10 * time.Second); task.Token == ""; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the task never showed in GET /v1/tasks")
		}
		resp, err := http.Get(ts.url + "v1/tasks")
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		var list struct{ Tasks []listed }
		if err := json.Unmarshal(b, &list); err != nil {
			t.Fatalf("GET /v1/tasks: %d %s", resp.StatusCode, b)
		}
		for _, w := range list.Tasks {
			if w.ExecutionArn == answered {
				task = w
			}
		}
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
	var act struct {
		Arn string `json:"activityArn"`
	}
	if code, msg, err := ts.call("CreateActivity", map[string]any{"name": "crowded"}, &act); err != nil || code != "" {
		t.Fatalf("CreateActivity: %v %s %s", err, code, msg)
	}
	var m struct {
		Arn string `json:"stateMachineArn"`
	}
	def := `{"StartAt":"Work","States":{"Work":{"Type":"Task","Resource":"` + act.Arn + `","End":true}}}`
	if code, msg, err := ts.call("CreateStateMachine", map[string]any{"name": "crowded", "definition": def, "roleArn": "arn:aws:iam::123456789012:role/r", "type": "STANDARD"}, &m); err != nil || code != "" {
		t.Fatalf("CreateStateMachine: %v %s %s", err, code, msg)
	}
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
				if code, _, err := ts.call("GetActivityTask", map[string]any{"activityArn": act.Arn, "workerName": fmt.Sprint("w", w)}, &task); err != nil || code != "" {
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
		if code, msg, err := ts.call("StartExecution", map[string]any{"stateMachineArn": m.Arn, "input": fmt.Sprintf(`{"i":%d}`, i)}, nil); err != nil || code != "" {
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
