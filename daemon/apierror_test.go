package daemon

import (
	"encoding/json"
	"testing"

	"github.com/stepd/stepd/internal/awserr"
)

// TestErrorBodyIsJSON is the regression test of a hostile-input finding:
// an error quoting a name with control characters or other non-printable
// runes must still be a JSON body the SDKs can read.
func TestErrorBodyIsJSON(t *testing.T) {
	for _, name := range []string{"a\x00b", "tab\there", "\u2028", "\U0001F600", "quote\"back\\slash", "\x7f"} {
		body := appendErrorBody(nil, awserr.InvalidName(name))
		var got struct{ Message string }
		if err := json.Unmarshal(body, &got); err != nil {
			t.Errorf("%q: body %s is not JSON: %v", name, body, err)
			continue
		}
		if want := "Invalid Name: '" + name + "'"; got.Message != want {
			t.Errorf("%q: message %q, want %q", name, got.Message, want)
		}
	}
}
