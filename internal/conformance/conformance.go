// Package conformance loads the executions recorded against real AWS Step
// Functions in ../shared/conformance and compares what stepd did with what
// AWS did, exactly as the corpus README prescribes. Tests of the engine (in
// process) and of the daemon (over HTTP) share it so that both judge by the
// same rules.
package conformance

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// Case is one recorded execution or definition check.
type Case struct {
	ID               string            `json:"id"`
	Category         string            `json:"category"`
	Definition       json.RawMessage   `json:"definition"`
	DefinitionText   *string           `json:"definition_text"`
	Input            json.RawMessage   `json:"input"`
	StateMachineType string            `json:"state_machine_type"`
	Expect           Expect            `json:"expect"`
	IgnorePaths      []string          `json:"ignore_paths"`
	MatchPaths       map[string]string `json:"match_paths"`
	Features         []string          `json:"features"`
	Needs            []string          `json:"needs"`
	Source           struct {
		RecordedFrom  string `json:"recorded_from"`
		LastValidated string `json:"last_validated"`
	} `json:"source"`
	File string `json:"-"`
}

// Expect is what AWS answered.
type Expect struct {
	Status           string          `json:"status"`
	Output           json.RawMessage `json:"output"`
	Error            *string         `json:"error"`
	Cause            *string         `json:"cause"`
	CauseRegex       *string         `json:"cause_regex"`
	CauseJSON        json.RawMessage `json:"cause_json"`
	CauseIgnorePaths []string        `json:"cause_ignore_paths"`
	API              string          `json:"api"`
	Message          string          `json:"message"`
	Result           string          `json:"result"`
	Diagnostics      []Diagnostic    `json:"diagnostics"`
}

// Diagnostic is one ValidateStateMachineDefinition diagnostic.
type Diagnostic struct {
	Code     string `json:"code"`
	Location string `json:"location"`
	Message  string `json:"message"`
	Severity string `json:"severity"`
}

// Dir finds the corpus: the folder shared/conformance beside the repository
// that contains the working directory.
func Dir() (string, error) {
	wd, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for d := wd; ; d = filepath.Dir(d) {
		c := filepath.Join(d, "shared", "conformance")
		if _, err := os.Stat(filepath.Join(c, "index.json")); err == nil {
			return c, nil
		}
		if filepath.Dir(d) == d {
			return "", errors.New("cannot find shared/conformance above " + wd)
		}
	}
}

// Load reads every case of the corpus in dir, in index order.
func Load(dir string) ([]*Case, error) {
	var cases []*Case
	err := loadIndex(dir, "index.json", func(file string, b []byte) error {
		c := &Case{File: file}
		cases = append(cases, c)
		return json.Unmarshal(b, c)
	})
	return cases, err
}

// loadIndex calls add with the file name and text of each case that the
// index file in dir lists, in order.
func loadIndex(dir, indexFile string, add func(file string, b []byte) error) error {
	raw, err := os.ReadFile(filepath.Join(dir, indexFile))
	if err != nil {
		return err
	}
	var index struct {
		Cases []struct {
			File string `json:"file"`
		} `json:"cases"`
	}
	if err := json.Unmarshal(raw, &index); err != nil {
		return fmt.Errorf("cannot parse %s: %w", indexFile, err)
	}
	for _, e := range index.Cases {
		b, err := os.ReadFile(filepath.Join(dir, e.File))
		if err != nil {
			return err
		}
		if err := add(e.File, b); err != nil {
			return fmt.Errorf("cannot parse %s: %w", e.File, err)
		}
	}
	return nil
}

// Type is the case's state machine type, STANDARD unless it says otherwise.
func (c *Case) Type() string {
	if c.StateMachineType == "" {
		return "STANDARD"
	}
	return c.StateMachineType
}

// Synchronous reports whether AWS ran the case with StartSyncExecution.
func (c *Case) Synchronous() bool { return c.Source.RecordedFrom == "sync" }

// IsValidation reports whether the case checks a definition rather than
// running an execution.
func (c *Case) IsValidation() bool { return c.Category == "validation" }

// DefinitionBytes is the definition as sent to AWS.
func (c *Case) DefinitionBytes() []byte {
	if c.DefinitionText != nil && (len(c.Definition) == 0 || string(c.Definition) == "null") {
		return []byte(*c.DefinitionText)
	}
	return c.Definition
}

// Outcome is what an engine did with an execution.
type Outcome struct {
	Status   string
	Output   []byte
	Error    *string // nil when there was no error field
	Cause    *string
	HasError bool
}

