package jsonata

import (
	"errors"
	"testing"
)

var fuzzSeeds = []string{
	`a.b.c`, `$sum(items.(price*qty))`, `Account.Order[0].Product.Price`,
	`{ "id": order.id, "names": customers[tier="gold"].name }`,
	`$map([1..5], function($v, $i){ $v * $i })`, `**.x[%.y = 1]`,
	`a@$x#$i.b[$x.c > $i]{$string($i): $x}`, `$f := λ($n){ $n < 2 ? 1 : $n * $f($n-1) }; $f(10)`,
	`| a | {"b": 1}, ["c"] |`, `$replace("abc", /b+/i, "$0$0")`, `x ~> $uppercase ~> $trim`,
	`$reduce([1,2,3], function($a,$b){$a+$b}, 0)`, `/* c */ a ? b : c`, `$substring("héllo", -3, 2)`,
	`(a; b; $c := 1)`, `$sort(x, function($l, $r){ $l > $r })`, `[1,2,[3,4]][1]`,
	`items^(>price, name)`, `$string(1e21) & $formatBase(255, 16)`, `%.%`, "`a b`.c",
	`$merge([order, {"n": $string(x), "k": [items.name, a.b[2].c]}])`, `x[1] > 1 and (s = "héllo" or $not(order.id < "a"))`,
	`"id: " & order.id & items[-1].price * 2`, `$exists(a.b) ? [a.b, x] : {"z": null}`,
}

// FuzzCompile checks that parsing arbitrary text never panics and only
// fails with *Error.
func FuzzCompile(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		_, err := Compile(src)
		var je *Error
		if err != nil && !errors.As(err, &je) {
			t.Fatalf("Compile(%q) returned a non-*Error: %v", src, err)
		}
	})
}

// fuzzDoc is the fixed input for FuzzEval.
const fuzzDoc = `{"a":{"b":[1,2,{"c":"x"}]},"items":[{"price":2,"qty":3,"name":"p"},{"price":5,"qty":1,"name":"q"}],
"order":{"id":"o1"},"customers":[{"tier":"gold","name":"ann"},{"tier":"std","name":"bob"}],"x":[3,1,2],"s":"héllo"}`

// FuzzEval compiles and evaluates arbitrary expressions against a small
// document with tight step, depth, time and memory budgets: it must never panic
// or hang, and raw evaluation, where it takes the expression, must give
// what Eval gives.
func FuzzEval(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s)
	}
	doc, err := ParseJSON([]byte(fuzzDoc))
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, src string) {
		e, err := Compile(src)
		if err != nil {
			return
		}
		opts := &Options{MaxSteps: 20000, MaxDepth: 200, Timeout: 200e6, MaxBytes: 1 << 20}
		v, err := e.Eval(doc, opts)
		var je *Error
		if err != nil && !errors.As(err, &je) {
			t.Fatalf("Eval(%q) returned a non-*Error: %v", src, err)
		}
		if err == nil && v != nil {
			_ = AppendJSON(nil, v)
		}
		checkRaw(t, src, e, nil, doc, nil, opts)
	})
}

// FuzzCanonical checks RawEval.Canonical against its definition: b is
// canonical exactly when AppendJSON writes b back for what ParseJSON
// reads from it.
func FuzzCanonical(f *testing.F) {
	for _, s := range []string{`{"a":[1,2.5,{"b":null}],"c":"x\"y\u0001"}`, `{"a":1,"a":2}`, `1e21`, `-0`, `"\/"`, `[1,]`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var ev RawEval
		got := ev.Canonical(b)
		v, err := ParseJSON(b)
		if want := err == nil && string(AppendJSON(nil, v)) == string(b); got != want {
			t.Fatalf("Canonical(%q) = %v, want %v", b, got, want)
		}
	})
}
