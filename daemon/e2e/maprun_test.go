package e2e

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"
)

// Map Runs against the real binary: a Distributed Map's children are
// executions of their own, with ARNs under the Map Run, and the Map Run
// answers DescribeMapRun, ListMapRuns and UpdateMapRun.

// dmapMachine is a machine whose Distributed Map runs a child for each
// item of $.items: the child fails when its item has "fail" and outputs
// its own $$.Execution and $$.StateMachine otherwise. extra are more
// fields of the Map state.
func dmapMachine(childType, extra string) string {
	return `{"StartAt":"M","States":{"M":{"Type":"Map","ItemsPath":"$.items",` + extra + `
		"ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED","ExecutionType":"` + childType + `"},"StartAt":"C","States":{
			"C":{"Type":"Choice","Choices":[{"Variable":"$.fail","IsPresent":true,"Next":"F"}],"Default":"W"},
			"W":{"Type":"Wait","SecondsPath":"$.wait","Next":"P"},
			"P":{"Type":"Pass","Parameters":{"id.$":"$$.Execution.Id","name.$":"$$.Execution.Name","input.$":"$$.Execution.Input",
				"start.$":"$$.Execution.StartTime","machine.$":"$$.StateMachine.Id"},"End":true},
			"F":{"Type":"Fail","Error":"Item.Failed","Cause":"asked to"}}},"End":true}}}`
}

// dmapItems makes n items that wait wait seconds, the ones whose index
// is in failing failing.
func dmapItems(n, wait int, failing ...int) string {
	items := make([]string, n)
	for i := range items {
		items[i] = fmt.Sprintf(`{"i":%d,"wait":%d}`, i, wait)
	}
	for _, i := range failing {
		items[i] = fmt.Sprintf(`{"i":%d,"fail":true}`, i)
	}
	return `{"items":[` + strings.Join(items, ",") + `]}`
}

// onlyMapRun waits for the execution's one Map Run and returns its ARN.
func onlyMapRun(t *testing.T, c *sfn.Client, exec string) string {
	t.Helper()
	var arn string
	waitFor(t, 30*time.Second, 10*time.Millisecond, func() error {
		out, err := c.ListMapRuns(testContext(t), &sfn.ListMapRunsInput{ExecutionArn: aws.String(exec)})
		if err != nil {
			return err
		}
		if len(out.MapRuns) != 1 {
			return fmt.Errorf("%d map runs", len(out.MapRuns))
		}
		r := out.MapRuns[0]
		if aws.ToString(r.ExecutionArn) != exec {
			return fmt.Errorf("map run of %s, want %s", aws.ToString(r.ExecutionArn), exec)
		}
		arn = aws.ToString(r.MapRunArn)
		return nil
	})
	return arn
}