// CheckExecution compares an outcome with the recorded one and returns a
// description of the first difference, or nil.
func (c *Case) CheckExecution(o Outcome) error {
	e := &c.Expect
	if o.Status != e.Status {
		return fmt.Errorf("status %s, want %s (error %s, cause %s)", o.Status, e.Status, deref(o.Error), deref(o.Cause))
	}
	if e.Status == "SUCCEEDED" {
		return c.checkOutput(o.Output)
	}
	if !equalPtr(o.Error, e.Error) {
		return fmt.Errorf("error %s, want %s (cause %s)", deref(o.Error), deref(e.Error), deref(o.Cause))
	}
	switch {
	case e.CauseRegex != nil:
		re, err := regexp.Compile(*e.CauseRegex)
		if err != nil {
			return fmt.Errorf("bad cause_regex: %v", err)
		}
		if o.Cause == nil || !re.MatchString(*o.Cause) {
			return fmt.Errorf("cause %s does not match %q", deref(o.Cause), *e.CauseRegex)
		}
	case len(e.CauseJSON) > 0:
		if o.Cause == nil {
			return fmt.Errorf("no cause, want JSON %s", e.CauseJSON)
		}
		got, err := decode([]byte(*o.Cause))
		if err != nil {
			return fmt.Errorf("cause is not JSON: %s", *o.Cause)
		}
		want, _ := decode(e.CauseJSON)
		got = c.withoutLaterFields(got, want)
		for _, p := range e.CauseIgnorePaths {
			got, want = deletePath(got, p), deletePath(want, p)
		}
		if !equalValues(got, want) {
			return fmt.Errorf("cause %s, want %s", *o.Cause, e.CauseJSON)
		}
	default:
		if !equalPtr(o.Cause, e.Cause) {
			return fmt.Errorf("cause %s, want %s", deref(o.Cause), deref(e.Cause))
		}
	}
	return nil
}

func (c *Case) checkOutput(out []byte) error {
	got, err := decode(out)
	if err != nil {
		return fmt.Errorf("output is not JSON: %s", out)
	}
	want, err := decode(c.Expect.Output)
	if err != nil {
		return fmt.Errorf("expected output is not JSON: %v", err)
	}
	for p, re := range c.MatchPaths {
		v, ok := getPath(got, p)
		if !ok {
			continue
		}
		s, _ := v.(string)
		if !regexp.MustCompile(re).MatchString(s) {
			return fmt.Errorf("output at %s is %v, which does not match %q", p, v, re)
		}
	}
	got = c.withoutLaterFields(got, want)
	for _, p := range c.IgnorePaths {
		got, want = deletePath(got, p), deletePath(want, p)
	}
	if !equalValues(got, want) {
		g, _ := json.Marshal(got)
		w, _ := json.Marshal(want)
		return fmt.Errorf("output %s\n  want %s", g, w)
	}
	return nil
}

// laterFields are the fields AWS added to its answers after some cases
// were recorded, and since when (the date of the launch). DescribeExecution,
// and so the output of a states:startExecution.sync Task, has had the
// redrive fields since redrive launched on 2023-11-15: the 2025 recording
// local_mocking.base_callbacks.sfn_start_execution_sync[SFN_SYNC2] shows
// them, the 2023 ones of the callback tests do not.
var laterFields = []struct {
	since  string
	fields []string
}{
	{"2023-11-15", []string{"RedriveCount", "RedriveStatus", "RedriveStatusReason"}},
}

// withoutLaterFields drops from the top-level object got the fields AWS
// added after c was last validated, when want (the recording) lacks them.
func (c *Case) withoutLaterFields(got, want any) any {
	g, ok := got.(map[string]any)
	w, _ := want.(map[string]any)
	if !ok || c.Source.LastValidated == "" {
		return got
	}
	for _, l := range laterFields {
		if c.Source.LastValidated >= l.since {
			continue
		}
		for _, f := range l.fields {
			if _, recorded := w[f]; !recorded {
				delete(g, f)
			}
		}
	}
	return g
}

func deref(s *string) string {
	if s == nil {
		return "<none>"
	}
	return strconv.Quote(*s)
}

func equalPtr(a, b *string) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	return *a == *b
}

func decode(b []byte) (any, error) {
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	var v any
	err := d.Decode(&v)
	return v, err
}

