package fastpath

import (
	"errors"
	"strings"
	"testing"
)

// inputResolver resolves RootInput paths against one input document.
type inputResolver struct{ input []byte }

func (r inputResolver) Resolve(p *Path, dst []byte) (val, out []byte) {
	return p.Eval(dst, r.input)
}

func mustPath(t testing.TB, text string) *Path {
	t.Helper()
	p, err := ParsePath(text)
	if err != nil {
		t.Fatalf("ParsePath(%q): %v", text, err)
	}
	return p
}

func mustComparison(t testing.TB, variable, operator, value string) *ChoiceRule {
	t.Helper()
	r, err := NewComparison(mustPath(t, variable), operator, mustCompact(t, value))
	if err != nil {
		t.Fatalf("NewComparison(%s, %s, %s): %v", variable, operator, value, err)
	}
	return r
}

func TestChoiceComparisons(t *testing.T) {
	f := func(operator, value, input string, want bool) {
		t.Helper()
		r := mustComparison(t, "$.v", operator, value)
		got, _, err := r.Eval(inputResolver{mustCompact(t, input)}, nil)
		if err != nil {
			t.Fatalf("%s %s on %s: unexpected error %v", operator, value, input, err)
		}
		if got != want {
			t.Fatalf("%s %s on %s: got %v, want %v", operator, value, input, got, want)
		}
	}

	// Strings: Java compareTo order, escapes decoded, types strict.
	f("StringEquals", `"a\"b"`, `{"v":"a\u0022b"}`, true)
	f("StringEquals", `"é"`, `{"v":"\u00e9"}`, true)
	f("StringEquals", `"1"`, `{"v":1}`, false)
	f("StringLessThan", `"B"`, `{"v":"A"}`, true)
	f("StringLessThan", `"a"`, `{"v":"B"}`, true)
	f("StringGreaterThan", `"A"`, `{"v":"A "}`, true)
	f("StringLessThanEquals", `"A"`, `{"v":"A"}`, true)
	f("StringGreaterThanEquals", `"b"`, `{"v":"a"}`, false)
	// U+1F600 is the surrogate pair D83D DE00, below U+FFFD in UTF-16 order
	// although above it in code point (and UTF-8 byte) order.
	f("StringLessThan", `"\ufffd"`, `{"v":"😀"}`, true)
	f("StringGreaterThan", `"\ufffd"`, `{"v":"😀"}`, false)
	f("StringEquals", `"😀"`, `{"v":"\ud83d\ude00"}`, true)

	// StringMatches: only '*' is special; "\\*" is a literal '*'.
	f("StringMatches", `"log-*.txt"`, `{"v":"log-2024.txt"}`, true)
	f("StringMatches", `"log-*.txt"`, `{"v":"log-.txt"}`, true)
	f("StringMatches", `"log-*.txt"`, `{"v":"log-a.txt.gz"}`, false)
	f("StringMatches", `"*"`, `{"v":""}`, true)
	f("StringMatches", `""`, `{"v":""}`, true)
	f("StringMatches", `""`, `{"v":"a"}`, false)
	f("StringMatches", `"a*b*c"`, `{"v":"aXbYbZc"}`, true)
	f("StringMatches", `"a*b*c"`, `{"v":"aXbYbZ"}`, false)
	f("StringMatches", `"**a"`, `{"v":"bba"}`, true)
	f("StringMatches", `"foo*.*"`, `{"v":"foobar.zebra"}`, true)
	f("StringMatches", `"a\\*"`, `{"v":"a*"}`, true)
	f("StringMatches", `"a\\*"`, `{"v":"ab"}`, false)
	f("StringMatches", `"a\\\\*"`, `{"v":"a\\xyz"}`, true)
	f("StringMatches", `"a\\b"`, `{"v":"a\\b"}`, true)
	f("StringMatches", `"?"`, `{"v":"x"}`, false)
	f("StringMatches", `"h*"`, `{"v":["h"]}`, false)
	f("StringMatches", `"*😀"`, `{"v":"x😀"}`, true)

	// Numbers: by value, ints and floats alike.
	f("NumericEquals", `1`, `{"v":1.0}`, true)
	f("NumericEquals", `100`, `{"v":1e2}`, true)
	f("NumericEquals", `1`, `{"v":"1"}`, false)
	f("NumericEquals", `0`, `{"v":-0}`, true)
	f("NumericLessThan", `2.5`, `{"v":2.4999}`, true)
	f("NumericGreaterThan", `1e308`, `{"v":1e400}`, true)
	f("NumericGreaterThanEquals", `-1`, `{"v":-1}`, true)
	f("NumericLessThanEquals", `-1`, `{"v":true}`, false)

	// Booleans.
	f("BooleanEquals", `true`, `{"v":true}`, true)
	f("BooleanEquals", `false`, `{"v":true}`, false)
	f("BooleanEquals", `true`, `{"v":"true"}`, false)

	// Timestamps: offsets and fractions are instants, not text.
	f("TimestampEquals", `"2012-10-09T19:00:55Z"`, `{"v":"2012-10-09T20:00:55+01:00"}`, true)
	f("TimestampEquals", `"2012-10-09T19:00:55Z"`, `{"v":"2012-10-09T19:00:55.000Z"}`, true)
	f("TimestampLessThan", `"2012-10-09T19:00:55.5Z"`, `{"v":"2012-10-09T19:00:55.499999999Z"}`, true)
	f("TimestampGreaterThan", `"2012-10-09T19:00:55Z"`, `{"v":"2012-10-09T14:00:56-05:00"}`, true)
	f("TimestampGreaterThanEquals", `"2012-10-09T19:00:55Z"`, `{"v":"2012-10-09T19:00:55"}`, false)
	f("TimestampLessThanEquals", `"9999-12-31T23:59:59Z"`, `{"v":"0000-01-01T00:00:00Z"}`, true)
	f("TimestampEquals", `"2012-10-09T19:00:55Z"`, `{"v":"2012-10-09T19:00:55\u005a"}`, true)

	// Type tests.
	f("IsNull", `true`, `{"v":null}`, true)
	f("IsNull", `false`, `{"v":0}`, true)
	f("IsNumeric", `true`, `{"v":-1.5e3}`, true)
	f("IsString", `true`, `{"v":""}`, true)
	f("IsBoolean", `true`, `{"v":false}`, true)
	f("IsTimestamp", `true`, `{"v":"2016-03-14T01:59:00Z"}`, true)
	f("IsTimestamp", `true`, `{"v":"2016-03-14T01:59:00.123+05:30"}`, true)
	f("IsTimestamp", `true`, `{"v":"2016-03-14T01:59:00"}`, false)
	f("IsTimestamp", `true`, `{"v":"2016-02-30T01:59:00Z"}`, false)
	f("IsTimestamp", `false`, `{"v":1458000000}`, true)
	f("IsPresent", `true`, `{"v":null}`, true)
	f("IsPresent", `false`, `{"w":1}`, true)
	f("IsPresent", `true`, `{"w":1}`, false)

	// *Path operands: compared by type and value, never coerced.
	g := func(operator, input string, want bool) {
		t.Helper()
		r := mustComparison(t, "$.v", operator, `"$.w"`)
		got, _, err := r.Eval(inputResolver{mustCompact(t, input)}, nil)
		if err != nil || got != want {
			t.Fatalf("%s on %s: got %v, %v; want %v", operator, input, got, err, want)
		}
	}
	g("NumericEqualsPath", `{"v":1,"w":1.0}`, true)
	g("NumericEqualsPath", `{"v":1,"w":"1"}`, false)
	g("NumericLessThanPath", `{"v":"0","w":1}`, false)
	g("StringEqualsPath", `{"v":"a","w":"a"}`, true)
	g("StringLessThanPath", `{"v":"a","w":{"a":1}}`, false)
	g("BooleanEqualsPath", `{"v":false,"w":false}`, true)
	g("BooleanEqualsPath", `{"v":false,"w":0}`, false)
	g("TimestampEqualsPath", `{"v":"2012-10-09T19:00:55Z","w":"2012-10-09T21:00:55+02:00"}`, true)
	g("TimestampEqualsPath", `{"v":"2012-10-09T19:00:55Z","w":"yesterday"}`, false)
}

