package e2e

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// The hostile-input test sends every input of docs/SECURITY.md's
// catalogue to one real node (the built binary, with credentials, TLS off,
// short read and idle timeouts and an HTTP Task allowed to reach a local
// server), checks the answer the catalogue gives, and after each input that
// the node still runs a normal execution and that its resident memory
// stayed under hostileRSSBound.

// hostileRSSBound is the most resident memory the node may reach while
// answering the catalogue. It leaves room for the Go heap's growth after
// a 1 MiB request and for the executions the test runs concurrently.
const hostileRSSBound = 384 << 20

// hostileNode is the node under attack and what the cases need to reach it.
type hostileNode struct {
	p       *stepdProc
	httpURL string // the local server HTTP Tasks may call
	seq     atomic.Int64
}

// hostileCase is one entry of the catalogue: send returns the node's
// answer in a short form ("400 SerializationException", "FAILED
// States.Runtime", "431", "closed"), which must equal want.
type hostileCase struct {
	id, input, want string
	send            func(t *testing.T, n *hostileNode) string
}

// awsHostile sends one AWS JSON request as the admin (bearer token), with
// header overrides, and answers "status __type" (or "200").
func (n *hostileNode) aws(t *testing.T, action string, body []byte, header map[string]string) string {
	t.Helper()
	h := map[string]string{"X-Amz-Target": "AWSStepFunctions." + action, "Content-Type": "application/x-amz-json-1.0", "Authorization": "Bearer " + adminToken}
	for k, v := range header {
		h[k] = v
	}
	r := doQuiet(t, http.MethodPost, n.p.url()+"/", h, body)
	if r.status == 200 {
		return "200"
	}
	return strconv.Itoa(r.status) + " " + awsErrorType(t, r)
}

// hostileClient asks before sending a body (Expect: 100-continue) when
// doQuiet says so, so that a 413 arrives before the node stops reading.
var hostileClient = &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{ExpectContinueTimeout: 5 * time.Second}}

// doQuiet is do without the test failure on a transport error: a
// connection the node closes answers status 0. A body over 1 MiB is sent
// only after the node agrees to read it.
func doQuiet(t *testing.T, method, url string, header map[string]string, body []byte) rawResponse {
	t.Helper()
	if len(body) > 1<<20 {
		header["Expect"] = "100-continue"
	}
	r, err := tryDo(hostileClient, method, url, header, body)
	if err != nil {
		return rawResponse{body: err.Error()}
	}
	return r
}

// rest sends one REST request as the admin and answers "status error" (or
// the bare status of a success).
func (n *hostileNode) rest(t *testing.T, method, path string, body []byte) string {
	t.Helper()
	r := doQuiet(t, method, n.p.url()+path, map[string]string{"Authorization": "Bearer " + adminToken}, body)
	if r.status < 300 || !strings.HasPrefix(r.header.Get("Content-Type"), "application/json") {
		return strconv.Itoa(r.status)
	}
	return strconv.Itoa(r.status) + " " + restError(t, r)
}

// run creates an Express machine with def and runs it on input with
// StartSyncExecution: "400 InvalidDefinition" when the definition is
// refused, else the execution's status and error.
func (n *hostileNode) run(t *testing.T, def string, input string) string {
	t.Helper()
	name := fmt.Sprintf("hostile-%d", n.seq.Add(1))
	def = strings.ReplaceAll(def, "HTTPURL", n.httpURL)
	create, _ := json.Marshal(map[string]string{"name": name, "type": "EXPRESS", "roleArn": e2eRole, "definition": def})
	if got := n.aws(t, "CreateStateMachine", create, nil); got != "200" {
		return got
	}
	start, _ := json.Marshal(map[string]string{"stateMachineArn": machineArn(name), "input": input})
	r := doQuiet(t, http.MethodPost, n.p.url()+"/", map[string]string{
		"X-Amz-Target": "AWSStepFunctions.StartSyncExecution", "Content-Type": "application/x-amz-json-1.0", "Authorization": "Bearer " + adminToken,
	}, start)
	if r.status != 200 {
		return strconv.Itoa(r.status) + " " + awsErrorType(t, r)
	}
	var out struct{ Status, Error string }
	if err := json.Unmarshal([]byte(r.body), &out); err != nil {
		t.Fatalf("StartSyncExecution answered %q: %v", r.body, err)
	}
	return strings.TrimSpace(out.Status + " " + out.Error)
}

