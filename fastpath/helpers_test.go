package fastpath

import (
	"testing"

	"github.com/stepd/stepd/fastpath/jsonb"
)

// mustCompact compacts test JSON, failing the test when it is invalid.
func mustCompact(t testing.TB, s string) []byte {
	t.Helper()
	b, err := jsonb.Compact(nil, []byte(s), jsonb.MaxDepth)
	if err != nil {
		t.Fatalf("bad test JSON %q: %v", s, err)
	}
	return b
}
