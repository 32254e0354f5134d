package e2e

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"
)

// slowMachine waits 300 s, then calls a task that fails twice and is
// retried after 100 s each time: 500 s of waiting in all. Its last state
// reports when the execution started and when that state was entered.
const slowMachine = `{"StartAt":"CoolOff","States":{
 "CoolOff":{"Type":"Wait","Seconds":300,"Next":"Call"},
 "Call":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","Parameters":{"FunctionName":"busy"},
   "Retry":[{"ErrorEquals":["Busy"],"IntervalSeconds":100,"BackoffRate":1,"MaxAttempts":2}],"Next":"Times"},
 "Times":{"Type":"Pass","Parameters":{"started.$":"$$.Execution.StartTime","entered.$":"$$.State.EnteredTime"},"End":true}}}`

const slowMocks = `{"StateMachines":{"slow":{"TestCases":{"BusyTwice":{"Call":"BusyTwice"}}}},
 "MockedResponses":{"BusyTwice":{"0-1":{"Throw":{"Error":"Busy","Cause":"later"}},"2":{"Return":{"Payload":"done"}}}}}`

// writeSlowMachine writes the machine and its mock file to a new
// directory and returns their paths.
func writeSlowMachine(t *testing.T) (def, mocks string) {
	dir := t.TempDir()
	def, mocks = filepath.Join(dir, "slow.asl.json"), filepath.Join(dir, "mocks.json")
	if err := os.WriteFile(def, []byte(slowMachine), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(mocks, []byte(slowMocks), 0o600); err != nil {
		t.Fatal(err)
	}
	return def, mocks
}

// checkSpan checks that 500 s passed between two times of the
// execution: the skipped 500 s plus the little real time it took.
func checkSpan(t *testing.T, what string, d time.Duration) {
	t.Helper()
	if d < 500*time.Second || d >= 501*time.Second {
		t.Errorf("%s: %v, want 500s", what, d)
	}
}

// outputSpan is how far apart the "started" and "entered" times of the
// slow machine's output are.
func outputSpan(t *testing.T, output string) time.Duration {
	t.Helper()
	var times struct{ Started, Entered time.Time }
	if err := json.Unmarshal([]byte(output), &times); err != nil {
		t.Fatalf("output %s: %v", output, err)
	}
	return times.Entered.Sub(times.Started)
}

// The 500 s of waiting must not be spent: a bound far below it shows that
// without making the test depend on the machine's speed.
const notWaited = 100 * time.Second

// TestWaitTimeScaleRun runs the slow machine with `stepd run
// -wait-time-scale 0 -virtual-time`: it ends at once, yet 500 s pass for
// the execution.
func TestWaitTimeScaleRun(t *testing.T) {
	if stepdBin == "" {
		t.Fatal(buildErr)
	}
	def, mocks := writeSlowMachine(t)
	began := time.Now()
	out, err := exec.Command(stepdBin, "run", def, "-type", "STANDARD", "-wait-time-scale", "0", "-virtual-time",
		"-mock", mocks, "-test-case", "BusyTwice", "-json").CombinedOutput()
	if err != nil {
		t.Fatalf("stepd run: %v\n%s", err, out)
	}
	if took := time.Since(began); took > notWaited {
		t.Errorf("took %v: the waits were not skipped", took)
	}
	var resp struct {
		Status              string
		Output              string
		StartDate, StopDate float64
	}
	if err := json.Unmarshal(out, &resp); err != nil || resp.Status != "SUCCEEDED" {
		t.Fatalf("answer %s (%v)", out, err)
	}
	checkSpan(t, "Times entered after the start by", outputSpan(t, resp.Output))
	checkSpan(t, "stopDate - startDate", time.Duration((resp.StopDate-resp.StartDate)*float64(time.Second)))
}

// TestWaitTimeScaleServe runs the slow machine as a STANDARD execution of
// `stepd serve -wait-time-scale 0 -virtual-time`: it ends at once, and its
// history's timestamps span the 500 s.
func TestWaitTimeScaleServe(t *testing.T) {
	_, mocks := writeSlowMachine(t)
	p := startStepd(t, "-wait-time-scale", "0", "-virtual-time", "-mock-config", mocks)
	c := newClient(p)
	ctx := testContext(t)
	sm, err := c.CreateStateMachine(ctx, &sfn.CreateStateMachineInput{Name: aws.String("slow"), Definition: aws.String(slowMachine),
		RoleArn: aws.String("arn:aws:iam::123456789012:role/r"), Type: types.StateMachineTypeStandard, LoggingConfiguration: logTo(types.LogLevelAll, true)})
	if err != nil {
		t.Fatal(err)
	}
	began := time.Now()
	start, err := c.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: aws.String(*sm.StateMachineArn + "#BusyTwice")})
	if err != nil {
		t.Fatal(err)
	}
	var d *sfn.DescribeExecutionOutput
	waitFor(t, notWaited, 20*time.Millisecond, func() error {
		if d, err = c.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: start.ExecutionArn}); err != nil {
			return err
		}
		if d.Status == types.ExecutionStatusRunning {
			return errors.New("still running")
		}
		return nil
	})
	if took := time.Since(began); took > notWaited {
		t.Errorf("took %v: the waits were not skipped", took)
	}
	if d.Status != types.ExecutionStatusSucceeded {
		t.Fatalf("status %s: %s %s", d.Status, aws.ToString(d.Error), aws.ToString(d.Cause))
	}
	checkSpan(t, "Times entered after the start by", outputSpan(t, aws.ToString(d.Output)))
	checkSpan(t, "stopDate - startDate", d.StopDate.Sub(*d.StartDate))
	h, err := c.GetExecutionHistory(ctx, &sfn.GetExecutionHistoryInput{ExecutionArn: start.ExecutionArn})
	if err != nil {
		t.Fatal(err)
	}
	checkSpan(t, "the history spans", h.Events[len(h.Events)-1].Timestamp.Sub(*h.Events[0].Timestamp))
}

