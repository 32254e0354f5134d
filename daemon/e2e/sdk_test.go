package e2e

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"
	"github.com/aws/smithy-go"
)

// The state machines the end-to-end tests run.
const (
	e2ePass    = `{"StartAt":"P","States":{"P":{"Type":"Pass","Result":{"tier":"gold"},"ResultPath":"$.class","End":true}}}`
	e2ePass2   = `{"StartAt":"P","States":{"P":{"Type":"Pass","Result":{"tier":"silver"},"ResultPath":"$.class","End":true}}}`
	e2eFail    = `{"StartAt":"F","States":{"F":{"Type":"Fail","Error":"Nope","Cause":"it failed"}}}`
	e2eTimeout = `{"TimeoutSeconds":1,"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":3,"End":true}}}`
	e2eWait2   = `{"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":2,"End":true}}}`
	e2eWait30  = `{"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":30,"End":true}}}`
	// e2eBad has a StartAt and a Next that name no state.
	e2eBad = `{"StartAt":"X","States":{"A":{"Type":"Pass","Next":"Z"}}}`

	e2eRole = "arn:aws:iam::123456789012:role/stepd-e2e"
)

// machineArn is the ARN stepd gives a machine with its default region and
// account.
func machineArn(name string) string {
	return "arn:aws:states:us-east-1:123456789012:stateMachine:" + name
}

// create makes a state machine and returns its ARN, failing the test on
// error.
func create(t *testing.T, c *sfn.Client, name string, typ types.StateMachineType, def string) string {
	t.Helper()
	out, err := c.CreateStateMachine(testContext(t), &sfn.CreateStateMachineInput{
		Name: aws.String(name), Definition: aws.String(def), RoleArn: aws.String(e2eRole), Type: typ,
	})
	if err != nil {
		t.Fatalf("CreateStateMachine %s: %v", name, err)
	}
	return aws.ToString(out.StateMachineArn)
}

// errorAs checks that err is the SDK's error type E, whose message
// contains wantMsg.
func errorAs[E error](t *testing.T, err error, wantMsg string) {
	t.Helper()
	var target E
	if !errors.As(err, &target) {
		t.Fatalf("error %v (%T), want %T", err, err, target)
	}
	if !strings.Contains(err.Error(), wantMsg) {
		t.Errorf("error %q does not contain %q", err, wantMsg)
	}
}

// apiErrorCode returns the AWS error code of err, or "" if it has none.
func apiErrorCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

// TestSDKCreateStateMachine creates machines of both types and checks the
// errors AWS answers to a conflicting create, a bad definition and a bad
// name.
func TestSDKCreateStateMachine(t *testing.T) {
	p := startStepd(t)
	c := newClient(p)
	ctx := testContext(t)

	for _, tc := range []struct {
		name, machine, def string
		typ                types.StateMachineType
		check              func(t *testing.T, out *sfn.CreateStateMachineOutput, err error)
	}{
		{"standard", "std", e2ePass, types.StateMachineTypeStandard, func(t *testing.T, out *sfn.CreateStateMachineOutput, err error) {
			if err != nil || aws.ToString(out.StateMachineArn) != machineArn("std") || out.CreationDate == nil {
				t.Fatalf("got %+v, %v; want ARN %s and a creation date", out, err, machineArn("std"))
			}
		}},
		{"express", "exp", e2ePass, types.StateMachineTypeExpress, func(t *testing.T, out *sfn.CreateStateMachineOutput, err error) {
			if err != nil || aws.ToString(out.StateMachineArn) != machineArn("exp") {
				t.Fatalf("got %+v, %v; want ARN %s", out, err, machineArn("exp"))
			}
		}},
		{"identical re-create", "exp", e2ePass, types.StateMachineTypeExpress, func(t *testing.T, out *sfn.CreateStateMachineOutput, err error) {
			if err != nil || aws.ToString(out.StateMachineArn) != machineArn("exp") {
				t.Fatalf("got %+v, %v; want the existing ARN %s", out, err, machineArn("exp"))
			}
		}},
		{"different definition", "exp", e2ePass2, types.StateMachineTypeExpress, func(t *testing.T, _ *sfn.CreateStateMachineOutput, err error) {
			errorAs[*types.StateMachineAlreadyExists](t, err, "State Machine Already Exists: '"+machineArn("exp")+"'")
		}},
		{"bad definition", "bad", e2eBad, types.StateMachineTypeExpress, func(t *testing.T, _ *sfn.CreateStateMachineOutput, err error) {
			errorAs[*types.InvalidDefinition](t, err, "Invalid State Machine Definition: '")
			for _, want := range []string{"MISSING_TRANSITION_TARGET: Missing 'Next' target: X at /StartAt", "MISSING_TRANSITION_TARGET: Missing 'Next' target: Z at /States/A/Next"} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not contain %q", err, want)
				}
			}
		}},
		{"not JSON", "bad", `{"StartAt":`, types.StateMachineTypeExpress, func(t *testing.T, _ *sfn.CreateStateMachineOutput, err error) {
			errorAs[*types.InvalidDefinition](t, err, "Invalid State Machine Definition: '")
		}},
		{"bad name", "has space", e2ePass, types.StateMachineTypeExpress, func(t *testing.T, _ *sfn.CreateStateMachineOutput, err error) {
			errorAs[*types.InvalidName](t, err, "Invalid Name: 'has space'")
		}},
		{"name with colon", "a:b", e2ePass, types.StateMachineTypeExpress, func(t *testing.T, _ *sfn.CreateStateMachineOutput, err error) {
			errorAs[*types.InvalidName](t, err, "Invalid Name")
		}},
		{"name too long", strings.Repeat("n", 81), e2ePass, types.StateMachineTypeExpress, func(t *testing.T, _ *sfn.CreateStateMachineOutput, err error) {
			errorAs[*types.InvalidName](t, err, "Invalid Name")
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, err := c.CreateStateMachine(ctx, &sfn.CreateStateMachineInput{
				Name: aws.String(tc.machine), Definition: aws.String(tc.def), RoleArn: aws.String(e2eRole), Type: tc.typ,
			})
			tc.check(t, out, err)
		})
	}

	// Describe shows each machine as created.
	for _, tc := range []struct {
		name string
		typ  types.StateMachineType
	}{{"std", types.StateMachineTypeStandard}, {"exp", types.StateMachineTypeExpress}} {
		d, err := c.DescribeStateMachine(ctx, &sfn.DescribeStateMachineInput{StateMachineArn: aws.String(machineArn(tc.name))})
		if err != nil {
			t.Fatalf("DescribeStateMachine %s: %v", tc.name, err)
		}
		if aws.ToString(d.Name) != tc.name || d.Type != tc.typ || aws.ToString(d.Definition) != e2ePass ||
			aws.ToString(d.RoleArn) != e2eRole || d.Status != types.StateMachineStatusActive ||
			aws.ToString(d.StateMachineArn) != machineArn(tc.name) || d.CreationDate == nil || aws.ToString(d.RevisionId) == "" {
			t.Errorf("DescribeStateMachine %s = %+v", tc.name, d)
		}
		if d.LoggingConfiguration == nil || d.LoggingConfiguration.Level != types.LogLevelOff {
			t.Errorf("DescribeStateMachine %s: loggingConfiguration %+v, want level OFF", tc.name, d.LoggingConfiguration)
		}
		if d.TracingConfiguration == nil || d.TracingConfiguration.Enabled {
			t.Errorf("DescribeStateMachine %s: tracingConfiguration %+v, want disabled", tc.name, d.TracingConfiguration)
		}
	}

	_, err := c.DescribeStateMachine(ctx, &sfn.DescribeStateMachineInput{StateMachineArn: aws.String(machineArn("bad"))})
	errorAs[*types.StateMachineDoesNotExist](t, err, "State Machine Does Not Exist: '"+machineArn("bad")+"'")
	_, err = c.DescribeStateMachine(ctx, &sfn.DescribeStateMachineInput{StateMachineArn: aws.String("arn:aws:lambda:us-east-1:123456789012:function:f")})
	errorAs[*types.InvalidArn](t, err, "Invalid Arn")
}

