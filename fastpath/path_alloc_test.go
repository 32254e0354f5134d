//go:build !race

package fastpath

import "testing"

// TestPathAndTemplateAllocs pins the hot-path contract: evaluating a
// compiled path or template into a warm buffer allocates nothing.
func TestPathAndTemplateAllocs(t *testing.T) {
	input := mustCompact(t, pathBenchInput)
	for _, text := range pathBenchCases {
		p, err := ParsePath(text)
		if err != nil {
			t.Fatal(err)
		}
		dst := make([]byte, 0, 1024)
		if n := testing.AllocsPerRun(100, func() { valueSink, dst = p.Eval(dst[:0], input) }); n != 0 {
			t.Errorf("%s: %v allocations per Eval, want 0", text, n)
		}
	}
	tmpl, err := NewTemplate(mustCompact(t, templateBenchText))
	if err != nil {
		t.Fatal(err)
	}
	r := &inputResolver{input}
	dst := make([]byte, 0, 1024)
	if n := testing.AllocsPerRun(100, func() { valueSink, dst, _ = tmpl.Eval(dst[:0], r) }); n != 0 {
		t.Errorf("template: %v allocations per Eval, want 0", n)
	}
}
