package e2e

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"
)

// takeTask polls the activity until GetActivityTask hands out a task.
func takeTask(t *testing.T, c *sfn.Client, activity, worker string) *sfn.GetActivityTaskOutput {
	t.Helper()
	var out *sfn.GetActivityTaskOutput
	waitFor(t, 20*time.Second, time.Millisecond, func() error {
		var err error
		out, err = c.GetActivityTask(testContext(t), &sfn.GetActivityTaskInput{ActivityArn: aws.String(activity), WorkerName: aws.String(worker)})
		if err != nil {
			return err
		}
		if out.TaskToken == nil {
			return fmt.Errorf("no task yet")
		}
		return nil
	})
	return out
}

// TestSDKActivityWorker runs STANDARD executions whose Task is an
// activity, with a worker on the AWS SDK: the task reaches one worker
// with its input; SendTaskSuccess ends the Task with its output, and a
// token answers once; SendTaskFailure is caught by its error name; a
// heartbeat that does not come fails the Task with States.Timeout; a
// poll with nothing to take answers no token; an activity deleted before
// the execution fails it with States.Runtime, as AWS does.
func TestSDKActivityWorker(t *testing.T) {
	p := startStepd(t, "-activity-poll", "1s")
	c := newClient(p)
	ctx := testContext(t)
	act, err := c.CreateActivity(ctx, &sfn.CreateActivityInput{Name: aws.String("approve")})
	if err != nil {
		t.Fatal(err)
	}
	arn := aws.ToString(act.ActivityArn)
	def := `{"StartAt":"Ask","States":{"Ask":{"Type":"Task","Resource":"` + arn + `","HeartbeatSeconds":3,"Parameters":{"order.$":"$.order"},
		"Catch":[{"ErrorEquals":["Rejected"],"ResultPath":"$.rejected","Next":"No"}],"End":true},"No":{"Type":"Pass","End":true}}}`
	machine := create(t, c, "approval", types.StateMachineTypeStandard, def)
	start := func(name string) string {
		out, err := c.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: aws.String(machine), Name: aws.String(name), Input: aws.String(`{"order":7}`)})
		if err != nil {
			t.Fatal(err)
		}
		return aws.ToString(out.ExecutionArn)
	}

	none, err := c.GetActivityTask(ctx, &sfn.GetActivityTaskInput{ActivityArn: act.ActivityArn})
	if err != nil || none.TaskToken != nil {
		t.Errorf("a poll with nothing to take: %+v, %v; want no token", none, err)
	}

	yes := start("yes")
	task := takeTask(t, c, arn, "w1")
	if got := aws.ToString(task.Input); got != `{"order":7}` {
		t.Errorf("activity input %s", got)
	}
	if n := len(aws.ToString(task.TaskToken)); n > 2048 {
		t.Errorf("token of %d characters", n)
	}
	if _, err := c.SendTaskHeartbeat(ctx, &sfn.SendTaskHeartbeatInput{TaskToken: task.TaskToken}); err != nil {
		t.Errorf("SendTaskHeartbeat: %v", err)
	}
	_, err = c.SendTaskSuccess(ctx, &sfn.SendTaskSuccessInput{TaskToken: task.TaskToken, Output: aws.String("not json")})
	errorAs[*types.InvalidOutput](t, err, "")
	if _, err := c.SendTaskSuccess(ctx, &sfn.SendTaskSuccessInput{TaskToken: task.TaskToken, Output: aws.String(`{"approved": true}`)}); err != nil {
		t.Fatalf("SendTaskSuccess: %v", err)
	}
	d := describeUntilDone(t, c, yes, 20*time.Second)
	if d.Status != types.ExecutionStatusSucceeded || aws.ToString(d.Output) != `{"approved":true}` {
		t.Errorf("approved execution: %s %s %s %s", d.Status, aws.ToString(d.Output), aws.ToString(d.Error), aws.ToString(d.Cause))
	}
	_, err = c.SendTaskSuccess(ctx, &sfn.SendTaskSuccessInput{TaskToken: task.TaskToken, Output: aws.String(`{}`)})
	errorAs[*types.TaskTimedOut](t, err, "")
	_, err = c.SendTaskSuccess(ctx, &sfn.SendTaskSuccessInput{TaskToken: aws.String("forged"), Output: aws.String(`{}`)})
	errorAs[*types.InvalidToken](t, err, "")
	h, err := c.GetExecutionHistory(ctx, &sfn.GetExecutionHistoryInput{ExecutionArn: aws.String(yes)})
	if err != nil {
		t.Fatal(err)
	}
	var types_ []string
	for _, e := range h.Events {
		types_ = append(types_, string(e.Type))
	}
	if got := strings.Join(types_, " "); got != "ExecutionStarted TaskStateEntered ActivityScheduled ActivityStarted ActivitySucceeded TaskStateExited ExecutionSucceeded" {
		t.Errorf("history: %s", got)
	}
	if len(h.Events) == 7 {
		sched, done := h.Events[2].ActivityScheduledEventDetails, h.Events[4].ActivitySucceededEventDetails
		if sched == nil || aws.ToString(sched.Resource) != arn || aws.ToString(sched.Input) != `{"order":7}` || done == nil || aws.ToString(done.Output) != `{"approved":true}` {
			t.Errorf("activity event details: %+v %+v", sched, done)
		}
	}
	// As AWS's recordings show: heartbeatInSeconds (and timeoutInSeconds,
	// unset here) only when the state sets it, the worker's name.
	var raw struct{ Events []map[string]json.RawMessage }
	if r := awsCall(t, p, "GetExecutionHistory", fmt.Sprintf(`{"executionArn":%q}`, yes)); json.Unmarshal([]byte(r.body), &raw) != nil || len(raw.Events) != 7 {
		t.Errorf("GetExecutionHistory: %d %s", r.status, r.body)
	} else {
		wantSched := `{"heartbeatInSeconds":3,"input":"{\"order\":7}","inputDetails":{"truncated":false},"resource":"` + arn + `"}`
		if got := string(raw.Events[2]["activityScheduledEventDetails"]); got != wantSched {
			t.Errorf("activityScheduledEventDetails %s, want %s", got, wantSched)
		}
		if got := string(raw.Events[3]["activityStartedEventDetails"]); got != `{"workerName":"w1"}` {
			t.Errorf("activityStartedEventDetails %s, want the worker's name", got)
		}
	}

	no := start("no")
	task = takeTask(t, c, arn, "w2")
	if _, err := c.SendTaskFailure(ctx, &sfn.SendTaskFailureInput{TaskToken: task.TaskToken, Error: aws.String("Rejected"), Cause: aws.String("too expensive")}); err != nil {
		t.Fatalf("SendTaskFailure: %v", err)
	}
	d = describeUntilDone(t, c, no, 20*time.Second)
	var out struct {
		Rejected struct{ Error, Cause string } `json:"rejected"`
	}
	if d.Status != types.ExecutionStatusSucceeded || json.Unmarshal([]byte(aws.ToString(d.Output)), &out) != nil || out.Rejected.Error != "Rejected" || out.Rejected.Cause != "too expensive" {
		t.Errorf("rejected execution: %s %s", d.Status, aws.ToString(d.Output))
	}

	silent := start("silent")
	takeTask(t, c, arn, "w3")
	d = describeUntilDone(t, c, silent, 20*time.Second)
	if d.Status != types.ExecutionStatusFailed || aws.ToString(d.Error) != "States.Timeout" {
		t.Errorf("execution without heartbeats: %s %s %s", d.Status, aws.ToString(d.Error), aws.ToString(d.Cause))
	}

	if _, err := c.DeleteActivity(ctx, &sfn.DeleteActivityInput{ActivityArn: act.ActivityArn}); err != nil {
		t.Fatal(err)
	}
	d = describeUntilDone(t, c, start("deleted"), 20*time.Second)
	want := "An error occurred while executing the state 'Ask' (entered at the event id #2). The activity " + arn + " does not exist."
	if d.Status != types.ExecutionStatusFailed || aws.ToString(d.Error) != "States.Runtime" || aws.ToString(d.Cause) != want {
		t.Errorf("execution of a deleted activity: %s %s %s", d.Status, aws.ToString(d.Error), aws.ToString(d.Cause))
	}
}