// TestSDKListStateMachinesPagination lists five machines two at a time,
// by hand and with the SDK's paginator.
func TestSDKListStateMachinesPagination(t *testing.T) {
	p := startStepd(t)
	c := newClient(p)
	ctx := testContext(t)
	var want []string
	for i := range 5 {
		name := fmt.Sprintf("m%d", i)
		create(t, c, name, types.StateMachineTypeExpress, e2ePass)
		want = append(want, name)
	}

	var got []string
	var sizes []int
	var token *string
	for page := 0; ; page++ {
		if page > 5 {
			t.Fatalf("more than %d pages: the NextToken never ends", page)
		}
		out, err := c.ListStateMachines(ctx, &sfn.ListStateMachinesInput{MaxResults: 2, NextToken: token})
		if err != nil {
			t.Fatalf("ListStateMachines page %d: %v", page, err)
		}
		sizes = append(sizes, len(out.StateMachines))
		for _, m := range out.StateMachines {
			got = append(got, aws.ToString(m.Name))
			if aws.ToString(m.StateMachineArn) != machineArn(aws.ToString(m.Name)) || m.Type != types.StateMachineTypeExpress || m.CreationDate == nil {
				t.Errorf("list item %+v", m)
			}
		}
		if token = out.NextToken; token == nil {
			break
		}
	}
	if !reflect.DeepEqual(sizes, []int{2, 2, 1}) || !reflect.DeepEqual(got, want) {
		t.Errorf("pages of sizes %v listing %v, want [2 2 1] listing %v", sizes, got, want)
	}

	pager := sfn.NewListStateMachinesPaginator(c, &sfn.ListStateMachinesInput{MaxResults: 2})
	n := 0
	for pager.HasMorePages() {
		out, err := pager.NextPage(ctx)
		if err != nil {
			t.Fatalf("paginator: %v", err)
		}
		n += len(out.StateMachines)
	}
	if n != 5 {
		t.Errorf("the paginator listed %d machines, want 5", n)
	}

	_, err := c.ListStateMachines(ctx, &sfn.ListStateMachinesInput{NextToken: aws.String("not-a-token")})
	errorAs[*types.InvalidToken](t, err, "Invalid Token")
}

// TestSDKUpdateStateMachine changes a definition and checks that Describe
// and executions see the new one under a new revision id.
func TestSDKUpdateStateMachine(t *testing.T) {
	p := startStepd(t)
	c := newClient(p)
	ctx := testContext(t)
	arn := create(t, c, "upd", types.StateMachineTypeExpress, e2ePass)
	before, err := c.DescribeStateMachine(ctx, &sfn.DescribeStateMachineInput{StateMachineArn: aws.String(arn)})
	if err != nil {
		t.Fatal(err)
	}

	up, err := c.UpdateStateMachine(ctx, &sfn.UpdateStateMachineInput{StateMachineArn: aws.String(arn), Definition: aws.String(e2ePass2)})
	if err != nil {
		t.Fatalf("UpdateStateMachine: %v", err)
	}
	if up.UpdateDate == nil || aws.ToString(up.RevisionId) == "" || aws.ToString(up.RevisionId) == aws.ToString(before.RevisionId) {
		t.Errorf("UpdateStateMachine = %+v; want an update date and a revision id other than %q", up, aws.ToString(before.RevisionId))
	}
	after, err := c.DescribeStateMachine(ctx, &sfn.DescribeStateMachineInput{StateMachineArn: aws.String(arn)})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(after.Definition) != e2ePass2 || aws.ToString(after.RevisionId) != aws.ToString(up.RevisionId) {
		t.Errorf("after the update, Describe has definition %s revision %s; want %s revision %s",
			aws.ToString(after.Definition), aws.ToString(after.RevisionId), e2ePass2, aws.ToString(up.RevisionId))
	}
	run, err := c.StartSyncExecution(ctx, &sfn.StartSyncExecutionInput{StateMachineArn: aws.String(arn)})
	if err != nil || aws.ToString(run.Output) != `{"class":{"tier":"silver"}}` {
		t.Errorf("after the update, an execution answers %+v, %v; want the new definition's output", run, err)
	}

	for _, tc := range []struct {
		name  string
		in    *sfn.UpdateStateMachineInput
		check func(t *testing.T, err error)
	}{
		{"bad definition", &sfn.UpdateStateMachineInput{StateMachineArn: aws.String(arn), Definition: aws.String(e2eBad)}, func(t *testing.T, err error) {
			errorAs[*types.InvalidDefinition](t, err, "MISSING_TRANSITION_TARGET")
		}},
		{"nothing to change", &sfn.UpdateStateMachineInput{StateMachineArn: aws.String(arn)}, func(t *testing.T, err error) {
			errorAs[*types.MissingRequiredParameter](t, err, "")
		}},
		{"no such machine", &sfn.UpdateStateMachineInput{StateMachineArn: aws.String(machineArn("nope")), Definition: aws.String(e2ePass)}, func(t *testing.T, err error) {
			errorAs[*types.StateMachineDoesNotExist](t, err, machineArn("nope"))
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := c.UpdateStateMachine(ctx, tc.in)
			tc.check(t, err)
		})
	}
}

