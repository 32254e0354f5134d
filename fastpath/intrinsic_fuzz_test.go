package fastpath

import (
	"testing"

	"github.com/stepd/stepd/fastpath/jsonb"
)

// fuzzInputs are the documents an intrinsic that parsed is evaluated on: an
// object with members of every kind under the names the seeds use, and
// values of other kinds as the root.
var fuzzInputs = []string{
	`{"a":[1,2,3],"b":2,"s":"x,y","o":{"k":"v"},"n":null,"t":true,"f":1.5,"e":[],"u":"{\"a\":1}","z":"\\u00e9\u00e9\\"}`,
	`[1,"two",{"three":3}]`,
	`"text"`,
	`-0.5`,
}

// FuzzParseIntrinsic checks that ParseIntrinsic never panics, and that a call
// it accepts evaluates (to a value or a Failure) without panicking, leaves
// valid compact JSON and reports only paths it holds.
func FuzzParseIntrinsic(f *testing.F) {
	for _, s := range []string{
		`States.Format('Hello {}', $.s)`,
		`States.Format('{} \{} {\}', $.o, $.a)`,
		`States.StringToJson($.u)`,
		`States.JsonToString($)`,
		`States.Array(1, 'a', true, null, $.o, States.Array())`,
		`States.ArrayPartition($.a, 2)`,
		`States.ArrayContains($.a, 2)`,
		`States.ArrayRange(1, 9, 2)`,
		`States.ArrayGetItem($.a, $.b)`,
		`States.ArrayLength($.a)`,
		`States.ArrayUnique($.a)`,
		`States.Base64Encode($.s)`,
		`States.Base64Decode('eA==')`,
		`States.Hash($.z, 'SHA-512')`,
		`States.JsonMerge($.o, $.o, false)`,
		`States.MathRandom(1, 9, 3)`,
		`States.MathAdd($.f, -2.5)`,
		`States.StringSplit($.s, ',')`,
		`States.UUID()`,
		`States.ArrayGetItem(States.StringSplit($$.x, '-'), States.MathAdd(States.ArrayLength($['a']), -1))`,
		`States.Array($..k, $[?(@.k == 'v')], $var.x[0])`,
	} {
		f.Add(s)
	}
	var inputs [][]byte
	for _, s := range fuzzInputs {
		inputs = append(inputs, mustCompact(f, s))
	}
	f.Fuzz(func(t *testing.T, text string) {
		in, err := ParseIntrinsic(text)
		if err != nil {
			if in != nil {
				t.Fatalf("ParseIntrinsic(%q) returned both a call and an error", text)
			}
			return
		}
		for _, p := range in.Paths() {
			if p == nil {
				t.Fatalf("ParseIntrinsic(%q): nil path", text)
			}
		}
		for _, input := range inputs {
			r := &testResolver{Input: input, Context: input, Vars: map[string][]byte{"var": input}}
			prefix := []byte("prefix")
			val, out, err := in.Eval(prefix, r)
			if string(out[:len(prefix)]) != "prefix" {
				t.Fatalf("Eval(%q) overwrote dst before len(dst)", text)
			}
			if err != nil {
				if _, ok := err.(*Failure); !ok {
					t.Fatalf("Eval(%q) on %s: error %T is not a *Failure", text, input, err)
				}
				if len(out) != len(prefix) {
					t.Fatalf("Eval(%q) failed but left %q in dst", text, out[len(prefix):])
				}
				continue
			}
			if c, err := jsonb.Compact(nil, val, jsonb.MaxDepth); err != nil || string(c) != string(val) {
				t.Fatalf("Eval(%q) on %s = %q: not compact JSON (%v)", text, input, val, err)
			}
		}
	})
}
