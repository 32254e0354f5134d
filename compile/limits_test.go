package compile

import (
	"context"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
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

// TestConcurrentOutputsBounded is the regression test of a hostile input:
// a Map over 2,000 items whose Task returns 200 KB held every finished
// iteration's Execution until the Map ended (4.4 GB RSS). Finished
// iterations now keep only their outputs, and outputs past 16 payloads
// fail the state.
func TestConcurrentOutputsBounded(t *testing.T) {
	big := append(append([]byte(`{"a":"`), strings.Repeat("x", 200_000)...), `"}`...)
	def := `{"StartAt":"M","States":{"M":{"Type":"Map","ItemProcessor":{"StartAt":"L","States":{"L":{"Type":"Task","Resource":"` + fn("big") + `","End":true}}},"ResultPath":null,"End":true}}}`
	items := "[" + strings.TrimSuffix(strings.Repeat("0,", 2000), ",") + "]"
	var calls atomic.Int64
	res := runMachine(t, def, items, &fastpath.Options{Invoker: fastpath.Funcs{fn("big"): func(_ context.Context, _, dst []byte) ([]byte, error) {
		calls.Add(1)
		return append(dst, big...), nil
	}}})
	if res.Status != fastpath.Failed || res.Error != fastpath.ErrDataLimitExceeded {
		t.Fatalf("got %s %s %s", res.Status, res.Error, res.Cause)
	}
	if n := calls.Load(); n >= 2000 { // 4 MiB of outputs is about 21 iterations, and 40 run at once
		t.Errorf("%d of 2000 iterations ran: the Map did not stop when its outputs passed the limit", n)
	}
	small := runMachine(t, def, `[1,2,3]`, &fastpath.Options{MaxArenaBytes: 16 << 20, Invoker: fastpath.Funcs{fn("big"): func(_ context.Context, _, dst []byte) ([]byte, error) {
		return append(dst, `{"ok":1}`...), nil
	}}})
	if small.Status != fastpath.Succeeded || small.output != `[1,2,3]` {
		t.Fatalf("a small Map: %s %s %s", small.Status, small.output, small.Cause)
	}
}

// TestIntrinsicBounded is the regression test of hostile inputs:
// States.Format and States.Array of 1,000 copies of a 200 KB string built
// 200 MB (1 GB and 408 MB RSS) before the payload check.
func TestIntrinsicBounded(t *testing.T) {
	big := `{"s":"` + strings.Repeat("a", 200_000) + `"}`
	args := strings.TrimSuffix(strings.Repeat("$.s, ", 1000), ", ")
	for _, tc := range []struct{ expr, input string }{
		{"States.Format('" + strings.Repeat("{}", 1000) + "', " + args + ")", big},
		{"States.Array(" + args + ")", big},
		// each level doubles the backslashes: 40 KB becomes 40 MB
		{strings.Repeat("States.JsonToString(", 10) + "$" + strings.Repeat(")", 10), `{"s":"` + strings.Repeat(`\\`, 10_000) + `"}`},
	} {
		def := `{"StartAt":"P","States":{"P":{"Type":"Pass","Parameters":{"r.$":"` + tc.expr + `"},"End":true}}}`
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		res := runMachine(t, def, tc.input, &fastpath.Options{})
		runtime.ReadMemStats(&after)
		if res.Status != fastpath.Failed || res.Error != fastpath.ErrDataLimitExceeded {
			t.Errorf("%.60s…: got %s %s %s", tc.expr, res.Status, res.Error, res.Cause)
		}
		if n := after.TotalAlloc - before.TotalAlloc; n > 48<<20 {
			t.Errorf("%.60s…: allocated %d MiB before failing", tc.expr, n>>20)
		}
	}
}
