//go:build !race

package fastpath

import "testing"

// TestIntrinsicZeroAllocs pins every function but ArrayUnique (which keeps a
// map of the elements seen) at zero allocations per Eval once the arena (dst)
// has grown.
func TestIntrinsicZeroAllocs(t *testing.T) {
	zero := map[string]bool{
		"Format": true, "StringToJson": true, "JsonToString": true, "Array": true, "ArrayPartition": true,
		"ArrayContains": true, "ArrayRange": true, "ArrayGetItem": true, "ArrayLength": true,
		"Base64Encode": true, "Base64Decode": true, "Hash": true, "MathRandom": true, "MathAdd": true,
		"StringSplit": true, "UUID": true, "JsonMerge": true,
	}
	for _, bc := range intrinsicBench {
		if !zero[bc.name] {
			continue
		}
		in, err := ParseIntrinsic(bc.expr)
		if err != nil {
			t.Fatal(err)
		}
		r := &testResolver{Input: mustCompact(t, bc.input)}
		dst := make([]byte, 0, 4096)
		if _, _, err := in.Eval(dst, r); err != nil {
			t.Fatal(err)
		}
		if n := testing.AllocsPerRun(100, func() {
			val, _, _ := in.Eval(dst[:0], r)
			benchSink = val
		}); n != 0 {
			t.Errorf("States.%s: %v allocations per Eval, want 0", bc.name, n)
		}
	}
}
