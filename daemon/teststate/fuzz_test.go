package teststate

import (
	"context"
	"testing"
)

// FuzzRun feeds TestState arbitrary definitions, inputs, mocks, context
// objects and variables: every request must be answered or refused,
// never panic.
func FuzzRun(f *testing.F) {
	f.Add(`{"Type":"Pass","End":true}`, `{}`, "", "", "", "DEBUG")
	f.Add(`{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","Retry":[{"ErrorEquals":["E"]}],"End":true}`, `{"a":1}`, `{"StatusCode":"x"}`, "", `{"v":1}`, "TRACE")
	f.Add(`{"Type":"Map","ItemsPath":"$$","ItemProcessor":{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}},"End":true}`, `[1]`, `[1]`, `{"Execution":{}}`, "", "INFO")
	f.Add(`{"QueryLanguage":"JSONata","Type":"Parallel","Branches":[{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}}],"Output":"{% $states.result %}","End":true}`, `{}`, `[{}]`, "", "", "DEBUG")
	f.Fuzz(func(t *testing.T, def, input, mock, ctx, vars, level string) {
		req := &Request{Definition: def, Input: &input, InspectionLevel: level}
		if mock != "" {
			req.Mock = &Mock{Result: &mock}
		}
		if ctx != "" {
			req.Context = &ctx
		}
		if vars != "" {
			req.Variables = &vars
		}
		cfg := &Config{Region: "us-east-1", Account: "123456789012"}
		resp, e := Run(context.Background(), cfg, req)
		if (resp == nil) == (e == nil) {
			t.Fatalf("answer %v and error %v", resp, e)
		}
	})
}
