package e2e

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"
)

// awsErrorType returns the part of an AWS JSON 1.0 error body's __type
// after '#', which is what the SDKs match on.
func awsErrorType(t *testing.T, r rawResponse) string {
	t.Helper()
	var body struct {
		Type    string `json:"__type"`
		Message string `json:"message"`
	}
	if err := json.Unmarshal([]byte(r.body), &body); err != nil {
		t.Fatalf("error body %q is not JSON: %v", r.body, err)
	}
	if body.Message == "" {
		t.Errorf("error body %q has no message", r.body)
	}
	_, typ, _ := strings.Cut(body.Type, "#")
	if typ == "" {
		typ = body.Type
	}
	return typ
}

// TestHTTPProtocolErrors sends what the SDKs never send and checks AWS's
// error answers.
func TestHTTPProtocolErrors(t *testing.T) {
	p := startStepd(t)
	const jsonType = "application/x-amz-json-1.0"
	for _, tc := range []struct {
		name, target, contentType, body string
		status                          int
		errType                         string
	}{
		{"unknown action", "AWSStepFunctions.DoSomething", jsonType, `{}`, 400, "UnknownOperationException"},
		{"other service", "DynamoDB_20120810.ListTables", jsonType, `{}`, 400, "UnknownOperationException"},
		{"no target", "", jsonType, `{}`, 400, "UnknownOperationException"},
		{"wrong content type", "AWSStepFunctions.ListStateMachines", "text/plain", `{}`, 400, "SerializationException"},
		{"form content type", "AWSStepFunctions.ListStateMachines", "application/x-www-form-urlencoded", `{}`, 400, "SerializationException"},
		{"malformed JSON", "AWSStepFunctions.ListStateMachines", jsonType, `{"maxResults":`, 400, "SerializationException"},
		{"JSON array", "AWSStepFunctions.DescribeStateMachine", jsonType, `[]`, 400, "SerializationException"},
		{"wrong field type", "AWSStepFunctions.ListStateMachines", jsonType, `{"maxResults":"two"}`, 400, "SerializationException"},
		{"malformed start", "AWSStepFunctions.StartSyncExecution", jsonType, `{"stateMachineArn":`, 400, "SerializationException"},
		{"start not an object", "AWSStepFunctions.StartSyncExecution", jsonType, `"x"`, 400, "SerializationException"},
		{"start input not a string", "AWSStepFunctions.StartSyncExecution", jsonType, `{"stateMachineArn":"` + machineArn("m") + `","input":{}}`, 400, "SerializationException"},
		{"malformed StartExecution", "AWSStepFunctions.StartExecution", jsonType, `{`, 400, "SerializationException"},
		{"missing required field", "AWSStepFunctions.DescribeStateMachine", jsonType, `{}`, 400, "ValidationException"},
		{"missing ARN of a start", "AWSStepFunctions.StartSyncExecution", jsonType, `{"input":"{}"}`, 400, "ValidationException"},
		{"not an ARN", "AWSStepFunctions.DescribeStateMachine", jsonType, `{"stateMachineArn":"m"}`, 400, "InvalidArn"},
		{"JSON 1.1 accepted", "AWSStepFunctions.ListStateMachines", "application/x-amz-json-1.1", `{}`, 200, ""},
		{"empty body accepted", "AWSStepFunctions.ListStateMachines", jsonType, ``, 200, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := map[string]string{"Content-Type": tc.contentType}
			if tc.target != "" {
				h["X-Amz-Target"] = tc.target
			}
			r := do(t, http.DefaultClient, http.MethodPost, p.url()+"/", h, []byte(tc.body))
			if r.status != tc.status {
				t.Fatalf("status %d, want %d; body %s", r.status, tc.status, r.body)
			}
			if tc.errType == "" {
				return
			}
			if got := awsErrorType(t, r); got != tc.errType {
				t.Errorf("__type %q, want %q; body %s", got, tc.errType, r.body)
			}
			if got := r.header.Get("X-Amzn-ErrorType"); got != "" && !strings.HasPrefix(got, tc.errType) {
				t.Errorf("X-Amzn-ErrorType %q, want %q", got, tc.errType)
			}
		})
	}
	if err := isReady(http.DefaultClient, p.url()); err != nil {
		t.Fatalf("after the bad requests: %v", err)
	}
}

