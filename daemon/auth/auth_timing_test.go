package auth

import (
	"testing"
	"time"

	"github.com/valyala/fasthttp"
)

var principalSink *principal

// BenchmarkVerify is the cost auth adds to each request: for SigV4, parse
// the Authorization header, hash the body, build and hash the canonical
// request, one HMAC (the signing key is cached per day); for a bearer
// token, one SHA-256 and a map lookup.
func BenchmarkVerify(b *testing.B) {
	now := time.Date(2026, 11, 21, 8, 30, 0, 0, time.UTC)
	a := testAuth(b, now)
	var signed, bearer fasthttp.RequestCtx
	signedRequest(b, "AKIDADMIN", "admin-secret", "us-east-1", "states", now, `{"stateMachineArn":"arn:aws:states:us-east-1:123456789012:stateMachine:tiny","input":"{\"a\":1}"}`, nil).CopyTo(&signed.Request)
	bearer.Request.Header.Set("Authorization", "Bearer console-token-0123456789")
	for _, bc := range []struct {
		name string
		ctx  *fasthttp.RequestCtx
	}{{"SigV4", &signed}, {"Bearer", &bearer}} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				p, aerr := a.authenticate(bc.ctx)
				if aerr != nil {
					b.Fatal(aerr)
				}
				principalSink = p
			}
		})
	}
}
