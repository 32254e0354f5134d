//go:build !race

package jsonb

import "testing"

func TestLookupAllocs(t *testing.T) {
	obj := []byte(`{"a":1,"b\u0063":{"x":[1,2]},"d":"s\n"}`)
	buf := make([]byte, 0, 64)
	if n := testing.AllocsPerRun(100, func() {
		sink = ObjectGet(obj, "bc")
		buf = AppendUnquoted(buf[:0], ObjectGet(obj, "d"))
	}); n != 0 {
		t.Errorf("ObjectGet and AppendUnquoted allocate %v times, want 0", n)
	}
}