func describeMapRun(t *testing.T, c *sfn.Client, arn string) *sfn.DescribeMapRunOutput {
	t.Helper()
	d, err := c.DescribeMapRun(testContext(t), &sfn.DescribeMapRunInput{MapRunArn: aws.String(arn)})
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// TestMapRunStandardChildren: a STANDARD parent whose Distributed Map
// runs 6 STANDARD children, 2 of which fail within ToleratedFailureCount
// 2. The Map Run has AWS's ARN and counts; each child is an execution of
// <machine>/<label> listed under the Map Run, described with its
// mapRunArn, and its $$.Execution and $$.StateMachine are its own.
func TestMapRunStandardChildren(t *testing.T) {
	p := startStepd(t)
	c := newClient(p)
	m := createStandard(t, c, "dmapstd", dmapMachine("STANDARD", `"Label":"lbl","ToleratedFailureCount":2,"MaxConcurrency":3,`))
	exec := *startNamed(t, c, m, "e1", dmapItems(6, 0, 1, 4)).ExecutionArn
	waitExecution(t, c, exec, types.ExecutionStatusSucceeded)
	runArn := onlyMapRun(t, c, exec)
	prefix := "arn:aws:states:us-east-1:123456789012:mapRun:dmapstd/lbl:"
	if !strings.HasPrefix(runArn, prefix) || len(runArn) != len(prefix)+36 {
		t.Errorf("map run ARN %s, want %s<uuid>", runArn, prefix)
	}
	var started *types.MapRunStartedEventDetails
	for _, e := range historyOf(t, c, exec) {
		if e.Type == types.HistoryEventTypeMapRunStarted {
			started = e.MapRunStartedEventDetails
		}
	}
	if started == nil || aws.ToString(started.MapRunArn) != runArn {
		t.Errorf("MapRunStarted details %+v, want the map run's ARN", started)
	}
	d := describeMapRun(t, c, runArn)
	if d.Status != types.MapRunStatusSucceeded || aws.ToString(d.ExecutionArn) != exec || d.MaxConcurrency != 3 || d.ToleratedFailureCount != 2 || d.StopDate == nil {
		t.Errorf("DescribeMapRun: status %s execution %s maxConcurrency %d toleratedFailureCount %d stop %v",
			d.Status, aws.ToString(d.ExecutionArn), d.MaxConcurrency, d.ToleratedFailureCount, d.StopDate)
	}
	for name, got := range map[string]*types.MapRunItemCounts{"items": d.ItemCounts} {
		if got.Total != 6 || got.Succeeded != 4 || got.Failed != 2 || got.Pending != 0 || got.Running != 0 || got.ResultsWritten != 6 {
			t.Errorf("%s counts %+v", name, *got)
		}
	}
	if e := d.ExecutionCounts; e.Total != 6 || e.Succeeded != 4 || e.Failed != 2 {
		t.Errorf("execution counts %+v", *e)
	}

	list, err := c.ListExecutions(testContext(t), &sfn.ListExecutionsInput{MapRunArn: aws.String(runArn)})
	if err != nil {
		t.Fatal(err)
	}
	if len(list.Executions) != 6 {
		t.Fatalf("ListExecutions of the map run: %d children, want 6", len(list.Executions))
	}
	failed, err := c.ListExecutions(testContext(t), &sfn.ListExecutionsInput{MapRunArn: aws.String(runArn), StatusFilter: types.ExecutionStatusFailed})
	if err != nil || len(failed.Executions) != 2 {
		t.Fatalf("failed children: %v %v", failed, err)
	}
	childPrefix := "arn:aws:states:us-east-1:123456789012:execution:dmapstd/lbl:"
	for _, it := range list.Executions {
		arn := aws.ToString(it.ExecutionArn)
		if !strings.HasPrefix(arn, childPrefix) || arn != childPrefix+aws.ToString(it.Name) || aws.ToString(it.MapRunArn) != runArn ||
			aws.ToString(it.StateMachineArn) != m+"/lbl" {
			t.Errorf("child %s name %s map run %s machine %s", arn, aws.ToString(it.Name), aws.ToString(it.MapRunArn), aws.ToString(it.StateMachineArn))
		}
		cd, err := c.DescribeExecution(testContext(t), &sfn.DescribeExecutionInput{ExecutionArn: it.ExecutionArn})
		if err != nil {
			t.Fatal(err)
		}
		if aws.ToString(cd.MapRunArn) != runArn {
			t.Errorf("DescribeExecution of %s: mapRunArn %q", arn, aws.ToString(cd.MapRunArn))
		}
		sm, err := c.DescribeStateMachineForExecution(testContext(t), &sfn.DescribeStateMachineForExecutionInput{ExecutionArn: it.ExecutionArn})
		if err != nil {
			t.Fatal(err)
		}
		if aws.ToString(sm.MapRunArn) != runArn || aws.ToString(sm.Label) != "lbl" || aws.ToString(sm.Name) != "dmapstd/lbl" ||
			aws.ToString(sm.StateMachineArn) != m+"/lbl" || !strings.HasPrefix(aws.ToString(sm.Definition), `{"StartAt":"C",`) ||
			strings.Contains(aws.ToString(sm.Definition), "ProcessorConfig") {
			t.Errorf("DescribeStateMachineForExecution of %s: %s %s %s %s %s", arn, aws.ToString(sm.MapRunArn), aws.ToString(sm.Label),
				aws.ToString(sm.Name), aws.ToString(sm.StateMachineArn), aws.ToString(sm.Definition))
		}
		if cd.Status == types.ExecutionStatusFailed {
			if aws.ToString(cd.Error) != "Item.Failed" || !strings.Contains(aws.ToString(cd.Input), `"fail":true`) || cd.RedriveStatus != types.ExecutionRedriveStatusRedrivableByMapRun {
				t.Errorf("failed child: error %q input %s redrive status %s", aws.ToString(cd.Error), aws.ToString(cd.Input), cd.RedriveStatus)
			}
			continue
		}
		if cd.RedriveStatus != types.ExecutionRedriveStatusNotRedrivable || aws.ToString(cd.RedriveStatusReason) != "Execution is SUCCEEDED and cannot be redriven" {
			t.Errorf("succeeded child: redrive status %s (%s)", cd.RedriveStatus, aws.ToString(cd.RedriveStatusReason))
		}
		var out struct {
			ID, Name, Machine, Start string
			Input                    map[string]any
		}
		if err := json.Unmarshal([]byte(aws.ToString(cd.Output)), &out); err != nil {
			t.Fatalf("child output %s: %v", aws.ToString(cd.Output), err)
		}
		if out.ID != arn || out.Name != aws.ToString(it.Name) || out.Machine != m+"/lbl" || out.Input["i"] == nil || cd.Input == nil ||
			!strings.Contains(aws.ToString(cd.Input), `"i":`) {
			t.Errorf("child %s sees $$.Execution %+v", arn, out)
		}
	}

	_, err = c.DescribeMapRun(testContext(t), &sfn.DescribeMapRunInput{MapRunArn: aws.String(prefix + "00000000-0000-4000-8000-000000000000")})
	errorAs[*types.ResourceNotFound](t, err, "Resource not found")
	_, err = c.DescribeMapRun(testContext(t), &sfn.DescribeMapRunInput{MapRunArn: aws.String(m)})
	errorAs[*types.InvalidArn](t, err, "Invalid Arn")
	_, err = c.UpdateMapRun(testContext(t), &sfn.UpdateMapRunInput{MapRunArn: aws.String(runArn), MaxConcurrency: aws.Int32(-1)})
	if code := apiErrorCode(err); code != "ValidationException" {
		t.Errorf("UpdateMapRun maxConcurrency -1: %v", err)
	}
}

// TestMapRunExpressChildren: EXPRESS children have express: ARNs and are
// not listed (AWS lists only STANDARD children), but counted.
func TestMapRunExpressChildren(t *testing.T) {
	p := startStepd(t)
	c := newClient(p)
	m := createStandard(t, c, "dmapexp", dmapMachine("EXPRESS", ""))
	exec := *startNamed(t, c, m, "e1", dmapItems(3, 0)).ExecutionArn
	d := waitExecution(t, c, exec, types.ExecutionStatusSucceeded)
	var outs []struct{ ID, Name, Machine string }
	if err := json.Unmarshal([]byte(aws.ToString(d.Output)), &outs); err != nil || len(outs) != 3 {
		t.Fatalf("output %s: %v", aws.ToString(d.Output), err)
	}
	runArn := onlyMapRun(t, c, exec)
	label := strings.TrimPrefix(runArn, "arn:aws:states:us-east-1:123456789012:mapRun:dmapexp/")
	label = label[:strings.IndexByte(label, ':')]
	for _, o := range outs {
		if want := "arn:aws:states:us-east-1:123456789012:express:dmapexp/" + label + ":" + o.Name; o.ID != want {
			t.Errorf("child id %s, want %s", o.ID, want)
		}
	}
	if outs[0].Name == outs[1].Name {
		t.Errorf("two children named %s", outs[0].Name)
	}
	if c := describeMapRun(t, c, runArn).ItemCounts; c.Succeeded != 3 || c.Total != 3 {
		t.Errorf("item counts %+v", *c)
	}
	list, err := c.ListExecutions(testContext(t), &sfn.ListExecutionsInput{MapRunArn: aws.String(runArn)})
	if err != nil || len(list.Executions) != 0 {
		t.Errorf("EXPRESS children listed: %v %v", list, err)
	}
}

// TestMapRunToleratedFailures: 10 items of which 3 fail succeed with
// ToleratedFailurePercentage 30 and fail with 20
// (States.ExceedToleratedFailureThreshold), and with
// ToleratedFailureCountPath 2.
func TestMapRunToleratedFailures(t *testing.T) {
	p := startStepd(t)
	c := newClient(p)
	for _, tc := range []struct {
		name, extra string
		status      types.ExecutionStatus
		run         types.MapRunStatus
	}{
		{"pct30", `"ToleratedFailurePercentage":30,`, types.ExecutionStatusSucceeded, types.MapRunStatusSucceeded},
		{"pct20", `"ToleratedFailurePercentage":20,`, types.ExecutionStatusFailed, types.MapRunStatusFailed},
		{"count2", `"ToleratedFailureCountPath":"$.tolerate",`, types.ExecutionStatusFailed, types.MapRunStatusFailed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := createStandard(t, c, "tol"+tc.name, dmapMachine("EXPRESS", tc.extra+`"MaxConcurrency":1,`))
			input := strings.Replace(dmapItems(10, 0, 2, 5, 8), `{"items"`, `{"tolerate":2,"items"`, 1)
			exec := *startNamed(t, c, m, "e", input).ExecutionArn
			d := waitExecution(t, c, exec, tc.status)
			if tc.status == types.ExecutionStatusFailed && aws.ToString(d.Error) != "States.ExceedToleratedFailureThreshold" {
				t.Errorf("error %q cause %q", aws.ToString(d.Error), aws.ToString(d.Cause))
			}
			r := describeMapRun(t, c, onlyMapRun(t, c, exec))
			if r.Status != tc.run || r.ItemCounts.Failed != 3 || r.ItemCounts.Total != 10 {
				t.Errorf("map run %s, items %+v", r.Status, *r.ItemCounts)
			}
			if tc.run != types.MapRunStatusFailed {
				return
			}
			for _, e := range historyOf(t, c, exec) {
				if e.Type == types.HistoryEventTypeMapRunFailed && aws.ToString(e.MapRunFailedEventDetails.Error) != "States.ExceedToleratedFailureThreshold" {
					t.Errorf("MapRunFailed details %+v", e.MapRunFailedEventDetails)
				}
			}
		})
	}
}

