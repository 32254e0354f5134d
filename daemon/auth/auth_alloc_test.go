//go:build !race

package auth

import (
	"testing"
	"time"

	"github.com/valyala/fasthttp"
)

// TestVerifySigV4Allocs pins the verification of a valid signature, and of
// a bearer token, at zero allocations.
func TestVerifySigV4Allocs(t *testing.T) {
	now := time.Date(2026, 11, 21, 8, 30, 0, 0, time.UTC)
	a := testAuth(t, now)
	req := signedRequest(t, "AKIDADMIN", "admin-secret", "us-east-1", "states", now, `{"a":1}`, nil)
	var signed, bearer fasthttp.RequestCtx
	req.CopyTo(&signed.Request)
	bearer.Request.Header.Set("Authorization", "Bearer console-token-0123456789")
	for name, ctx := range map[string]*fasthttp.RequestCtx{"sigv4": &signed, "bearer": &bearer} {
		if n := testing.AllocsPerRun(100, func() {
			if _, aerr := a.authenticate(ctx); aerr != nil {
				t.Fatal(aerr)
			}
		}); n != 0 {
			t.Errorf("%s: %v allocations per verification, want 0", name, n)
		}
	}
}
