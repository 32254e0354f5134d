package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"
)

// e2eFlow passes through a Pass, a Choice and a Succeed state.
const e2eFlow = `{"StartAt":"P","States":{
	"P":{"Type":"Pass","Result":{"tier":"gold"},"ResultPath":"$.class","Next":"C"},
	"C":{"Type":"Choice","Choices":[{"Variable":"$.n","NumericGreaterThan":1,"Next":"D"}],"Default":"D"},
	"D":{"Type":"Succeed"}}}`

func logTo(level types.LogLevel, data bool) *types.LoggingConfiguration {
	return &types.LoggingConfiguration{Level: level, IncludeExecutionData: data, Destinations: []types.LogDestination{{
		CloudWatchLogsLogGroup: &types.CloudWatchLogsLogGroup{LogGroupArn: aws.String("arn:aws:logs:us-east-1:123456789012:log-group:/stepd:*")},
	}}}
}

// TestSDKExecutionHistory reads an Express execution's history with the
// AWS SDK for Go v2 through GetExecutionHistory (a stepd extension: AWS
// refuses it for Express), page by page and in reverse, with and without
// execution data, and describes and lists the execution from the log.
func TestSDKExecutionHistory(t *testing.T) {
	p := startStepd(t)
	c := newClient(p)
	ctx := testContext(t)
	if _, err := c.CreateStateMachine(ctx, &sfn.CreateStateMachineInput{Name: aws.String("bad"), Definition: aws.String(e2eFlow),
		RoleArn: aws.String(e2eRole), Type: types.StateMachineTypeExpress,
		LoggingConfiguration: &types.LoggingConfiguration{Level: types.LogLevelAll}}); err == nil {
		t.Fatal("logging without a destination was accepted")
	} else {
		errorAs[*types.InvalidLoggingConfiguration](t, err, "Invalid Logging Configuration")
	}
	arn, err := c.CreateStateMachine(ctx, &sfn.CreateStateMachineInput{Name: aws.String("logged"), Definition: aws.String(e2eFlow),
		RoleArn: aws.String(e2eRole), Type: types.StateMachineTypeExpress, LoggingConfiguration: logTo(types.LogLevelAll, true)})
	if err != nil {
		t.Fatal(err)
	}
	run, err := c.StartSyncExecution(ctx, &sfn.StartSyncExecutionInput{StateMachineArn: arn.StateMachineArn, Input: aws.String(`{"n":2}`)})
	if err != nil || run.Status != types.SyncExecutionStatusSucceeded {
		t.Fatalf("StartSyncExecution: %+v, %v", run, err)
	}

	var events []types.HistoryEvent
	pages := 0
	for pg := sfn.NewGetExecutionHistoryPaginator(c, &sfn.GetExecutionHistoryInput{ExecutionArn: run.ExecutionArn, MaxResults: 3}); pg.HasMorePages(); pages++ {
		out, err := pg.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		events = append(events, out.Events...)
	}
	want := []types.HistoryEventType{"ExecutionStarted", "PassStateEntered", "PassStateExited", "ChoiceStateEntered",
		"ChoiceStateExited", "SucceedStateEntered", "SucceedStateExited", "ExecutionSucceeded"}
	if len(events) != len(want) || pages != 3 {
		t.Fatalf("%d events in %d pages, want %d in 3", len(events), pages, len(want))
	}
	for i, e := range events {
		if e.Type != want[i] || e.Id != int64(i+1) || e.Timestamp == nil || e.Timestamp.Before(time.Now().Add(-time.Minute)) {
			t.Errorf("event %d: %s id %d at %v, want %s id %d now", i, e.Type, e.Id, e.Timestamp, want[i], i+1)
		}
	}
	if d := events[0].ExecutionStartedEventDetails; d == nil || aws.ToString(d.Input) != `{"n":2}` || aws.ToString(d.RoleArn) != e2eRole || d.InputDetails.Truncated {
		t.Errorf("ExecutionStarted details: %+v", d)
	}
	if d := events[1].StateEnteredEventDetails; d == nil || aws.ToString(d.Name) != "P" {
		t.Errorf("PassStateEntered details: %+v", d)
	}
	if d := events[7].ExecutionSucceededEventDetails; d == nil || aws.ToString(d.Output) != aws.ToString(run.Output) {
		t.Errorf("ExecutionSucceeded details: %+v, want output %s", d, aws.ToString(run.Output))
	}

	rev, err := c.GetExecutionHistory(ctx, &sfn.GetExecutionHistoryInput{ExecutionArn: run.ExecutionArn, ReverseOrder: true,
		IncludeExecutionData: aws.Bool(false), MaxResults: 2})
	if err != nil {
		t.Fatal(err)
	}
	if len(rev.Events) != 2 || rev.Events[0].Type != "ExecutionSucceeded" || rev.NextToken == nil ||
		rev.Events[0].ExecutionSucceededEventDetails.Output != nil {
		t.Errorf("reverse page without data: %+v", rev)
	}

	desc, err := c.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: run.ExecutionArn})
	if err != nil || desc.Status != types.ExecutionStatusSucceeded || aws.ToString(desc.Input) != `{"n":2}` ||
		aws.ToString(desc.Output) != aws.ToString(run.Output) {
		t.Fatalf("DescribeExecution from the history: %+v, %v", desc, err)
	}
	list, err := c.ListExecutions(ctx, &sfn.ListExecutionsInput{StateMachineArn: arn.StateMachineArn})
	if err != nil || len(list.Executions) != 1 || aws.ToString(list.Executions[0].ExecutionArn) != aws.ToString(run.ExecutionArn) {
		t.Fatalf("ListExecutions from the history: %+v, %v", list, err)
	}

	// Logging OFF leaves no history: as AWS answers for an unknown execution.
	off := create(t, c, "unlogged", types.StateMachineTypeExpress, e2eFlow)
	quiet, err := c.StartSyncExecution(ctx, &sfn.StartSyncExecutionInput{StateMachineArn: aws.String(off)})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.GetExecutionHistory(ctx, &sfn.GetExecutionHistoryInput{ExecutionArn: quiet.ExecutionArn})
	errorAs[*types.ExecutionDoesNotExist](t, err, "Execution Does Not Exist")

	// stepd history prints the same events as CloudWatch records.
	var out []byte
	waitFor(t, 10*time.Second, 20*time.Millisecond, func() error {
		out, err = exec.Command(stepdBin, "history", "-data-dir", p.dataDir, "-execution", aws.ToString(run.ExecutionArn)).Output()
		if n := bytes.Count(out, []byte("\n")); err != nil || n != len(want) {
			return fmt.Errorf("stepd history: %d lines, %v", n, err)
		}
		return nil
	})
	for i, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		var rec struct {
			ID, Type, ExecutionArn string
			PreviousEventID        string `json:"previous_event_id"`
			Timestamp              string `json:"event_timestamp"`
			Arn                    string `json:"execution_arn"`
			Redrive                string `json:"redrive_count"`
			Details                json.RawMessage
		}
		if err := json.Unmarshal([]byte(line), &rec); err != nil || rec.Type != string(want[i]) || rec.ID != fmt.Sprint(i+1) ||
			rec.Arn != aws.ToString(run.ExecutionArn) || rec.Redrive != "0" || rec.Timestamp == "" || len(rec.Details) == 0 {
			t.Errorf("line %d: %s (%v)", i, line, err)
		}
	}
}