// TestUpdateMapRunWhileRunning: a Map Run of waiting children with
// MaxConcurrency 1 runs several at once once UpdateMapRun raises it to
// 10; one whose failures exceed ToleratedFailureCount 0 succeeds once
// UpdateMapRun tolerates them, before the first child fails.
func TestUpdateMapRunWhileRunning(t *testing.T) {
	p := startStepd(t)
	c := newClient(p)
	m := createStandard(t, c, "upd", dmapMachine("STANDARD", `"MaxConcurrency":1,`))
	exec := *startNamed(t, c, m, "e", dmapItems(10, 1)).ExecutionArn
	runArn := onlyMapRun(t, c, exec)
	if d := describeMapRun(t, c, runArn); d.ItemCounts.Running > 1 {
		t.Fatalf("MaxConcurrency 1 runs %d children", d.ItemCounts.Running)
	}
	if _, err := c.UpdateMapRun(testContext(t), &sfn.UpdateMapRunInput{MapRunArn: aws.String(runArn), MaxConcurrency: aws.Int32(10)}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 30*time.Second, 5*time.Millisecond, func() error {
		d := describeMapRun(t, c, runArn)
		if d.ItemCounts.Running < 2 && d.Status == types.MapRunStatusRunning {
			return fmt.Errorf("%d children running", d.ItemCounts.Running)
		}
		if d.MaxConcurrency != 10 {
			t.Fatalf("maxConcurrency %d after the update", d.MaxConcurrency)
		}
		return nil
	})
	waitExecution(t, c, exec, types.ExecutionStatusSucceeded)

	failing := createStandard(t, c, "updfail", `{"StartAt":"M","States":{"M":{"Type":"Map","ItemsPath":"$.items","ToleratedFailureCount":0,
		"ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED","ExecutionType":"STANDARD"},"StartAt":"W","States":{
			"W":{"Type":"Wait","Seconds":5,"Next":"F"},"F":{"Type":"Fail","Error":"Late"}}},"End":true}}}`)
	exec = *startNamed(t, c, failing, "e", `{"items":[1,2,3]}`).ExecutionArn
	runArn = onlyMapRun(t, c, exec)
	if _, err := c.UpdateMapRun(testContext(t), &sfn.UpdateMapRunInput{MapRunArn: aws.String(runArn), ToleratedFailureCount: aws.Int64(10)}); err != nil {
		t.Fatal(err)
	}
	waitExecution(t, c, exec, types.ExecutionStatusSucceeded)
	if d := describeMapRun(t, c, runArn); d.ToleratedFailureCount != 10 || d.ItemCounts.Failed != 3 || d.Status != types.MapRunStatusSucceeded {
		t.Errorf("after the update: status %s tolerated %d items %+v", d.Status, d.ToleratedFailureCount, *d.ItemCounts)
	}
}

