package compile

import (
	"strconv"
	"strings"
	"testing"

	"github.com/stepd/stepd/fastpath"
)

// bigLoop counts $.n up to $.until, carrying a large payload and a
// variable through every iteration; each iteration leaves the previous
// payload behind in the arena.
const bigLoop = `{"StartAt":"Add","States":{
 "Add":{"Type":"Pass","Parameters":{"big.$":"$.big","until.$":"$.until","n.$":"States.MathAdd($.n, 1)"},"Assign":{"last.$":"$.n"},"Next":"Done?"},
 "Done?":{"Type":"Choice","Choices":[{"Variable":"$.n","NumericEqualsPath":"$.until","Next":"Out"}],"Default":"Add"},
 "Out":{"Type":"Pass","Parameters":{"n.$":"$.n","last.$":"$last","size.$":"States.ArrayLength(States.StringSplit($.big, 'b'))"},"End":true}}}`

// TestArenaCompaction runs a loop whose values would outgrow the arena
// limit many times over: between the states of the outermost scope the VM
// drops what no state can reach, so it succeeds, with the loop's payload
// and the variable intact: the same output as with room for everything.
func TestArenaCompaction(t *testing.T) {
	input := `{"n":0,"until":400,"big":"` + strings.Repeat("ab", 100_000) + `"}` // 200 KB × 400 = 80 MB of values
	roomy := runMachine(t, bigLoop, input, &fastpath.Options{MaxArenaBytes: 1 << 30})
	tight := runMachine(t, bigLoop, input, &fastpath.Options{MaxArenaBytes: 4 << 20})
	if tight.Status != fastpath.Succeeded || tight.output != roomy.output || !strings.HasPrefix(tight.output, `{"n":400,`) {
		t.Fatalf("with a 4 MiB arena: %s %s %s: %s; with 1 GiB: %s", tight.Status, tight.Error, tight.Cause, tight.output, roomy.output)
	}
}

// TestArenaLimit runs the same loop inside a Parallel branch, where the
// VM cannot compact: it fails with States.Runtime once the arena passes
// the limit, instead of growing without bound.
func TestArenaLimit(t *testing.T) {
	nested := `{"StartAt":"Par","States":{"Par":{"Type":"Parallel","Branches":[` + strings.Replace(bigLoop, `"Assign":{"last.$":"$.n"},`, ``, 1) + `],"End":true}}}`
	nested = strings.Replace(nested, `"last.$":"$last",`, ``, 1)
	input := `{"n":0,"until":400,"big":"` + strings.Repeat("ab", 100_000) + `"}`
	res := runMachine(t, nested, input, &fastpath.Options{MaxArenaBytes: 4 << 20})
	if res.Status != fastpath.Failed || res.Error != fastpath.ErrRuntime || !strings.Contains(res.Cause, "4 MiB of memory") {
		t.Fatalf("got %s %s %s", res.Status, res.Error, res.Cause)
	}
}

// TestPathMatchesBounded is the regression test of a hostile input:
// `$..*` over 500 nested arrays holding a 200 KB string collected 100 MB
// (the process reached 412 MB); the path now stops at its bound and the
// state fails with States.Runtime.
func TestPathMatchesBounded(t *testing.T) {
	input := strings.Repeat("[", 500) + `"` + strings.Repeat("a", 200_000) + `"` + strings.Repeat("]", 500)
	for _, def := range []string{
		`{"StartAt":"P","States":{"P":{"Type":"Pass","InputPath":"$..*","End":true}}}`,
		`{"StartAt":"P","States":{"P":{"Type":"Pass","Parameters":{"all.$":"$..*"},"End":true}}}`,
		`{"StartAt":"P","States":{"P":{"Type":"Pass","Parameters":{"n.$":"States.ArrayLength($..*)"},"End":true}}}`,
	} {
		res := runMachine(t, def, input, &fastpath.Options{})
		if res.Status != fastpath.Failed || res.Error != fastpath.ErrRuntime {
			t.Errorf("%s: got %s %s %s", def, res.Status, res.Error, res.Cause)
		}
	}
}

// TestUnsetVariableIndefinitePath: an indefinite path over a variable
// that was never assigned fails with AWS's not-found message (it reached
// a "BUG" panic through the not-found message once).
func TestUnsetVariableIndefinitePath(t *testing.T) {
	def := `{"StartAt":"C","States":{"C":{"Type":"Choice","Choices":[{"Variable":"$.set","IsPresent":true,"Next":"Set"}],"Default":"Use"},
 "Set":{"Type":"Pass","Assign":{"x":[1,2]},"Next":"Use"},
 "Use":{"Type":"Pass","InputPath":"$x[*]","End":true}}}`
	res := runMachine(t, def, `{}`, &fastpath.Options{})
	if res.Status != fastpath.Failed || res.Error != fastpath.ErrRuntime || !strings.Contains(res.Cause, "No results for path") {
		t.Fatalf("got %s %s %s", res.Status, res.Error, res.Cause)
	}
}

// TestTemplateBounded is the regression test of a hostile input: 20,000
// Parameters fields of States.ArrayRange(1, 1000, 1) built 78 MB (281 MB
// RSS) before the payload check; the template now stops at its bound.
func TestTemplateBounded(t *testing.T) {
	fields := make([]string, 20000)
	for i := range fields {
		fields[i] = `"f` + strconv.Itoa(i) + `.$":"States.ArrayRange(1, 1000, 1)"`
	}
	def := `{"StartAt":"P","States":{"P":{"Type":"Pass","Parameters":{` + strings.Join(fields, ",") + `},"End":true}}}`
	res := runMachine(t, def, `{}`, &fastpath.Options{})
	if res.Status != fastpath.Failed || res.Error != fastpath.ErrDataLimitExceeded {
		t.Fatalf("got %s %s %s", res.Status, res.Error, res.Cause)
	}
}