// TestHistorySurvivesKill drives many StartSyncExecution requests into
// the real binary, kills it with SIGKILL in the middle of the load,
// starts it again on the same data directory, and checks that every
// execution whose response arrived has its history.
func TestHistorySurvivesKill(t *testing.T) {
	dir := t.TempDir()
	p := startStepdIn(t, dir)
	c := newClient(p)
	ctx := testContext(t)
	arn, err := c.CreateStateMachine(ctx, &sfn.CreateStateMachineInput{Name: aws.String("busy"), Definition: aws.String(e2eFlow),
		RoleArn: aws.String(e2eRole), Type: types.StateMachineTypeExpress, LoggingConfiguration: logTo(types.LogLevelAll, true)})
	if err != nil {
		t.Fatal(err)
	}
	body := []byte(`{"stateMachineArn":"` + aws.ToString(arn.StateMachineArn) + `","input":"{\"n\":3}"}`)
	var (
		mu       sync.Mutex
		answered []string
		wg       sync.WaitGroup
		stop     atomic.Bool
	)
	client := &http.Client{Timeout: 10 * time.Second}
	for w := 0; w < 16; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for !stop.Load() {
				req, _ := http.NewRequest(http.MethodPost, p.url()+"/", bytes.NewReader(body))
				req.Header.Set("X-Amz-Target", "AWSStepFunctions.StartSyncExecution")
				req.Header.Set("Content-Type", "application/x-amz-json-1.0")
				resp, err := client.Do(req)
				if err != nil {
					return // the server is gone
				}
				var out struct {
					ExecutionArn string `json:"executionArn"`
					Status       string `json:"status"`
				}
				err = json.NewDecoder(resp.Body).Decode(&out)
				resp.Body.Close()
				if err == nil && out.Status == "SUCCEEDED" {
					mu.Lock()
					answered = append(answered, out.ExecutionArn)
					mu.Unlock()
				}
			}
		}()
	}
	waitFor(t, 20*time.Second, 10*time.Millisecond, func() error {
		mu.Lock()
		defer mu.Unlock()
		if len(answered) < 3000 {
			return fmt.Errorf("%d executions answered", len(answered))
		}
		return nil
	})
	if err := p.cmd.Process.Kill(); err != nil { // SIGKILL, under load
		t.Fatal(err)
	}
	<-p.exited
	p.stopped = true
	stop.Store(true)
	wg.Wait()

	p2 := startStepdIn(t, dir)
	mu.Lock()
	defer mu.Unlock()
	missing := 0
	for _, e := range answered {
		r := awsCall(t, p2, "GetExecutionHistory", `{"executionArn":"`+e+`","reverseOrder":true,"maxResults":1}`)
		if r.status != http.StatusOK || !strings.Contains(r.body, `"type":"ExecutionSucceeded"`) {
			missing++
			if missing < 5 {
				t.Errorf("%s: %d %s", e, r.status, r.body)
			}
		}
	}
	if missing > 0 {
		t.Fatalf("%d of %d answered executions have no history after kill -9", missing, len(answered))
	}
	t.Logf("%d answered executions, all with history after kill -9; %s", len(answered), recoveredLine(p2.log()))
}

// recoveredLine is the server's log line about records recovered from
// staging, if any.
func recoveredLine(log string) string {
	for _, line := range strings.Split(log, "\n") {
		if strings.Contains(line, "recovered") {
			return line
		}
	}
	return "nothing left in the staging file"
}