// TestHTTPOversizedBody sends bodies over their limit (for
// CreateStateMachine, -max-body-bytes and what escaping can add to a 1 MiB
// definition: daemon/limits.go): the server refuses them and keeps
// serving.
func TestHTTPOversizedBody(t *testing.T) {
	p := startStepd(t)
	big := `{"name":"big","roleArn":"` + e2eRole + `","definition":"` + strings.Repeat(" ", 8<<20) + `"}`
	awsHeader := map[string]string{"X-Amz-Target": "AWSStepFunctions.CreateStateMachine", "Content-Type": "application/x-amz-json-1.0"}
	restHeader := map[string]string{"Content-Type": "application/json"}
	expect := map[string]string{"Expect": "100-continue"}
	tooLarge := map[string]bool{} // by case: answered 413
	for _, tc := range []struct {
		name, path string
		header     map[string]string
		expect     bool // with Expect: 100-continue, the answer must come before the body is sent
	}{
		{"AWS API", "/", awsHeader, false},
		{"REST API", "/v1/state-machines/big", restHeader, false},
		{"AWS API, 100-continue", "/", awsHeader, true},
		{"REST API, 100-continue", "/v1/state-machines/big", restHeader, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req, err := http.NewRequest(http.MethodPost, p.url()+tc.path, strings.NewReader(big))
			if err != nil {
				t.Fatal(err)
			}
			if tc.path != "/" {
				req.Method = http.MethodPut
			}
			for k, v := range tc.header {
				req.Header.Set(k, v)
			}
			if tc.expect {
				for k, v := range expect {
					req.Header.Set(k, v)
				}
			}
			// The server may answer and close before it has read the whole
			// body, so a write error is a refusal too, unless the client
			// waited for 100 Continue.
			resp, err := (&http.Client{Transport: &http.Transport{DisableKeepAlives: true, ExpectContinueTimeout: 5 * time.Second}}).Do(req)
			if err != nil && tc.expect {
				t.Errorf("with Expect: 100-continue: %v, want a 413 answer", err)
			}
			if err != nil {
				t.Logf("refused while sending: %v", err)
			} else {
				b, _ := io.ReadAll(resp.Body)
				t.Logf("refused with %s %q %q", resp.Status, resp.Header, b)
				resp.Body.Close()
				if resp.StatusCode != http.StatusRequestEntityTooLarge && resp.StatusCode != http.StatusBadRequest {
					t.Errorf("status %d for a body of %d bytes, want 413 or 400", resp.StatusCode, len(big))
				}
				tooLarge[tc.name] = resp.StatusCode == http.StatusRequestEntityTooLarge
			}
			if err := isReady(http.DefaultClient, p.url()); err != nil {
				t.Fatalf("after an oversized body: %v\n%s", err, p.log())
			}
		})
	}
	list := awsCall(t, p, "ListStateMachines", `{}`)
	if list.status != 200 || strings.Contains(list.body, `"big"`) {
		t.Errorf("ListStateMachines after the oversized creates: %d %s", list.status, list.body)
	}

	// HTTP's answer to a body over the limit is 413, which a client that
	// waited for 100 Continue can always read.
	t.Run("413", func(t *testing.T) {
		for _, name := range []string{"AWS API, 100-continue", "REST API, 100-continue"} {
			if !tooLarge[name] {
				t.Errorf("%s: a body over -max-body-bytes must be answered 413", name)
			}
		}
	})
}

