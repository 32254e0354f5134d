package compile

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/stepd/stepd/fastpath"
)

// TestTestState runs one state of each type through CompileState and
// Execution.TestState and checks the status, output, next state and the
// stages kept, as "name=value" lines (values compact JSON, missing stages
// left out).
func TestTestState(t *testing.T) {
	tests := []struct {
		name, state, input string
		mock               *fastpath.StateMock
		retries, failures  int
		want               string
	}{
		{name: "pass", state: `{"Type":"Pass","InputPath":"$.a","Parameters":{"b.$":"$.x"},"ResultPath":"$.r","Next":"N"}`, input: `{"a":{"x":1}}`,
			want: `SUCCEEDED next=N output={"a":{"x":1},"r":{"b":1}} afterInputPath={"x":1} afterParameters={"b":1} afterResultSelector={"b":1} afterResultPath={"a":{"x":1},"r":{"b":1}}`},
		{name: "pass result", state: `{"Type":"Pass","Result":{"k":2},"End":true}`, input: `{}`,
			want: `SUCCEEDED output={"k":2} result={"k":2} afterResultSelector={"k":2} afterResultPath={"k":2}`},
		{name: "choice", state: `{"Type":"Choice","Choices":[{"Variable":"$.n","NumericGreaterThan":1,"Next":"Big"}],"Default":"Small"}`, input: `{"n":2}`,
			want: `SUCCEEDED next=Big output={"n":2} afterInputPath={"n":2}`},
		{name: "wait", state: `{"Type":"Wait","Seconds":300,"Next":"W"}`, input: `{}`,
			want: `SUCCEEDED next=W output={} afterInputPath={} afterResultPath={}`},
		{name: "succeed", state: `{"Type":"Succeed","OutputPath":"$.a"}`, input: `{"a":1}`,
			want: `SUCCEEDED output=1 afterInputPath={"a":1}`},
		{name: "fail", state: `{"Type":"Fail","Error":"E","Cause":"C"}`, input: `{}`,
			want: `FAILED error=E cause=C afterInputPath={}`},
		{name: "task mocked", state: `{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","Parameters":{"p.$":"$.v"},"ResultSelector":{"s.$":"$.Payload"},"End":true}`, input: `{"v":3}`,
			mock: &fastpath.StateMock{Result: []byte(`{"Payload":4}`)},
			want: `SUCCEEDED output={"s":4} afterInputPath={"v":3} afterParameters={"p":3} result={"Payload":4} afterResultSelector={"s":4} afterResultPath={"s":4}`},
		{name: "task retriable", state: `{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","Retry":[{"ErrorEquals":["X"]},{"ErrorEquals":["E"],"IntervalSeconds":3,"BackoffRate":2,"MaxAttempts":3}],"End":true}`, input: `{}`,
			mock: &fastpath.StateMock{Fails: true, Error: "E", Cause: "c"}, retries: 2,
			want: `RETRIABLE error=E cause=c afterInputPath={} afterParameters={} retryIndex=1 backoff=12`},
		{name: "task retries exhausted then caught", state: `{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","Retry":[{"ErrorEquals":["E"],"MaxAttempts":1}],"Catch":[{"ErrorEquals":["States.ALL"],"ResultPath":"$.err","Next":"H"}],"End":true}`, input: `{"a":1}`,
			mock: &fastpath.StateMock{Fails: true, Error: "E", Cause: "c"}, retries: 1,
			want: `CAUGHT_ERROR next=H error=E cause=c output={"a":1,"err":{"Error":"E","Cause":"c"}} afterInputPath={"a":1} afterParameters={"a":1} retryIndex=0 catchIndex=0`},
		{name: "jsonata task caught", state: `{"QueryLanguage":"JSONata","Type":"Task","Resource":"arn:aws:states:::lambda:invoke","Arguments":{"a":"{% $states.input.v %}"},"Catch":[{"ErrorEquals":["E"],"Output":"{% $states.errorOutput.Error %}","Next":"H"}],"End":true}`, input: `{"v":1}`,
			mock: &fastpath.StateMock{Fails: true, Error: "E", Cause: "c"},
			want: `CAUGHT_ERROR next=H error=E cause=c output="E" afterArguments={"a":1} catchIndex=0`},
		{name: "parallel mocked", state: `{"Type":"Parallel","Branches":[{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}}],"ResultPath":"$.r","End":true}`, input: `{}`,
			mock: &fastpath.StateMock{Result: []byte(`[1]`)},
			want: `SUCCEEDED output={"r":[1]} afterResultSelector=[1] afterResultPath={"r":[1]}`},
		{name: "map mocked within tolerance", state: `{"Type":"Map","ItemsPath":"$.xs","ItemSelector":{"v.$":"$$.Map.Item.Value"},"MaxConcurrency":2,"ToleratedFailureCount":1,"ItemProcessor":{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}},"End":true}`, input: `{"xs":[1,2]}`,
			mock: &fastpath.StateMock{Result: []byte(`[1,null]`)}, failures: 1,
			want: `SUCCEEDED output=[1,null] afterInputPath={"xs":[1,2]} afterItemsPath=[1,2] afterItemSelector=[{"v":1},{"v":2}] afterResultSelector=[1,null] afterResultPath=[1,null] maxConcurrency=2 toleratedFailureCount=1`},
		{name: "map items not an array", state: `{"Type":"Map","ItemsPath":"$.xs","ItemProcessor":{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}},"End":true}`, input: `{"xs":{}}`,
			mock: &fastpath.StateMock{Result: []byte(`[]`)},
			want: `FAILED error=States.Runtime cause=Reference path "$.xs" must point to array. afterInputPath={"xs":{}}`},
		{name: "jsonata map over tolerance", state: `{"QueryLanguage":"JSONata","Type":"Map","Items":"{% $states.input.xs %}","ToleratedFailurePercentage":10,"ItemProcessor":{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}},"End":true}`, input: `{"xs":[1,2]}`,
			mock: &fastpath.StateMock{Result: []byte(`[1,2]`)}, failures: 1,
			want: `FAILED error=States.ExceedToleratedFailureThreshold cause=The specified tolerated failure threshold was exceeded maxConcurrency=0 toleratedFailurePercentage=10`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			prog, idx, err := CompileState([]byte(tt.state), Standard, nil)
			if err != nil {
				t.Fatal(err)
			}
			ex := fastpath.AcquireExecution()
			defer fastpath.ReleaseExecution(ex)
			opts := &fastpath.Options{Clock: fastpath.NewVirtualClock(epoch)}
			res, err := ex.TestState(context.Background(), prog, []byte(tt.input), opts,
				&fastpath.StateTest{State: idx, Mock: tt.mock, RetrierRetryCount: tt.retries, MapIterationFailureCount: tt.failures})
			if err != nil {
				t.Fatal(err)
			}
			if got := describeTest(prog, &res); got != tt.want {
				t.Errorf("got  %s\nwant %s", got, tt.want)
			}
		})
	}
}

