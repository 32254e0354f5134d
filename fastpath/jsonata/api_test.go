package jsonata

import (
	"errors"
	"strings"
	"testing"
)

// TestRegistryAndBindings shows how the VM calls the package: $states as
// a binding and a host function registered with a signature.
func TestRegistryAndBindings(t *testing.T) {
	reg, err := NewRegistry(map[string]Function{
		"double": {Signature: "<n:n>", Impl: func(args []any) (any, error) { return args[0].(float64) * 2, nil }},
		"fail":   {Impl: func(args []any) (any, error) { return nil, errors.New("boom") }},
	})
	if err != nil {
		t.Fatal(err)
	}
	states, _ := ParseJSON([]byte(`{"input":{"n":21}}`))
	opts := &Options{Bindings: map[string]any{"states": states}, Functions: reg}
	for _, tc := range []struct{ expr, want, code string }{
		{`$double($states.input.n)`, `42`, ""},
		{`$states.input ~> $keys()`, `"n"`, ""},
		{`$double("x")`, ``, "T0410"},
		{`$fail()`, ``, "D3137"},
		{`$sum([1,2])`, `3`, ""},
	} {
		e, err := Compile(tc.expr)
		if err != nil {
			t.Fatal(err)
		}
		v, err := e.Eval(nil, opts)
		if tc.code != "" {
			var je *Error
			if !errors.As(err, &je) || je.Code != tc.code {
				t.Errorf("%s: err %v, want %s", tc.expr, err, tc.code)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", tc.expr, err)
			continue
		}
		if got := string(AppendJSON(nil, v)); got != tc.want {
			t.Errorf("%s = %s, want %s", tc.expr, got, tc.want)
		}
	}
}

// TestLimits checks that runaway expressions stop with U1001/U1002.
func TestLimits(t *testing.T) {
	for _, tc := range []struct {
		expr string
		opts Options
		code string
	}{
		{`($f := function($n){ $n + $f($n) }; $f(1))`, Options{}, "U1001"},
		{`($f := function($n){ $f($n) }; $f(1))`, Options{MaxSteps: 100000}, "U1002"},
		{`($f := function($n){ $f($n) }; $f(1))`, Options{Timeout: 50e6}, "U1001"},
	} {
		e, err := Compile(tc.expr)
		if err != nil {
			t.Fatal(err)
		}
		_, err = e.Eval(nil, &tc.opts)
		var je *Error
		if !errors.As(err, &je) || je.Code != tc.code {
			t.Errorf("%s: err %v, want %s", tc.expr, err, tc.code)
		}
	}
}

// TestEvalJSON checks the bytes-in, bytes-out helper.
func TestEvalJSON(t *testing.T) {
	e, err := Compile(`{"b": a.b, "z": missing}`)
	if err != nil {
		t.Fatal(err)
	}
	out, ok, err := e.EvalJSON(nil, []byte(`{"a":{"b":[1,2]}}`), nil)
	if err != nil || !ok || string(out) != `{"b":[1,2]}` {
		t.Fatalf("EvalJSON = %s %v %v", out, ok, err)
	}
	_, ok, err = e.EvalJSON(nil, []byte(`{`), nil)
	if err == nil || ok || !strings.Contains(err.Error(), "offset") {
		t.Fatalf("EvalJSON on bad input: %v", err)
	}
}

func TestFreeRefs(t *testing.T) {
	for src, want := range map[string]string{
		`($x := 1; $f := function($a){$a + $y}; $$ + $ + $g(1) + $x)`: "y g()",
		`a.b@$o#$i[$i > $k].$o`:                    "k",
		`$states.input ~> $map($string) ~> $sum()`: "states map() string sum()",
		`$string($v) & $string`:                    "string v",
		`$sort(x, function($l, $r){$l > $r})`:      "sort()",
	} {
		e, err := Compile(src)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, r := range e.FreeRefs() {
			s := r.Name
			if r.Call {
				s += "()"
			}
			got = append(got, s)
		}
		if g := strings.Join(got, " "); g != want {
			t.Errorf("FreeRefs(%q) = %q, want %q", src, g, want)
		}
	}
}

func TestSyntaxErrorText(t *testing.T) {
	for src, want := range map[string]string{
		`a[1,2)`:           `Expected "]", got ","`,
		`"unterminated`:    `String literal must be terminated by a matching quote`,
		`1 +`:              `Unexpected end of expression`,
		`{"a":}`:           `The symbol "}" cannot be used as a unary operator`,
		`$x :=`:            `Unexpected end of expression`,
		`$match("a", /abc`: `No terminating / in regular expression`,
	} {
		_, err := Compile(src)
		je, ok := err.(*Error)
		if !ok {
			t.Fatalf("Compile(%q) = %v, want a syntax error", src, err)
		}
		if got := je.Text(); got != want {
			t.Errorf("Compile(%q): %s, want %q", src, got, want)
		}
	}
}

// TestReturnedFunctionOutlivesFrame checks that a function returned by
// one evaluation keeps its environment while later evaluations reuse
// evaluation frames: each function reads $y, a variable of the
// evaluation that made it.
func TestReturnedFunctionOutlivesFrame(t *testing.T) {
	for _, tc := range []struct{ make, call, want string }{
		{`function($x){ $x + $y }`, `$f(1)`, `6`},
		{`| $ | {"v": $y} |`, `$f({"v": 1}) ~> $string`, `"{\"v\":5}"`},
	} {
		makeFn, err := Compile(tc.make)
		if err != nil {
			t.Fatal(err)
		}
		fn, err := makeFn.Eval(Null{}, &Options{Vars: []Var{{Name: "y", Value: 5.0}}})
		if err != nil || !IsFunction(fn) {
			t.Fatalf("%s: %v, %v", tc.make, fn, err)
		}
		other, err := Compile(`($z := 100; $z + $)`)
		if err != nil {
			t.Fatal(err)
		}
		for range 100 {
			if _, err := other.Eval(1.0, nil); err != nil {
				t.Fatal(err)
			}
		}
		call, err := Compile(tc.call)
		if err != nil {
			t.Fatal(err)
		}
		v, err := call.Eval(nil, &Options{Vars: []Var{{Name: "f", Value: fn}}})
		if err != nil {
			t.Fatal(err)
		}
		if got := string(AppendJSON(nil, v)); got != tc.want {
			t.Errorf("%s: got %s, want %s", tc.make, got, tc.want)
		}
	}
}