// TestHTTPMetricsAndHealth checks /metrics after an execution, /healthz,
// /readyz and unknown paths.
func TestHTTPMetricsAndHealth(t *testing.T) {
	p := startStepd(t)
	if r := do(t, http.DefaultClient, http.MethodPut, p.url()+"/v1/state-machines/counted", nil, []byte(e2ePass)); r.status != 201 {
		t.Fatalf("PUT: %d %s", r.status, r.body)
	}
	for range 3 {
		if r := do(t, http.DefaultClient, http.MethodPost, p.url()+"/v1/state-machines/counted/executions", nil, []byte(`{}`)); r.status != 200 {
			t.Fatalf("POST executions: %d %s", r.status, r.body)
		}
	}
	awsCall(t, p, "ListStateMachines", `{}`)

	r := do(t, http.DefaultClient, http.MethodGet, p.url()+"/metrics", nil, nil)
	if r.status != 200 || !strings.HasPrefix(r.header.Get("Content-Type"), "text/plain") {
		t.Fatalf("GET /metrics: %d %s", r.status, r.header.Get("Content-Type"))
	}
	for _, want := range []string{
		`stepd_executions_total{state_machine="counted",status="SUCCEEDED"} 3` + "\n",
		`stepd_executions_total{state_machine="counted",status="FAILED"} 0` + "\n",
		`stepd_http_requests_total{action="ListStateMachines",code="200"} 1` + "\n",
		"stepd_executions_in_flight 0\n",
		"stepd_execution_duration_seconds",
		"\ngo_goroutines ",
		"\ngo_memstats_alloc_bytes ",
		"\nprocess_resident_memory_bytes ",
	} {
		if !strings.Contains(r.body, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}

	for _, tc := range []struct {
		method, path string
		status       int
		body         string
	}{
		{http.MethodGet, "/healthz", 200, "ok\n"},
		{http.MethodGet, "/readyz", 200, "ready\n"},
		{http.MethodGet, "/nowhere", 404, ""},
		{http.MethodGet, "/", 404, ""},
	} {
		r := do(t, http.DefaultClient, tc.method, p.url()+tc.path, nil, nil)
		if r.status != tc.status || (tc.body != "" && r.body != tc.body) {
			t.Errorf("%s %s: %d %q, want %d %q", tc.method, tc.path, r.status, r.body, tc.status, tc.body)
		}
	}
}

// restError decodes a REST error body {"error","cause"}.
func restError(t *testing.T, r rawResponse) string {
	t.Helper()
	var body struct{ Error, Cause string }
	if err := json.Unmarshal([]byte(r.body), &body); err != nil {
		t.Fatalf("REST error body %q is not JSON: %v", r.body, err)
	}
	return body.Error
}

// TestRESTAPI walks the REST API: create, update, describe, list, run to
// success and to failure, and delete.
func TestRESTAPI(t *testing.T) {
	p := startStepd(t)
	base := p.url() + "/v1/state-machines"
	c := http.DefaultClient
	for _, tc := range []struct {
		name, method, path, body string
		status                   int
		check                    func(t *testing.T, r rawResponse)
	}{
		{"create", http.MethodPut, "/hello", e2ePass, 201, func(t *testing.T, r rawResponse) {
			var d struct{ StateMachineArn, Name, Type, Definition string }
			if err := json.Unmarshal([]byte(r.body), &d); err != nil || d.StateMachineArn != machineArn("hello") || d.Type != "EXPRESS" || d.Definition != e2ePass {
				t.Errorf("PUT answered %s (%v)", r.body, err)
			}
		}},
		{"create failing", http.MethodPut, "/sad", e2eFail, 201, nil},
		{"create standard", http.MethodPut, "/std?type=STANDARD", e2ePass, 201, func(t *testing.T, r rawResponse) {
			if !strings.Contains(r.body, `"type":"STANDARD"`) {
				t.Errorf("PUT ?type=STANDARD answered %s", r.body)
			}
		}},
		{"bad definition", http.MethodPut, "/broken", e2eBad, 400, func(t *testing.T, r rawResponse) {
			if e := restError(t, r); e != "InvalidDefinition" {
				t.Errorf("error %q, want InvalidDefinition: %s", e, r.body)
			}
		}},
		{"bad name", http.MethodPut, "/a%20b", e2ePass, 400, func(t *testing.T, r rawResponse) {
			if e := restError(t, r); e != "InvalidName" {
				t.Errorf("error %q, want InvalidName: %s", e, r.body)
			}
		}},
		{"execute", http.MethodPost, "/hello/executions", `{"order":7}`, 200, func(t *testing.T, r rawResponse) {
			if r.body != `{"order":7,"class":{"tier":"gold"}}` {
				t.Errorf("output %s", r.body)
			}
			if arn := r.header.Get("X-Stepd-Execution-Arn"); !strings.HasPrefix(arn, "arn:aws:states:us-east-1:123456789012:express:hello:") {
				t.Errorf("X-Stepd-Execution-Arn %q", arn)
			}
		}},
		{"execute without input", http.MethodPost, "/hello/executions", ``, 200, func(t *testing.T, r rawResponse) {
			if r.body != `{"class":{"tier":"gold"}}` {
				t.Errorf("output %s", r.body)
			}
		}},
		{"execute named", http.MethodPost, "/hello/executions?name=run-7", `{}`, 200, func(t *testing.T, r rawResponse) {
			if arn := r.header.Get("X-Stepd-Execution-Arn"); !strings.HasPrefix(arn, "arn:aws:states:us-east-1:123456789012:express:hello:run-7:") {
				t.Errorf("X-Stepd-Execution-Arn %q", arn)
			}
		}},
		{"execute bad input", http.MethodPost, "/hello/executions", `{"order":`, 400, func(t *testing.T, r rawResponse) {
			if e := restError(t, r); e != "InvalidExecutionInput" {
				t.Errorf("error %q, want InvalidExecutionInput: %s", e, r.body)
			}
		}},
		{"execute failing", http.MethodPost, "/sad/executions", `{}`, 422, func(t *testing.T, r rawResponse) {
			var body map[string]string
			if err := json.Unmarshal([]byte(r.body), &body); err != nil {
				t.Fatalf("422 body %q: %v", r.body, err)
			}
			if want := map[string]string{"status": "FAILED", "error": "Nope", "cause": "it failed"}; fmt.Sprint(body) != fmt.Sprint(want) {
				t.Errorf("422 body %v, want %v", body, want)
			}
		}},
		{"execute unknown", http.MethodPost, "/nope/executions", `{}`, 404, func(t *testing.T, r rawResponse) {
			if e := restError(t, r); e != "StateMachineDoesNotExist" {
				t.Errorf("error %q: %s", e, r.body)
			}
		}},
		{"update", http.MethodPut, "/hello", e2ePass2, 200, nil},
		{"execute updated", http.MethodPost, "/hello/executions", `{}`, 200, func(t *testing.T, r rawResponse) {
			if r.body != `{"class":{"tier":"silver"}}` {
				t.Errorf("output after the update %s", r.body)
			}
		}},
		{"describe", http.MethodGet, "/hello", "", 200, func(t *testing.T, r rawResponse) {
			var d struct{ Name, Definition string }
			if err := json.Unmarshal([]byte(r.body), &d); err != nil || d.Name != "hello" || d.Definition != e2ePass2 {
				t.Errorf("GET answered %s (%v)", r.body, err)
			}
		}},
		{"describe unknown", http.MethodGet, "/nope", "", 404, func(t *testing.T, r rawResponse) {
			if e := restError(t, r); e != "StateMachineDoesNotExist" {
				t.Errorf("error %q: %s", e, r.body)
			}
		}},
		{"list", http.MethodGet, "", "", 200, func(t *testing.T, r rawResponse) {
			var l struct{ StateMachines []struct{ Name string } }
			if err := json.Unmarshal([]byte(r.body), &l); err != nil || len(l.StateMachines) != 3 {
				t.Errorf("GET /v1/state-machines answered %s (%v); want 3 machines", r.body, err)
			}
		}},
		{"delete", http.MethodDelete, "/hello", "", 204, func(t *testing.T, r rawResponse) {
			if r.body != "" {
				t.Errorf("204 with a body %q", r.body)
			}
		}},
		{"describe deleted", http.MethodGet, "/hello", "", 404, nil},
		{"execute deleted", http.MethodPost, "/hello/executions", `{}`, 404, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := do(t, c, tc.method, base+tc.path, map[string]string{"Content-Type": "application/json"}, []byte(tc.body))
			if r.status != tc.status {
				t.Fatalf("%s %s: status %d, want %d; body %s", tc.method, tc.path, r.status, tc.status, r.body)
			}
			if tc.check != nil {
				tc.check(t, r)
			}
		})
	}

	// The REST API and the AWS API share the registry.
	d := awsCall(t, p, "DescribeStateMachine", `{"stateMachineArn":"`+machineArn("sad")+`"}`)
	if d.status != 200 || !strings.Contains(d.body, `"type":"EXPRESS"`) {
		t.Errorf("DescribeStateMachine of a machine PUT by REST: %d %s", d.status, d.body)
	}
}

