package jsonata

import "testing"

var rawSink []byte

// benchRawExprs are the expressions BenchmarkEval measures with Eval.
var benchRawExprs = []struct{ name, src string }{
	{"compare", `$states.input.order.total > 100`},
	{"construct", `{ "id": $states.input.order.id, "first": $states.input.customers[0].name }`},
	{"string", `"Order " & $states.input.order.id & " total " & $string($states.input.order.total)`},
	{"merge", `$merge([$states.input, {"summary": {"id": $states.input.order.id, "tiers": [$states.input.customers.tier]}}])`},
}

// BenchmarkRawEval measures raw evaluation of typical Step Functions
// expressions against benchDoc, $states given member by member as the VM
// gives it.
func BenchmarkRawEval(b *testing.B) {
	doc, err := ParseJSON([]byte(benchDoc))
	if err != nil {
		b.Fatal(err)
	}
	in := AppendJSON(nil, doc)
	vars := []RawVar{{Name: "states", Members: []RawVar{{Name: "input", JSON: in}}}}
	for _, bc := range benchRawExprs {
		e, err := Compile(bc.src)
		if err != nil {
			b.Fatal(err)
		}
		r := e.Raw(nil)
		if r == nil {
			b.Fatalf("%s: not raw", bc.src)
		}
		var ev RawEval
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				out, ok := r.AppendEval(rawSink[:0], &ev, in, vars)
				if !ok {
					b.Fatal("declined")
				}
				rawSink = out
			}
		})
	}
}

// BenchmarkCanonical measures the check a host makes once per input.
func BenchmarkCanonical(b *testing.B) {
	doc, err := ParseJSON([]byte(benchDoc))
	if err != nil {
		b.Fatal(err)
	}
	in := AppendJSON(nil, doc)
	var ev RawEval
	b.SetBytes(int64(len(in)))
	b.ReportAllocs()
	for b.Loop() {
		if !ev.Canonical(in) {
			b.Fatal("not canonical")
		}
	}
}