// TestMapRunSurvivesKill: SIGKILL of the node while a STANDARD parent's
// Distributed Map of 200 STANDARD children is half done (the even ones
// ended, the odd ones wait 4 s after their Lambda call). After a restart
// the same Map Run (same ARN, same child names) ends with 200 succeeded
// children, and no child ran its Lambda task twice.
func TestMapRunSurvivesKill(t *testing.T) {
	stub, lambdaURL := newLambdaStub(t)
	n := &e2eNode{id: "n1", raftAddr: freeAddr(t), dataDir: t.TempDir()}
	n.start(t, "", "-lambda-endpoint", lambdaURL)
	c := n.sfn
	m := createStandard(t, c, "dmapkill", `{"StartAt":"M","States":{"M":{"Type":"Map","ItemsPath":"$.items","MaxConcurrency":200,"End":true,
		"ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED","ExecutionType":"STANDARD"},"StartAt":"L","States":{
			"L":{"Type":"Task","Resource":"`+stubFunction+`","Parameters":{"i.$":"$.i"},"ResultPath":"$.l","Next":"W"},
			"W":{"Type":"Wait","SecondsPath":"$.s","Next":"P"},
			"P":{"Type":"Pass","Parameters":{"i.$":"$.i","name.$":"$$.Execution.Name"},"End":true}}}}}}`)
	items := make([]string, 200)
	for i := range items {
		items[i] = fmt.Sprintf(`{"i":%d,"s":%d}`, i, 4*(i%2))
	}
	exec := *startNamed(t, c, m, "e", `{"items":[`+strings.Join(items, ",")+`]}`).ExecutionArn
	runArn := onlyMapRun(t, c, exec)
	waitFor(t, 30*time.Second, 10*time.Millisecond, func() error {
		if d := describeMapRun(t, c, runArn); d.ItemCounts.Succeeded < 100 {
			return fmt.Errorf("%d children succeeded", d.ItemCounts.Succeeded)
		}
		return nil
	})
	before, err := c.ListExecutions(testContext(t), &sfn.ListExecutionsInput{MapRunArn: aws.String(runArn), MaxResults: 1000})
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]bool{}
	for _, e := range before.Executions {
		names[aws.ToString(e.Name)] = true
	}
	n.kill(t)
	n.start(t, "", "-lambda-endpoint", lambdaURL)
	c = n.sfn
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("the server after the restart logged:\n%s", n.p.log())
		}
	})

	d := waitExecution(t, c, exec, types.ExecutionStatusSucceeded)
	var outs []struct {
		I    int
		Name string
	}
	if err := json.Unmarshal([]byte(aws.ToString(d.Output)), &outs); err != nil || len(outs) != 200 {
		t.Fatalf("output %s: %v", aws.ToString(d.Output), err)
	}
	for i, o := range outs {
		if o.I != i || !names[o.Name] {
			t.Errorf("child %d: output %+v, a name not listed before the kill", i, o)
		}
		if got := stub.count(fmt.Sprintf(`{"i":%d}`, i)); got != 1 {
			t.Errorf("child %d called its Lambda %d times", i, got)
		}
	}
	if got := onlyMapRun(t, c, exec); got != runArn {
		t.Errorf("map run after the restart %s, want %s", got, runArn)
	}
	r := describeMapRun(t, c, runArn)
	if r.Status != types.MapRunStatusSucceeded || r.ItemCounts.Succeeded != 200 || r.ExecutionCounts.Total != 200 {
		t.Errorf("map run after the restart: %s items %+v", r.Status, *r.ItemCounts)
	}
	after, err := c.ListExecutions(testContext(t), &sfn.ListExecutionsInput{MapRunArn: aws.String(runArn), MaxResults: 1000,
		StatusFilter: types.ExecutionStatusSucceeded})
	if err != nil || len(after.Executions) != 200 {
		t.Errorf("succeeded children after the restart: %d, %v", len(after.Executions), err)
	}
}

