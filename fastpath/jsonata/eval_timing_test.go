package jsonata

import "testing"

var benchSink any

const benchDoc = `{"order":{"id":"o-1","total":150,"items":[{"price":10,"qty":2},{"price":5.5,"qty":4},{"price":99,"qty":1}]},
"customers":[{"tier":"gold","name":"ann"},{"tier":"std","name":"bob"},{"tier":"gold","name":"cy"}]}`

// BenchmarkEval measures typical Step Functions expressions against a
// small document, $states bound as the VM binds it.
func BenchmarkEval(b *testing.B) {
	doc, err := ParseJSON([]byte(benchDoc))
	if err != nil {
		b.Fatal(err)
	}
	states := NewObject(1)
	states.Set("input", doc)
	for _, bc := range []struct{ name, src string }{
		{"compare", `$states.input.order.total > 100`},
		{"sum", `$sum($states.input.order.items.(price*qty))`},
		{"construct", `{ "id": $states.input.order.id, "names": $states.input.customers[tier="gold"].name }`},
		{"string", `"Order " & $states.input.order.id & " total " & $string($states.input.order.total)`},
	} {
		e, err := Compile(bc.src)
		if err != nil {
			b.Fatal(err)
		}
		opts := &Options{Bindings: map[string]any{"states": states}}
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				v, err := e.Eval(nil, opts)
				if err != nil {
					b.Fatal(err)
				}
				benchSink = v
			}
		})
	}
}

// BenchmarkCompile measures parsing a mid-sized expression.
func BenchmarkCompile(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		e, err := Compile(`{ "id": order.id, "names": customers[tier="gold"].name, "sum": $sum(items.(price*qty)) }`)
		if err != nil {
			b.Fatal(err)
		}
		benchSink = e
	}
}
