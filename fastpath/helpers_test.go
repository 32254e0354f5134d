package fastpath

import "testing"

// mustCompact compacts test JSON, failing the test when it is invalid.
func mustCompact(t testing.TB, s string) []byte {
	t.Helper()
	b, err := Compact(nil, []byte(s), MaxDepth)
	if err != nil {
		t.Fatalf("bad test JSON %q: %v", s, err)
	}
	return b
}
