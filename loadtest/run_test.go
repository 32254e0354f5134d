package main

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"errors"
	"io"
	"net"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/valyala/fasthttp"
)

// startServer serves h on a random loopback port until the test ends and
// returns its address.
func startServer(t *testing.T, h fasthttp.RequestHandler) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &fasthttp.Server{Handler: h}
	go s.Serve(ln) //nolint:errcheck // returns when the test shuts it down
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = s.ShutdownWithContext(ctx)
	})
	return ln.Addr().String()
}

// fakeStepd answers StartSyncExecution like stepd: SUCCEEDED with the
// input as output, except for the machine "fails" (FAILED), "throttled"
// (ThrottlingException) and "broken" (500).
func fakeStepd(ctx *fasthttp.RequestCtx) {
	if string(ctx.Request.Header.Peek("X-Amz-Target")) != "AWSStepFunctions.StartSyncExecution" {
		ctx.Error("bad target", 400)
		return
	}
	var req struct{ StateMachineArn, Input string }
	if err := json.Unmarshal(ctx.PostBody(), &req); err != nil {
		ctx.Error(err.Error(), 400)
		return
	}
	ctx.SetContentType("application/x-amz-json-1.0")
	switch req.StateMachineArn[strings.LastIndexByte(req.StateMachineArn, ':')+1:] {
	case "fails":
		ctx.SetBodyString(`{"status":"FAILED","error":"Boom","cause":"on purpose"}`)
	case "throttled":
		ctx.SetStatusCode(400)
		ctx.Response.Header.Set("X-Amzn-ErrorType", "ThrottlingException")
		ctx.SetBodyString(`{"__type":"com.amazonaws.swf.base.model#ThrottlingException","message":"Rate exceeded"}`)
	case "broken":
		ctx.SetStatusCode(500)
	default:
		out, _ := json.Marshal(req.Input)
		ctx.SetBodyString(`{"status":"SUCCEEDED","output":` + string(out) + `}`)
	}
}

func testConfig(addr string) Config {
	c := DefaultConfig()
	c.Targets = []string{addr}
	c.Conns = 2
	c.Quiet = true
	c.Timeout = 5 * time.Second
	c.Interval = 50 * time.Millisecond
	return c
}

