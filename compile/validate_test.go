package compile

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/validate")

// sharedDir finds ../shared by walking up from the package directory.
func sharedDir(t testing.TB) string {
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		p := filepath.Join(dir, "shared", "conformance", "cases")
		if st, err := os.Stat(p); err == nil && st.IsDir() {
			return filepath.Join(dir, "shared")
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Skip("shared/conformance not found")
		}
		dir = parent
	}
}

type caseFile struct {
	ID             string          `json:"id"`
	Definition     json.RawMessage `json:"definition"`
	DefinitionText *string         `json:"definition_text"`
	Type           string          `json:"state_machine_type"`
	Expect         struct {
		Status      string `json:"status"`
		API         string `json:"api"`
		Message     string `json:"message"`
		Result      string `json:"result"`
		Diagnostics []struct {
			Code     string `json:"code"`
			Location string `json:"location"`
			Message  string `json:"message"`
			Severity string `json:"severity"`
		} `json:"diagnostics"`
	} `json:"expect"`
}

func loadCase(t *testing.T, path string) (caseFile, []byte, MachineType) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var c caseFile
	if err := json.Unmarshal(b, &c); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	def := []byte(c.Definition)
	if c.DefinitionText != nil && (len(def) == 0 || string(def) == "null") {
		def = []byte(*c.DefinitionText)
	}
	typ := Standard
	if c.Type == "EXPRESS" {
		typ = Express
	}
	return c, def, typ
}

// TestValidateConformance runs every definition check recorded against AWS.
func TestValidateConformance(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join(sharedDir(t), "conformance", "cases", "validation", "*.json"))
	if len(files) == 0 {
		t.Skip("no validation cases")
	}
	pass := 0
	for _, f := range files {
		c, def, typ := loadCase(t, f)
		ok := t.Run(c.ID, func(t *testing.T) {
			diags := Validate(def, typ)
			switch c.Expect.API {
			case "CreateStateMachine":
				if got := CreateError(diags); got != c.Expect.Message {
					t.Errorf("CreateError:\n got %q\nwant %q", got, c.Expect.Message)
				}
			default:
				result := "OK"
				if hasError(diags) {
					result = "FAIL"
				}
				if result != c.Expect.Result {
					t.Errorf("result %s, want %s; diagnostics %v", result, c.Expect.Result, diags)
				}
				if len(diags) != len(c.Expect.Diagnostics) {
					t.Fatalf("got %d diagnostics %v, want %d", len(diags), diags, len(c.Expect.Diagnostics))
				}
				for i, w := range c.Expect.Diagnostics {
					d := diags[i]
					if d.Code != w.Code || d.Location != w.Location || d.Message != w.Message || string(d.Severity) != w.Severity {
						t.Errorf("diagnostic %d:\n got %+v\nwant %+v", i, d, w)
					}
				}
			}
		})
		if ok {
			pass++
		}
	}
	t.Logf("validation cases: %d/%d pass", pass, len(files))
}

func hasError(diags []Diagnostic) bool {
	for _, d := range diags {
		if d.Severity == SeverityError {
			return true
		}
	}
	return false
}

// TestValidateAcceptsAWSAccepted guards against over-rejection: every
// definition AWS ran (SUCCEEDED, FAILED or TIMED_OUT) must validate without
// errors for its state machine type.
func TestValidateAcceptsAWSAccepted(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join(sharedDir(t), "conformance", "cases", "*", "*.json"))
	total, pass := 0, 0
	for _, f := range files {
		if filepath.Base(filepath.Dir(f)) == "validation" {
			continue
		}
		c, def, typ := loadCase(t, f)
		switch c.Expect.Status {
		case "SUCCEEDED", "FAILED", "TIMED_OUT":
		default:
			continue
		}
		total++
		var errs []string
		for _, d := range Validate(def, typ) {
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
// whose name contains ".express." is validated as EXPRESS. Run with -update
// to rewrite the goldens, then review the diff.
func TestValidateGolden(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join("testdata", "validate", "*.asl.json"))
	if len(files) == 0 {
		t.Fatal("no golden definitions")
	}
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".asl.json")
		t.Run(name, func(t *testing.T) {
			def, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			typ := Standard
			if strings.Contains(name, ".express") {
				typ = Express
			}
			var buf bytes.Buffer
			for _, d := range Validate(def, typ) {
				buf.WriteString(d.String())
				buf.WriteByte('\n')
			}
			golden := strings.TrimSuffix(f, ".asl.json") + ".golden"
			if *update {
				if err := os.WriteFile(golden, buf.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run with -update)", err)
			}
			if buf.String() != string(want) {
				t.Errorf("diagnostics differ:\n got:\n%s\nwant:\n%s", buf.String(), want)
			}
		})
	}
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
