package daemon

import (
	"bytes"
	"flag"
	"io"
	"log"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/stepd/stepd/daemon/auth"
	"github.com/stepd/stepd/internal/awserr"
)

// TestPanicIsRecovered checks the outermost handler: a panic in an action
// answers 500 InternalFailure, is counted and logged, and the server goes
// on answering.
func TestPanicIsRecovered(t *testing.T) {
	awsActions["TestPanic"] = &awsAction{
		handle:  func(*server, []byte, []byte) ([]byte, *awserr.Error) { panic("boom") },
		metrics: newHTTPMetrics("TestPanic"),
	}
	defer delete(awsActions, "TestPanic")
	var logged bytes.Buffer
	s := &server{log: log.New(&logged, "", 0)}
	before := panicsTotal.Get()
	var ctx fasthttp.RequestCtx
	ctx.Request.Header.SetMethod("POST")
	ctx.Request.SetRequestURI("/")
	ctx.Request.Header.SetContentType("application/x-amz-json-1.0")
	ctx.Request.Header.Set("X-Amz-Target", "AWSStepFunctions.TestPanic")
	s.handle(&ctx)
	if ctx.Response.StatusCode() != 500 || !strings.Contains(string(ctx.Response.Body()), "#InternalFailure") {
		t.Fatalf("got %d %s", ctx.Response.StatusCode(), ctx.Response.Body())
	}
	if panicsTotal.Get() != before+1 || !strings.Contains(logged.String(), "boom") {
		t.Errorf("panic not counted (%d→%d) or logged (%q)", before, panicsTotal.Get(), logged.String())
	}
}

// TestConfigPrecedence checks flag > environment > config file > default.
func TestConfigPrecedence(t *testing.T) {
	file := filepath.Join(t.TempDir(), "stepd.json")
	if err := os.WriteFile(file, []byte(`{"listen":"127.0.0.1:1111","region":"eu-west-1","max-inflight":77,"shutdown-grace":"5s"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"STEPD_REGION": "ap-south-1", "STEPD_ACCOUNT": "111111111111"}
	fs := flag.NewFlagSet("test", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	cfg, err := loadConfig([]string{"-config", file, "-max-inflight", "5"}, func(k string) string { return env[k] }, fs)
	if err != nil {
		t.Fatal(err)
	}
	want := DefaultConfig()
	want.Listen = "127.0.0.1:1111" // file
	want.Region = "ap-south-1"     // environment over file
	want.Account = "111111111111"  // environment over default
	want.MaxInFlight = 5           // flag over file
	want.ShutdownGrace = 5 * time.Second
	if !reflect.DeepEqual(cfg, want) {
		t.Errorf("got  %+v\nwant %+v", cfg, want)
	}
	fs = flag.NewFlagSet("test", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	if _, err := loadConfig([]string{"-account", "12"}, func(string) string { return "" }, fs); err == nil {
		t.Error("a short account id must be refused")
	}
}

// TestResponsesAreNotHTMLEscaped: AWS writes definitions and outputs with
// <, > and & as they are; Go JSON encoders escape them by default.
func TestResponsesAreNotHTMLEscaped(t *testing.T) {
	b, aerr := encode(nil, describedMachine{Definition: `{"Comment":"a > b & c < d"}`})
	if aerr != nil || !strings.Contains(string(b), `"{\"Comment\":\"a > b & c < d\"}"`) {
		t.Errorf("got %s %v", b, aerr)
	}
}

func TestOpenListenerRefused(t *testing.T) {
	for listen, wantErr := range map[string]bool{
		"127.0.0.1:8083": false, "[::1]:8083": false, "localhost:8083": false, "unix:/tmp/s.sock": false,
		"0.0.0.0:8083": true, ":8083": true, "10.1.2.3:8083": true, "example.com:8083": true,
	} {
		c := DefaultConfig()
		c.Listen = listen
		if err := c.Validate(); (err != nil) != wantErr {
			t.Errorf("-listen %s without auth: Validate() = %v, want error %v", listen, err, wantErr)
		}
		c.AllowUnauthenticated = true
		if err := c.Validate(); err != nil {
			t.Errorf("-listen %s -allow-unauthenticated: %v", listen, err)
		}
		c.AllowUnauthenticated = false
		c.Auth.Tokens = []auth.BearerToken{{Token: "0123456789abcdef", Role: "read"}}
		if err := c.Validate(); err != nil {
			t.Errorf("-listen %s with a token: %v", listen, err)
		}
	}
}