// TestActivityTokenAcrossKill: a worker takes an activity task, the node
// is killed with SIGKILL and restarted on its data directory, and the
// token the worker holds still answers the task: the wait, the token and
// the claim are durable.
func TestActivityTokenAcrossKill(t *testing.T) {
	dir := t.TempDir()
	p := startStepdIn(t, dir)
	c := newClient(p)
	ctx := testContext(t)
	act, err := c.CreateActivity(ctx, &sfn.CreateActivityInput{Name: aws.String("durable")})
	if err != nil {
		t.Fatal(err)
	}
	def := `{"StartAt":"A","States":{"A":{"Type":"Task","Resource":"` + aws.ToString(act.ActivityArn) + `","End":true}}}`
	machine := create(t, c, "survivor", types.StateMachineTypeStandard, def)
	run, err := c.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: aws.String(machine), Input: aws.String(`{"n":1}`)})
	if err != nil {
		t.Fatal(err)
	}
	task := takeTask(t, c, aws.ToString(act.ActivityArn), "worker")
	p.stopped = true
	if err := p.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	<-p.exited

	p2 := startStepdIn(t, dir)
	c2 := newClient(p2)
	waitFor(t, 20*time.Second, 10*time.Millisecond, func() error { // the restarted node leads once it has applied its log
		_, err := c2.SendTaskHeartbeat(ctx, &sfn.SendTaskHeartbeatInput{TaskToken: task.TaskToken})
		return err
	})
	if _, err := c2.SendTaskSuccess(ctx, &sfn.SendTaskSuccessInput{TaskToken: task.TaskToken, Output: aws.String(`"done"`)}); err != nil {
		t.Fatalf("SendTaskSuccess after the restart: %v\n%s", err, p2.log())
	}
	d := describeUntilDone(t, c2, aws.ToString(run.ExecutionArn), 20*time.Second)
	if d.Status != types.ExecutionStatusSucceeded || aws.ToString(d.Output) != `"done"` {
		t.Errorf("after the restart: %s %s %s", d.Status, aws.ToString(d.Output), aws.ToString(d.Cause))
	}
}

