package daemon

import (
	"context"
	"io"
	"log"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	json "github.com/goccy/go-json"
	"github.com/valyala/fasthttp"

	"github.com/stepd/stepd/daemon/history"
)

// BenchmarkStartSyncHistory measures StartSyncExecution of the tiny
// reference machine through the node's whole request path (as
// BenchmarkStartSyncExecution does) for three copies of the machine:
// logging OFF, ERROR, and ALL with execution data, interleaved in chunks
// of 256 requests on one goroutine. It reports each level's wall and CPU
// time per request and the throughput each costs against OFF.
func BenchmarkStartSyncHistory(b *testing.B) {
	def, err := os.ReadFile(filepath.Join("..", "..", "shared", "bench", "machines", "tiny.asl.json"))
	if err != nil {
		b.Skip(err)
	}
	cfg := DefaultConfig()
	cfg.DataDir = b.TempDir()
	srv, err := newServer(context.Background(), inProcessCluster(cfg), log.New(io.Discard, "", 0))
	if err != nil {
		b.Fatal(err)
	}
	defer srv.hist.Close()
	dest := []map[string]any{{"cloudWatchLogsLogGroup": map[string]string{"logGroupArn": "arn:aws:logs:us-east-1:123456789012:log-group:g:*"}}}
	levels := []struct {
		name    string
		logging map[string]any
	}{
		{"off", nil},
		{"error", map[string]any{"level": "ERROR", "destinations": dest}},
		{"all-data", map[string]any{"level": "ALL", "includeExecutionData": true, "destinations": dest}},
	}
	bodies := make([][]byte, len(levels))
	for i, lv := range levels {
		req := map[string]any{"name": "tiny-" + lv.name, "type": "EXPRESS", "roleArn": "arn:aws:iam::123456789012:role/r", "definition": string(def)}
		if lv.logging != nil {
			req["loggingConfiguration"] = lv.logging
		}
		create, _ := json.Marshal(req)
		if _, aerr := srv.createStateMachine(create, nil); aerr != nil {
			b.Fatal(aerr)
		}
		bodies[i], _ = json.Marshal(map[string]string{"stateMachineArn": srv.id.stateMachineArn("tiny-" + lv.name),
			"input": `{"order":{"id":"o-1","total":150,"items":3},"noise":{"a":1,"b":[1,2,3]}}`})
	}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	var ctx fasthttp.RequestCtx
	var wall, cpu [3]time.Duration
	var runs [3]int
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; {
		for v := range levels {
			n := min(256, b.N-i)
			t, c := time.Now(), history.ThreadCPU()
			for k := 0; k < n; k++ {
				startSync(b, srv, &ctx, bodies[v])
			}
			wall[v] += time.Since(t)
			cpu[v] += history.ThreadCPU() - c
			runs[v] += n
			i += n
		}
	}
	b.StopTimer()
	per := func(d [3]time.Duration, v int) float64 { return float64(d[v].Nanoseconds()) / float64(max(runs[v], 1)) }
	for v, lv := range levels {
		b.ReportMetric(per(wall, v), lv.name+"-ns/req")
		b.ReportMetric(per(cpu, v), lv.name+"-cpu-ns/req")
	}
	b.ReportMetric(100*(1-per(wall, 0)/per(wall, 2)), "all-cost-%")
	b.ReportMetric(100*(1-per(cpu, 0)/per(cpu, 2)), "all-cpu-cost-%")
	b.ReportMetric(100*(1-per(cpu, 0)/per(cpu, 1)), "error-cpu-cost-%")
}

// startSync sends one StartSyncExecution request with body through srv's
// handler, reusing ctx, and fails b unless it answers 200.
func startSync(b *testing.B, srv *server, ctx *fasthttp.RequestCtx, body []byte) {
	ctx.Request.Reset()
	ctx.Response.Reset()
	ctx.Request.Header.SetMethod("POST")
	ctx.Request.SetRequestURI("/")
	ctx.Request.Header.SetContentType("application/x-amz-json-1.0")
	ctx.Request.Header.Set("X-Amz-Target", "AWSStepFunctions.StartSyncExecution")
	ctx.Request.SetBody(body)
	srv.handle(ctx)
	if ctx.Response.StatusCode() != 200 {
		b.Fatalf("status %d: %s", ctx.Response.StatusCode(), ctx.Response.Body())
	}
}
