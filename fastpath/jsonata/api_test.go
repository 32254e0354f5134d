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
