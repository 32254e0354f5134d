package jsonata

import (
	"errors"
	"testing"
)

// TestMemoryBudget checks that each expression that can multiply its
// input fails with U1003 under Options.MaxBytes before taking the
// memory, and that the same expressions pass without the budget when
// small.
func TestMemoryBudget(t *testing.T) {
	for _, expr := range []string{
		`$pad("x", 100000000)`,
		`$pad("x", -1e300)`,
		`$sum([1..10000000])`,
		`$reduce([1..40], function($a, $b){$a & $a}, "xxxxxxxx")`,
		`$reduce([1..40], function($a, $b){$append($a, $a)}, [1])`,
		`$join([1..100000].$string(), $pad("", 10000, "-"))`,
		`$replace($pad("", 100000, "a"), "a", $pad("", 1000, "b"))`,
		`$replace($pad("", 100000, "a"), /a/, $pad("", 1000, "b"))`,
		`"a" & $pad("", 10000, "b") & $pad("", 1000000, "c") & $pad("", 100000000, "d")`,
		`$count($split($pad("", 3000000, "a"), ""))`,
		`$count([1..2000].([1..2000]))`,
		`($a := [1..300]; $count($a.($a).($a)))`,
	} {
		e, err := Compile(expr)
		if err != nil {
			t.Fatalf("%s: %v", expr, err)
		}
		_, err = e.Eval(nil, &Options{MaxBytes: 16 << 20})
		var je *Error
		if !errors.As(err, &je) || je.Code != "U1003" {
			t.Errorf("%s: %v, want U1003", expr, err)
		}
	}
	for _, expr := range []string{`$pad("x", 1000)`, `$sum([1..1000])`, `$join(["a","b"], ",")`, `$replace("aaa", "a", "bb")`, `"a" & "b"`} {
		e, err := Compile(expr)
		if err != nil {
			t.Fatalf("%s: %v", expr, err)
		}
		if _, err := e.Eval(nil, &Options{MaxBytes: 16 << 20}); err != nil {
			t.Errorf("%s: %v under a 16 MiB budget", expr, err)
		}
	}
}
