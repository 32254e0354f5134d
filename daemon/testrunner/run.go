package testrunner

import (
	"context"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"regexp"
	"sync"
	"time"

	"github.com/stepd/stepd/compile"
	"github.com/stepd/stepd/fastpath"
)

// Config is what the runner needs from the daemon.
type Config struct {
	// Invoker runs the Task states a case does not mock; nil fails them
	// with States.TaskFailed.
	Invoker fastpath.Invoker
	// MockInvoker returns the invoker that answers the test case
	// testCase of machine from the MockConfigFile text mocks, handing
	// the states it does not mock to base.
	MockInvoker func(mocks []byte, machine, testCase string, base fastpath.Invoker) (fastpath.Invoker, error)
	// Region and Account make the ARNs of the context object.
	Region, Account string
	// Seed seeds the random values of every case (mixed with the case's
	// name, so that cases do not depend on their order).
	Seed uint64
	// Start is the virtual time every case starts at; zero means the
	// real time when the case starts.
	Start time.Time
	// Run, when not nil, selects the cases to run by name; the others
	// are left out of the results.
	Run *regexp.Regexp
}

// Result is the outcome of one case.
type Result struct {
	Suite, Case string
	// Problems lists what differs from the expectation; empty when the
	// case passed. Err is set instead when the case could not run.
	Problems []string
	Err      error
	// Status, Output, Error and Cause are what the execution did.
	Status, Output, Error, Cause string
	// Path is the states entered, in order, with how each ended.
	Path []Step
	// Elapsed is the real time the case took, Virtual the time that
	// passed for the execution.
	Elapsed, Virtual time.Duration
}

// Passed reports whether the case met its expectation.
func (r *Result) Passed() bool { return r.Err == nil && len(r.Problems) == 0 }

// Step is one state the execution entered.
type Step struct {
	State string
	// Failures counts the errors of its task attempts and Error is the
	// last; Exited says whether it ended well all the same (retried, or
	// caught).
	Failures int
	Error    string
	Exited   bool
	// At is when the state was entered, on the execution's clock.
	At time.Time
}

// seedMu serializes cases: the seeded random source is the process's.
var seedMu sync.Mutex

// RunSuite runs the cases of s that cfg.Run selects (all by default), in
// order.
func RunSuite(ctx context.Context, cfg *Config, s *Suite) []Result {
	prog, err := compile.Compile(s.DefinitionText, compile.MachineType(s.Type))
	var results []Result
	for i := range s.Cases {
		c := &s.Cases[i]
		if cfg.Run != nil && !cfg.Run.MatchString(c.Name) {
			continue
		}
		r := Result{Suite: s.File, Case: c.Name}
		if err != nil {
			r.Err = fmt.Errorf("the definition does not compile: %w", err)
		} else {
			runCase(ctx, cfg, s, prog, c, &r)
		}
		results = append(results, r)
	}
	return results
}

// runCase runs one case and checks it.
func runCase(ctx context.Context, cfg *Config, s *Suite, prog *fastpath.Program, c *Case, r *Result) {
	inv := cfg.Invoker
	if c.TestCase != "" {
		var err error
		if inv, err = cfg.MockInvoker(s.MockText, s.StateMachine, c.TestCase, cfg.Invoker); err != nil {
			r.Err = err
			return
		}
	}
	input := []byte(c.Input)
	if len(input) == 0 {
		input = []byte("{}")
	}
	start := cfg.Start
	if start.IsZero() {
		start = time.Now()
	}
	clock := fastpath.NewVirtualClock(start)
	rec := &recorder{clock: clock}
	name := "test-" + fmt.Sprint(caseSeed(cfg.Seed, c.Name)%1_000_000)
	machineArn := "arn:aws:states:" + cfg.Region + ":" + cfg.Account + ":stateMachine:" + s.StateMachine
	opts := &fastpath.Options{
		ExecutionArn:     "arn:aws:states:" + cfg.Region + ":" + cfg.Account + ":execution:" + s.StateMachine + ":" + name,
		ExecutionName:    name,
		StateMachineArn:  machineArn,
		StateMachineName: s.StateMachine,
		RoleArn:          "arn:aws:iam::" + cfg.Account + ":role/stepd-test",
		Invoker:          inv,
		Clock:            clock,
		StartTime:        start,
		Events:           rec,
		EventMask:        fastpath.AllEvents,
	}
	seedMu.Lock()
	defer seedMu.Unlock()
	fastpath.SeedRandom(caseSeed(cfg.Seed, c.Name))
	defer fastpath.UnseedRandom()
	ex := fastpath.AcquireExecution()
	defer fastpath.ReleaseExecution(ex)
	began := time.Now()
	res, err := ex.Run(ctx, prog, input, opts)
	r.Elapsed, r.Virtual = time.Since(began), clock.Now().Sub(start)
	if err != nil {
		r.Err = fmt.Errorf("the input is not JSON: %w", err)
		return
	}
	r.Status, r.Output, r.Error, r.Cause = res.Status.String(), string(res.Output), res.Error, res.Cause
	r.Path = rec.steps
	r.Problems = check(&c.Expect, r)
}

