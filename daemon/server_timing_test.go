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

// BenchmarkStartSyncExecution measures the whole request path of a
// StartSyncExecution of the tiny reference machine (routing, decoding,
// executing, encoding), without the network, which bench/http.sh measures.
func BenchmarkStartSyncExecution(b *testing.B) {
	cfg := DefaultConfig()
	cfg.DataDir = b.TempDir()
	srv, err := newServer(context.Background(), cfg, log.New(io.Discard, "", 0))
	if err != nil {
		b.Fatal(err)
	}
	def, err := os.ReadFile(filepath.Join("..", "..", "shared", "bench", "machines", "tiny.asl.json"))
	if err != nil {
		b.Skip(err)
	}
	create, _ := encode(nil, map[string]string{"name": "tiny", "type": "EXPRESS", "roleArn": "arn:aws:iam::123456789012:role/r", "definition": string(def)})
	if _, aerr := srv.createStateMachine(create, nil); aerr != nil {
		b.Fatal(aerr)
	}
	body := []byte(`{"stateMachineArn":"arn:aws:states:us-east-1:123456789012:stateMachine:tiny","input":"{\"order\":{\"id\":\"o-1\",\"total\":150,\"items\":3},\"noise\":{\"a\":1,\"b\":[1,2,3]}}"}`)
	var ctx fasthttp.RequestCtx
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		ctx.Request.Reset()
		ctx.Response.Reset()
		ctx.Request.Header.SetMethod("POST")
		ctx.Request.SetRequestURI("/")
		ctx.Request.Header.SetContentType("application/x-amz-json-1.0")
		ctx.Request.Header.Set("X-Amz-Target", "AWSStepFunctions.StartSyncExecution")
		ctx.Request.SetBody(body)
		srv.handle(&ctx)
		if ctx.Response.StatusCode() != 200 {
			b.Fatalf("status %d: %s", ctx.Response.StatusCode(), ctx.Response.Body())
		}
	}
}