// TestSDKWaitForTaskToken: lambda:invoke.waitForTaskToken passes
// $$.Task.Token to a function (here a fake Lambda endpoint), whose
// invocation answers at once; the Task ends only with SendTaskSuccess,
// and its history is TaskScheduled, TaskStarted, TaskSubmitted (the
// call's answer), TaskSucceeded. A token that never reaches anyone waits
// until the Task's TimeoutSeconds: States.Timeout.
func TestSDKWaitForTaskToken(t *testing.T) {
	tokens := make(chan string, 4)
	lambda := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var payload struct{ Token string }
		_ = json.NewDecoder(r.Body).Decode(&payload)
		if payload.Token != "" {
			tokens <- payload.Token
		}
		w.Header().Set("X-Amz-Executed-Version", "$LATEST")
		_, _ = w.Write([]byte(`{"queued":true}`))
	}))
	defer lambda.Close()
	p := startStepd(t, "-lambda-endpoint", lambda.URL)
	c := newClient(p)
	ctx := testContext(t)
	def := `{"StartAt":"Ask","States":{"Ask":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke.waitForTaskToken",
		"Parameters":{"FunctionName":"arn:aws:lambda:us-east-1:123456789012:function:notify","Payload":{"Token.$":"$$.Task.Token"}},"TimeoutSeconds":2,"End":true}}}`
	machine := create(t, c, "callback", types.StateMachineTypeStandard, def)
	run, err := c.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: aws.String(machine)})
	if err != nil {
		t.Fatal(err)
	}
	var token string
	select {
	case token = <-tokens:
	case <-time.After(20 * time.Second):
		t.Fatalf("the function never got a token\n%s", p.log())
	}
	if _, err := c.SendTaskSuccess(ctx, &sfn.SendTaskSuccessInput{TaskToken: aws.String(token), Output: aws.String(`{"answer":42}`)}); err != nil {
		t.Fatalf("SendTaskSuccess: %v", err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Log(p.log())
		}
	})
	d := describeUntilDone(t, c, aws.ToString(run.ExecutionArn), 20*time.Second)
	if d.Status != types.ExecutionStatusSucceeded || aws.ToString(d.Output) != `{"answer":42}` {
		t.Errorf("execution: %s %s %s", d.Status, aws.ToString(d.Output), aws.ToString(d.Cause))
	}
	h, err := c.GetExecutionHistory(ctx, &sfn.GetExecutionHistoryInput{ExecutionArn: run.ExecutionArn})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range h.Events {
		names = append(names, string(e.Type))
	}
	if got := strings.Join(names, " "); got != "ExecutionStarted TaskStateEntered TaskScheduled TaskStarted TaskSubmitted TaskSucceeded TaskStateExited ExecutionSucceeded" {
		t.Errorf("history: %s", got)
	}

	// SendTaskFailure without error or cause: States.ALL catches it as
	// {"Error":null,"Cause":null}, as AWS does.
	caught := create(t, c, "caught", types.StateMachineTypeStandard, `{"StartAt":"Ask","States":{"Ask":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke.waitForTaskToken",
		"Parameters":{"FunctionName":"notify","Payload":{"Token.$":"$$.Task.Token"}},"Catch":[{"ErrorEquals":["States.ALL"],"Next":"C"}],"End":true},"C":{"Type":"Pass","End":true}}}`)
	run, err = c.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: aws.String(caught)})
	if err != nil {
		t.Fatal(err)
	}
	select {
	case token = <-tokens:
	case <-time.After(20 * time.Second):
		t.Fatalf("the function never got a token\n%s", p.log())
	}
	if _, err := c.SendTaskFailure(ctx, &sfn.SendTaskFailureInput{TaskToken: aws.String(token)}); err != nil {
		t.Fatalf("SendTaskFailure: %v", err)
	}
	d = describeUntilDone(t, c, aws.ToString(run.ExecutionArn), 20*time.Second)
	if d.Status != types.ExecutionStatusSucceeded || aws.ToString(d.Output) != `{"Error":null,"Cause":null}` {
		t.Errorf("caught failure without error or cause: %s %s", d.Status, aws.ToString(d.Output))
	}

	lapsed, err := c.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: aws.String(machine)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			h, err := c.GetExecutionHistory(ctx, &sfn.GetExecutionHistoryInput{ExecutionArn: lapsed.ExecutionArn})
			if err == nil {
				for _, e := range h.Events {
					t.Log(e.Type)
				}
			}
			t.Log(p.log())
		}
	})
	d = describeUntilDone(t, c, aws.ToString(lapsed.ExecutionArn), 20*time.Second)
	if d.Status != types.ExecutionStatusFailed || aws.ToString(d.Error) != "States.Timeout" {
		t.Errorf("unanswered token: %s %s %s\n%s", d.Status, aws.ToString(d.Error), aws.ToString(d.Cause), p.log())
	}
}