// TestSDKValidateStateMachineDefinition checks a valid and an invalid
// definition and the diagnostics of the second.
func TestSDKValidateStateMachineDefinition(t *testing.T) {
	p := startStepd(t)
	c := newClient(p)
	ctx := testContext(t)
	type diag struct{ severity, code, location string }
	for _, tc := range []struct {
		name   string
		def    string
		result types.ValidateStateMachineDefinitionResultCode
		diags  []diag // those that must be among the answer's
	}{
		{"valid", e2ePass, types.ValidateStateMachineDefinitionResultCodeOk, nil},
		{"missing targets", e2eBad, types.ValidateStateMachineDefinitionResultCodeFail, []diag{
			{"ERROR", "MISSING_TRANSITION_TARGET", "/StartAt"},
			{"ERROR", "MISSING_TRANSITION_TARGET", "/States/A/Next"},
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, err := c.ValidateStateMachineDefinition(ctx, &sfn.ValidateStateMachineDefinitionInput{Definition: aws.String(tc.def), Type: types.StateMachineTypeExpress})
			if err != nil {
				t.Fatalf("ValidateStateMachineDefinition: %v", err)
			}
			if out.Result != tc.result {
				t.Errorf("result %s, want %s", out.Result, tc.result)
			}
			if tc.diags == nil && len(out.Diagnostics) != 0 {
				t.Errorf("diagnostics of a valid definition: %+v", out.Diagnostics)
			}
			got := map[diag]bool{}
			for _, d := range out.Diagnostics {
				got[diag{string(d.Severity), aws.ToString(d.Code), aws.ToString(d.Location)}] = true
				if aws.ToString(d.Message) == "" {
					t.Errorf("diagnostic %+v has no message", d)
				}
			}
			for _, want := range tc.diags {
				if !got[want] {
					t.Errorf("no diagnostic %+v among %v", want, got)
				}
			}
		})
	}
}

// TestSDKStartSyncExecution runs Express machines to each end and checks
// the errors of executions that cannot start.
func TestSDKStartSyncExecution(t *testing.T) {
	p := startStepd(t)
	c := newClient(p)
	ctx := testContext(t)
	create(t, c, "pass", types.StateMachineTypeExpress, e2ePass)
	create(t, c, "fail", types.StateMachineTypeExpress, e2eFail)
	create(t, c, "timeout", types.StateMachineTypeExpress, e2eTimeout)
	create(t, c, "standard", types.StateMachineTypeStandard, e2ePass)

	type want struct {
		status              types.SyncExecutionStatus
		output, error, caus string
	}
	for _, tc := range []struct {
		name, machine, input, execName string
		want                           want
		check                          func(t *testing.T, err error) // for a start that fails
	}{
		{name: "succeeded", machine: "pass", input: `{"order":7}`, execName: "run-1",
			want: want{status: types.SyncExecutionStatusSucceeded, output: `{"order":7,"class":{"tier":"gold"}}`}},
		{name: "no input", machine: "pass",
			want: want{status: types.SyncExecutionStatusSucceeded, output: `{"class":{"tier":"gold"}}`}},
		{name: "failed", machine: "fail", input: `{}`,
			want: want{status: types.SyncExecutionStatusFailed, error: "Nope", caus: "it failed"}},
		// AWS reports a machine's TimeoutSeconds as TIMED_OUT without error
		// or cause (../shared/conformance timeouts.global_timeout).
		{name: "timed out", machine: "timeout", input: `{}`,
			want: want{status: types.SyncExecutionStatusTimedOut}},
		{name: "standard machine", machine: "standard", input: `{}`, check: func(t *testing.T, err error) {
			errorAs[*types.StateMachineTypeNotSupported](t, err, "")
		}},
		{name: "no such machine", machine: "nope", input: `{}`, check: func(t *testing.T, err error) {
			errorAs[*types.StateMachineDoesNotExist](t, err, "State Machine Does Not Exist: '"+machineArn("nope")+"'")
		}},
		{name: "input not JSON", machine: "pass", input: `{"a":`, check: func(t *testing.T, err error) {
			errorAs[*types.InvalidExecutionInput](t, err, "Invalid State Machine Execution Input: '")
		}},
		{name: "bad execution name", machine: "pass", input: `{}`, execName: "a b", check: func(t *testing.T, err error) {
			errorAs[*types.InvalidName](t, err, "Invalid Name")
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := &sfn.StartSyncExecutionInput{StateMachineArn: aws.String(machineArn(tc.machine))}
			if tc.input != "" {
				in.Input = aws.String(tc.input)
			}
			if tc.execName != "" {
				in.Name = aws.String(tc.execName)
			}
			start := time.Now()
			out, err := c.StartSyncExecution(ctx, in)
			if tc.check != nil {
				tc.check(t, err)
				return
			}
			if err != nil {
				t.Fatalf("StartSyncExecution: %v", err)
			}
			got := want{out.Status, aws.ToString(out.Output), aws.ToString(out.Error), aws.ToString(out.Cause)}
			if got != tc.want {
				t.Errorf("got %+v, want %+v", got, tc.want)
			}
			if tc.want.output != "" && !json.Valid([]byte(aws.ToString(out.Output))) {
				t.Errorf("output %q is not JSON", aws.ToString(out.Output))
			}
			if aws.ToString(out.StateMachineArn) != machineArn(tc.machine) {
				t.Errorf("stateMachineArn %s, want %s", aws.ToString(out.StateMachineArn), machineArn(tc.machine))
			}
			prefix := "arn:aws:states:us-east-1:123456789012:express:" + tc.machine + ":"
			if !strings.HasPrefix(aws.ToString(out.ExecutionArn), prefix) {
				t.Errorf("executionArn %s, want it to start with %s", aws.ToString(out.ExecutionArn), prefix)
			}
			if tc.execName != "" && aws.ToString(out.Name) != tc.execName {
				t.Errorf("name %s, want %s", aws.ToString(out.Name), tc.execName)
			}
			if out.StartDate == nil || out.StopDate == nil || out.StopDate.Before(*out.StartDate) || out.StartDate.Before(start.Add(-time.Second)) {
				t.Errorf("startDate %v stopDate %v for a run started at %v", out.StartDate, out.StopDate, start)
			}
			if out.BillingDetails == nil || out.BillingDetails.BilledDurationInMilliseconds < 100 {
				t.Errorf("billingDetails %+v", out.BillingDetails)
			}
			if tc.want.status == types.SyncExecutionStatusTimedOut {
				if d := out.StopDate.Sub(*out.StartDate); d < 900*time.Millisecond || d > 2500*time.Millisecond {
					t.Errorf("timed out after %v, want about TimeoutSeconds 1", d)
				}
			}
		})
	}
}

