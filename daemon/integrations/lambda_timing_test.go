package integrations

import (
	"testing"

	"github.com/valyala/fasthttp"

	"github.com/stepd/stepd/internal/fastlambda"
)

// BenchmarkLambdaEndpoint measures the bare Lambda Invoke round trip with
// the Lambda integration's client; daemon's BenchmarkLambdaTask adds the
// full request path, so the difference is stepd's overhead per call.
func BenchmarkLambdaEndpoint(b *testing.B) {
	url := fastlambda.Start(b) + "/2015-03-31/functions/echo/invocations"
	l := newLambdaInvoker(LambdaConfig{}, "us-east-1", "123456789012")
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
