package daemon

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stepd/stepd/daemon/integrations"
	"github.com/stepd/stepd/fastpath"
)

// runSync creates an EXPRESS machine from def and runs it with
// StartSyncExecution, returning the execution.
func (ts *testServer) runSync(t *testing.T, name, def, input string) apiExecution {
	t.Helper()
	var created struct {
		Arn string `json:"stateMachineArn"`
	}
	create := map[string]any{"name": name, "definition": def, "roleArn": "arn:aws:iam::123456789012:role/stepd", "type": "EXPRESS"}
	if code, msg, err := ts.call("CreateStateMachine", create, &created); err != nil || code != "" {
		t.Fatalf("CreateStateMachine %s: %v %s %s", name, err, code, msg)
	}
	return ts.startSync(t, created.Arn, input)
}

func (ts *testServer) startSync(t *testing.T, arn, input string) apiExecution {
	t.Helper()
	var e apiExecution
	if code, msg, err := ts.call("StartSyncExecution", map[string]any{"stateMachineArn": arn, "input": input}, &e); err != nil || code != "" {
		t.Fatalf("StartSyncExecution %s: %v %s %s", arn, err, code, msg)
	}
	return e
}

func deref(s *string) string {
	if s == nil {
		return "<none>"
	}
	return *s
}

