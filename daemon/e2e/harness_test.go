package e2e

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/stepd/stepd/internal/emulators"
)

// The end-to-end tests are black-box: they build the stepd binary once,
// start it as `stepd serve` on a random loopback port (or a Unix socket)
// with its own data directory, and talk to it over HTTP as clients do:
// the AWS SDK for Go v2, net/http and the AWS CLI.

// stepdBin is the binary TestMain built; empty if the build failed, in
// which case every end-to-end test fails with buildErr.
var (
	stepdBin string
	buildErr error
)

func TestMain(m *testing.M) {
	emulators.Hermetic()
	dir, err := os.MkdirTemp("", "stepd-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	stepdBin = filepath.Join(dir, "stepd")
	goTool, err := exec.LookPath("go")
	if err != nil {
		goTool = filepath.Join(os.Getenv("GOROOT"), "bin", "go")
	}
	if out, err := exec.Command(goTool, "build", "-o", stepdBin, "github.com/stepd/stepd").CombinedOutput(); err != nil {
		buildErr = fmt.Errorf("cannot build stepd: %v\n%s", err, out)
		stepdBin = ""
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

const (
	// startDeadline bounds how long a server may take to log its address:
	// a restart reads its Raft log first, which a loaded machine slows.
	startDeadline = 30 * time.Second
	// stopDeadline bounds how long a server may take to exit after
	// SIGTERM; the servers are started with a shorter -shutdown-grace.
	stopDeadline = 15 * time.Second
)

// stepdProc is one running `stepd serve` process.
type stepdProc struct {
	cmd     *exec.Cmd
	addr    string // host:port, or the socket path for unix:
	dataDir string

	stderrMu sync.Mutex
	stderr   bytes.Buffer

	exited  chan struct{} // closed when the process has exited
	waitErr error         // the process's exit status, set before exited closes
	stopped bool
}

// startStepd starts `stepd serve -listen 127.0.0.1:0 -raft-addr
// 127.0.0.1:0 -data-dir <new temp dir>` with extra args appended (a later
// flag wins), and waits until it logs the address it listens on. The test's cleanup stops
// it with SIGTERM and fails the test if it does not exit 0.
func startStepd(t *testing.T, extra ...string) *stepdProc {
	t.Helper()
	return startStepdIn(t, t.TempDir(), extra...)
}

// startStepdIn is startStepd on an existing data directory.
func startStepdIn(t *testing.T, dataDir string, extra ...string) *stepdProc {
	t.Helper()
	if stepdBin == "" {
		t.Fatal(buildErr)
	}
	args := append([]string{"serve", "-listen", "127.0.0.1:0", "-raft-addr", "127.0.0.1:0", "-data-dir", dataDir, "-shutdown-grace", "5s"}, extra...)
	p := &stepdProc{cmd: exec.Command(stepdBin, args...), dataDir: dataDir, exited: make(chan struct{})}
	p.cmd.Env = append(os.Environ(), "STEPD_CONFIG=") // no stray configuration from the environment
	pipe, err := p.cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	addrc := make(chan string, 1)
	go func() { // read stderr to its end, so the server never blocks on logging
		sc := bufio.NewScanner(pipe)
		for sc.Scan() {
			line := sc.Text()
			p.stderrMu.Lock()
			p.stderr.WriteString(line + "\n")
			p.stderrMu.Unlock()
			if _, addr, ok := strings.Cut(line, "listening on "); ok {
				addr, _, _ = strings.Cut(addr, " (")
				select {
				case addrc <- addr:
				default:
				}
			}
		}
		_, _ = io.Copy(io.Discard, pipe)
		p.waitErr = p.cmd.Wait()
		close(p.exited)
	}()
	t.Cleanup(func() {
		if !p.stopped {
			p.stop(t)
		}
	})
	select {
	case p.addr = <-addrc:
	case <-p.exited:
		t.Fatalf("stepd %v exited before listening: %v\n%s", args, p.waitErr, p.log())
	case <-time.After(startDeadline):
		t.Fatalf("stepd %v did not log its address within %v\n%s", args, startDeadline, p.log())
	}
	return p
}

// log returns what the server has written to stderr so far.
func (p *stepdProc) log() string {
	p.stderrMu.Lock()
	defer p.stderrMu.Unlock()
	return p.stderr.String()
}

// url is the base URL of a TCP server, without a trailing slash.
func (p *stepdProc) url() string { return "http://" + p.addr }

// signal sends SIGTERM without waiting.
func (p *stepdProc) terminate(t *testing.T) {
	t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatalf("cannot send SIGTERM: %v", err)
	}
}

// wait waits for the process to exit after terminate and fails the test
// unless it exited 0.
func (p *stepdProc) wait(t *testing.T) {
	t.Helper()
	p.stopped = true
	select {
	case <-p.exited:
	case <-time.After(stopDeadline):
		_ = p.cmd.Process.Kill()
		<-p.exited
		t.Errorf("stepd did not exit within %v of SIGTERM\n%s", stopDeadline, p.log())
		return
	}
	if p.waitErr != nil {
		t.Errorf("stepd exited with %v after SIGTERM, want exit status 0\n%s", p.waitErr, p.log())
	}
}

// stop sends SIGTERM and waits for exit status 0.
func (p *stepdProc) stop(t *testing.T) {
	t.Helper()
	p.terminate(t)
	p.wait(t)
}

// waitFor polls fn every `every` until it returns nil or the deadline
// passes, then fails the test with fn's last error.
func waitFor(t *testing.T, deadline, every time.Duration, fn func() error) {
	t.Helper()
	end := time.Now().Add(deadline)
	for {
		err := fn()
		if err == nil {
			return
		}
		if time.Now().After(end) {
			t.Fatalf("still failing after %v: %v", deadline, err)
		}
		time.Sleep(every)
	}
}

// testCredentials are dummy static credentials: stepd does not check
// signatures, but the SDK signs every request.
var testCredentials = aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
	return aws.Credentials{AccessKeyID: "AKIDEXAMPLE", SecretAccessKey: "secret", Source: "e2e"}, nil
})

