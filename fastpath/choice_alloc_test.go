//go:build !race

package fastpath

import "testing"

// TestChoiceEvalAllocs pins the hot-path contract: deciding a rule, its
// runtime error included, allocates nothing once scratch has grown.
func TestChoiceEvalAllocs(t *testing.T) {
	res := &inputResolver{mustCompact(t, choiceBenchInput)}
	for _, bc := range choiceBenchRules(t) {
		scratch := make([]byte, 0, 256)
		if n := testing.AllocsPerRun(100, func() {
			ok, out, _ := bc.rule.Eval(res, scratch[:0])
			choiceSink = ok
			scratch = out
		}); n != 0 {
			t.Errorf("%s: %v allocations per Eval, want 0", bc.name, n)
		}
	}
	escaped := []byte(`"2024-05-01T12:30:45\u002e123Z"`)
	if n := testing.AllocsPerRun(100, func() {
		_, choiceSink = jsonTimestamp(escaped)
	}); n != 0 {
		t.Errorf("escaped timestamp: %v allocations, want 0", n)
	}
}