// describeUntilDone polls DescribeExecution until the execution is no
// longer RUNNING.
func describeUntilDone(t *testing.T, c *sfn.Client, arn string, deadline time.Duration) *sfn.DescribeExecutionOutput {
	t.Helper()
	var d *sfn.DescribeExecutionOutput
	waitFor(t, deadline, 20*time.Millisecond, func() error {
		var err error
		d, err = c.DescribeExecution(testContext(t), &sfn.DescribeExecutionInput{ExecutionArn: aws.String(arn)})
		if err != nil {
			return err
		}
		if d.Status == types.ExecutionStatusRunning {
			return fmt.Errorf("execution %s is still RUNNING", arn)
		}
		return nil
	})
	return d
}

// TestSDKStartExecution starts Standard executions in the background and
// follows them with DescribeExecution, ListExecutions and
// DescribeStateMachineForExecution.
func TestSDKStartExecution(t *testing.T) {
	p := startStepd(t)
	c := newClient(p)
	ctx := testContext(t)
	arn := create(t, c, "std", types.StateMachineTypeStandard, e2ePass)
	failArn := create(t, c, "stdfail", types.StateMachineTypeStandard, e2eFail)

	st, err := c.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: aws.String(arn), Name: aws.String("first"), Input: aws.String(`{"n":1}`)})
	if err != nil {
		t.Fatalf("StartExecution: %v", err)
	}
	wantArn := "arn:aws:states:us-east-1:123456789012:execution:std:first"
	if aws.ToString(st.ExecutionArn) != wantArn || st.StartDate == nil {
		t.Fatalf("StartExecution = %+v, want executionArn %s and a start date", st, wantArn)
	}
	d := describeUntilDone(t, c, wantArn, 10*time.Second)
	if d.Status != types.ExecutionStatusSucceeded || aws.ToString(d.Output) != `{"n":1,"class":{"tier":"gold"}}` ||
		aws.ToString(d.Input) != `{"n":1}` || aws.ToString(d.Name) != "first" || aws.ToString(d.StateMachineArn) != arn || d.StopDate == nil {
		t.Errorf("DescribeExecution = %+v", d)
	}

	// Starting the same name with the same input again answers the same
	// execution; with another input it is refused.
	again, err := c.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: aws.String(arn), Name: aws.String("first"), Input: aws.String(`{"n":1}`)})
	if err != nil || aws.ToString(again.ExecutionArn) != wantArn {
		t.Errorf("repeated StartExecution = %+v, %v; want %s", again, err, wantArn)
	}
	_, err = c.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: aws.String(arn), Name: aws.String("first"), Input: aws.String(`{"n":2}`)})
	errorAs[*types.ExecutionAlreadyExists](t, err, wantArn)

	second, err := c.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: aws.String(arn)})
	if err != nil {
		t.Fatalf("StartExecution without a name: %v", err)
	}
	describeUntilDone(t, c, aws.ToString(second.ExecutionArn), 10*time.Second)
	failed, err := c.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: aws.String(failArn)})
	if err != nil {
		t.Fatal(err)
	}
	fd := describeUntilDone(t, c, aws.ToString(failed.ExecutionArn), 10*time.Second)
	if fd.Status != types.ExecutionStatusFailed || aws.ToString(fd.Error) != "Nope" || aws.ToString(fd.Cause) != "it failed" || fd.Output != nil {
		t.Errorf("DescribeExecution of a failed execution = status %s error %q cause %q output %v",
			fd.Status, aws.ToString(fd.Error), aws.ToString(fd.Cause), fd.Output)
	}

	list, err := c.ListExecutions(ctx, &sfn.ListExecutionsInput{StateMachineArn: aws.String(arn)})
	if err != nil {
		t.Fatalf("ListExecutions: %v", err)
	}
	var names []string
	for _, e := range list.Executions {
		names = append(names, aws.ToString(e.Name))
		if e.Status != types.ExecutionStatusSucceeded || aws.ToString(e.StateMachineArn) != arn {
			t.Errorf("listed %+v", e)
		}
	}
	if len(names) != 2 || names[1] != "first" { // newest first
		t.Errorf("ListExecutions names %v, want [<second> first]", names)
	}
	filtered, err := c.ListExecutions(ctx, &sfn.ListExecutionsInput{StateMachineArn: aws.String(arn), StatusFilter: types.ExecutionStatusFailed})
	if err != nil || len(filtered.Executions) != 0 {
		t.Errorf("ListExecutions of FAILED executions of %s = %+v, %v; want none", arn, filtered, err)
	}
	paged, err := c.ListExecutions(ctx, &sfn.ListExecutionsInput{StateMachineArn: aws.String(arn), MaxResults: 1})
	if err != nil || len(paged.Executions) != 1 || paged.NextToken == nil {
		t.Errorf("ListExecutions with MaxResults 1 = %+v, %v; want one and a NextToken", paged, err)
	}

	sm, err := c.DescribeStateMachineForExecution(ctx, &sfn.DescribeStateMachineForExecutionInput{ExecutionArn: aws.String(wantArn)})
	if err != nil {
		t.Fatalf("DescribeStateMachineForExecution: %v", err)
	}
	if aws.ToString(sm.StateMachineArn) != arn || aws.ToString(sm.Name) != "std" || aws.ToString(sm.Definition) != e2ePass ||
		aws.ToString(sm.RoleArn) != e2eRole || sm.UpdateDate == nil {
		t.Errorf("DescribeStateMachineForExecution = %+v", sm)
	}

	_, err = c.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: aws.String(wantArn + "x")})
	errorAs[*types.ExecutionDoesNotExist](t, err, "Execution Does Not Exist")
}

