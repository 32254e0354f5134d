package daemon

import (
	"context"
	"io"
	"log"
	"os"
	"path/filepath"
	"testing"

	"github.com/valyala/fasthttp"
)

// benchStartSync creates the EXPRESS machine name from def on a node
// configured by cfg and measures StartSyncExecution of it with input,
// through the node's whole request path (routing, decoding, executing,
// encoding) but without the network.
func benchStartSync(b *testing.B, cfg Config, name, def, input string) {
	srv, body := benchServer(b, cfg, name, def, input)
	var ctx fasthttp.RequestCtx
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		startSync(b, srv, &ctx, body) // history_timing_test.go
	}
}

// benchServer starts an in-process node with the EXPRESS machine def
// called name and returns it with the StartSyncExecution body for input.
func benchServer(b *testing.B, cfg Config, name, def, input string) (*server, []byte) {
	cfg.DataDir = b.TempDir()
	srv, err := newServer(context.Background(), inProcessCluster(cfg), log.New(io.Discard, "", 0))
	if err != nil {
		b.Fatal(err)
	}
	create, _ := encode(nil, map[string]string{"name": name, "type": "EXPRESS", "roleArn": "arn:aws:iam::123456789012:role/r", "definition": def})
	if _, aerr := srv.createStateMachine(create, nil); aerr != nil {
		b.Fatal(aerr)
	}
	body, _ := encode(nil, map[string]string{"stateMachineArn": srv.id.stateMachineArn(name), "input": input})
	return srv, body
}

// BenchmarkStartSyncExecution measures the request path for the tiny
// reference machine; bench/http.sh measures it with the network.
func BenchmarkStartSyncExecution(b *testing.B) {
	def, err := os.ReadFile(filepath.Join("..", "..", "shared", "bench", "machines", "tiny.asl.json"))
	if err != nil {
		b.Skip(err)
	}
	benchStartSync(b, DefaultConfig(), "tiny", string(def), `{"order":{"id":"o-1","total":150,"items":3},"noise":{"a":1,"b":[1,2,3]}}`)
}