// raw writes b on a new TCP connection, then waits (up to 10 s) for the
// status line: "431", "400"…, or "closed" when the node hangs up without
// answering. pause, if set, runs after the write (to stall a request).
func (n *hostileNode) raw(t *testing.T, b []byte, pause func(net.Conn)) string {
	t.Helper()
	c, err := net.Dial("tcp", n.p.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := c.Write(b); err != nil {
		return "closed"
	}
	if pause != nil {
		pause(c)
	}
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		if ne, ok := err.(net.Error); ok && ne.Timeout() {
			return "no answer within 10s"
		}
		return "closed"
	}
	f := strings.Fields(line)
	if len(f) < 2 {
		return "garbage " + line
	}
	return f[1]
}

// rss reads the node's resident set size from /proc.
func (n *hostileNode) rss(t *testing.T) int64 {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", n.p.cmd.Process.Pid))
	if err != nil {
		t.Fatalf("cannot read the node's memory: %v", err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return kb << 10
		}
	}
	t.Fatal("no VmRSS in /proc/PID/status")
	return 0
}

// TestHostileInputs sends the whole catalogue to one node.
func TestHostileInputs(t *testing.T) {
	if testing.Short() {
		t.Skip("the hostile catalogue takes about a minute")
	}
	big := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		switch r.URL.Path {
		case "/huge": // 64 MiB, streamed: the node must stop reading
			w.Write([]byte(`{"a":"`))
			chunk := bytes.Repeat([]byte("x"), 1<<20)
			for range 64 {
				if _, err := w.Write(chunk); err != nil {
					return
				}
			}
			w.Write([]byte(`"}`))
		case "/200k":
			w.Write([]byte(`{"a":"` + strings.Repeat("x", 200000) + `"}`))
		case "/deep":
			w.Write([]byte(strings.Repeat("[", 100000) + strings.Repeat("]", 100000)))
		default:
			w.Write([]byte(`{"ok":true}`))
		}
	}))
	defer big.Close()

	dir := t.TempDir()
	cfg := map[string]any{
		"auth": map[string]any{"tokens": []map[string]string{{"name": "admin", "token": adminToken, "role": "admin"}},
			"keys": []map[string]string{{"accessKeyId": adminKey, "secretAccessKey": adminSecret, "role": "admin"}}},
		"integrations": map[string]any{"http": map[string]any{
			"allow-hosts": []string{strings.TrimPrefix(big.URL, "http://")},
			"connections": map[string]any{hostileConn: map[string]any{"AuthorizationType": "API_KEY",
				"AuthParameters": map[string]any{"ApiKeyAuthParameters": map[string]string{"ApiKeyName": "x-api-key", "ApiKeyValue": "k"}}}},
		}},
	}
	b, _ := json.Marshal(cfg)
	cfgFile := filepath.Join(dir, "stepd.json")
	if err := os.WriteFile(cfgFile, b, 0o600); err != nil {
		t.Fatal(err)
	}
	n := &hostileNode{p: startStepd(t, "-config", cfgFile, "-read-timeout", "1s", "-idle-timeout", "2s", "-max-connections", "64"), httpURL: big.URL}
	if got := n.run(t, e2ePass, `{}`); got != "SUCCEEDED" {
		t.Fatalf("a normal execution before the catalogue: %s", got)
	}

	doc, err := os.ReadFile("../../docs/SECURITY.md")
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	var peak int64
	for _, tc := range hostileCatalogue() {
		if seen[tc.id] {
			t.Fatalf("case id %s appears twice", tc.id)
		}
		seen[tc.id] = true
		t.Run(tc.id, func(t *testing.T) {
			start := time.Now()
			got := tc.send(t, n)
			if got != tc.want {
				t.Errorf("%s (%s): answered %q, want %q", tc.id, tc.input, got, tc.want)
			}
			if row := "| " + tc.id + " | "; !bytes.Contains(doc, []byte(row)) || !bytes.Contains(doc, []byte(row+tc.input+" | "+tc.want+" |")) {
				t.Errorf("docs/SECURITY.md has no row %q", row+tc.input+" | "+tc.want+" |")
			}
			if got := n.run(t, e2ePass, `{"after":"`+tc.id+`"}`); got != "SUCCEEDED" {
				t.Fatalf("after %s the node runs a normal execution as %q\n%s", tc.id, got, n.p.log())
			}
			rss := n.rss(t)
			peak = max(peak, rss)
			if rss > hostileRSSBound {
				t.Fatalf("after %s the node's RSS is %d MiB, over %d MiB", tc.id, rss>>20, hostileRSSBound>>20)
			}
			t.Logf("%s: %s in %v, RSS %d MiB", tc.id, got, time.Since(start).Round(time.Millisecond), rss>>20)
		})
	}
	t.Logf("%d hostile inputs, peak RSS %d MiB (bound %d MiB)", len(seen), peak>>20, hostileRSSBound>>20)
	if len(seen) < 60 {
		t.Errorf("the catalogue has %d inputs, want at least 60", len(seen))
	}
}

const hostileConn = "arn:aws:events:us-east-1:123456789012:connection/hostile/1"