// TestUpdateMapRunSurvivesKill: an UpdateMapRun of a STANDARD parent's
// Map Run is committed with the execution: after a SIGKILL and a restart,
// the resumed run still tolerates the failures the update allowed.
func TestUpdateMapRunSurvivesKill(t *testing.T) {
	n := &e2eNode{id: "n1", raftAddr: freeAddr(t), dataDir: t.TempDir()}
	n.start(t, "")
	c := n.sfn
	m := createStandard(t, c, "updkill", `{"StartAt":"M","States":{"M":{"Type":"Map","ItemsPath":"$.items","ToleratedFailureCount":0,
		"ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED","ExecutionType":"STANDARD"},"StartAt":"W","States":{
			"W":{"Type":"Wait","Seconds":3,"Next":"F"},"F":{"Type":"Fail","Error":"Late"}}},"End":true}}}`)
	exec := *startNamed(t, c, m, "e", `{"items":[1,2,3]}`).ExecutionArn
	runArn := onlyMapRun(t, c, exec)
	if _, err := c.UpdateMapRun(testContext(t), &sfn.UpdateMapRunInput{MapRunArn: aws.String(runArn), ToleratedFailureCount: aws.Int64(3),
		MaxConcurrency: aws.Int32(7)}); err != nil {
		t.Fatal(err)
	}
	n.kill(t)
	n.start(t, "")
	c = n.sfn
	waitExecution(t, c, exec, types.ExecutionStatusSucceeded)
	if d := describeMapRun(t, c, runArn); d.ToleratedFailureCount != 3 || d.MaxConcurrency != 7 || d.ItemCounts.Failed != 3 {
		t.Errorf("after the restart: tolerated %d, max concurrency %d, items %+v", d.ToleratedFailureCount, d.MaxConcurrency, *d.ItemCounts)
	}
}