func TestChoiceRuntimeErrors(t *testing.T) {
	f := func(r *ChoiceRule, input, cause string) {
		t.Helper()
		ok, _, err := r.Eval(inputResolver{mustCompact(t, input)}, nil)
		var fail *Failure
		if !errors.As(err, &fail) {
			t.Fatalf("on %s: got %v, %v; want a *Failure", input, ok, err)
		}
		if fail.Name != ErrRuntime || fail.Cause != cause {
			t.Fatalf("on %s: got %s / %q; want %s / %q", input, fail.Name, fail.Cause, ErrRuntime, cause)
		}
	}
	missing := func(path string) string {
		return "Invalid path '" + path + "': The choice state's condition path references an invalid value."
	}
	f(mustComparison(t, "$.v", "StringEquals", `"x"`), `{}`, missing("$.v"))
	f(mustComparison(t, "$.v", "IsNull", `true`), `{}`, missing("$.v"))
	f(mustComparison(t, "$.v", "IsNull", `false`), `{}`, missing("$.v"))
	f(mustComparison(t, "$.a.b", "IsString", `false`), `{"a":1}`, missing("$.a.b"))
	f(mustComparison(t, "$.v", "NumericEqualsPath", `"$.w"`), `{"v":1}`, missing("$.w"))
	f(mustComparison(t, "$.v", "NumericEqualsPath", `"$.w"`), `{"w":1}`, missing("$.v"))
	f(NewNot(mustComparison(t, "$.v", "BooleanEquals", `true`)), `{}`, missing("$.v"))

	// And and Or stop early, so IsPresent can guard a comparison.
	guarded := NewAnd([]*ChoiceRule{
		mustComparison(t, "$.v", "IsPresent", `true`),
		mustComparison(t, "$.v", "StringEquals", `"x"`),
	})
	if ok, _, err := guarded.Eval(inputResolver{mustCompact(t, `{}`)}, nil); ok || err != nil {
		t.Fatalf("guarded And: got %v, %v; want false, nil", ok, err)
	}
	either := NewOr([]*ChoiceRule{
		mustComparison(t, "$.w", "IsPresent", `true`),
		mustComparison(t, "$.v", "StringEquals", `"x"`),
	})
	if ok, _, err := either.Eval(inputResolver{mustCompact(t, `{"w":0}`)}, nil); !ok || err != nil {
		t.Fatalf("short Or: got %v, %v; want true, nil", ok, err)
	}
	f(either, `{}`, missing("$.v"))
}