// TestUnixSocket serves on a Unix socket and reaches it with net/http and
// with the SDK.
func TestUnixSocket(t *testing.T) {
	sock := filepath.Join(t.TempDir(), "stepd.sock")
	p := startStepd(t, "-listen", "unix:"+sock)
	if p.addr != sock {
		t.Errorf("logged address %q, want %q", p.addr, sock)
	}
	c := unixClient(sock)
	if err := isReady(c, "http://stepd"); err != nil {
		t.Fatal(err)
	}
	if r := do(t, c, http.MethodPut, "http://stepd/v1/state-machines/sock", nil, []byte(e2ePass)); r.status != 201 {
		t.Fatalf("PUT over the socket: %d %s", r.status, r.body)
	}
	if r := do(t, c, http.MethodPost, "http://stepd/v1/state-machines/sock/executions", nil, []byte(`{"a":1}`)); r.status != 200 || r.body != `{"a":1,"class":{"tier":"gold"}}` {
		t.Fatalf("POST executions over the socket: %d %s", r.status, r.body)
	}

	sdk := sfn.New(sfn.Options{
		Region: "us-east-1", BaseEndpoint: aws.String("http://stepd"), Credentials: testCredentials,
		Retryer: aws.NopRetryer{}, HTTPClient: sdkHTTP(c), APIOptions: sdkOptions,
	})
	out, err := sdk.StartSyncExecution(testContext(t), &sfn.StartSyncExecutionInput{StateMachineArn: aws.String(machineArn("sock")), Input: aws.String(`{}`)})
	if err != nil || out.Status != types.SyncExecutionStatusSucceeded {
		t.Fatalf("StartSyncExecution over the socket = %+v, %v", out, err)
	}
}