// TestMapRunAfterRestart: the Map Run of a STANDARD execution that ended
// before its node was killed is still listed and described after the
// restart, with its counts, from what the execution recorded; so are its
// STANDARD children, each with its history.
func TestMapRunAfterRestart(t *testing.T) {
	n := &e2eNode{id: "n1", raftAddr: freeAddr(t), dataDir: t.TempDir()}
	n.start(t, "")
	c := n.sfn
	m := createStandard(t, c, "dmapdone", dmapMachine("STANDARD", `"ToleratedFailureCount":1,"MaxConcurrency":2,`))
	exec := *startNamed(t, c, m, "e", dmapItems(4, 0, 3)).ExecutionArn
	waitExecution(t, c, exec, types.ExecutionStatusSucceeded)
	runArn := onlyMapRun(t, c, exec)
	before := describeMapRun(t, c, runArn)
	n.kill(t)
	n.start(t, "")
	c = n.sfn
	if got := onlyMapRun(t, c, exec); got != runArn {
		t.Fatalf("after the restart the execution lists %s, want %s", got, runArn)
	}
	after := describeMapRun(t, c, runArn)
	counts := func(d *sfn.DescribeMapRunOutput) [4]int64 {
		return [4]int64{d.ItemCounts.Succeeded, d.ItemCounts.Failed, d.ItemCounts.Total, d.ExecutionCounts.Total}
	}
	if after.Status != types.MapRunStatusSucceeded || counts(after) != counts(before) || counts(after) != [4]int64{3, 1, 4, 4} ||
		after.MaxConcurrency != 2 || after.ToleratedFailureCount != 1 || !after.StartDate.Equal(*before.StartDate) || !after.StopDate.Equal(*before.StopDate) {
		t.Errorf("after the restart: %s %v %v–%v, before: %s %v %v–%v", after.Status, counts(after), after.StartDate, after.StopDate,
			before.Status, counts(before), before.StartDate, before.StopDate)
	}
	children, err := c.ListExecutions(testContext(t), &sfn.ListExecutionsInput{MapRunArn: aws.String(runArn)})
	if err != nil || len(children.Executions) != 4 {
		t.Fatalf("children listed after the restart: %v %v, want 4", children, err)
	}
	failed, err := c.ListExecutions(testContext(t), &sfn.ListExecutionsInput{MapRunArn: aws.String(runArn), StatusFilter: types.ExecutionStatusFailed})
	if err != nil || len(failed.Executions) != 1 {
		t.Fatalf("failed children listed after the restart: %v %v, want 1", failed, err)
	}
	for _, it := range children.Executions {
		if aws.ToString(it.MapRunArn) != runArn || it.StopDate == nil {
			t.Errorf("child %s after the restart: map run %s, stop %v", aws.ToString(it.ExecutionArn), aws.ToString(it.MapRunArn), it.StopDate)
		}
		want := "ExecutionStarted ChoiceStateEntered ChoiceStateExited WaitStateEntered WaitStateExited PassStateEntered PassStateExited ExecutionSucceeded"
		if it.Status == types.ExecutionStatusFailed {
			want = "ExecutionStarted ChoiceStateEntered ChoiceStateExited FailStateEntered ExecutionFailed"
		}
		d, err := c.DescribeExecution(testContext(t), &sfn.DescribeExecutionInput{ExecutionArn: it.ExecutionArn})
		if err != nil || d.Status != it.Status || aws.ToString(d.MapRunArn) != runArn || !strings.Contains(aws.ToString(d.Input), `"i":`) {
			t.Errorf("DescribeExecution of child %s after the restart: %+v %v", aws.ToString(it.ExecutionArn), d, err)
		}
		sm, err := c.DescribeStateMachineForExecution(testContext(t), &sfn.DescribeStateMachineForExecutionInput{ExecutionArn: it.ExecutionArn})
		if err != nil || aws.ToString(sm.MapRunArn) != runArn || !strings.HasPrefix(aws.ToString(sm.Definition), `{"StartAt":"C",`) {
			t.Errorf("DescribeStateMachineForExecution of child %s after the restart: %+v %v", aws.ToString(it.ExecutionArn), sm, err)
		}
		if got := eventTypesOf(historyOf(t, c, aws.ToString(it.ExecutionArn))); got != want {
			t.Errorf("history of child %s after the restart:\n%s\nwant\n%s", aws.ToString(it.ExecutionArn), got, want)
		}
	}
}