// TestHTTPTask runs HTTP Tasks end to end: a node whose allowlist names a
// real local HTTP server, machines calling it with each method, headers,
// query parameters and body encoding, a status-code error retried with
// back-off on the virtual clock and then caught, a timeout, credentials
// from a connection, and the allowlist refusing a host it does not list.
func TestHTTPTask(t *testing.T) {
	var calls500 atomic.Int64
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/fail":
			calls500.Add(1)
			w.WriteHeader(500)
			_, _ = io.WriteString(w, `{"message":"boom"}`)
			return
		case "/slow":
			<-r.Context().Done()
			return
		case "/text":
			w.Header().Set("Content-Type", "text/plain")
			_, _ = io.WriteString(w, "plain text")
			return
		}
		body, _ := io.ReadAll(r.Body)
		echo := map[string]any{
			"method": r.Method, "query": r.URL.RawQuery, "body": string(body),
			"contentType": r.Header.Get("Content-Type"), "xTrace": r.Header.Get("X-Trace"),
			"apiKey": r.Header.Get("X-Api-Key"), "authorization": r.Header.Get("Authorization"),
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(echo)
	}))
	defer api.Close()
	host := strings.TrimPrefix(api.URL, "http://")

	cfg := DefaultConfig()
	cfg.DataDir = t.TempDir()
	cfg.Integrations.HTTP.AllowHosts = []string{host}
	cfg.Integrations.HTTP.Connections = map[string]integrations.Connection{}
	var apiKey, basic integrations.Connection
	_ = json.Unmarshal([]byte(`{"AuthorizationType":"API_KEY","AuthParameters":{"ApiKeyAuthParameters":{"ApiKeyName":"X-Api-Key","ApiKeyValue":"k3y"}}}`), &apiKey)
	_ = json.Unmarshal([]byte(`{"AuthorizationType":"BASIC","AuthParameters":{"BasicAuthParameters":{"Username":"u","Password":"p"}}}`), &basic)
	cfg.Integrations.HTTP.Connections["arn:aws:events:us-east-1:123456789012:connection/key/1"] = apiKey
	cfg.Integrations.HTTP.Connections["arn:aws:events:us-east-1:123456789012:connection/basic/1"] = basic
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	ts := startTestServerClock(t, cfg, fastpath.NewVirtualClock(time.Now()))

	task := func(params string, extra string) string {
		return `{"StartAt":"Call","States":{"Call":{"Type":"Task","Resource":"arn:aws:states:::http:invoke","Parameters":` + params + extra + `,"End":true}}}`
	}
	result := func(t *testing.T, e apiExecution) map[string]any {
		t.Helper()
		if e.Status != "SUCCEEDED" {
			t.Fatalf("status %s %s %s", e.Status, deref(e.Error), deref(e.Cause))
		}
		var out map[string]any
		if err := json.Unmarshal([]byte(*e.Output), &out); err != nil {
			t.Fatal(err)
		}
		return out
	}

	t.Run("methods, headers, query, JSON body", func(t *testing.T) {
		for i, m := range []string{"GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"} {
			params := `{"ApiEndpoint":"` + api.URL + `/echo","Method":"` + m + `","Headers":{"X-Trace":"t-1"},"QueryParameters":{"q":"a b","n":"1"},"RequestBody":{"id.$":"$.id"}}`
			out := result(t, ts.runSync(t, "http-"+m, task(params, ""), `{"id":`+string(rune('0'+i))+`}`))
			if out["StatusCode"] != "200" || out["StatusText"] != "OK" {
				t.Errorf("%s: status %v %v", m, out["StatusCode"], out["StatusText"])
			}
			echo := out["ResponseBody"].(map[string]any)
			if echo["method"] != m || echo["xTrace"] != "t-1" || echo["query"] != "n=1&q=a+b" || echo["body"] != `{"id":`+string(rune('0'+i))+`}` || !strings.HasPrefix(echo["contentType"].(string), "application/json") {
				t.Errorf("%s: the server saw %v", m, echo)
			}
			if h, _ := out["Headers"].(map[string]any); h["content-type"] == nil {
				t.Errorf("%s: headers %v", m, out["Headers"])
			}
		}
	})

	t.Run("URL_ENCODED bodies", func(t *testing.T) {
		for _, c := range []struct{ format, want string }{
			{"", "a%5B%5D=1&a%5B%5D=2&s=x+y"},
			{"BRACKETS", "a%5B%5D=1&a%5B%5D=2&s=x+y"},
			{"COMMAS", "a=1%2C2&s=x+y"},
			{"REPEAT", "a=1&a=2&s=x+y"},
			{"INDICES", "a%5B0%5D=1&a%5B1%5D=2&s=x+y"},
		} {
			opts := ""
			if c.format != "" {
				opts = `,"RequestEncodingOptions":{"ArrayFormat":"` + c.format + `"}`
			}
			params := `{"ApiEndpoint":"` + api.URL + `/echo","Method":"POST","RequestBody":{"a":[1,2],"s":"x y"},"Transform":{"RequestBodyEncoding":"URL_ENCODED"` + opts + `}}`
			out := result(t, ts.runSync(t, "form-"+c.format, task(params, ""), `{}`))
			echo := out["ResponseBody"].(map[string]any)
			if echo["body"] != c.want || echo["contentType"] != "application/x-www-form-urlencoded" {
				t.Errorf("%s: body %q (%v), want %q", c.format, echo["body"], echo["contentType"], c.want)
			}
		}
	})

	t.Run("a text body stays a string", func(t *testing.T) {
		out := result(t, ts.runSync(t, "text", task(`{"ApiEndpoint":"`+api.URL+`/text","Method":"GET"}`, ""), `{}`))
		if out["ResponseBody"] != "plain text" {
			t.Errorf("ResponseBody %v", out["ResponseBody"])
		}
	})

	t.Run("status code error retried then caught", func(t *testing.T) {
		params := `{"ApiEndpoint":"` + api.URL + `/fail","Method":"GET"}`
		extra := `,"Retry":[{"ErrorEquals":["States.Http.StatusCode.500"],"IntervalSeconds":30,"BackoffRate":2,"MaxAttempts":2}],
		 "Catch":[{"ErrorEquals":["States.Http.StatusCode.500"],"ResultPath":"$.error","Next":"Caught"}]`
		def := strings.Replace(task(params, extra), `"End":true}}}`, `"End":true},"Caught":{"Type":"Pass","End":true}}}`, 1)
		start := time.Now()
		e := ts.runSync(t, "retry", def, `{}`)
		out := result(t, e)
		errOut := out["error"].(map[string]any)
		if errOut["Error"] != "States.Http.StatusCode.500" || !strings.Contains(errOut["Cause"].(string), `"StatusCode":"500"`) {
			t.Errorf("error output %v", errOut)
		}
		if n := calls500.Load(); n != 3 {
			t.Errorf("%d calls, want 3 (one and two retries)", n)
		}
		if time.Since(start) > 10*time.Second {
			t.Errorf("the back-offs (30 s + 60 s) took real time: %v", time.Since(start))
		}
	})

	t.Run("timeout", func(t *testing.T) {
		e := ts.runSync(t, "timeout", task(`{"ApiEndpoint":"`+api.URL+`/slow","Method":"GET"}`, `,"TimeoutSeconds":1`), `{}`)
		if e.Status != "FAILED" || deref(e.Error) != "States.Timeout" {
			t.Errorf("got %s %s %s", e.Status, deref(e.Error), deref(e.Cause))
		}
	})

	t.Run("connections", func(t *testing.T) {
		params := `{"ApiEndpoint":"` + api.URL + `/echo","Method":"GET","Authentication":{"ConnectionArn":"arn:aws:events:us-east-1:123456789012:connection/key/1"}}`
		echo := result(t, ts.runSync(t, "apikey", task(params, ""), `{}`))["ResponseBody"].(map[string]any)
		if echo["apiKey"] != "k3y" {
			t.Errorf("API key: the server saw %v", echo)
		}
		params = strings.Replace(params, "key/1", "basic/1", 1)
		echo = result(t, ts.runSync(t, "basic", task(params, ""), `{}`))["ResponseBody"].(map[string]any)
		if echo["authorization"] != "Basic dTpw" {
			t.Errorf("basic: the server saw %v", echo)
		}
		params = strings.Replace(params, "basic/1", "missing/1", 1)
		if e := ts.runSync(t, "noconn", task(params, ""), `{}`); e.Status != "FAILED" || deref(e.Error) != "States.Runtime" {
			t.Errorf("unknown connection: %s %s", e.Status, deref(e.Error))
		}
	})

	t.Run("allowlist", func(t *testing.T) {
		for _, u := range []string{"http://localhost" + host[strings.LastIndexByte(host, ':'):] + "/echo", "http://169.254.169.254/latest/meta-data/"} {
			e := ts.runSync(t, "refused"+string(rune('a'+len(u)%26)), task(`{"ApiEndpoint":"`+u+`","Method":"GET"}`, ""), `{}`)
			if e.Status != "FAILED" || deref(e.Error) != "States.Permissions" || !strings.Contains(deref(e.Cause), "allow-hosts") {
				t.Errorf("%s: got %s %s %s", u, e.Status, deref(e.Error), deref(e.Cause))
			}
		}
	})
}
