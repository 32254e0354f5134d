package fastpath

import "testing"

// choiceSink keeps benchmark results alive so the work is not optimized away.
var choiceSink bool

// choiceBenchInput is a typical state input: a few fields of each type.
const choiceBenchInput = `{"order":{"id":"A-1042","status":"SHIPPED","total":129.95,"items":[{"sku":"x","qty":2},{"sku":"y","qty":1}],` +
	`"express":true,"note":null,"placed":"2024-05-01T12:30:45.123+02:00","limit":100},"file":"log-2024-05-01.txt"}`

// choiceBenchRules is one representative rule per operator family, shared by
// the benchmarks and the allocation test.
func choiceBenchRules(t testing.TB) []struct {
	name string
	rule *ChoiceRule
} {
	return []struct {
		name string
		rule *ChoiceRule
	}{
		{"StringEquals", mustComparison(t, "$.order.status", "StringEquals", `"SHIPPED"`)},
		{"StringLessThan", mustComparison(t, "$.order.id", "StringLessThan", `"A-2000"`)},
		{"StringMatches", mustComparison(t, "$.file", "StringMatches", `"log-*-01.txt"`)},
		{"Numeric", mustComparison(t, "$.order.total", "NumericGreaterThanEquals", `100`)},
		{"NumericPath", mustComparison(t, "$.order.total", "NumericGreaterThanPath", `"$.order.limit"`)},
		{"Boolean", mustComparison(t, "$.order.express", "BooleanEquals", `true`)},
		{"Timestamp", mustComparison(t, "$.order.placed", "TimestampLessThan", `"2024-06-01T00:00:00Z"`)},
		{"IsTimestamp", mustComparison(t, "$.order.placed", "IsTimestamp", `true`)},
		{"IsNull", mustComparison(t, "$.order.note", "IsNull", `true`)},
		{"IsPresent", mustComparison(t, "$.order.coupon", "IsPresent", `false`)},
		{"Indefinite", mustComparison(t, "$.order.items[*].sku", "IsPresent", `true`)},
		{"AndOrNot", NewAnd([]*ChoiceRule{
			mustComparison(t, "$.order.status", "StringEquals", `"SHIPPED"`),
			NewOr([]*ChoiceRule{
				mustComparison(t, "$.order.total", "NumericLessThan", `50`),
				NewNot(mustComparison(t, "$.order.express", "BooleanEquals", `false`)),
			}),
		})},
		{"MissingVariable", mustComparison(t, "$.order.coupon", "StringEquals", `"X"`)},
	}
}

func BenchmarkChoice(b *testing.B) {
	res := &inputResolver{mustCompact(b, choiceBenchInput)}
	for _, bc := range choiceBenchRules(b) {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			scratch := make([]byte, 0, 256)
			for b.Loop() {
				ok, out, _ := bc.rule.Eval(res, scratch[:0])
				choiceSink = ok
				scratch = out
			}
		})
	}
}

func BenchmarkParseTimestamp(b *testing.B) {
	ts := []byte("2024-05-01T12:30:45.123456789+02:00")
	b.ReportAllocs()
	b.SetBytes(int64(len(ts)))
	for b.Loop() {
		_, choiceSink = ParseTimestamp(ts)
	}
}