// TestMapRunAbortedWithItsExecution: stopping a STANDARD execution while
// its Map Run's children wait aborts the Map Run and its running
// children.
func TestMapRunAbortedWithItsExecution(t *testing.T) {
	p := startStepd(t)
	c := newClient(p)
	m := createStandard(t, c, "dmapstop", dmapMachine("STANDARD", `"MaxConcurrency":2,`))
	exec := *startNamed(t, c, m, "e", dmapItems(5, 3600)).ExecutionArn
	runArn := onlyMapRun(t, c, exec)
	waitFor(t, 30*time.Second, 10*time.Millisecond, func() error {
		if d := describeMapRun(t, c, runArn); d.ItemCounts.Running != 2 {
			return fmt.Errorf("%d children running", d.ItemCounts.Running)
		}
		return nil
	})
	if _, err := c.StopExecution(testContext(t), &sfn.StopExecutionInput{ExecutionArn: aws.String(exec)}); err != nil {
		t.Fatal(err)
	}
	waitExecution(t, c, exec, types.ExecutionStatusAborted)
	waitFor(t, 30*time.Second, 10*time.Millisecond, func() error {
		d := describeMapRun(t, c, runArn)
		if d.Status != types.MapRunStatusAborted || d.StopDate == nil || d.ItemCounts.Running != 0 || d.ItemCounts.Aborted != 2 || d.ItemCounts.Pending != 3 {
			return fmt.Errorf("map run %s stop %v items %+v", d.Status, d.StopDate, *d.ItemCounts)
		}
		return nil
	})
}