// metricValue returns the value of the sample named name (with its
// labels, if any) in /metrics.
func metricValue(c *http.Client, base, name string) (string, error) {
	resp, err := c.Get(base + "/metrics")
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return "", err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, name+" "); ok {
			return v, nil
		}
	}
	return "", fmt.Errorf("no metric %s", name)
}

// waitInFlight polls /metrics until n executions are in flight.
func waitInFlight(t *testing.T, p *stepdProc, n int) {
	t.Helper()
	waitFor(t, 5*time.Second, 10*time.Millisecond, func() error {
		v, err := metricValue(http.DefaultClient, p.url(), "stepd_executions_in_flight")
		if err != nil {
			return err
		}
		if v != fmt.Sprint(n) {
			return fmt.Errorf("stepd_executions_in_flight %s, want %d", v, n)
		}
		return nil
	})
}

// TestOverload runs more executions at once than -max-inflight allows:
// the extra ones are refused at once with ThrottlingException (HTTP 400),
// the others succeed; a STANDARD start over the limit is refused alike.
func TestOverload(t *testing.T) {
	p := startStepd(t, "-max-inflight", "2")
	c := newClient(p)
	arn := create(t, c, "slow", types.StateMachineTypeExpress, e2eWait2)
	standard := createStandard(t, c, "durable", `{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}}`)
	ctx := testContext(t)

	const n = 4
	var wg sync.WaitGroup
	errs := make([]error, n)
	outs := make([]*sfn.StartSyncExecutionOutput, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			outs[i], errs[i] = c.StartSyncExecution(ctx, &sfn.StartSyncExecutionInput{StateMachineArn: aws.String(arn)})
		}()
	}
	wg.Wait()
	succeeded, throttled := 0, 0
	for i, err := range errs {
		switch {
		case err == nil && outs[i].Status == types.SyncExecutionStatusSucceeded:
			succeeded++
		case apiErrorCode(err) == "ThrottlingException":
			throttled++
			var status interface{ HTTPStatusCode() int }
			if !errors.As(err, &status) || status.HTTPStatusCode() != 400 {
				t.Errorf("ThrottlingException %v not with HTTP 400", err)
			}
		default:
			t.Errorf("execution %d: %+v, %v; want SUCCEEDED or ThrottlingException", i, outs[i], err)
		}
	}
	if succeeded < 1 || throttled < 1 || succeeded > 2 {
		t.Errorf("%d succeeded and %d throttled of %d with -max-inflight 2", succeeded, throttled, n)
	}
	if v, err := metricValue(http.DefaultClient, p.url(), "stepd_executions_throttled_total"); err != nil || v != fmt.Sprint(throttled) {
		t.Errorf("stepd_executions_throttled_total %q (%v), want %d", v, err, throttled)
	}

	// The REST API answers its own status for the same refusal.
	done := make(chan error, 2)
	for range 2 {
		go func() {
			_, err := c.StartSyncExecution(ctx, &sfn.StartSyncExecutionInput{StateMachineArn: aws.String(arn)})
			done <- err
		}()
	}
	waitInFlight(t, p, 2)
	if r := do(t, http.DefaultClient, http.MethodPost, p.url()+"/v1/state-machines/slow/executions", nil, []byte(`{}`)); r.status != http.StatusTooManyRequests || restError(t, r) != "ThrottlingException" {
		t.Errorf("REST execution over the limit: %d %s, want 429 ThrottlingException", r.status, r.body)
	}
	if _, err := c.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: aws.String(standard)}); apiErrorCode(err) != "ThrottlingException" {
		t.Errorf("STANDARD start over the limit: %v, want ThrottlingException", err)
	}
	for range 2 {
		if err := <-done; err != nil {
			t.Errorf("execution within the limit: %v", err)
		}
	}
}

