package fastpath

import (
	"encoding/json"
	"testing"
	"unicode/utf8"

	"github.com/stepd/stepd/fastpath/jsonb"
)

// FuzzCompact checks the scanner against encoding/json: both accept the
// same texts (except invalid UTF-8, which only encoding/json lets through), Compact's output is valid and compact, and the iterators and
// Equal work on it without panicking.
func FuzzCompact(f *testing.F) {
	for _, s := range []string{`{"a":[1,2,{"b":null}],"c":"x\"y"}`, ` [ 1 , -2.5e3 , true ] `, `"\ud83d\ude00"`, `{"a":1,"a":2}`, `[`, `{"a" 1}`, `01`, "\"\xff\""} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		out, err := jsonb.Compact(nil, src, jsonb.MaxDepth)
		if (err == nil) != json.Valid(src) && utf8.Valid(src) {
			if err != jsonb.ErrTooDeep {
				t.Fatalf("Compact(%q) error %v, json.Valid %v", src, err, json.Valid(src))
			}
		}
		if err != nil {
			return
		}
		if again, err := jsonb.Compact(nil, out, jsonb.MaxDepth); err != nil || string(again) != string(out) {
			t.Fatalf("compact form %q is not stable: %q %v", out, again, err)
		}
		if end := jsonb.SkipValue(out, 0); end != len(out) {
			t.Fatalf("skipValue(%q) = %d, want %d", out, end, len(out))
		}
		var it jsonb.ObjectIter
		it.Reset(out)
		for k, v, ok := it.Next(); ok; k, v, ok = it.Next() {
			_ = jsonb.ObjectGet(out, string(jsonb.AppendUnquoted(nil, k)))
			_ = jsonb.Equal(v, v)
		}
		_ = jsonb.ArrayLen(out)
		if jsonb.KindOf(out) == jsonb.KindObject {
			var x objectIndex
			set, _ := x.setMember(nil, out, "k", []byte(`[1]`))
			if got := jsonb.ObjectGet(set, "k"); string(got) != "[1]" && jsonb.ObjectGet(out, "k") == nil {
				t.Fatalf("setMember(%q) = %q", out, set)
			}
			if _, err := jsonb.Compact(nil, set, jsonb.MaxDepth+1); err != nil {
				t.Fatalf("setMember(%q) gives invalid %q", out, set)
			}
		}
		if !jsonb.Equal(out, out) {
			t.Fatalf("Equal(%q, itself) is false", out)
		}
	})
}

// FuzzParsePath checks that any path text either fails to parse or
// evaluates without panicking, definite or not.
func FuzzParsePath(f *testing.F) {
	for _, s := range []string{"$", "$$.Execution.Input", "$.a.b[0]", "$.a[*].b", "$..x", "$.a[1:3]", "$['x','y']", "$.a[?(@.b == 1 && @.c)]", "$var.x", "$['']['',", "$[-1]", "$.a[::2]"} {
		f.Add(s)
	}
	input := []byte(`{"a":[{"b":1,"c":true},{"b":2}],"x":{"y":[1,2,3]},"":{"":0}}`)
	f.Fuzz(func(t *testing.T, text string) {
		p, err := ParsePath(text)
		if err != nil {
			return
		}
		v, _ := p.Eval(nil, input)
		if v != nil {
			if _, err := jsonb.Compact(nil, v, jsonb.MaxDepth); err != nil {
				t.Fatalf("%q yields invalid JSON %q", text, v)
			}
		}
		if p.Definite() && len(p.steps) > 0 {
			out, ok := setPath(nil, input, p.steps, []byte("1"), nil)
			if _, err := jsonb.Compact(nil, out, jsonb.MaxDepth); ok && err != nil {
				t.Fatalf("setting %q gives invalid JSON %q", text, out)
			}
		}
		_ = p.AppendNormalized(nil)
		_ = p.NotFoundMessage(input) // it once assumed a definite path
	})
}
