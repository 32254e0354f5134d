package testrunner

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stepd/stepd/fastpath"
	"github.com/stepd/stepd/fastpath/jsonb"
)

// fakeMocks answers a test case of a MockConfigFile: enough of the format
// for the suites in testdata (the daemon's own parser is tested with the
// daemon; this package only needs answers).
type fakeMocks struct {
	mu     sync.Mutex
	states map[string]string
	file   struct {
		MockedResponses map[string]map[string]struct {
			Return json.RawMessage
			Throw  *struct{ Error, Cause string }
		}
	}
	calls map[string]int
}

func newFakeMocks(mocks []byte, machine, testCase string, _ fastpath.Invoker) (fastpath.Invoker, error) {
	var f struct {
		StateMachines map[string]struct{ TestCases map[string]map[string]string }
	}
	if err := json.Unmarshal(mocks, &f); err != nil {
		return nil, err
	}
	m := &fakeMocks{states: f.StateMachines[machine].TestCases[testCase], calls: map[string]int{}}
	return m, json.Unmarshal(mocks, &m.file)
}

func (m *fakeMocks) Invoke(_ context.Context, task *fastpath.Task, _, dst []byte) ([]byte, []byte, error) {
	m.mu.Lock()
	n := m.calls[task.State]
	m.calls[task.State]++
	m.mu.Unlock()
	for k, step := range m.file.MockedResponses[m.states[task.State]] {
		lo, hi, _ := strings.Cut(k, "-")
		a, _ := strconv.Atoi(lo)
		b := a
		if hi != "" {
			b, _ = strconv.Atoi(hi)
		}
		if n < a || n > b {
			continue
		}
		if step.Throw != nil {
			return nil, dst, &fastpath.Failure{Name: step.Throw.Error, Cause: step.Throw.Cause}
		}
		mark := len(dst)
		dst, err := jsonb.Compact(dst, step.Return, jsonb.MaxDepth)
		return dst[mark:], dst, err
	}
	return nil, dst, &fastpath.Failure{Name: "States.TaskFailed", Cause: "no mock"}
}

func runOrderSuite(t *testing.T) []Result {
	t.Helper()
	s, err := Load("testdata/order.suite.json")
	if err != nil {
		t.Fatal(err)
	}
	cfg := &Config{MockInvoker: newFakeMocks, Region: "us-east-1", Account: "123456789012", Seed: 1,
		Start: time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)}
	return RunSuite(context.Background(), cfg, s)
}

// TestRunSuite runs the order suite: the first two cases pass (the first
// on 500 s of virtual time: a 300 s Wait and two 100 s retries), the third
// fails and its report shows the difference and the states.
func TestRunSuite(t *testing.T) {
	results := runOrderSuite(t)
	if len(results) != 3 {
		t.Fatalf("%d results, want 3", len(results))
	}
	for _, r := range results[:2] {
		if !r.Passed() {
			t.Errorf("%s: %v %v", r.Case, r.Err, r.Problems)
		}
	}
	if got := results[0].Virtual; got != 500*time.Second {
		t.Errorf("virtual time %v, want 500s", got)
	}
	var out bytes.Buffer
	if failed := WriteReport(&out, results); failed != 1 {
		t.Errorf("%d failed, want 1", failed)
	}
	report := out.String()
	for _, want := range []string{
		"PASS  charges a valid order after the cooling-off period (5 states",
		"FAIL  a wrong expectation, to show the report",
		"output $.total: got 12, want 13",
		`output $.payment.id: got "`,
		"states: Validate → IsValid → CoolingOff → Charge (2× Payments.Busy, then on) → Confirmed",
		"2 passed, 1 failed",
	} {
		if !strings.Contains(report, want) {
			t.Errorf("the report lacks %q:\n%s", want, report)
		}
	}
}

// TestRunSuiteFilter runs only the cases whose name matches.
func TestRunSuiteFilter(t *testing.T) {
	s, err := Load("testdata/order.suite.json")
	if err != nil {
		t.Fatal(err)
	}
	cfg := &Config{MockInvoker: newFakeMocks, Run: regexp.MustCompile("invalid")}
	results := RunSuite(context.Background(), cfg, s)
	if len(results) != 1 || results[0].Case != "rejects an invalid order" || !results[0].Passed() {
		t.Errorf("results %+v, want the one passing invalid-order case", results)
	}
}

// TestRunSuiteReproducible checks that two runs of a suite whose output
// holds States.UUID() produce the same output.
func TestRunSuiteReproducible(t *testing.T) {
	a, b := runOrderSuite(t), runOrderSuite(t)
	if a[0].Output != b[0].Output {
		t.Errorf("outputs differ between runs:\n%s\n%s", a[0].Output, b[0].Output)
	}
}

// TestWriteJUnit checks the JUnit XML of the order suite against the
// schema CI systems read.
func TestWriteJUnit(t *testing.T) {
	var out bytes.Buffer
	if err := WriteJUnit(&out, runOrderSuite(t)); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Tests    int `xml:"tests,attr"`
		Failures int `xml:"failures,attr"`
		Suites   []struct {
			Name  string `xml:"name,attr"`
			Tests int    `xml:"tests,attr"`
			Cases []struct {
				Class   string `xml:"classname,attr"`
				Name    string `xml:"name,attr"`
				Failure *struct {
					Message string `xml:"message,attr"`
					Text    string `xml:",chardata"`
				} `xml:"failure"`
			} `xml:"testcase"`
		} `xml:"testsuite"`
	}
	if err := xml.Unmarshal(out.Bytes(), &doc); err != nil {
		t.Fatalf("not XML: %v\n%s", err, out.String())
	}
	if doc.Tests != 3 || doc.Failures != 1 || len(doc.Suites) != 1 || len(doc.Suites[0].Cases) != 3 {
		t.Fatalf("counts wrong:\n%s", out.String())
	}
	c := doc.Suites[0].Cases[2]
	if c.Class != "order" || c.Failure == nil || !strings.Contains(c.Failure.Text, "states: Validate") || c.Failure.Message != "output $.payment.id: got "+strings.SplitN(c.Failure.Message, "got ", 2)[1] {
		t.Errorf("failing case wrong: %+v", c)
	}
	if doc.Suites[0].Cases[0].Failure != nil {
		t.Errorf("passing case has a failure: %+v", doc.Suites[0].Cases[0])
	}
}
