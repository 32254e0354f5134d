// Package emulators starts the AWS service emulators the integration tests
// call: dynalite (DynamoDB), goaws (SQS and SNS) and gofakes3 (S3), each on
// a free loopback port, and waits until each answers. .ci/run installs them
// pinned; a test that needs one that is missing fails when CI=true and is
// skipped otherwise.
//
// Each emulator is started once per test binary and shared by its tests
// (they name their queues, tables and buckets uniquely); it dies with the
// test binary (Pdeathsig), so nothing is left running.
package emulators

import (
	"fmt"
	"go/build"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Pinned versions, as .ci/run installs them.
const (
	DynaliteVersion = "4.0.0"
	GoAWSVersion    = "v0.4.5"
	GoFakeS3Version = "v1.2.0"
)

// Account and Region are what the emulators put in ARNs and queue URLs:
// the conformance corpus's harness values.
const (
	Account = "111111111111"
	Region  = "us-east-1"
)

func gopath() string {
	if p := os.Getenv("GOPATH"); p != "" {
		return filepath.SplitList(p)[0]
	}
	return build.Default.GOPATH
}

// DynalitePath is where .ci/run installs dynalite's cli.js; STEPD_DYNALITE
// overrides it.
func DynalitePath() string {
	if p := os.Getenv("STEPD_DYNALITE"); p != "" {
		return p
	}
	return filepath.Join(gopath(), "emulators", "dynalite-"+DynaliteVersion, "node_modules", "dynalite", "cli.js")
}

// GoAWSPath is the goaws binary (go install names it "cmd"); STEPD_GOAWS
// overrides it.
func GoAWSPath() string {
	if p := os.Getenv("STEPD_GOAWS"); p != "" {
		return p
	}
	return filepath.Join(gopath(), "bin", "cmd")
}

// GoFakeS3Path is the gofakes3 binary; STEPD_GOFAKES3 overrides it.
func GoFakeS3Path() string {
	if p := os.Getenv("STEPD_GOFAKES3"); p != "" {
		return p
	}
	return filepath.Join(gopath(), "bin", "gofakes3")
}

type running struct {
	once sync.Once
	url  string
	err  error
}

var dynamo, goaws, s3 running

// DynamoDB returns the endpoint URL of a running dynalite.
func DynamoDB(t testing.TB) string {
	return start(t, &dynamo, "dynalite", func(port int) (*exec.Cmd, error) {
		js := DynalitePath()
		if _, err := os.Stat(js); err != nil {
			return nil, errMissing{js}
		}
		node, err := exec.LookPath("node")
		if err != nil {
			return nil, errMissing{"node"}
		}
		// Tables are ACTIVE at once, as a test that creates one and writes
		// to it wants (the default keeps them CREATING for 500 ms).
		return exec.Command(node, js, "--host", "127.0.0.1", "--port", strconv.Itoa(port), "--createTableMs", "0", "--deleteTableMs", "0", "--updateTableMs", "0"), nil
	})
}

// GoAWS returns the endpoint URL of a running goaws, serving SQS and SNS
// with the corpus's account and region.
func GoAWS(t testing.TB) string {
	return start(t, &goaws, "goaws", func(port int) (*exec.Cmd, error) {
		bin := GoAWSPath()
		if _, err := os.Stat(bin); err != nil {
			return nil, errMissing{bin}
		}
		dir, err := os.MkdirTemp("", "stepd-goaws")
		if err != nil {
			return nil, err
		}
		conf := fmt.Sprintf("Local:\n  Host: 127.0.0.1\n  Port: %d\n  Region: %s\n  AccountId: \"%s\"\n  LogToFile: false\n  EnableDuplicates: false\n  QueueAttributeDefaults:\n    VisibilityTimeout: 30\n    ReceiveMessageWaitTimeSeconds: 0\n    MaximumMessageSize: 262144\n", port, Region, Account)
		path := filepath.Join(dir, "goaws.yaml")
		if err := os.WriteFile(path, []byte(conf), 0o600); err != nil {
			return nil, err
		}
		cmd := exec.Command(bin, "-config", path, "Local")
		cmd.Dir = dir
		return cmd, nil
	})
}

// S3 returns the endpoint URL of a running gofakes3 (path-style).
func S3(t testing.TB) string {
	return start(t, &s3, "gofakes3", func(port int) (*exec.Cmd, error) {
		bin := GoFakeS3Path()
		if _, err := os.Stat(bin); err != nil {
			return nil, errMissing{bin}
		}
		return exec.Command(bin, "-backend", "memory", "-host", "127.0.0.1:"+strconv.Itoa(port)), nil
	})
}

type errMissing struct{ what string }

func (e errMissing) Error() string { return e.what + " is not installed (.ci/run installs it)" }

// start runs an emulator once per test binary and returns its URL, or
// fails (CI=true) or skips the test when it cannot.
func start(t testing.TB, r *running, name string, command func(port int) (*exec.Cmd, error)) string {
	t.Helper()
	r.once.Do(func() { r.url, r.err = launch(name, command) })
	if r.err != nil {
		if _, missing := r.err.(errMissing); missing && os.Getenv("CI") != "true" {
			t.Skipf("%s: %v", name, r.err)
		}
		t.Fatalf("%s: %v", name, r.err)
	}
	return r.url
}

func launch(name string, command func(port int) (*exec.Cmd, error)) (string, error) {
	port, err := freePort()
	if err != nil {
		return "", err
	}
	cmd, err := command(port)
	if err != nil {
		return "", err
	}
	out := &limited{}
	cmd.Stdout, cmd.Stderr = out, out
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL, Setpgid: true}
	if err := cmd.Start(); err != nil {
		return "", err
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	url := "http://127.0.0.1:" + strconv.Itoa(port)
	deadline := time.Now().Add(30 * time.Second)
	client := &http.Client{Timeout: time.Second}
	for {
		select {
		case err := <-exited:
			return "", fmt.Errorf("exited before answering (%v): %s", err, out.String())
		default:
		}
		if resp, err := client.Get(url + "/"); err == nil {
			resp.Body.Close()
			return url, nil
		}
		if time.Now().After(deadline) {
			_ = cmd.Process.Kill()
			return "", fmt.Errorf("did not answer on %s within 30s: %s", url, out.String())
		}
		select { // poll: the process answers within a second or two
		case err := <-exited:
			return "", fmt.Errorf("exited before answering (%v): %s", err, out.String())
		case <-time.After(50 * time.Millisecond):
		}
	}
}

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// limited keeps the first 4 KiB of an emulator's output, for messages.
type limited struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *limited) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func (l *limited) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if room := 4096 - l.b.Len(); room > 0 {
		if len(p) > room {
			l.b.Write(p[:room])
		} else {
			l.b.Write(p)
		}
	}
	return len(p), nil
}

// Hermetic makes a test binary's Tasks that call AWS services (and the
// stepd processes it starts, which inherit the environment) stay on the
// machine: static credentials, so no instance-role lookup, and
// AWS_ENDPOINT_URL at a loopback port nothing listens on. A TestMain
// calls it first; tests that call emulators set per-service endpoints.
func Hermetic() {
	if port, err := freePort(); err == nil {
		os.Setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:"+strconv.Itoa(port))
	}
	os.Setenv("AWS_ACCESS_KEY_ID", "AKIDSTEPDTEST")
	os.Setenv("AWS_SECRET_ACCESS_KEY", "stepd-test-secret")
	os.Setenv("AWS_CONFIG_FILE", os.DevNull)
	os.Setenv("AWS_SHARED_CREDENTIALS_FILE", os.DevNull)
}