// caseSeed mixes the suite's seed with the case's name.
func caseSeed(seed uint64, name string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(name))
	return seed ^ h.Sum64()
}

// recorder keeps the states an execution enters. Events of concurrent
// branches arrive from several goroutines.
type recorder struct {
	mu    sync.Mutex
	clock fastpath.Clock
	steps []Step
}

// Event implements fastpath.EventSink.
func (rec *recorder) Event(e *fastpath.Event) {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if e.Type >= fastpath.EventPassStateEntered && e.Type <= fastpath.EventMapStateEntered {
		rec.steps = append(rec.steps, Step{State: e.State, At: rec.clock.Now()})
		return
	}
	st := rec.last(e.State)
	switch {
	case st == nil:
	case e.Type >= fastpath.EventPassStateExited && e.Type <= fastpath.EventMapStateExited:
		st.Exited = true
	case e.HasError:
		st.Failures++
		st.Error = e.Error
	}
}

// last is the latest step of the state called name, nil if none.
func (rec *recorder) last(name string) *Step {
	for i := len(rec.steps) - 1; i >= 0 && name != ""; i-- {
		if rec.steps[i].State == name {
			return &rec.steps[i]
		}
	}
	return nil
}

// check lists how r differs from x.
func check(x *Expect, r *Result) []string {
	var problems []string
	if r.Status != x.Status {
		why := ""
		if r.Error != "" {
			why = " (" + r.Error + ": " + r.Cause + ")"
		}
		problems = append(problems, "status: got "+r.Status+why+", want "+x.Status)
	}
	if x.Error != nil && r.Error != *x.Error {
		problems = append(problems, fmt.Sprintf("error: got %q, want %q", r.Error, *x.Error))
	}
	if x.Cause != nil && r.Cause != *x.Cause {
		problems = append(problems, fmt.Sprintf("cause: got %q, want %q", r.Cause, *x.Cause))
	}
	if len(x.Output) > 0 || len(x.OutputContains) > 0 {
		got, err := decode([]byte(r.Output))
		if err != nil {
			return append(problems, "output: there is none")
		}
		if len(x.Output) > 0 {
			want, _ := decode(x.Output)
			problems = append(problems, diff("output", "$", got, want, false)...)
		}
		if len(x.OutputContains) > 0 {
			want, _ := decode(x.OutputContains)
			problems = append(problems, diff("output", "$", got, want, true)...)
		}
	}
	if x.Path != nil {
		got := make([]string, len(r.Path))
		for i, st := range r.Path {
			got[i] = st.State
		}
		if !equalStrings(got, x.Path) {
			problems = append(problems, "path: got "+arrows(got)+", want "+arrows(x.Path))
		}
	}
	return problems
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func arrows(names []string) string {
	if len(names) == 0 {
		return "(no states)"
	}
	s := names[0]
	for _, n := range names[1:] {
		s += " → " + n
	}
	return s
}

func decode(b []byte) (any, error) {
	var v any
	d := json.NewDecoder(bytesReader(b))
	d.UseNumber()
	err := d.Decode(&v)
	return v, err
}

// diff lists the differences between got and want under path; with
// subset, members of got that want does not name are not differences.
func diff(what, path string, got, want any, subset bool) []string {
	switch w := want.(type) {
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok {
			return []string{fmt.Sprintf("%s %s: got %s, want %s", what, path, show(got), show(want))}
		}
		var out []string
		for _, k := range sortedKeys(w) {
			gv, ok := g[k]
			if !ok {
				out = append(out, fmt.Sprintf("%s %s: missing, want %s", what, member(path, k), show(w[k])))
				continue
			}
			out = append(out, diff(what, member(path, k), gv, w[k], subset)...)
		}
		if !subset {
			for _, k := range sortedKeys(g) {
				if _, ok := w[k]; !ok {
					out = append(out, fmt.Sprintf("%s %s: got %s, not expected", what, member(path, k), show(g[k])))
				}
			}
		}
		return out
	case []any:
		g, ok := got.([]any)
		if !ok || len(g) != len(w) {
			return []string{fmt.Sprintf("%s %s: got %s, want %s", what, path, show(got), show(want))}
		}
		var out []string
		for i := range w {
			out = append(out, diff(what, fmt.Sprintf("%s[%d]", path, i), g[i], w[i], subset)...)
		}
		return out
	case json.Number:
		g, ok := got.(json.Number)
		if ok {
			fg, _ := g.Float64()
			fw, _ := w.Float64()
			if fg == fw {
				return nil
			}
		}
	default:
		if got == want {
			return nil
		}
	}
	return []string{fmt.Sprintf("%s %s: got %s, want %s", what, path, show(got), show(want))}
}
