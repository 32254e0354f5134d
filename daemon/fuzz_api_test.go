package daemon

import (
	"context"
	"fmt"
	"io"
	"log"
	"runtime"
	"slices"
	"testing"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/stepd/stepd/fastpath"
)

// FuzzAPIEnvelope sends arbitrary bodies to every action of the AWS JSON
// API, and arbitrary paths and methods to the REST API, on a real server
// (its registry in a temporary directory). Every answer must be a
// well-formed status that is not a recovered panic.
func FuzzAPIEnvelope(f *testing.F) {
	names := make([]string, 0, len(awsActions))
	for name := range awsActions {
		names = append(names, name)
	}
	slices.Sort(names)
	for i, name := range names {
		seed := `{}`
		switch name {
		case "CreateStateMachine":
			seed = `{"name":"m","type":"EXPRESS","roleArn":"arn:aws:iam::123456789012:role/r","definition":"{\"StartAt\":\"P\",\"States\":{\"P\":{\"Type\":\"Pass\",\"End\":true}}}"}`
		case "StartSyncExecution", "StartExecution":
			seed = `{"stateMachineArn":"arn:aws:states:us-east-1:123456789012:stateMachine:m","input":"{\"a\":[1,2,{\"b\":null}]}"}`
		case "ListStateMachines", "ListExecutions":
			seed = `{"maxResults":1,"nextToken":"AAAA"}`
		case "DescribeMapRun", "UpdateMapRun":
			seed = `{"mapRunArn":"arn:aws:states:us-east-1:123456789012:mapRun:m/l:00000000-0000-4000-8000-000000000000","maxConcurrency":2,"toleratedFailurePercentage":5.5}`
		case "ListMapRuns":
			seed = `{"executionArn":"arn:aws:states:us-east-1:123456789012:execution:m:e","maxResults":1}`
		}
		f.Add(uint8(i), "", "", []byte(seed))
	}
	f.Add(uint8(0), "PUT", "/v1/state-machines/m?type=EXPRESS", []byte(`{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}}`))
	f.Add(uint8(0), "POST", "/v1/state-machines/m/executions?name=x", []byte(`{"deep":[[[[[[[[[[]]]]]]]]]]}`))
	f.Add(uint8(0), "GET", "/v1/state-machines/%00/../x", []byte{})
	f.Add(uint8(3), "", "", []byte(`{"name":"\ud800","definition":`+"\"\xff\xfe\""+`}`))
	f.Add(uint8(5), "", "", []byte(`[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[`))

	cfg := DefaultConfig()
	cfg.DataDir = f.TempDir()
	cfg.RaftAddr = "127.0.0.1:0" // not the default port, which another test process may hold
	cfg.MaxInFlight = 32         // background executions the fuzzer starts cannot pile up
	ctx, cancel := context.WithCancel(context.Background())
	f.Cleanup(cancel)
	s, err := newServer(ctx, cfg, log.New(io.Discard, "", 0))
	if err != nil {
		f.Fatal(err)
	}
	s.execs.clock = fastpath.NewVirtualClock(time.Now()) // Wait states the fuzzer writes take no time
	f.Fuzz(func(t *testing.T, action uint8, method, uri string, body []byte) {
		var rc fasthttp.RequestCtx
		if method == "" {
			rc.Request.Header.SetMethod("POST")
			rc.Request.SetRequestURI("/")
			rc.Request.Header.SetContentType("application/x-amz-json-1.0")
			rc.Request.Header.Set("X-Amz-Target", targetPrefix+names[int(action)%len(names)])
		} else {
			rc.Request.Header.SetMethod(method)
			rc.Request.SetRequestURI(uri)
		}
		rc.Request.SetBody(body)
		before := panicsTotal.Get()
		hung := time.AfterFunc(20*time.Second, func() {
			buf := make([]byte, 1<<20)
			panic(fmt.Sprintf("%s %s %q: no answer after 20s\n%s", rc.Request.Header.Method(), rc.Request.URI().FullURI(), body, buf[:runtime.Stack(buf, true)]))
		})
		s.handle(&rc)
		hung.Stop()
		if panicsTotal.Get() != before {
			t.Fatalf("%s %s %q: recovered a panic: %s", rc.Request.Header.Method(), rc.Request.URI().FullURI(), body, rc.Response.Body())
		}
		if code := rc.Response.StatusCode(); code < 200 || code >= 500 {
			t.Fatalf("%s %s %q: status %d %s", rc.Request.Header.Method(), rc.Request.URI().FullURI(), body, code, rc.Response.Body())
		}
	})
}