// TestRESTWorker: a service beside stepd takes activity tasks and answers
// them with plain HTTP calls: 204 when nothing came, the task as JSON,
// success with the output as the body, failure with error and cause.
func TestRESTWorker(t *testing.T) {
	p := startStepd(t, "-activity-poll", "1s")
	c := newClient(p)
	ctx := testContext(t)
	act, err := c.CreateActivity(ctx, &sfn.CreateActivityInput{Name: aws.String("review")})
	if err != nil {
		t.Fatal(err)
	}
	def := `{"StartAt":"A","States":{"A":{"Type":"Task","Resource":"` + aws.ToString(act.ActivityArn) + `","End":true}}}`
	machine := create(t, c, "reviewed", types.StateMachineTypeStandard, def)
	take := p.url() + "/v1/activities/review/tasks?worker=svc"
	if r := do(t, http.DefaultClient, http.MethodPost, take, nil, nil); r.status != http.StatusNoContent {
		t.Errorf("a poll with nothing to take: %d %s", r.status, r.body)
	}
	for _, tc := range []struct {
		action, body string
		status       types.ExecutionStatus
		output       string
	}{
		{"success", `{"ok": 1}`, types.ExecutionStatusSucceeded, `{"ok":1}`},
		{"failure", `{"error":"Bad","cause":"no"}`, types.ExecutionStatusFailed, ""},
	} {
		run, err := c.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: aws.String(machine), Input: aws.String(`{"doc":1}`)})
		if err != nil {
			t.Fatal(err)
		}
		var task struct {
			Token string          `json:"taskToken"`
			Input json.RawMessage `json:"input"`
		}
		waitFor(t, 20*time.Second, time.Millisecond, func() error {
			r := do(t, http.DefaultClient, http.MethodPost, take, nil, nil)
			if r.status != http.StatusOK {
				return fmt.Errorf("take: %d %s", r.status, r.body)
			}
			return json.Unmarshal([]byte(r.body), &task)
		})
		if string(task.Input) != `{"doc":1}` {
			t.Errorf("task input %s", task.Input)
		}
		if r := do(t, http.DefaultClient, http.MethodPost, p.url()+"/v1/tasks/"+task.Token+"/heartbeat", nil, nil); r.status != http.StatusOK {
			t.Errorf("heartbeat: %d %s", r.status, r.body)
		}
		if r := do(t, http.DefaultClient, http.MethodPost, p.url()+"/v1/tasks/"+task.Token+"/"+tc.action, nil, []byte(tc.body)); r.status != http.StatusOK {
			t.Errorf("%s: %d %s", tc.action, r.status, r.body)
		}
		d := describeUntilDone(t, c, aws.ToString(run.ExecutionArn), 20*time.Second)
		if d.Status != tc.status || aws.ToString(d.Output) != tc.output {
			t.Errorf("after %s: %s %s %s %s", tc.action, d.Status, aws.ToString(d.Output), aws.ToString(d.Error), aws.ToString(d.Cause))
		}
		if r := do(t, http.DefaultClient, http.MethodPost, p.url()+"/v1/tasks/"+task.Token+"/success", nil, []byte(`{}`)); r.status != http.StatusBadRequest || !strings.Contains(r.body, "TaskTimedOut") {
			t.Errorf("a used token: %d %s", r.status, r.body)
		}
	}
	if r := do(t, http.DefaultClient, http.MethodPost, p.url()+"/v1/tasks/forged/success", nil, []byte(`{}`)); !strings.Contains(r.body, "InvalidToken") {
		t.Errorf("a forged token: %d %s", r.status, r.body)
	}
}
