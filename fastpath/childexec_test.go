package fastpath

import (
	"context"
	"encoding/json"
	"os"
	"testing"
	"time"
)

// TestAppendChildOutcome checks the answer of a `.sync` Task against
// testdata/childexec/outcomes.json: the result of a SUCCEEDED child, or
// the error and cause of any other end, byte for byte.
func TestAppendChildOutcome(t *testing.T) {
	b, err := os.ReadFile("testdata/childexec/outcomes.json")
	if err != nil {
		t.Fatal(err)
	}
	var cases []struct {
		Name   string         `json:"name"`
		Parsed bool           `json:"parsed"`
		Child  ChildExecution `json:"child"`
		Result string         `json:"result"`
		Error  string         `json:"error"`
		Cause  string         `json:"cause"`
	}
	if err := json.Unmarshal(b, &cases); err != nil {
		t.Fatal(err)
	}
	for _, c := range cases {
		t.Run(c.Name, func(t *testing.T) {
			result, f, ok := taskOutcome(AppendChildOutcome(nil, &c.Child, c.Parsed))
			switch {
			case !ok:
				t.Fatal("not a RecordTask value")
			case c.Result != "" && (f != nil || string(result) != c.Result):
				t.Errorf("result %s (failure %v)\n want %s", result, f, c.Result)
			case c.Result == "" && (f == nil || f.Name != c.Error || f.Cause != c.Cause || f.noName || f.noCause):
				t.Errorf("failure %+v, result %s\n want %s %s", f, result, c.Error, c.Cause)
			}
		})
	}
}

// TestParentToken: only the context of a `.sync` Task's call carries its
// token.
func TestParentToken(t *testing.T) {
	if tok := ParentToken(context.Background()); tok != "" {
		t.Fatalf("ParentToken of a plain context = %q", tok)
	}
	ctx := WithParentToken(context.Background(), "st1.x")
	if tok := ParentToken(ctx); tok != "st1.x" {
		t.Fatalf("ParentToken = %q, want st1.x", tok)
	}
}

// BenchmarkAppendChildOutcome shapes a SUCCEEDED child's `.sync:2`
// answer: once per child that ends, inside the Raft apply.
func BenchmarkAppendChildOutcome(b *testing.B) {
	out := `{"result":[1,2,3],"ok":true}`
	c := ChildExecution{Arn: "arn:aws:states:us-east-1:111111111111:execution:child:run", MachineArn: "arn:aws:states:us-east-1:111111111111:stateMachine:child",
		Name: "run", Status: "SUCCEEDED", Start: time.Unix(1796544000, 0), Stop: time.Unix(1796544001, 0), Input: `{"a":1}`, Output: &out}
	var dst []byte
	b.ReportAllocs()
	for b.Loop() {
		dst = AppendChildOutcome(dst[:0], &c, true)
	}
}

// TestCallbackOf: how a Task ends, by its Resource.
func TestCallbackOf(t *testing.T) {
	for _, c := range []struct {
		res  string
		want Callback
	}{
		{"arn:aws:states:::lambda:invoke", CallbackNone},
		{"arn:aws:states:::sqs:sendMessage.waitForTaskToken", CallbackToken},
		{"arn:aws:states:us-east-1:111111111111:activity:a", CallbackActivity},
		{"arn:aws:states:::states:startExecution.sync", CallbackSync},
		{"arn:aws:states:::states:startExecution.sync:2", CallbackSync2},
		{"arn:aws:states:::states:startExecution", CallbackNone},
	} {
		if got := CallbackOf(c.res); got != c.want {
			t.Errorf("CallbackOf(%s) = %d, want %d", c.res, got, c.want)
		}
	}
}