// TestSDKStopExecution stops an execution that is waiting 30 seconds.
func TestSDKStopExecution(t *testing.T) {
	p := startStepd(t)
	c := newClient(p)
	ctx := testContext(t)
	arn := create(t, c, "slow", types.StateMachineTypeStandard, e2eWait30)
	st, err := c.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: aws.String(arn), Name: aws.String("long")})
	if err != nil {
		t.Fatal(err)
	}
	d, err := c.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: st.ExecutionArn})
	if err != nil || d.Status != types.ExecutionStatusRunning || d.StopDate != nil {
		t.Fatalf("DescribeExecution of a waiting execution = %+v, %v; want RUNNING without a stop date", d, err)
	}
	stop, err := c.StopExecution(ctx, &sfn.StopExecutionInput{ExecutionArn: st.ExecutionArn, Error: aws.String("Stopped.ByTest"), Cause: aws.String("enough")})
	if err != nil || stop.StopDate == nil {
		t.Fatalf("StopExecution = %+v, %v", stop, err)
	}
	d = describeUntilDone(t, c, aws.ToString(st.ExecutionArn), 5*time.Second)
	if d.Status != types.ExecutionStatusAborted || aws.ToString(d.Error) != "Stopped.ByTest" || aws.ToString(d.Cause) != "enough" {
		t.Errorf("after StopExecution: status %s error %q cause %q, want ABORTED Stopped.ByTest enough", d.Status, aws.ToString(d.Error), aws.ToString(d.Cause))
	}
	list, err := c.ListExecutions(ctx, &sfn.ListExecutionsInput{StateMachineArn: aws.String(arn), StatusFilter: types.ExecutionStatusAborted})
	if err != nil || len(list.Executions) != 1 {
		t.Errorf("ListExecutions ABORTED = %+v, %v; want the stopped one", list, err)
	}
	_, err = c.StopExecution(ctx, &sfn.StopExecutionInput{ExecutionArn: aws.String(aws.ToString(st.ExecutionArn) + "-nope")})
	errorAs[*types.ExecutionDoesNotExist](t, err, "")
}

