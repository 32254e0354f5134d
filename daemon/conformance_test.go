package daemon

import (
	"bytes"
	"context"
	"crypto/sha1"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/stepd/stepd/fastpath"
	"github.com/stepd/stepd/internal/conformance"
)

// testServer runs a node in process on a random loopback port, on a
// virtual clock so that recorded Waits and Retry back-offs take no time.
type testServer struct {
	srv  *server
	url  string
	http *http.Client
}

func startTestServer(t *testing.T, cfg Config) *testServer {
	t.Helper()
	return startTestServerClock(t, cfg, fastpath.NewVirtualClock(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)))
}

// startTestServerClock is startTestServer on the given clock.
func startTestServerClock(t testing.TB, cfg Config, clock fastpath.Clock) *testServer {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	srv, err := newServer(ctx, inProcessCluster(cfg), log.New(io.Discard, "", 0))
	if err != nil {
		t.Fatal(err)
	}
	srv.execs.clock = clock
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.serve(ln)
	t.Cleanup(func() {
		_ = srv.shutdown(5 * time.Second)
		cancel()
	})
	return &testServer{srv: srv, url: "http://" + ln.Addr().String() + "/", http: &http.Client{Timeout: time.Minute}}
}

// inProcessCluster gives a node started in process a free Raft port and
// the shortest Raft timeouts, so that many nodes can start at once, each
// its own one-node cluster.
func inProcessCluster(cfg Config) Config {
	cfg.RaftAddr = "127.0.0.1:0"
	cfg.RaftHeartbeatTimeout, cfg.RaftElectionTimeout, cfg.RaftLeaseTimeout = 10*time.Millisecond, 10*time.Millisecond, 10*time.Millisecond
	return cfg
}

// call sends one AWS JSON 1.0 request and decodes the answer into out (on
// success) or returns the error type and message.
func (ts *testServer) call(action string, in, out any) (errType, msg string, err error) {
	body, err := json.Marshal(in)
	if err != nil {
		return "", "", err
	}
	req, _ := http.NewRequest("POST", ts.url, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/x-amz-json-1.0")
	req.Header.Set("X-Amz-Target", "AWSStepFunctions."+action)
	resp, err := ts.http.Do(req)
	if err != nil {
		return "", "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return "", "", err
	}
	if resp.StatusCode != 200 {
		var e struct {
			Type    string `json:"__type"`
			Message string `json:"message"`
		}
		if err := json.Unmarshal(b, &e); err != nil {
			return "", "", fmt.Errorf("status %d, body %s", resp.StatusCode, b)
		}
		_, code, _ := bytes.Cut([]byte(e.Type), []byte("#"))
		return string(code), e.Message, nil
	}
	if out != nil {
		return "", "", json.Unmarshal(b, out)
	}
	return "", "", nil
}

type apiExecution struct {
	Status string  `json:"status"`
	Output *string `json:"output"`
	Error  *string `json:"error"`
	Cause  *string `json:"cause"`
}

// TestConformanceOverHTTP runs the engine's conformance cases through the
// AWS API: CreateStateMachine, then StartSyncExecution for the cases AWS
// ran synchronously and StartExecution + DescribeExecution for the others;
// definition checks go through ValidateStateMachineDefinition and
// CreateStateMachine. The pass rate must equal the in-process one.
func TestConformanceOverHTTP(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the whole corpus over HTTP")
	}
	_, cases := corpusCases(t)
	cfg := DefaultConfig()
	cfg.DataDir, cfg.Account = t.TempDir(), "111111111111"
	ts := startTestServer(t, cfg)
	var tally conformance.Tally
	for _, c := range cases {
		if len(c.Needs) > 0 {
			continue
		}
		err := ts.runCase(c)
		tally.Add(c.Category, err == nil)
		if err != nil {
			t.Errorf("%s: %v", c.ID, err)
		}
	}
	t.Logf("conformance over HTTP:\n%s", tally.String())
}

