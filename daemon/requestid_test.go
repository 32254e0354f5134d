package daemon

import (
	"regexp"
	"testing"
)

var uuidV4 = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

// TestRequestIDShape: request ids are version 4 UUIDs, as AWS's are, and
// differ.
func TestRequestIDShape(t *testing.T) {
	seen := map[string]bool{}
	for range 1000 {
		id := string(appendRequestID(nil))
		if !uuidV4.MatchString(id) || seen[id] {
			t.Fatalf("request id %q: not a new version 4 UUID", id)
		}
		seen[id] = true
	}
}

var requestIDSink []byte

func BenchmarkAppendRequestID(b *testing.B) {
	b.ReportAllocs()
	buf := make([]byte, 0, 36)
	for b.Loop() {
		requestIDSink = appendRequestID(buf[:0])
	}
}