// TestSDKVersions publishes versions, runs one after the machine changed,
// lists and deletes them.
func TestSDKVersions(t *testing.T) {
	p := startStepd(t)
	c := newClient(p)
	ctx := testContext(t)
	arn := create(t, c, "ver", types.StateMachineTypeExpress, e2ePass)

	v1, err := c.PublishStateMachineVersion(ctx, &sfn.PublishStateMachineVersionInput{StateMachineArn: aws.String(arn), Description: aws.String("gold")})
	if err != nil || aws.ToString(v1.StateMachineVersionArn) != arn+":1" || v1.CreationDate == nil {
		t.Fatalf("PublishStateMachineVersion = %+v, %v; want %s:1", v1, err, arn)
	}
	again, err := c.PublishStateMachineVersion(ctx, &sfn.PublishStateMachineVersionInput{StateMachineArn: aws.String(arn)})
	if err != nil || aws.ToString(again.StateMachineVersionArn) != arn+":1" {
		t.Errorf("publishing an unchanged revision again = %+v, %v; want %s:1", again, err, arn)
	}
	up, err := c.UpdateStateMachine(ctx, &sfn.UpdateStateMachineInput{StateMachineArn: aws.String(arn), Definition: aws.String(e2ePass2), Publish: true})
	if err != nil || aws.ToString(up.StateMachineVersionArn) != arn+":2" {
		t.Fatalf("UpdateStateMachine with publish = %+v, %v; want version %s:2", up, err, arn)
	}
	_, err = c.PublishStateMachineVersion(ctx, &sfn.PublishStateMachineVersionInput{StateMachineArn: aws.String(arn), RevisionId: aws.String("stale")})
	errorAs[*types.ConflictException](t, err, "")

	list, err := c.ListStateMachineVersions(ctx, &sfn.ListStateMachineVersionsInput{StateMachineArn: aws.String(arn)})
	if err != nil {
		t.Fatal(err)
	}
	var arns []string
	for _, v := range list.StateMachineVersions {
		arns = append(arns, aws.ToString(v.StateMachineVersionArn))
	}
	if !reflect.DeepEqual(arns, []string{arn + ":2", arn + ":1"}) {
		t.Errorf("ListStateMachineVersions = %v, want [%s:2 %s:1] (newest first)", arns, arn, arn)
	}

	dv, err := c.DescribeStateMachine(ctx, &sfn.DescribeStateMachineInput{StateMachineArn: aws.String(arn + ":1")})
	if err != nil || aws.ToString(dv.Definition) != e2ePass || aws.ToString(dv.Description) != "gold" {
		t.Errorf("DescribeStateMachine of version 1 = %+v, %v; want the first definition and its description", dv, err)
	}

	for _, tc := range []struct{ arn, output string }{
		{arn + ":1", `{"class":{"tier":"gold"}}`},
		{arn + ":2", `{"class":{"tier":"silver"}}`},
		{arn, `{"class":{"tier":"silver"}}`},
	} {
		out, err := c.StartSyncExecution(ctx, &sfn.StartSyncExecutionInput{StateMachineArn: aws.String(tc.arn)})
		if err != nil || out.Status != types.SyncExecutionStatusSucceeded || aws.ToString(out.Output) != tc.output {
			t.Errorf("StartSyncExecution %s = %+v, %v; want output %s", tc.arn, out, err, tc.output)
		}
	}

	if _, err := c.DeleteStateMachineVersion(ctx, &sfn.DeleteStateMachineVersionInput{StateMachineVersionArn: aws.String(arn + ":1")}); err != nil {
		t.Fatalf("DeleteStateMachineVersion: %v", err)
	}
	list, err = c.ListStateMachineVersions(ctx, &sfn.ListStateMachineVersionsInput{StateMachineArn: aws.String(arn)})
	if err != nil || len(list.StateMachineVersions) != 1 || aws.ToString(list.StateMachineVersions[0].StateMachineVersionArn) != arn+":2" {
		t.Errorf("after deleting version 1, ListStateMachineVersions = %+v, %v; want only %s:2", list, err, arn)
	}
	_, err = c.StartSyncExecution(ctx, &sfn.StartSyncExecutionInput{StateMachineArn: aws.String(arn + ":1")})
	errorAs[*types.StateMachineDoesNotExist](t, err, "")
}

// TestSDKAliases creates an alias over versions, runs through it, changes
// its routing and deletes it.
func TestSDKAliases(t *testing.T) {
	p := startStepd(t)
	c := newClient(p)
	ctx := testContext(t)
	arn := create(t, c, "al", types.StateMachineTypeExpress, e2ePass)
	v1, err := c.PublishStateMachineVersion(ctx, &sfn.PublishStateMachineVersionInput{StateMachineArn: aws.String(arn)})
	if err != nil {
		t.Fatal(err)
	}
	up, err := c.UpdateStateMachine(ctx, &sfn.UpdateStateMachineInput{StateMachineArn: aws.String(arn), Definition: aws.String(e2ePass2), Publish: true})
	if err != nil {
		t.Fatal(err)
	}
	v2 := up.StateMachineVersionArn

	ca, err := c.CreateStateMachineAlias(ctx, &sfn.CreateStateMachineAliasInput{
		Name: aws.String("prod"), Description: aws.String("live"),
		RoutingConfiguration: []types.RoutingConfigurationListItem{{StateMachineVersionArn: v1.StateMachineVersionArn, Weight: 100}},
	})
	aliasArn := arn + ":prod"
	if err != nil || aws.ToString(ca.StateMachineAliasArn) != aliasArn || ca.CreationDate == nil {
		t.Fatalf("CreateStateMachineAlias = %+v, %v; want %s", ca, err, aliasArn)
	}
	_, err = c.CreateStateMachineAlias(ctx, &sfn.CreateStateMachineAliasInput{
		Name:                 aws.String("prod"),
		RoutingConfiguration: []types.RoutingConfigurationListItem{{StateMachineVersionArn: v2, Weight: 100}},
	})
	errorAs[*types.ConflictException](t, err, "")
	_, err = c.CreateStateMachineAlias(ctx, &sfn.CreateStateMachineAliasInput{
		Name:                 aws.String("half"),
		RoutingConfiguration: []types.RoutingConfigurationListItem{{StateMachineVersionArn: v2, Weight: 50}},
	})
	errorAs[*types.ValidationException](t, err, "")

	da, err := c.DescribeStateMachineAlias(ctx, &sfn.DescribeStateMachineAliasInput{StateMachineAliasArn: aws.String(aliasArn)})
	if err != nil || aws.ToString(da.Name) != "prod" || aws.ToString(da.Description) != "live" || len(da.RoutingConfiguration) != 1 ||
		aws.ToString(da.RoutingConfiguration[0].StateMachineVersionArn) != aws.ToString(v1.StateMachineVersionArn) || da.RoutingConfiguration[0].Weight != 100 {
		t.Errorf("DescribeStateMachineAlias = %+v, %v", da, err)
	}

	run := func(want string) {
		t.Helper()
		out, err := c.StartSyncExecution(ctx, &sfn.StartSyncExecutionInput{StateMachineArn: aws.String(aliasArn)})
		if err != nil || aws.ToString(out.Output) != want {
			t.Errorf("StartSyncExecution on the alias = %+v, %v; want output %s", out, err, want)
		}
	}
	run(`{"class":{"tier":"gold"}}`)

	ua, err := c.UpdateStateMachineAlias(ctx, &sfn.UpdateStateMachineAliasInput{
		StateMachineAliasArn: aws.String(aliasArn),
		RoutingConfiguration: []types.RoutingConfigurationListItem{{StateMachineVersionArn: v2, Weight: 100}},
	})
	if err != nil || ua.UpdateDate == nil {
		t.Fatalf("UpdateStateMachineAlias = %+v, %v", ua, err)
	}
	run(`{"class":{"tier":"silver"}}`)

	list, err := c.ListStateMachineAliases(ctx, &sfn.ListStateMachineAliasesInput{StateMachineArn: aws.String(arn)})
	if err != nil || len(list.StateMachineAliases) != 1 || aws.ToString(list.StateMachineAliases[0].StateMachineAliasArn) != aliasArn {
		t.Errorf("ListStateMachineAliases = %+v, %v; want only %s", list, err, aliasArn)
	}
	// A version an alias routes to cannot be deleted.
	_, err = c.DeleteStateMachineVersion(ctx, &sfn.DeleteStateMachineVersionInput{StateMachineVersionArn: v2})
	errorAs[*types.ConflictException](t, err, "")

	if _, err := c.DeleteStateMachineAlias(ctx, &sfn.DeleteStateMachineAliasInput{StateMachineAliasArn: aws.String(aliasArn)}); err != nil {
		t.Fatalf("DeleteStateMachineAlias: %v", err)
	}
	_, err = c.DescribeStateMachineAlias(ctx, &sfn.DescribeStateMachineAliasInput{StateMachineAliasArn: aws.String(aliasArn)})
	errorAs[*types.ResourceNotFound](t, err, aliasArn)
	list, err = c.ListStateMachineAliases(ctx, &sfn.ListStateMachineAliasesInput{StateMachineArn: aws.String(arn)})
	if err != nil || len(list.StateMachineAliases) != 0 {
		t.Errorf("after the delete, ListStateMachineAliases = %+v, %v; want none", list, err)
	}
}