// noHostPrefix turns off the `sync-` host prefix the SDK puts in front of
// the endpoint's host for StartSyncExecution, which a loopback address
// cannot carry.
func noHostPrefix(st *middleware.Stack) error {
	return st.Initialize.Add(middleware.InitializeMiddlewareFunc("noHostPrefix",
		func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
			return next.HandleInitialize(smithyhttp.DisableEndpointHostPrefix(ctx, true), in)
		}), middleware.Before)
}

// sdkOptions are the SDK middleware options of every test client.
var sdkOptions = []func(*middleware.Stack) error{noHostPrefix}

// newClient returns an SDK client for a server in us-east-1. It does not
// retry, so a test sees every error the server answers (the SDK would
// otherwise retry ThrottlingException).
func newClient(p *stepdProc) *sfn.Client { return newClientIn(p, "us-east-1") }

func newClientIn(p *stepdProc, region string) *sfn.Client {
	return sfn.New(sfn.Options{
		Region:       region,
		BaseEndpoint: aws.String(p.url()),
		Credentials:  testCredentials,
		Retryer:      aws.NopRetryer{},
		APIOptions:   sdkOptions,
		HTTPClient:   sdkHTTP(nil),
	})
}

// sdkHTTP returns an HTTP client for the SDK that sends c's requests (a
// new client of the SDK's own kind if c is nil) with their bodies copied
// into a bytes.Reader first. It removes a race inside the client, between
// smithy-go and net/http, that fails SDK calls whatever the server does
// (aws-sdk-go-v2 #2737, reproduced against a plain net/http server too).
// The SDK hands net/http its body in a wrapper that net/http does not
// know to be in memory, so net/http sends the headers, then the body,
// and only then reads the body once more (io.Copy to io.Discard, to check
// its length). The SDK closes its wrapper as soon as the response
// headers arrive, and the closed wrapper's WriteTo answers io.EOF: when
// the server answers before that last read (stepd often does on a loaded
// machine), net/http counts the request's write failed and closes the
// connection under the reader of the response: "https response error
// StatusCode: 200, ... deserialization failed, ... use of closed network
// connection" once the body outgrows the transport's 4 KiB read buffer.
// With a bytes.Reader body net/http writes the whole request at once,
// after its last read of the body, so nothing of it can fail once the
// server has the request. The clients keep aws.NopRetryer: no error is
// retried away. TestSDKBodyCloseRace forces the race.
func sdkHTTP(c aws.HTTPClient) aws.HTTPClient {
	if c == nil {
		c = awshttp.NewBuildableClient()
	}
	return inMemoryBodies{c}
}

type inMemoryBodies struct{ aws.HTTPClient }

// Do sends req with its body read into memory.
func (c inMemoryBodies) Do(req *http.Request) (*http.Response, error) {
	if req.Body == nil || req.Body == http.NoBody {
		return c.HTTPClient.Do(req)
	}
	b, err := io.ReadAll(req.Body)
	if cerr := req.Body.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, err
	}
	r := req.Clone(req.Context())
	r.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(b)), nil }
	r.Body, _ = r.GetBody()
	return c.HTTPClient.Do(r)
}

// testContext is a context that ends a little before the test's deadline.
func testContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// rawResponse is an HTTP answer read to its end.
type rawResponse struct {
	status int
	header http.Header
	body   string
}

// do sends one request with the given headers and returns the answer.
func do(t *testing.T, c *http.Client, method, url string, header map[string]string, body []byte) rawResponse {
	t.Helper()
	r, err := tryDo(c, method, url, header, body)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	return r
}

