package jsonata

import "testing"

// TestFormatNumber pins JavaScript's Number.prototype.toString forms.
func TestFormatNumber(t *testing.T) {
	for _, tc := range []struct {
		in   float64
		want string
	}{
		{0, "0"}, {1, "1"}, {-1, "-1"}, {1.5, "1.5"}, {0.1, "0.1"},
		{100, "100"}, {1e20, "100000000000000000000"}, {1e21, "1e+21"},
		{1.5e21, "1.5e+21"}, {1e-6, "0.000001"}, {1e-7, "1e-7"},
		{1.25e-7, "1.25e-7"}, {123456789.123, "123456789.123"},
		{9.33262154439441e+155, "9.33262154439441e+155"}, {-2.5e-10, "-2.5e-10"},
	} {
		if got := formatNum(tc.in); got != tc.want {
			t.Errorf("formatNum(%v) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// TestJSONRoundTrip checks that parse+serialise keeps key order and
// compacts numbers and strings as JSON.stringify does.
func TestJSONRoundTrip(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{`{"b":1,"a":[1.0,2e2,-0.5],"c":null}`, `{"b":1,"a":[1,200,-0.5],"c":null}`},
		{` [ true , false ] `, `[true,false]`},
		{`"a\u00e9\n\"\/"`, `"aé\n\"/"`},
		{`"\ud83d\ude00"`, `"😀"`},
		{`{}`, `{}`},
		{`[]`, `[]`},
	} {
		v, err := ParseJSON([]byte(tc.in))
		if err != nil {
			t.Errorf("ParseJSON(%s): %v", tc.in, err)
			continue
		}
		if got := string(AppendJSON(nil, v)); got != tc.want {
			t.Errorf("round trip of %s = %s, want %s", tc.in, got, tc.want)
		}
	}
	for _, bad := range []string{``, `{`, `[1,]`, `{"a"}`, `tru`, `01x`, `"abc`, `1 2`} {
		if _, err := ParseJSON([]byte(bad)); err == nil {
			t.Errorf("ParseJSON(%q) succeeded, want an error", bad)
		}
	}
}

// TestStringFunction pins $string's number and JSON forms.
func TestStringFunction(t *testing.T) {
	for _, tc := range []struct{ expr, want string }{
		{`$string(1/3)`, `"0.333333333333333"`},
		{`$string({"a":[1,2.5,"x"]})`, `"{\"a\":[1,2.5,\"x\"]}"`},
		{`$string(1e21)`, `"1e+21"`},
		{`$string({"a":1}, true)`, `"{\n  \"a\": 1\n}"`},
	} {
		e, err := Compile(tc.expr)
		if err != nil {
			t.Fatal(err)
		}
		v, err := e.Eval(nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		if got := string(AppendJSON(nil, v)); got != tc.want {
			t.Errorf("%s = %s, want %s", tc.expr, got, tc.want)
		}
	}
}
