package daemon

import (
	"testing"
	"time"

	"github.com/valyala/fasthttp"
)

var principalSink *principal

// BenchmarkVerifySigV4 is the cost auth adds to each signed AWS request:
// parse the Authorization header, hash the body, build and hash the
// canonical request, one HMAC (the signing key is cached per day).
func BenchmarkVerifySigV4(b *testing.B) {
	now := time.Date(2026, 11, 21, 8, 30, 0, 0, time.UTC)
	a := testAuth(b, now)
	req := signedRequest(b, "AKIDADMIN", "admin-secret", "us-east-1", "states", now, `{"stateMachineArn":"arn:aws:states:us-east-1:123456789012:stateMachine:tiny","input":"{\"a\":1}"}`, nil)
	var ctx fasthttp.RequestCtx
	req.CopyTo(&ctx.Request)
	b.ReportAllocs()
	for b.Loop() {
		p, aerr := a.authenticate(&ctx)
		if aerr != nil {
			b.Fatal(aerr)
		}
		principalSink = p
	}
}

// BenchmarkVerifyBearer is the same for a bearer token: one SHA-256 and a
// map lookup.
func BenchmarkVerifyBearer(b *testing.B) {
	a := testAuth(b, time.Now())
	var ctx fasthttp.RequestCtx
	ctx.Request.Header.Set("Authorization", "Bearer console-token-0123456789")
	b.ReportAllocs()
	for b.Loop() {
		p, aerr := a.authenticate(&ctx)
		if aerr != nil {
			b.Fatal(aerr)
		}
		principalSink = p
	}
}
