package fastpath

import (
	"testing"

	"github.com/stepd/stepd/fastpath/jsonb"
)

// TestSetMemberDerivesIndex checks that the index setMember derives for
// the new object agrees with scanning it afresh, whatever was looked up in
// the old object before.
func TestSetMemberDerivesIndex(t *testing.T) {
	objects := []string{`{}`, `{"a":1}`, `{"a":1,"b":{"x":[1,2]},"c":"s"}`, `{"a\u0041":1,"b":[],"c":null}`, `{"a":1,"a":2}`}
	names := []string{"a", "b", "c", "z", "aA"}
	vals := []string{`0`, `{"long":"value that is longer than what it replaces"}`, `""`}
	for _, objText := range objects {
		for _, looked := range names {
			for _, name := range names {
				for _, val := range vals {
					var x objectIndex
					obj := mustCompact(t, objText)
					x.get(obj, looked) // leave the old index partly filled
					out, _ := x.setMember(nil, obj, name, []byte(val))
					if _, err := jsonb.Compact(nil, out, jsonb.MaxDepth); err != nil {
						t.Fatalf("%s set %s=%s: invalid %s", objText, name, val, out)
					}
					if got := x.get(out, name); string(got) != val {
						t.Errorf("%s set %s=%s: get gives %s", objText, name, val, got)
					}
					for _, other := range names {
						if got, want := x.get(out, other), jsonb.ObjectGet(out, other); string(got) != string(want) {
							t.Errorf("%s (looked up %s) set %s=%s: get(%s) = %s, ObjectGet = %s", objText, looked, name, val, other, got, want)
						}
					}
				}
			}
		}
	}
}