func TestChoiceIndefinitePaths(t *testing.T) {
	r := mustComparison(t, "$.items[*].n", "IsPresent", `true`)
	scratch := make([]byte, 0, 4)
	ok, scratch, err := r.Eval(inputResolver{mustCompact(t, `{"items":[{"n":1},{"n":2}]}`)}, scratch)
	if !ok || err != nil || string(scratch) != `[1,2]` {
		t.Fatalf("got %v, %q, %v", ok, scratch, err)
	}
	// Jayway always yields a list for an indefinite path, so it is present
	// even when it matched nothing.
	ok, _, err = r.Eval(inputResolver{mustCompact(t, `{}`)}, scratch[:0])
	if !ok || err != nil {
		t.Fatalf("empty match: got %v, %v", ok, err)
	}
}

func TestNewComparisonErrors(t *testing.T) {
	f := func(operator, value, want string) {
		t.Helper()
		_, err := NewComparison(mustPath(t, "$.v"), operator, mustCompact(t, value))
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Fatalf("NewComparison(%s, %s): got %v, want an error containing %q", operator, value, err, want)
		}
	}
	f("StringEquals", `1`, "must be a string, not a number")
	f("StringMatches", `null`, "must be a string, not null")
	f("NumericEquals", `"1"`, "must be a number, not a string")
	f("BooleanEquals", `"true"`, "must be a boolean, not a string")
	f("IsPresent", `1`, "must be a boolean, not a number")
	f("IsNull", `{}`, "must be a boolean, not an object")
	f("TimestampEquals", `"2016-13-05T21:29:29Z"`, "does not match RFC3339 timestamp")
	f("TimestampLessThan", `1`, "must be a string, not a number")
	f("StringEqualsPath", `"v"`, "must be a valid JSONPath")
	f("NumericEqualsPath", `1`, "must be a string holding a JSONPath, not a number")
	f("StringContains", `"x"`, `unknown Choice comparison operator "StringContains"`)
	if _, err := NewComparison(mustPath(t, "$.v"), "StringMatches", []byte(`"`)); err == nil {
		t.Fatal("NewComparison with malformed JSON: no error")
	}
	if _, err := NewComparison(nil, "IsNull", []byte("true")); err == nil {
		t.Fatal("NewComparison without a Variable: no error")
	}
}

func TestChoicePaths(t *testing.T) {
	a := mustComparison(t, "$.a", "NumericEqualsPath", `"$.b"`)
	c := mustComparison(t, "$.c", "IsNull", `true`)
	d := mustComparison(t, "$$.Execution.Id", "IsString", `true`)
	r := NewOr([]*ChoiceRule{NewAnd([]*ChoiceRule{a, NewNot(c)}), d})
	var got []string
	for _, p := range r.Paths() {
		got = append(got, p.Text)
	}
	if want := "$.a $.b $.c $$.Execution.Id"; strings.Join(got, " ") != want {
		t.Fatalf("Paths: got %q, want %q", got, want)
	}
}
