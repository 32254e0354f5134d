package daemon

import (
	"net"
	"testing"

	"github.com/valyala/fasthttp"
)

// startFastLambda serves the Lambda Invoke API on loopback with a fasthttp
// identity function, so that the benchmark measures stepd rather than the
// stub (a net/http stub costs more than stepd itself).
func startFastLambda(b *testing.B) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	srv := &fasthttp.Server{NoDefaultDate: true, NoDefaultContentType: true, Handler: func(ctx *fasthttp.RequestCtx) {
		ctx.Response.Header.Set("X-Amz-Executed-Version", "$LATEST")
		ctx.Response.Header.SetContentType("application/json")
		ctx.SetBody(ctx.PostBody())
	}}
	go func() { _ = srv.Serve(ln) }()
	b.Cleanup(func() { _ = srv.Shutdown() })
	return "http://" + ln.Addr().String()
}

// BenchmarkLambdaTask measures StartSyncExecution of a one-Task machine
// whose Lambda function is served on loopback: the full request path plus
// one Lambda Invoke round trip. BenchmarkLambdaEndpoint measures the bare
// round trip to the same endpoint with the same client; the difference is
// stepd's overhead per call.
func BenchmarkLambdaTask(b *testing.B) {
	for _, c := range []struct{ name, resource string }{
		{"function-arn", `"Resource":"arn:aws:lambda:us-east-1:123456789012:function:echo"`},
		{"lambda-invoke", `"Resource":"arn:aws:states:::lambda:invoke","Parameters":{"FunctionName":"echo","Payload.$":"$"}`},
	} {
		b.Run(c.name, func(b *testing.B) {
			cfg := DefaultConfig()
			cfg.LambdaEndpoint = startFastLambda(b)
			def := `{"StartAt":"T","States":{"T":{"Type":"Task",` + c.resource + `,"End":true}}}`
			benchStartSync(b, cfg, "lambda", def, `{"order":{"id":"o-1","total":150}}`)
		})
	}
}

func BenchmarkLambdaEndpoint(b *testing.B) {
	url := startFastLambda(b) + "/2015-03-31/functions/echo/invocations"
	l := newLambdaInvoker(LambdaConfig{}, identity{region: "us-east-1", account: "123456789012"})
	payload := []byte(`{"order":{"id":"o-1","total":150}}`)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		req := fasthttp.AcquireRequest()
		resp := fasthttp.AcquireResponse()
		req.SetRequestURI(url)
		req.Header.SetMethod("POST")
		req.SetBodyRaw(payload)
		if err := l.client.Do(req, resp); err != nil || resp.StatusCode() != 200 {
			b.Fatal(err)
		}
		fasthttp.ReleaseRequest(req)
		fasthttp.ReleaseResponse(resp)
	}
}
