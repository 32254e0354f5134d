package e2e

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"
)

// TestTestStateSDK calls TestState through the AWS SDK for Go v2 on a
// running stepd: every state type at each inspection level, mocks in each
// field validation mode, a caught error, a retriable one with its
// back-off, and the validation errors AWS answers with.
func TestTestStateSDK(t *testing.T) {
	p := startStepd(t)
	c := newClient(p)
	ctx := testContext(t)
	role := aws.String("arn:aws:iam::123456789012:role/test")
	mockResult := func(s string, mode types.MockResponseValidationMode) *types.MockInput {
		return &types.MockInput{Result: aws.String(s), FieldValidationMode: mode}
	}
	mockError := &types.MockInput{ErrorOutput: &types.MockErrorOutput{Error: aws.String("Lambda.ServiceException"), Cause: aws.String("down")}}
	lambdaTask := `{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","Parameters":{"FunctionName":"f","Payload.$":"$"},` +
		`"Retry":[{"ErrorEquals":["Lambda.ServiceException"],"IntervalSeconds":2,"BackoffRate":3,"MaxAttempts":2}],` +
		`"Catch":[{"ErrorEquals":["States.ALL"],"ResultPath":"$.error","Next":"Recover"}],"Next":"Done"}`
	branches := `[{"StartAt":"A","States":{"A":{"Type":"Pass","End":true}}},{"StartAt":"B","States":{"B":{"Type":"Pass","End":true}}}]`
	tests := []struct {
		name  string
		in    sfn.TestStateInput
		want  types.TestExecutionStatus
		check func(t *testing.T, out *sfn.TestStateOutput)
	}{
		{name: "Pass at INFO", in: sfn.TestStateInput{Definition: aws.String(`{"Type":"Pass","Result":{"a":1},"ResultPath":"$.r","Next":"N"}`), Input: aws.String(`{"x":0}`)},
			want: types.TestExecutionStatusSucceeded, check: func(t *testing.T, out *sfn.TestStateOutput) {
				expect(t, "output", out.Output, `{"x":0,"r":{"a":1}}`)
				expect(t, "nextState", out.NextState, "N")
				if out.InspectionData != nil {
					t.Errorf("inspection data at INFO: %+v", out.InspectionData)
				}
			}},
		{name: "Pass at DEBUG", in: sfn.TestStateInput{Definition: aws.String(`{"Type":"Pass","InputPath":"$.a","Parameters":{"b.$":"$.v"},"ResultPath":"$.c","End":true}`), Input: aws.String(`{"a":{"v":1}}`), InspectionLevel: types.InspectionLevelDebug},
			want: types.TestExecutionStatusSucceeded, check: func(t *testing.T, out *sfn.TestStateOutput) {
				d := out.InspectionData
				expect(t, "afterInputPath", d.AfterInputPath, `{"v":1}`)
				expect(t, "afterParameters", d.AfterParameters, `{"b":1}`)
				expect(t, "afterResultPath", d.AfterResultPath, `{"a":{"v":1},"c":{"b":1}}`)
			}},
		{name: "Choice at TRACE", in: sfn.TestStateInput{Definition: aws.String(`{"Type":"Choice","Choices":[{"Variable":"$.n","NumericLessThan":0,"Next":"Neg"}],"Default":"Pos"}`), Input: aws.String(`{"n":-1}`), InspectionLevel: types.InspectionLevelTrace},
			want: types.TestExecutionStatusSucceeded, check: func(t *testing.T, out *sfn.TestStateOutput) {
				expect(t, "nextState", out.NextState, "Neg")
				expect(t, "input", out.InspectionData.Input, `{"n":-1}`)
			}},
		{name: "Wait does not wait", in: sfn.TestStateInput{Definition: aws.String(`{"Type":"Wait","Seconds":3600,"Next":"Later"}`), InspectionLevel: types.InspectionLevelDebug},
			want: types.TestExecutionStatusSucceeded, check: func(t *testing.T, out *sfn.TestStateOutput) { expect(t, "nextState", out.NextState, "Later") }},
		{name: "Succeed", in: sfn.TestStateInput{Definition: aws.String(`{"Type":"Succeed","OutputPath":"$.k"}`), Input: aws.String(`{"k":"v"}`)},
			want: types.TestExecutionStatusSucceeded, check: func(t *testing.T, out *sfn.TestStateOutput) { expect(t, "output", out.Output, `"v"`) }},
		{name: "Fail", in: sfn.TestStateInput{Definition: aws.String(`{"Type":"Fail","Error":"Oops","Cause":"bad"}`), InspectionLevel: types.InspectionLevelDebug},
			want: types.TestExecutionStatusFailed, check: func(t *testing.T, out *sfn.TestStateOutput) {
				expect(t, "error", out.Error, "Oops")
				expect(t, "cause", out.Cause, "bad")
			}},
		{name: "one state of a machine, with variables", in: sfn.TestStateInput{
			Definition: aws.String(`{"QueryLanguage":"JSONata","StartAt":"A","States":{"A":{"Type":"Pass","Next":"B"},"B":{"Type":"Pass","Output":"{% $greeting & ' ' & $states.input.name %}","End":true}}}`),
			StateName:  aws.String("B"), Input: aws.String(`{"name":"Ada"}`), Variables: aws.String(`{"greeting":"hello"}`), InspectionLevel: types.InspectionLevelDebug},
			want: types.TestExecutionStatusSucceeded, check: func(t *testing.T, out *sfn.TestStateOutput) {
				expect(t, "output", out.Output, `"hello Ada"`)
				expect(t, "variables", out.InspectionData.Variables, `{"greeting":"hello"}`)
			}},
		{name: "Task mocked, STRICT", in: sfn.TestStateInput{Definition: aws.String(lambdaTask), RoleArn: role, Input: aws.String(`{"id":1}`), InspectionLevel: types.InspectionLevelDebug,
			Mock: mockResult(`{"StatusCode":200,"Payload":{"ok":true}}`, types.MockResponseValidationModeStrict)},
			want: types.TestExecutionStatusSucceeded, check: func(t *testing.T, out *sfn.TestStateOutput) {
				expect(t, "nextState", out.NextState, "Done")
				expect(t, "afterParameters", out.InspectionData.AfterParameters, `{"FunctionName":"f","Payload":{"id":1}}`)
				expect(t, "result", out.InspectionData.Result, `{"StatusCode":200,"Payload":{"ok":true}}`)
			}},
		{name: "Task mocked, PRESENT", in: sfn.TestStateInput{Definition: aws.String(lambdaTask), Mock: mockResult(`{"Payload":1}`, types.MockResponseValidationModePresent)},
			want: types.TestExecutionStatusSucceeded},
		{name: "Task mocked, NONE accepts a wrong type", in: sfn.TestStateInput{Definition: aws.String(lambdaTask), Mock: mockResult(`{"StatusCode":"200"}`, types.MockResponseValidationModeNone)},
			want: types.TestExecutionStatusSucceeded},
		{name: "Task error retriable with its back-off", in: sfn.TestStateInput{Definition: aws.String(lambdaTask), Mock: mockError, InspectionLevel: types.InspectionLevelDebug,
			StateConfiguration: &types.TestStateConfiguration{RetrierRetryCount: aws.Int32(1)}},
			want: types.TestExecutionStatusRetriable, check: func(t *testing.T, out *sfn.TestStateOutput) {
				e := out.InspectionData.ErrorDetails
				if e == nil || aws.ToInt32(e.RetryIndex) != 0 || aws.ToInt32(e.RetryBackoffIntervalSeconds) != 6 {
					t.Errorf("errorDetails %+v, want retryIndex 0 and a 6 s back-off", e)
				}
			}},
		{name: "Task error caught once the retries are spent", in: sfn.TestStateInput{Definition: aws.String(lambdaTask), Mock: mockError, Input: aws.String(`{"id":1}`), InspectionLevel: types.InspectionLevelDebug,
			StateConfiguration: &types.TestStateConfiguration{RetrierRetryCount: aws.Int32(2)}},
			want: types.TestExecutionStatusCaughtError, check: func(t *testing.T, out *sfn.TestStateOutput) {
				expect(t, "nextState", out.NextState, "Recover")
				expect(t, "output", out.Output, `{"id":1,"error":{"Error":"Lambda.ServiceException","Cause":"down"}}`)
				if e := out.InspectionData.ErrorDetails; e == nil || aws.ToInt32(e.CatchIndex) != 0 {
					t.Errorf("errorDetails %+v, want catchIndex 0", e)
				}
			}},
		{name: "Map mocked, over its tolerance", in: sfn.TestStateInput{
			Definition: aws.String(`{"Type":"Map","ItemsPath":"$.xs","MaxConcurrency":3,"ToleratedFailureCount":1,"ItemProcessor":{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}},"Catch":[{"ErrorEquals":["States.ExceedToleratedFailureThreshold"],"Next":"TooMany"}],"End":true}`),
			Input:      aws.String(`{"xs":[1,2,3]}`), InspectionLevel: types.InspectionLevelDebug, Mock: mockResult(`[1,null,null]`, ""),
			StateConfiguration: &types.TestStateConfiguration{MapIterationFailureCount: aws.Int32(2)}},
			want: types.TestExecutionStatusCaughtError, check: func(t *testing.T, out *sfn.TestStateOutput) {
				d := out.InspectionData
				expect(t, "afterItemsPath", d.AfterItemsPath, `[1,2,3]`)
				if aws.ToInt32(d.MaxConcurrency) != 3 || aws.ToInt32(d.ToleratedFailureCount) != 1 {
					t.Errorf("maxConcurrency %v, toleratedFailureCount %v", d.MaxConcurrency, d.ToleratedFailureCount)
				}
				expect(t, "error", out.Error, "States.ExceedToleratedFailureThreshold")
			}},
		{name: "Parallel mocked", in: sfn.TestStateInput{Definition: aws.String(`{"Type":"Parallel","Branches":` + branches + `,"End":true}`), Mock: mockResult(`["a","b"]`, "")},
			want: types.TestExecutionStatusSucceeded, check: func(t *testing.T, out *sfn.TestStateOutput) { expect(t, "output", out.Output, `["a","b"]`) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := c.TestState(ctx, &tt.in)
			if err != nil {
				t.Fatal(err)
			}
			if out.Status != tt.want {
				t.Fatalf("status %s (%s: %s), want %s", out.Status, aws.ToString(out.Error), aws.ToString(out.Cause), tt.want)
			}
			if tt.check != nil {
				tt.check(t, out)
			}
		})
	}

	refusals := []struct {
		name, msg string
		in        sfn.TestStateInput
		invalid   bool // InvalidDefinition rather than ValidationException
	}{
		{name: "both result and errorOutput", msg: "A test mock should have only one of the following fields: [result, errorOutput].",
			in: sfn.TestStateInput{Definition: aws.String(lambdaTask), Mock: &types.MockInput{Result: aws.String("{}"), ErrorOutput: mockError.ErrorOutput}}},
		{name: "Parallel without a mock", invalid: true, msg: "TestState API does not support Map or Parallel states. Supported state types include: [Task, Wait, Pass, Succeed, Fail, Choice]",
			in: sfn.TestStateInput{Definition: aws.String(`{"Type":"Parallel","Branches":` + branches + `,"End":true}`)}},
		{name: "a Task without a role", msg: "RoleArn must be specified when testing a Task state", in: sfn.TestStateInput{Definition: aws.String(lambdaTask)}},
		{name: "a mock for a Pass state", msg: "State type 'Pass' is not supported when a mock is specified",
			in: sfn.TestStateInput{Definition: aws.String(`{"Type":"Pass","End":true}`), Mock: mockResult("{}", "")}},
		{name: "a STRICT mock of the wrong type", msg: "Mock result schema validation error: Field 'StatusCode' must be a number",
			in: sfn.TestStateInput{Definition: aws.String(lambdaTask), Mock: mockResult(`{"StatusCode":"200"}`, "")}},
		{name: "a callback without a mock", msg: "TestState API does not support activities or the .sync and .waitForTaskToken integration patterns when a mock is not specified.",
			in: sfn.TestStateInput{Definition: aws.String(`{"Type":"Task","Resource":"arn:aws:states:::sqs:sendMessage.waitForTaskToken","Parameters":{"QueueUrl":"q","MessageBody.$":"$$.Task.Token"},"End":true}`), RoleArn: role}},
		{name: "a state name not in the machine", msg: "State not found in definition",
			in: sfn.TestStateInput{Definition: aws.String(`{"StartAt":"A","States":{"A":{"Type":"Succeed"}}}`), StateName: aws.String("Z")}},
	}
	for _, tt := range refusals {
		t.Run("refuses "+tt.name, func(t *testing.T) {
			_, err := c.TestState(ctx, &tt.in)
			var ve *types.ValidationException
			var ide *types.InvalidDefinition
			switch {
			case tt.invalid && errors.As(err, &ide):
				expect(t, "message", ide.Message, tt.msg)
			case !tt.invalid && errors.As(err, &ve):
				expect(t, "message", ve.Message, tt.msg)
			default:
				t.Fatalf("error %v, want %q", err, tt.msg)
			}
		})
	}
}

// expect compares a JSON-text or plain string field: JSON texts as
// values, others exactly.
func expect(t *testing.T, field string, got *string, want string) {
	t.Helper()
	if got == nil {
		t.Errorf("%s missing, want %s", field, want)
		return
	}
	var g, w any
	if json.Unmarshal([]byte(*got), &g) == nil && json.Unmarshal([]byte(want), &w) == nil {
		gb, _ := json.Marshal(g)
		wb, _ := json.Marshal(w)
		if string(gb) == string(wb) {
			return
		}
	} else if *got == want {
		return
	}
	t.Errorf("%s %s, want %s", field, strings.TrimSpace(*got), want)
}