// equalValues compares decoded JSON: objects without regard to order,
// numbers by value.
func equalValues(a, b any) bool {
	switch x := a.(type) {
	case json.Number:
		y, ok := b.(json.Number)
		if !ok {
			return false
		}
		fx, err1 := x.Float64()
		fy, err2 := y.Float64()
		return err1 == nil && err2 == nil && fx == fy
	case map[string]any:
		y, ok := b.(map[string]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for k, v := range x {
			w, ok := y[k]
			if !ok || !equalValues(v, w) {
				return false
			}
		}
		return true
	case []any:
		y, ok := b.([]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for i := range x {
			if !equalValues(x[i], y[i]) {
				return false
			}
		}
		return true
	default:
		return a == b
	}
}

// pathSteps splits a corpus path ($.a["b c"][0]) into keys and indexes.
func pathSteps(p string) []any {
	var steps []any
	s := strings.TrimPrefix(p, "$")
	for len(s) > 0 {
		switch s[0] {
		case '.':
			j := 1
			for j < len(s) && s[j] != '.' && s[j] != '[' {
				j++
			}
			steps = append(steps, s[1:j])
			s = s[j:]
		case '[':
			j := strings.IndexByte(s, ']')
			if s[1] == '"' {
				var key string
				dec := json.NewDecoder(strings.NewReader(s[1:]))
				if err := dec.Decode(&key); err != nil {
					return nil
				}
				steps = append(steps, key)
				s = s[1+int(dec.InputOffset())+1:]
				continue
			}
			n, _ := strconv.Atoi(s[1:j])
			steps = append(steps, n)
			s = s[j+1:]
		default:
			return steps
		}
	}
	return steps
}

func getPath(v any, p string) (any, bool) {
	for _, st := range pathSteps(p) {
		switch k := st.(type) {
		case string:
			m, ok := v.(map[string]any)
			if !ok {
				return nil, false
			}
			if v, ok = m[k]; !ok {
				return nil, false
			}
		case int:
			a, ok := v.([]any)
			if !ok || k >= len(a) {
				return nil, false
			}
			v = a[k]
		}
	}
	return v, true
}

// deletePath removes the node at p, if present, and returns the value.
func deletePath(v any, p string) any {
	steps := pathSteps(p)
	if len(steps) == 0 {
		return nil
	}
	parent, ok := any(v), true
	for _, st := range steps[:len(steps)-1] {
		if parent, ok = getPath(parent, stepText(st)); !ok {
			return v
		}
	}
	switch k := steps[len(steps)-1].(type) {
	case string:
		if m, ok := parent.(map[string]any); ok {
			delete(m, k)
		}
	case int:
		if a, ok := parent.([]any); ok && k < len(a) {
			a[k] = nil
		}
	}
	return v
}

func stepText(st any) string {
	if k, ok := st.(string); ok {
		b, _ := json.Marshal(k)
		return "$[" + string(b) + "]"
	}
	return "$[" + strconv.Itoa(st.(int)) + "]"
}

// Tally counts passes per category.
type Tally struct {
	pass, total map[string]int
}

// Add records one case's result.
func (t *Tally) Add(category string, ok bool) {
	if t.total == nil {
		t.pass, t.total = map[string]int{}, map[string]int{}
	}
	t.total[category]++
	if ok {
		t.pass[category]++
	}
}

// String renders the tally as a table, one category a line, then the total.
func (t *Tally) String() string {
	cats := make([]string, 0, len(t.total))
	for c := range t.total {
		cats = append(cats, c)
	}
	sort.Strings(cats)
	var b strings.Builder
	pass, total := 0, 0
	fmt.Fprintf(&b, "%-14s %5s %5s %7s\n", "category", "pass", "run", "rate")
	for _, c := range cats {
		fmt.Fprintf(&b, "%-14s %5d %5d %6.1f%%\n", c, t.pass[c], t.total[c], 100*float64(t.pass[c])/float64(t.total[c]))
		pass += t.pass[c]
		total += t.total[c]
	}
	if total > 0 {
		fmt.Fprintf(&b, "%-14s %5d %5d %6.1f%%\n", "all", pass, total, 100*float64(pass)/float64(total))
	}
	return b.String()
}

// Rates returns the pass rate of each category and of all cases together
// (under "all").
func (t *Tally) Rates() map[string]float64 {
	r := map[string]float64{}
	pass, total := 0, 0
	for c, n := range t.total {
		r[c] = float64(t.pass[c]) / float64(n)
		pass += t.pass[c]
		total += n
	}
	if total > 0 {
		r["all"] = float64(pass) / float64(total)
	}
	return r
}

// LoadKnownFailures reads a list of cases that do not pass yet, one
// "id<TAB>reason" a line (blank lines and # comments ignored). Tests fail on
// a failure missing from the list and on a listed case that passes, so the
// list stays exact.
func LoadKnownFailures(path string) (map[string]string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	known := map[string]string{}
	for _, line := range strings.Split(string(b), "\n") {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		id, reason, _ := strings.Cut(line, "\t")
		known[id] = reason
	}
	return known, nil
}