// TestGracefulShutdown sends SIGTERM while a synchronous execution waits:
// the execution still answers, new connections are refused, and the
// process exits 0.
func TestGracefulShutdown(t *testing.T) {
	p := startStepd(t)
	c := newClient(p)
	arn := create(t, c, "slow", types.StateMachineTypeExpress, e2eWait2)

	type result struct {
		out *sfn.StartSyncExecutionOutput
		err error
	}
	res := make(chan result, 1)
	start := time.Now()
	go func() {
		out, err := c.StartSyncExecution(testContext(t), &sfn.StartSyncExecutionInput{StateMachineArn: aws.String(arn), Input: aws.String(`{"k":1}`)})
		res <- result{out, err}
	}()
	waitInFlight(t, p, 1)
	p.terminate(t)

	// Not ready any more: /readyz answers 503 or the connection is refused.
	waitFor(t, 2*time.Second, 10*time.Millisecond, func() error {
		fresh := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}, Timeout: time.Second}
		if err := isReady(fresh, p.url()); err == nil {
			return errors.New("still ready after SIGTERM")
		}
		return nil
	})

	r := <-res
	if r.err != nil || r.out.Status != types.SyncExecutionStatusSucceeded || aws.ToString(r.out.Output) != `{"k":1}` {
		t.Errorf("execution in flight at SIGTERM = %+v, %v; want SUCCEEDED", r.out, r.err)
	}
	if d := time.Since(start); d < 2*time.Second {
		t.Errorf("answered after %v, before its 2 s wait ended", d)
	}
	p.wait(t)
	if !strings.Contains(p.log(), "stopped") {
		t.Errorf("the log does not say the node stopped:\n%s", p.log())
	}
}