func (ts *testServer) runCase(c *conformance.Case) error {
	if c.IsValidation() {
		return ts.runValidationCase(c)
	}
	sum := sha1.Sum([]byte(c.ID))
	name := "case-" + hex.EncodeToString(sum[:8])
	typ := c.Type()
	var created struct {
		Arn string `json:"stateMachineArn"`
	}
	create := map[string]any{"name": name, "definition": string(c.DefinitionBytes()), "roleArn": "arn:aws:iam::111111111111:role/stepd", "type": typ}
	if code, msg, err := ts.call("CreateStateMachine", create, &created); err != nil || code != "" {
		return fmt.Errorf("CreateStateMachine: %v %s %s", err, code, msg)
	}
	var e apiExecution
	start := map[string]any{"stateMachineArn": created.Arn, "input": string(c.Input)}
	if c.Synchronous() {
		if code, msg, err := ts.call("StartSyncExecution", start, &e); err != nil || code != "" {
			return fmt.Errorf("StartSyncExecution: %v %s %s", err, code, msg)
		}
	} else {
		var started struct {
			Arn string `json:"executionArn"`
		}
		if code, msg, err := ts.call("StartExecution", start, &started); err != nil || code != "" {
			return fmt.Errorf("StartExecution: %v %s %s", err, code, msg)
		}
		deadline := time.Now().Add(30 * time.Second)
		for e.Status == "" || e.Status == "RUNNING" {
			if time.Now().After(deadline) {
				return fmt.Errorf("still RUNNING after 30 s")
			}
			if code, msg, err := ts.call("DescribeExecution", map[string]any{"executionArn": started.Arn}, &e); err != nil || code != "" {
				return fmt.Errorf("DescribeExecution: %v %s %s", err, code, msg)
			}
			if e.Status == "RUNNING" {
				time.Sleep(time.Millisecond)
			}
		}
	}
	o := conformance.Outcome{Status: e.Status, Error: e.Error, Cause: e.Cause}
	if e.Output != nil {
		o.Output = []byte(*e.Output)
	}
	return c.CheckExecution(o)
}

func (ts *testServer) runValidationCase(c *conformance.Case) error {
	ex := &c.Expect
	if ex.API == "CreateStateMachine" {
		create := map[string]any{"name": "validation", "definition": string(c.DefinitionBytes()), "roleArn": "arn:aws:iam::111111111111:role/stepd", "type": c.Type()}
		code, msg, err := ts.call("CreateStateMachine", create, nil)
		if err != nil || code != "InvalidDefinition" || msg != ex.Message {
			return fmt.Errorf("CreateStateMachine: %v %s %q, want InvalidDefinition %q", err, code, msg, ex.Message)
		}
		return nil
	}
	var out struct {
		Result      string                   `json:"result"`
		Diagnostics []conformance.Diagnostic `json:"diagnostics"`
	}
	if code, msg, err := ts.call("ValidateStateMachineDefinition", map[string]any{"definition": string(c.DefinitionBytes()), "type": c.Type()}, &out); err != nil || code != "" {
		return fmt.Errorf("ValidateStateMachineDefinition: %v %s %s", err, code, msg)
	}
	if out.Result != ex.Result || len(out.Diagnostics) != len(ex.Diagnostics) {
		return fmt.Errorf("result %s %v, want %s %v", out.Result, out.Diagnostics, ex.Result, ex.Diagnostics)
	}
	for i, d := range ex.Diagnostics {
		if out.Diagnostics[i] != d {
			return fmt.Errorf("diagnostic %d: %+v, want %+v", i, out.Diagnostics[i], d)
		}
	}
	return nil
}

// corpusCases loads the execution cases of ../shared/conformance and
// returns its folder with them; it skips the test where the corpus is not
// beside the repository.
func corpusCases(t *testing.T) (string, []*conformance.Case) {
	t.Helper()
	dir, err := conformance.Dir()
	if err != nil {
		t.Skip(err)
	}
	cases, err := conformance.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	return dir, cases
}
