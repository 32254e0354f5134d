package compile

import (
	"flag"
	"strings"
	"testing"

	"github.com/stepd/stepd/internal/conformance"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/validate")

// TestValidateAcceptsAWSAccepted guards against over-rejection: every
// definition AWS ran (SUCCEEDED, FAILED or TIMED_OUT) must validate without
// errors for its state machine type.
func TestValidateAcceptsAWSAccepted(t *testing.T) {
	dir, err := conformance.Dir()
	if err != nil {
		t.Skip(err)
	}
	cases, err := conformance.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	total, pass := 0, 0
	for _, c := range cases {
		if c.IsValidation() {
			continue
		}
		total++
		var errs []string
		for _, d := range Validate(c.DefinitionBytes(), MachineType(c.Type())) {
			if d.Severity == SeverityError {
				errs = append(errs, d.String())
			}
		}
		if len(errs) > 0 {
			t.Errorf("%s: AWS accepted it, we reject:\n\t%s", c.ID, strings.Join(errs, "\n\t"))
			continue
		}
		pass++
	}
	t.Logf("accepted by AWS: %d/%d validate clean", pass, total)
}

// TestValidateGolden checks testdata/validate/*.asl.json against the
// diagnostics in the matching .golden file (one String() line each). A file
// whose name contains ".express" is validated as EXPRESS.
func TestValidateGolden(t *testing.T) {
	goldenTest(t, "validate", ".golden", func(t *testing.T, name string, def []byte) string {
		typ := Standard
		if strings.Contains(name, ".express") {
			typ = Express
		}
		var b strings.Builder
		for _, d := range Validate(def, typ) {
			b.WriteString(d.String())
			b.WriteByte('\n')
		}
		return b.String()
	})
}

func TestCreateErrorJoin(t *testing.T) {
	for _, tc := range []struct {
		diags []Diagnostic
		want  string
	}{
		{nil, ""},
		{[]Diagnostic{{SeverityError, "MISSING_END_STATE", "Workflow has no terminal state", ""}},
			"Invalid State Machine Definition: 'MISSING_END_STATE: Workflow has no terminal state at null'"},
		{[]Diagnostic{{SeverityError, "A", "m", "/x"}, {SeverityWarning, "W", "w", "/z"}, {SeverityError, "B", "n", "/y"}},
			"Invalid State Machine Definition: 'A: m at /x, B: n at /y'"},
	} {
		if got := CreateError(tc.diags); got != tc.want {
			t.Errorf("CreateError(%v) = %q, want %q", tc.diags, got, tc.want)
		}
	}
}

func TestValidIntrinsic(t *testing.T) {
	for s, want := range map[string]bool{
		"States.Format('a{}', $.x)":                    true,
		"States.StringToJson('{\"a\":1}')":             true,
		`States.Format('it\'s \{\} \\')`:               true,
		`States.StringToJson('{"t":"An \"x\" here"}')`: false,
		"States.Array(1, 2":                            false,
		"States.(1)":                                   false,
		"Foo.Bar()":                                    false,
		"States.Array(1))":                             false,
		"States.Array(States.Array(1), 'a)')":          true,
	} {
		if got := validIntrinsic(s); got != want {
			t.Errorf("validIntrinsic(%q) = %v, want %v", s, got, want)
		}
	}
}
