package main

import (
	"encoding/json"
	"testing"
)

func TestVerify(t *testing.T) {
	succeeded := &Expect{Status: "SUCCEEDED"}
	withOutput := &Expect{Status: "SUCCEEDED", Output: `{"a":1,"b":[true]}`}
	failed := &Expect{Status: "FAILED"}
	const awsOK = `{"executionArn":"arn:x","status":"SUCCEEDED","output":"{\"a\":1,\"b\":[true]}","startDate":1.5}`
	for _, c := range []struct {
		name      string
		api       API
		exp       *Expect
		code      int
		errorType string
		body      string
		want      kind
	}{
		{"aws good", APIAWS, succeeded, 200, "", awsOK, kindOK},
		{"aws good output", APIAWS, withOutput, 200, "", awsOK, kindOK},
		{"aws output number spelled differently (compared as text)", APIAWS, withOutput, 200, "", `{"status":"SUCCEEDED","output":"{\"b\":[true], \"a\":1.0e0}"}`, kindOutput},
		{"aws output members reordered, same numbers", APIAWS, withOutput, 200, "", `{"status":"SUCCEEDED","output":"{\"b\":[true], \"a\":1}"}`, kindOK},
		{"aws bad output", APIAWS, withOutput, 200, "", `{"status":"SUCCEEDED","output":"{\"a\":2,\"b\":[true]}"}`, kindOutput},
		{"aws output missing", APIAWS, withOutput, 200, "", `{"status":"SUCCEEDED"}`, kindOutput},
		{"aws FAILED", APIAWS, succeeded, 200, "", `{"status":"FAILED","error":"States.TaskFailed","cause":"x"}`, kindExecStatus},
		{"aws FAILED expected", APIAWS, failed, 200, "", `{"status":"FAILED","error":"States.TaskFailed"}`, kindOK},
		{"aws SUCCEEDED when FAILED expected", APIAWS, failed, 200, "", awsOK, kindExecStatus},
		{"aws no status", APIAWS, succeeded, 200, "", `{"hello":"world"}`, kindExecStatus},
		{"aws not JSON", APIAWS, succeeded, 200, "", `<html>`, kindExecStatus},
		{"aws status in output only", APIAWS, succeeded, 200, "", `{"output":"{\"status\":\"SUCCEEDED\"}","status":"FAILED"}`, kindExecStatus},
		{"aws 500", APIAWS, succeeded, 500, "InternalFailure", `{"__type":"com.amazonaws.swf.base.model#InternalFailure"}`, kindHTTPStatus},
		{"aws 400 other", APIAWS, succeeded, 400, "", `{"__type":"com.amazonaws.swf.base.model#StateMachineDoesNotExist","message":"ThrottlingException"}`, kindHTTPStatus},
		{"aws throttled by header", APIAWS, succeeded, 400, "ThrottlingException", `{}`, kindThrottled},
		{"aws throttled by body", APIAWS, succeeded, 400, "", `{"__type":"com.amazonaws.swf.base.model#ThrottlingException","message":"Rate exceeded"}`, kindThrottled},
		{"aws 429", APIAWS, succeeded, 429, "", ``, kindThrottled},
		{"rest good", APIREST, succeeded, 200, "", `{"a":1,"b":[true]}`, kindOK},
		{"rest good output", APIREST, withOutput, 200, "", `{ "b": [true], "a": 1 }`, kindOK},
		{"rest bad output", APIREST, withOutput, 200, "", `{"a":1}`, kindOutput},
		{"rest FAILED", APIREST, succeeded, 422, "", `{"status":"FAILED","error":"E","cause":"c"}`, kindExecStatus},
		{"rest FAILED expected", APIREST, failed, 422, "", `{"status":"FAILED","error":"E","cause":"c"}`, kindOK},
		{"rest TIMED_OUT when FAILED expected", APIREST, failed, 422, "", `{"status":"TIMED_OUT"}`, kindExecStatus},
		{"rest SUCCEEDED when FAILED expected", APIREST, failed, 200, "", `{}`, kindExecStatus},
		{"rest 429", APIREST, succeeded, 429, "", `{"error":"ThrottlingException"}`, kindThrottled},
		{"rest 404", APIREST, succeeded, 404, "", `{"error":"StateMachineDoesNotExist"}`, kindHTTPStatus},
		{"rest 500", APIREST, succeeded, 500, "", ``, kindHTTPStatus},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := verify(c.api, c.exp, c.code, []byte(c.errorType), []byte(c.body)); got != c.want {
				t.Errorf("got %v, want %v", got, c.want)
			}
		})
	}
}

func TestTopLevelField(t *testing.T) {
	body := ` { "a" : "x\"y" , "nested":{"status":"no","arr":[1,"]",{"}":2}]}, "n": -1.5e3,"status":"SUCCEEDED"}`
	for _, c := range []struct {
		name, want string
		ok         bool
	}{
		{"a", `"x\"y"`, true},
		{"n", `-1.5e3`, true},
		{"status", `"SUCCEEDED"`, true},
		{"nested", `{"status":"no","arr":[1,"]",{"}":2}]}`, true},
		{"missing", "", false},
	} {
		got, ok := topLevelField([]byte(body), []byte(c.name))
		if string(got) != c.want || ok != c.ok {
			t.Errorf("%s: got %q %v, want %q %v", c.name, got, ok, c.want, c.ok)
		}
	}
	for _, bad := range []string{``, `[]`, `{`, `{"a"`, `{"a":`, `{"a":"x`, `{"a":{`, `{"a":1 "b":2}`, `{a:1}`} {
		if v, ok := topLevelField([]byte(bad), []byte("b")); ok {
			t.Errorf("%q: found %q", bad, v)
		}
	}
}

// FuzzTopLevelField checks that the scanner never panics and, on valid
// objects, finds what encoding/json finds.
func FuzzTopLevelField(f *testing.F) {
	for _, s := range []string{`{"status":"SUCCEEDED","output":"{}"}`, `{"a":[{"status":1}],"status":"x"}`, `{"status":"a\\"}`, `{`, `{"status"`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, ok := topLevelField([]byte(s), []byte("status"))
		var m map[string]json.RawMessage
		if json.Unmarshal([]byte(s), &m) != nil {
			return
		}
		want, has := m["status"]
		if has != ok {
			// Duplicate or escaped keys ("st\u0061tus") are where the two
			// may disagree; stepd sends neither.
			if !has || json.Valid(got) {
				return
			}
			t.Fatalf("%q: found %v, encoding/json %v", s, ok, has)
		}
		if ok && json.Valid(want) && !json.Valid(got) {
			t.Fatalf("%q: got %q, encoding/json %q", s, got, want)
		}
	})
}
