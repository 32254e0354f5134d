package jsonata

import (
	"errors"
	"testing"
)

// TestCompileErrors pins the error code and position of syntax errors.
func TestCompileErrors(t *testing.T) {
	for _, tc := range []struct {
		src  string
		code string
		pos  int
	}{
		{`"abc`, "S0101", 4},
		{`1e1000`, "S0102", 0},
		{`"\q"`, "S0103", 2},
		{`"\u12"`, "S0104", 2},
		{"`abc", "S0105", 4},
		{`/* no end`, "S0106", 0},
		{`1 2`, "S0201", 3},
		{`(1; 2`, "S0203", 5},
		{`foo(1]`, "S0202", 6},
		{`1 ! 2`, "S0204", 3},
		{`1=`, "S0207", 2},
		{`function(a){1}`, "S0208", 10},
		{`)`, "S0211", 1},
		{`1 := 2`, "S0212", 1},
		{`a.1`, "S0213", 3},
		{`a@b`, "S0214", 3},
		{`a[0]@$x`, "S0215", 5},
		{`%`, "S0217", 1},
		{`//`, "S0301", 1},
		{`/abc`, "S0302", 4},
		{`function($a)<q<n>>{1}`, "S0401", 15},
		{`a{"x":1}{"y":2}`, "S0210", 9},
	} {
		_, err := Compile(tc.src)
		var je *Error
		if !errors.As(err, &je) {
			t.Errorf("Compile(%q) = %v, want %s", tc.src, err, tc.code)
			continue
		}
		if je.Code != tc.code || je.Position != tc.pos {
			t.Errorf("Compile(%q) = %s at %d, want %s at %d", tc.src, je.Code, je.Position, tc.code, tc.pos)
		}
	}
}

// TestCompileShapes checks how the processor structures common forms.
func TestCompileShapes(t *testing.T) {
	for _, tc := range []struct {
		src   string
		typ   nodeType
		steps int
	}{
		{`a.b.c`, ntPath, 3},
		{`a[0].b`, ntPath, 2},
		{`$x.y`, ntPath, 2},
		{`Account.Order^(Price)`, ntPath, 3},
		{`[1,2,3]`, ntUnary, 0},
		{`$f := function($x){$x*2}`, ntBind, 0},
		{`x ~> $uppercase()`, ntApply, 0},
		{`a ? b : c`, ntCondition, 0},
		{`| a | {"b":1} |`, ntTransform, 0},
		{`-5`, ntNumber, 0},
	} {
		e, err := Compile(tc.src)
		if err != nil {
			t.Errorf("Compile(%q): %v", tc.src, err)
			continue
		}
		if e.root.typ != tc.typ || len(e.root.steps) != tc.steps {
			t.Errorf("Compile(%q): type %d with %d steps, want %d with %d", tc.src, e.root.typ, len(e.root.steps), tc.typ, tc.steps)
		}
	}
}