// TestSDKTags tags a machine, lists, replaces and removes tags.
func TestSDKTags(t *testing.T) {
	p := startStepd(t)
	c := newClient(p)
	ctx := testContext(t)
	arn := create(t, c, "tagged", types.StateMachineTypeExpress, e2ePass)
	tags := func() map[string]string {
		t.Helper()
		out, err := c.ListTagsForResource(ctx, &sfn.ListTagsForResourceInput{ResourceArn: aws.String(arn)})
		if err != nil {
			t.Fatalf("ListTagsForResource: %v", err)
		}
		m := map[string]string{}
		for _, tg := range out.Tags {
			m[aws.ToString(tg.Key)] = aws.ToString(tg.Value)
		}
		return m
	}
	if got := tags(); len(got) != 0 {
		t.Errorf("tags of a new machine: %v", got)
	}
	if _, err := c.TagResource(ctx, &sfn.TagResourceInput{ResourceArn: aws.String(arn), Tags: []types.Tag{
		{Key: aws.String("team"), Value: aws.String("a")}, {Key: aws.String("env"), Value: aws.String("dev")},
	}}); err != nil {
		t.Fatalf("TagResource: %v", err)
	}
	if _, err := c.TagResource(ctx, &sfn.TagResourceInput{ResourceArn: aws.String(arn), Tags: []types.Tag{{Key: aws.String("team"), Value: aws.String("b")}}}); err != nil {
		t.Fatalf("TagResource: %v", err)
	}
	if got, want := tags(), map[string]string{"team": "b", "env": "dev"}; !reflect.DeepEqual(got, want) {
		t.Errorf("tags %v, want %v", got, want)
	}
	if _, err := c.UntagResource(ctx, &sfn.UntagResourceInput{ResourceArn: aws.String(arn), TagKeys: []string{"env", "absent"}}); err != nil {
		t.Fatalf("UntagResource: %v", err)
	}
	if got, want := tags(), map[string]string{"team": "b"}; !reflect.DeepEqual(got, want) {
		t.Errorf("after untagging, tags %v, want %v", got, want)
	}
	_, err := c.TagResource(ctx, &sfn.TagResourceInput{ResourceArn: aws.String(machineArn("nope")), Tags: []types.Tag{{Key: aws.String("k"), Value: aws.String("v")}}})
	errorAs[*types.ResourceNotFound](t, err, "")

	// Tags given at creation are listed too.
	out, err := c.CreateStateMachine(ctx, &sfn.CreateStateMachineInput{Name: aws.String("born-tagged"), Definition: aws.String(e2ePass), RoleArn: aws.String(e2eRole),
		Type: types.StateMachineTypeExpress, Tags: []types.Tag{{Key: aws.String("k"), Value: aws.String("v")}}})
	if err != nil {
		t.Fatal(err)
	}
	lt, err := c.ListTagsForResource(ctx, &sfn.ListTagsForResourceInput{ResourceArn: out.StateMachineArn})
	if err != nil || len(lt.Tags) != 1 || aws.ToString(lt.Tags[0].Key) != "k" {
		t.Errorf("tags given to CreateStateMachine: %+v, %v", lt, err)
	}
}