// describeTest renders a TestState result in the form the table uses.
func describeTest(p *fastpath.Program, r *fastpath.StateTestResult) string {
	parts := []string{r.Status.String()}
	if r.Next != fastpath.NoState {
		parts = append(parts, "next="+p.States[r.Next].Name)
	}
	if r.HasError {
		parts = append(parts, "error="+r.Error, "cause="+r.Cause)
	}
	if r.Output != nil {
		parts = append(parts, "output="+string(r.Output))
	}
	in := &r.Inspection
	for _, s := range []struct {
		name string
		v    []byte
	}{{"afterInputPath", in.AfterInputPath}, {"afterParameters", in.AfterParameters}, {"afterArguments", in.AfterArguments},
		{"result", in.Result}, {"afterItemsPath", in.AfterItemsPath}, {"afterItemSelector", in.AfterItemSelector},
		{"afterResultSelector", in.AfterResultSelector}, {"afterResultPath", in.AfterResultPath}} {
		if s.v != nil {
			parts = append(parts, s.name+"="+string(s.v))
		}
	}
	if in.RetryIndex >= 0 {
		parts = append(parts, "retryIndex="+itoa(int64(in.RetryIndex)))
	}
	if in.HasRetryBackoff {
		parts = append(parts, "backoff="+itoa(int64(in.RetryBackoffIntervalSeconds)))
	}
	if in.CatchIndex >= 0 {
		parts = append(parts, "catchIndex="+itoa(int64(in.CatchIndex)))
	}
	if in.HasMaxConcurrency {
		parts = append(parts, "maxConcurrency="+itoa(int64(in.MaxConcurrency)))
	}
	if in.HasToleratedFailureCount {
		parts = append(parts, "toleratedFailureCount="+itoa(int64(in.ToleratedFailureCount)))
	}
	if in.HasToleratedFailurePercentage {
		b, _ := json.Marshal(in.ToleratedFailurePercentage)
		parts = append(parts, "toleratedFailurePercentage="+string(b))
	}
	return strings.Join(parts, " ")
}

// TestTestStateVariables checks that the variables given are in scope and
// that the inspection shows them with what the state assigned.
func TestTestStateVariables(t *testing.T) {
	def := `{"StartAt":"A","States":{"A":{"Type":"Pass","Assign":{"y.$":"$x"},"Parameters":{"x.$":"$x"},"End":true}}}`
	prog, err := CompileForTest([]byte(def), Standard, []string{"x", "unused"})
	if err != nil {
		t.Fatal(err)
	}
	idx, _ := prog.StateIndex("A")
	ex := fastpath.AcquireExecution()
	defer fastpath.ReleaseExecution(ex)
	res, err := ex.TestState(context.Background(), prog, []byte(`{}`), nil, &fastpath.StateTest{State: idx, Variables: []byte(`{"x": 5, "unused": true}`)})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := string(res.Output), `{"x":5}`; got != want {
		t.Errorf("output %s, want %s", got, want)
	}
	if got, want := string(res.Inspection.Variables), `{"x":5,"unused":true,"y":5}`; got != want {
		t.Errorf("variables %s, want %s", got, want)
	}
}

// TestTestStateJSONataVariables checks that a JSONata state reads a
// variable that only the test sets.
func TestTestStateJSONataVariables(t *testing.T) {
	prog, idx, err := CompileState([]byte(`{"QueryLanguage":"JSONata","Type":"Pass","Output":"{% $greeting & ' ' & $states.input.name %}","End":true}`), Standard, []string{"greeting"})
	if err != nil {
		t.Fatal(err)
	}
	ex := fastpath.AcquireExecution()
	defer fastpath.ReleaseExecution(ex)
	res, err := ex.TestState(context.Background(), prog, []byte(`{"name":"Ada"}`), nil, &fastpath.StateTest{State: idx, Variables: []byte(`{"greeting":"hello"}`)})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := string(res.Output), `"hello Ada"`; got != want {
		t.Errorf("output %s, want %s", got, want)
	}
}
