package fastpath

import "testing"

// pathBenchInput is a state input of a realistic shape for path and
// template benchmarks.
const pathBenchInput = `{"customer":{"id":"c-42","name":"Ada","tier":"gold"},"order":{"id":"o-1001","total":250.5,"items":[{"sku":"A1","qty":2},{"sku":"B2","qty":1},{"sku":"C3","qty":7}]},"flags":{"express":true}}`

var pathBenchCases = []string{"$.customer.id", "$.order.items[1].sku", "$.order.items[*].sku", "$.order.items[?(@.qty > 1)]", "$..sku"}

var valueSink []byte

// BenchmarkPath evaluates compiled paths over a state input.
func BenchmarkPath(b *testing.B) {
	input := mustCompact(b, pathBenchInput)
	for _, text := range pathBenchCases {
		p, err := ParsePath(text)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(text, func(b *testing.B) {
			dst := make([]byte, 0, 1024)
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				valueSink, dst = p.Eval(dst[:0], input)
			}
		})
	}
}

// templateBenchText is a Parameters block with literals, paths and a call.
const templateBenchText = `{"customerId.$":"$.customer.id","skus.$":"$.order.items[*].sku","greeting.$":"States.Format('Hello {}, order {}',$.customer.name,$.order.id)","source":"api","nested":{"tier.$":"$.customer.tier","fixed":[1,2,3]}}`

// BenchmarkTemplate evaluates a compiled Parameters template.
func BenchmarkTemplate(b *testing.B) {
	t, err := NewTemplate(mustCompact(b, templateBenchText))
	if err != nil {
		b.Fatal(err)
	}
	r := &inputResolver{mustCompact(b, pathBenchInput)}
	dst := make([]byte, 0, 1024)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		var err error
		if valueSink, dst, err = t.Eval(dst[:0], r); err != nil {
			b.Fatal(err)
		}
	}
}