func TestClosedLoopCountsEveryKind(t *testing.T) {
	addr := startServer(t, fakeStepd)
	c := testConfig(addr)
	c.Count = 400
	c.Machines = []Machine{
		{Name: "good", Weight: 4, Input: `{"x":1}`, Expect: &Expect{Output: `{"x":1}`}},
		{Name: "wrong", Weight: 1, Input: `{"x":1}`, Expect: &Expect{Output: `{"x":2}`}},
		{Name: "fails", Weight: 1, Input: `{}`},
		{Name: "throttled", Weight: 1, Input: `{}`},
		{Name: "broken", Weight: 1, Input: `{}`},
	}
	res, err := run(context.Background(), &c, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	all, failed := res.Total()
	if all != 400 || res.Hist.TotalCount() != 400 {
		t.Fatalf("measured %d requests, %d latencies; want 400", all, res.Hist.TotalCount())
	}
	if res.Kinds[kindTransport] != 0 {
		t.Errorf("transport errors: %d (%s)", res.Kinds[kindTransport], res.Samples[kindTransport])
	}
	// Weights 4:1:1:1:1 over 400 requests: each failing kind is about 50.
	for _, k := range []kind{kindOutput, kindExecStatus, kindThrottled, kindHTTPStatus} {
		if n := res.Kinds[k]; n < 15 || n > 100 {
			t.Errorf("%v: %d, want about 50", k, n)
		}
		if res.Samples[k] == "" {
			t.Errorf("%v: no sample", k)
		}
	}
	if res.Kinds[kindOK] < 120 || failed != all-res.Kinds[kindOK] {
		t.Errorf("ok %d of %d", res.Kinds[kindOK], all)
	}
	if !strings.Contains(res.Samples[kindExecStatus], `status="FAILED" error="Boom"`) {
		t.Errorf("execution status sample: %s", res.Samples[kindExecStatus])
	}
}

func TestTransportErrors(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens there now
	c := testConfig(addr)
	c.Count = 20
	res, err := run(context.Background(), &c, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if res.Kinds[kindTransport] != 20 || res.Samples[kindTransport] == "" {
		t.Errorf("transport %d (%q), want 20", res.Kinds[kindTransport], res.Samples[kindTransport])
	}
}

// TestOpenLoopReportsStall stalls the whole server for 200 ms once and
// checks that the requests scheduled during the stall report it. A
// generator that measured from the actual send (coordinated omission)
// would see the stall in at most -c requests: its workers are blocked and
// would send the others only after the stall, and quickly.
func TestOpenLoopReportsStall(t *testing.T) {
	const (
		rate    = 1000 // per second: one slot a millisecond
		slots   = 600
		stallAt = 100
		stall   = 200 * time.Millisecond
	)
	var (
		n    atomic.Int64
		gate sync.RWMutex
	)
	addr := startServer(t, func(ctx *fasthttp.RequestCtx) {
		if n.Add(1) == stallAt {
			gate.Lock()
			time.Sleep(stall)
			gate.Unlock()
		}
		// Every request waits while the stall lasts: the empty section is the point.
		gate.RLock()
		//lint:ignore SA2001 see above
		gate.RUnlock()
		ctx.SetBodyString(`{"status":"SUCCEEDED","output":"{}"}`)
	})
	c := testConfig(addr)
	c.Conns = 4
	c.Rate = rate
	c.Count = slots
	res, err := run(context.Background(), &c, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if all, failed := res.Total(); all != slots || failed != 0 {
		t.Fatalf("%d requests, %d failed (%v); want %d, 0", all, failed, res.Samples, slots)
	}
	// About 200 slots fall in the stall, waiting from 200 ms down to 0:
	// about 150 of them waited 50 ms or more.
	var slow int64
	for _, b := range res.Hist.Distribution() {
		if b.From >= 50_000 {
			slow += b.Count
		}
	}
	p := percentiles(res.Hist)
	if slow < 100 {
		t.Errorf("%d requests over 50 ms, want about 150 (the stall is hidden); %+v", slow, p)
	}
	if p.Max < 190_000 {
		t.Errorf("max %d µs, want at least the 200 ms stall", p.Max)
	}
	if p.P90 < 50_000 {
		t.Errorf("p90 %d µs: the stall covers a third of the slots, p90 must show it", p.P90)
	}
	// The schedule is kept: the run takes about slots/rate, not slots/rate
	// plus the stall's worth of catching up.
	if res.Measured > time.Duration(slots)*time.Second/rate+stall+500*time.Millisecond {
		t.Errorf("measured %v", res.Measured)
	}
}

func TestOpenLoopKeepsRate(t *testing.T) {
	addr := startServer(t, fakeStepd)
	c := testConfig(addr)
	c.Rate = 2000
	c.Warmup = 100 * time.Millisecond
	c.Duration = 400 * time.Millisecond
	res, err := run(context.Background(), &c, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	// The warm-up slots are not counted: 400 ms at 2000/s is 800.
	if all, failed := res.Total(); all < 790 || all > 810 || failed != 0 {
		t.Errorf("%d requests (%d failed), want 800", all, failed)
	}
}

func TestReportShape(t *testing.T) {
	addr := startServer(t, fakeStepd)
	c := testConfig(addr)
	c.Duration = 300 * time.Millisecond
	c.Machines = []Machine{{Name: "tiny", Weight: 1, Input: `{"a":[1]}`}, {Name: "fails", Weight: 1, Input: `{}`}}
	res, err := run(context.Background(), &c, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := newReport(&c, res).writeJSON(&buf); err != nil {
		t.Fatal(err)
	}
	var rep struct {
		Tool   string
		Config struct {
			Mode, API, Duration, Warmup string
			Targets                     []string
			Connections                 int
			Machines                    []map[string]any
		}
		DurationS float64 `json:"duration_s"`
		Totals    map[string]int64
		Rate      float64
		Errors    map[string]int64
		Samples   map[string]string `json:"error_samples"`
		Latency   map[string]float64
		Series    []map[string]float64
	}
	dec := json.NewDecoder(&buf)
	if err := dec.Decode(&rep); err != nil {
		t.Fatal(err)
	}
	if rep.Tool != "stepd-loadtest" || rep.Config.Mode != "closed" || rep.Config.API != "aws" || rep.Config.Duration != "300ms" ||
		rep.Config.Connections != 2 || len(rep.Config.Targets) != 1 || len(rep.Config.Machines) != 2 {
		t.Errorf("config: %+v", rep.Config)
	}
	if rep.DurationS < 0.3 || rep.Rate <= 0 {
		t.Errorf("duration_s %v rate %v", rep.DurationS, rep.Rate)
	}
	if rep.Totals["requests"] == 0 || rep.Totals["requests"] != rep.Totals["succeeded"]+rep.Totals["failed"] || rep.Totals["failed"] == 0 {
		t.Errorf("totals %v", rep.Totals)
	}
	for _, k := range []string{"transport", "http_status", "execution_status", "output_mismatch", "throttled"} {
		if _, ok := rep.Errors[k]; !ok {
			t.Errorf("errors has no %q: %v", k, rep.Errors)
		}
	}
	if rep.Errors["execution_status"] != rep.Totals["failed"] || rep.Samples["execution_status"] == "" {
		t.Errorf("errors %v samples %v", rep.Errors, rep.Samples)
	}
	for _, k := range []string{"count", "min_us", "mean_us", "p50_us", "p90_us", "p99_us", "p99_9_us", "max_us"} {
		if _, ok := rep.Latency[k]; !ok {
			t.Errorf("latency has no %q", k)
		}
	}
	if rep.Latency["p50_us"] > rep.Latency["p99_us"] || rep.Latency["p99_us"] > rep.Latency["max_us"] {
		t.Errorf("percentiles out of order: %v", rep.Latency)
	}
	// 300 ms in 50 ms steps.
	if len(rep.Series) < 4 || len(rep.Series) > 7 {
		t.Errorf("%d series points, want about 6", len(rep.Series))
	}
	var sum float64
	for _, p := range rep.Series {
		for _, k := range []string{"t_s", "span_s", "requests", "errors", "rate", "p50_us", "p90_us", "p99_us", "max_us"} {
			if _, ok := p[k]; !ok {
				t.Errorf("series point has no %q: %v", k, p)
			}
		}
		sum += p["requests"]
	}
	if int64(sum) > rep.Totals["requests"] || int64(sum) < rep.Totals["requests"]/2 {
		t.Errorf("series sum %v, totals %d", sum, rep.Totals["requests"])
	}

	// The chart of the same report is well-formed XML with an svg root,
	// and needs nothing from outside the file.
	var svg bytes.Buffer
	if err := writeChart(&svg, newReport(&c, res)); err != nil {
		t.Fatal(err)
	}
	checkSVG(t, svg.Bytes())
	// An empty report (nothing measured) still draws.
	svg.Reset()
	empty := newReport(&c, &Result{Hist: newHist()})
	if err := writeChart(&svg, empty); err != nil {
		t.Fatal(err)
	}
	checkSVG(t, svg.Bytes())
}

func checkSVG(t *testing.T, b []byte) {
	t.Helper()
	d := xml.NewDecoder(bytes.NewReader(b))
	d.Strict = true
	root, lines := "", 0
	for {
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("SVG is not well-formed: %v\n%s", err, b)
		}
		if se, ok := tok.(xml.StartElement); ok {
			if root == "" {
				root = se.Name.Local
				if se.Name.Space != "http://www.w3.org/2000/svg" {
					t.Errorf("root namespace %q", se.Name.Space)
				}
			}
			if se.Name.Local == "polyline" {
				lines++
			}
			for _, a := range se.Attr {
				if a.Name.Local == "href" || strings.Contains(a.Value, "url(") {
					t.Errorf("external reference: %v", a)
				}
			}
			if se.Name.Local == "script" || se.Name.Local == "image" {
				t.Errorf("<%s> in the chart", se.Name.Local)
			}
		}
	}
	if root != "svg" {
		t.Errorf("root element %q", root)
	}
	t.Logf("%d bytes, %d lines", len(b), lines)
}

func TestCreateMachines(t *testing.T) {
	var mu sync.Mutex
	var calls []string
	addr := startServer(t, func(ctx *fasthttp.RequestCtx) {
		mu.Lock()
		defer mu.Unlock()
		action := string(ctx.Request.Header.Peek("X-Amz-Target"))
		calls = append(calls, string(ctx.Method())+" "+string(ctx.RequestURI())+" "+action)
		switch {
		case strings.HasSuffix(action, "CreateStateMachine"):
			var req map[string]string
			_ = json.Unmarshal(ctx.PostBody(), &req)
			if req["type"] != "EXPRESS" || req["definition"] != `{"StartAt":"A"}` || req["name"] != "tiny" {
				ctx.Error("bad request "+string(ctx.PostBody()), 400)
				return
			}
			ctx.SetStatusCode(400)
			ctx.SetBodyString(`{"__type":"com.amazonaws.swf.base.model#StateMachineAlreadyExists"}`)
		case ctx.IsPut():
			ctx.SetStatusCode(201)
		}
	})
	asl := t.TempDir() + "/tiny.asl.json"
	if err := os.WriteFile(asl, []byte(`{"StartAt":"A"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	c := testConfig(addr)
	c.Machines[0].Create = asl
	if err := createMachines(&c); err != nil {
		t.Fatal(err)
	}
	c.API = APIREST
	if err := createMachines(&c); err != nil {
		t.Fatal(err)
	}
	want := "POST / AWSStepFunctions.CreateStateMachine|POST / AWSStepFunctions.UpdateStateMachine|PUT /v1/state-machines/tiny?type=EXPRESS "
	if got := strings.Join(calls, "|"); got != want {
		t.Errorf("calls\n%s\nwant\n%s", got, want)
	}
}