// TestStepdTest runs `stepd test` on the README's example suite (it
// passes) and on a copy with a wrong expectation (it fails, shows the
// difference and the states, and the JUnit file says so).
func TestStepdTest(t *testing.T) {
	if stepdBin == "" {
		t.Fatal(buildErr)
	}
	examples, _ := filepath.Abs("../../examples")
	out, err := exec.Command(stepdBin, "test", filepath.Join(examples, "order.suite.json")).CombinedOutput()
	if err != nil {
		t.Fatalf("stepd test on the examples: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "2 passed, 0 failed") || !strings.Contains(string(out), "500s of virtual time") {
		t.Errorf("report:\n%s", out)
	}

	dir := t.TempDir()
	suite := `{"definition": "` + filepath.Join(examples, "order.asl.json") + `", "mocks": "` + filepath.Join(examples, "order.mocks.json") + `",
	 "cases": [{"name": "a wrong total", "input": {"total": 12}, "testCase": "HappyPath", "expect": {"outputContains": {"total": 13}}}]}`
	file := filepath.Join(dir, "wrong.suite.json")
	if err := os.WriteFile(file, []byte(suite), 0o600); err != nil {
		t.Fatal(err)
	}
	junit := filepath.Join(dir, "junit.xml")
	cmd := exec.Command(stepdBin, "test", "-junit", junit, file)
	var stdout bytes.Buffer
	cmd.Stdout = &stdout
	err = cmd.Run()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 {
		t.Fatalf("exit %v, want 1\n%s", err, stdout.String())
	}
	for _, want := range []string{"FAIL  a wrong total", "output $.total: got 12, want 13", "states: Validate → IsValid → CoolingOff → Charge (2× Payments.Busy, then on) → Confirmed", "0 passed, 1 failed"} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("report lacks %q:\n%s", want, stdout.String())
		}
	}
	b, err := os.ReadFile(junit)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Failures int `xml:"failures,attr"`
		Suites   []struct {
			Cases []struct {
				Name    string `xml:"name,attr"`
				Failure *struct {
					Message string `xml:"message,attr"`
				} `xml:"failure"`
			} `xml:"testcase"`
		} `xml:"testsuite"`
	}
	if err := xml.Unmarshal(b, &doc); err != nil || doc.Failures != 1 || len(doc.Suites) != 1 || len(doc.Suites[0].Cases) != 1 {
		t.Fatalf("JUnit (%v):\n%s", err, b)
	}
	if f := doc.Suites[0].Cases[0].Failure; f == nil || f.Message != "output $.total: got 12, want 13" {
		t.Errorf("JUnit failure %+v", f)
	}
}