// TestSDKDeleteStateMachine deletes a machine with a version and an alias
// and checks that all three are gone.
func TestSDKDeleteStateMachine(t *testing.T) {
	p := startStepd(t)
	c := newClient(p)
	ctx := testContext(t)
	arn := create(t, c, "doomed", types.StateMachineTypeExpress, e2ePass)
	v, err := c.PublishStateMachineVersion(ctx, &sfn.PublishStateMachineVersionInput{StateMachineArn: aws.String(arn)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreateStateMachineAlias(ctx, &sfn.CreateStateMachineAliasInput{Name: aws.String("live"),
		RoutingConfiguration: []types.RoutingConfigurationListItem{{StateMachineVersionArn: v.StateMachineVersionArn, Weight: 100}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.DeleteStateMachine(ctx, &sfn.DeleteStateMachineInput{StateMachineArn: aws.String(arn)}); err != nil {
		t.Fatalf("DeleteStateMachine: %v", err)
	}
	_, err = c.DescribeStateMachine(ctx, &sfn.DescribeStateMachineInput{StateMachineArn: aws.String(arn)})
	errorAs[*types.StateMachineDoesNotExist](t, err, arn)
	_, err = c.StartSyncExecution(ctx, &sfn.StartSyncExecutionInput{StateMachineArn: v.StateMachineVersionArn})
	errorAs[*types.StateMachineDoesNotExist](t, err, "")
	_, err = c.StartSyncExecution(ctx, &sfn.StartSyncExecutionInput{StateMachineArn: aws.String(arn + ":live")})
	errorAs[*types.StateMachineDoesNotExist](t, err, "")
	list, err := c.ListStateMachines(ctx, &sfn.ListStateMachinesInput{})
	if err != nil || len(list.StateMachines) != 0 {
		t.Errorf("ListStateMachines after the delete = %+v, %v; want none", list, err)
	}
	// The name is free again.
	create(t, c, "doomed", types.StateMachineTypeStandard, e2ePass2)
}

// TestSDKRegionAndAccount checks that -region and -account shape the
// ARNs.
func TestSDKRegionAndAccount(t *testing.T) {
	p := startStepd(t, "-region", "eu-west-1", "-account", "111111111111")
	c := newClientIn(p, "eu-west-1")
	ctx := testContext(t)
	arn := create(t, c, "here", types.StateMachineTypeExpress, e2ePass)
	if want := "arn:aws:states:eu-west-1:111111111111:stateMachine:here"; arn != want {
		t.Fatalf("ARN %s, want %s", arn, want)
	}
	out, err := c.StartSyncExecution(ctx, &sfn.StartSyncExecutionInput{StateMachineArn: aws.String(arn), Name: aws.String("x")})
	if err != nil || !strings.HasPrefix(aws.ToString(out.ExecutionArn), "arn:aws:states:eu-west-1:111111111111:express:here:x:") {
		t.Errorf("StartSyncExecution = %+v, %v", out, err)
	}
	// The ARN of the default region names no machine of this node.
	_, err = c.DescribeStateMachine(ctx, &sfn.DescribeStateMachineInput{StateMachineArn: aws.String(machineArn("here"))})
	if code := apiErrorCode(err); code != "InvalidArn" && code != "StateMachineDoesNotExist" {
		t.Errorf("describing %s on an eu-west-1 node: %v; want InvalidArn or StateMachineDoesNotExist", machineArn("here"), err)
	}
}

// TestPersistence restarts a node on the same data directory and finds
// what the first one created.
func TestPersistence(t *testing.T) {
	dir := t.TempDir()
	p := startStepdIn(t, dir)
	c := newClient(p)
	ctx := testContext(t)
	arn := create(t, c, "kept", types.StateMachineTypeExpress, e2ePass)
	v, err := c.PublishStateMachineVersion(ctx, &sfn.PublishStateMachineVersionInput{StateMachineArn: aws.String(arn)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.TagResource(ctx, &sfn.TagResourceInput{ResourceArn: aws.String(arn), Tags: []types.Tag{{Key: aws.String("k"), Value: aws.String("v")}}}); err != nil {
		t.Fatal(err)
	}
	before, err := c.DescribeStateMachine(ctx, &sfn.DescribeStateMachineInput{StateMachineArn: aws.String(arn)})
	if err != nil {
		t.Fatal(err)
	}
	p.stop(t)

	p2 := startStepdIn(t, dir)
	c2 := newClient(p2)
	after, err := c2.DescribeStateMachine(ctx, &sfn.DescribeStateMachineInput{StateMachineArn: aws.String(arn)})
	if err != nil {
		t.Fatalf("after a restart, DescribeStateMachine: %v\n%s", err, p2.log())
	}
	if aws.ToString(after.Definition) != e2ePass || aws.ToString(after.RevisionId) != aws.ToString(before.RevisionId) ||
		after.Type != types.StateMachineTypeExpress || !after.CreationDate.Equal(*before.CreationDate) {
		t.Errorf("after a restart, Describe = %+v; before it was %+v", after, before)
	}
	out, err := c2.StartSyncExecution(ctx, &sfn.StartSyncExecutionInput{StateMachineArn: v.StateMachineVersionArn})
	if err != nil || out.Status != types.SyncExecutionStatusSucceeded {
		t.Errorf("after a restart, running version %s = %+v, %v", aws.ToString(v.StateMachineVersionArn), out, err)
	}
	lt, err := c2.ListTagsForResource(ctx, &sfn.ListTagsForResourceInput{ResourceArn: aws.String(arn)})
	if err != nil || len(lt.Tags) != 1 {
		t.Errorf("after a restart, tags = %+v, %v", lt, err)
	}
	// Version numbers go on from where they were.
	up, err := c2.UpdateStateMachine(ctx, &sfn.UpdateStateMachineInput{StateMachineArn: aws.String(arn), Definition: aws.String(e2ePass2), Publish: true})
	if err != nil || aws.ToString(up.StateMachineVersionArn) != arn+":2" {
		t.Errorf("after a restart, publishing = %+v, %v; want version %s:2", up, err, arn)
	}
}

// TestSDKExpressListExecutions checks that ListExecutions refuses an
// Express machine, as AWS does: Express executions are not recorded.
func TestSDKExpressListExecutions(t *testing.T) {
	// A deliberate difference from AWS, which answers
	// StateMachineTypeNotSupported here: stepd keeps recent Express
	// executions and lists them, since it has no CloudWatch Logs to look
	// them up in (see README.md).
	p := startStepd(t)
	c := newClient(p)
	ctx := testContext(t)
	arn := create(t, c, "quick", types.StateMachineTypeExpress, e2ePass)
	if _, err := c.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: aws.String(arn)}); err != nil {
		t.Fatalf("StartExecution of an Express machine: %v", err)
	}
	out, err := c.ListExecutions(ctx, &sfn.ListExecutionsInput{StateMachineArn: aws.String(arn)})
	if err != nil || len(out.Executions) != 1 {
		t.Fatalf("ListExecutions of an Express machine: %v %+v", err, out)
	}
}
