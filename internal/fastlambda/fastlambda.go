// Package fastlambda serves the AWS Lambda Invoke API on loopback with a
// fasthttp identity function, for benchmarks that must measure stepd
// rather than the stub (a net/http stub costs more than stepd itself). It
// is for tests only.
package fastlambda

import (
	"net"
	"testing"

	"github.com/valyala/fasthttp"
)

// Start serves the identity function until tb ends and returns its base
// URL.
func Start(tb testing.TB) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	srv := &fasthttp.Server{NoDefaultDate: true, NoDefaultContentType: true, Handler: func(ctx *fasthttp.RequestCtx) {
		ctx.Response.Header.Set("X-Amz-Executed-Version", "$LATEST")
		ctx.Response.Header.SetContentType("application/json")
		ctx.SetBody(ctx.PostBody())
	}}
	go func() { _ = srv.Serve(ln) }()
	tb.Cleanup(func() { _ = srv.Shutdown() })
	return "http://" + ln.Addr().String()
}