// tryDo is do returning the error of a request that got no answer (a
// connection the server closed) instead of failing the test.
func tryDo(c *http.Client, method, url string, header map[string]string, body []byte) (rawResponse, error) {
	req, err := http.NewRequest(method, url, bytes.NewReader(body))
	if err != nil {
		return rawResponse{}, err
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := c.Do(req)
	if err != nil {
		return rawResponse{}, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return rawResponse{}, fmt.Errorf("reading the body: %w", err)
	}
	return rawResponse{resp.StatusCode, resp.Header, string(b)}, nil
}

// awsCall sends one AWS JSON 1.0 request with net/http.
func awsCall(t *testing.T, p *stepdProc, action, body string) rawResponse {
	t.Helper()
	return do(t, http.DefaultClient, http.MethodPost, p.url()+"/", map[string]string{
		"X-Amz-Target": "AWSStepFunctions." + action,
		"Content-Type": "application/x-amz-json-1.0",
	}, []byte(body))
}

// unixClient is an HTTP client that reaches every host through the Unix
// socket at path.
func unixClient(path string) *http.Client {
	return &http.Client{Transport: &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "unix", path)
		},
	}}
}

// isReady reports an error unless GET /readyz answers 200 "ready".
func isReady(c *http.Client, base string) error {
	resp, err := c.Get(base + "/readyz")
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK || strings.TrimSpace(string(b)) != "ready" {
		return fmt.Errorf("GET /readyz: %d %q", resp.StatusCode, b)
	}
	return nil
}

// Cluster nodes: several `stepd serve` processes on free loopback ports.

// clusterFlags make Raft snapshot after a few entries, keeping few
// entries and small log segments, so that a node that was away catches
// up from a snapshot. The timeouts stay the defaults (a failover in about
// a second): shorter ones make a leader step down when a busy CI machine
// starves it for a lease, failing writes the tests expect to succeed.
var clusterFlags = []string{
	"-raft-snapshot-threshold", "8", "-raft-snapshot-interval", "100ms", "-raft-trailing-logs", "2", "-raft-log-segment-bytes", "4096",
}

// e2eNode is one node of a test cluster: what it needs to restart on the
// same data directory and Raft port, and its process while it runs.
type e2eNode struct {
	id, raftAddr, dataDir string
	p                     *stepdProc
	sfn                   *sfn.Client
}

// freeAddr returns a loopback address with a port that was free a moment
// ago: a node keeps its Raft address across restarts, so it cannot be :0.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// start starts (or restarts) the node, joining the cluster of the API
// address join on its first start.
func (n *e2eNode) start(t *testing.T, join string, extra ...string) {
	t.Helper()
	args := append([]string{"-node-id", n.id, "-raft-addr", n.raftAddr}, clusterFlags...)
	if join != "" {
		args = append(args, "-join", join)
	}
	n.p = startStepdIn(t, n.dataDir, append(args, extra...)...)
	n.sfn = newClient(n.p)
}

// kill stops the node with SIGKILL: no snapshot, no clean close.
func (n *e2eNode) kill(t *testing.T) {
	t.Helper()
	n.p.stopped = true
	if err := n.p.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	<-n.p.exited
}

// e2eClusterView is the part of GET /cluster the tests read.
type e2eClusterView struct {
	Node struct {
		ID          string `json:"id"`
		State       string `json:"state"`
		LeaderID    string `json:"leaderId"`
		CommitIndex uint64 `json:"commitIndex"`
		Rejected    int    `json:"rejectedConnections"`
	} `json:"node"`
	Members []struct {
		ID      string `json:"id"`
		APIAddr string `json:"apiAddr"`
	} `json:"members"`
}

func (n *e2eNode) view() (e2eClusterView, error) {
	var v e2eClusterView
	resp, err := http.Get(n.p.url() + "/cluster")
	if err != nil {
		return v, err
	}
	defer resp.Body.Close()
	return v, json.NewDecoder(resp.Body).Decode(&v)
}

// startE2ECluster starts n nodes: the first bootstraps, the others join
// it; it returns once every node is ready.
func startE2ECluster(t *testing.T, size int, extra ...string) []*e2eNode {
	t.Helper()
	var nodes []*e2eNode
	for i := range size {
		n := &e2eNode{id: fmt.Sprintf("n%d", i+1), raftAddr: freeAddr(t), dataDir: t.TempDir()}
		join := ""
		if i > 0 {
			join = nodes[0].p.addr
		}
		n.start(t, join, extra...)
		nodes = append(nodes, n)
	}
	for _, n := range nodes {
		waitFor(t, 10*time.Second, 5*time.Millisecond, func() error { return isReady(http.DefaultClient, n.p.url()) })
	}
	return nodes
}
