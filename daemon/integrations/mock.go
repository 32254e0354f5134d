package integrations

import (
	"context"
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	json "github.com/goccy/go-json"

	"github.com/stepd/stepd/fastpath"
	"github.com/stepd/stepd/fastpath/jsonb"
)

// The AWS Step Functions Local MockConfigFile format:
//
//	{"StateMachines": {"<machine name>": {"TestCases": {"<test case>": {"<state name>": "<mocked response>"}}}},
//	 "MockedResponses": {"<mocked response>": {"0": {"Return": <result>}, "1-2": {"Throw": {"Error": "…", "Cause": "…"}}}}}
//
// An execution started with stateMachineArn "<arn>#<test case>" runs with
// that test case: each Task state it names answers with its mocked
// response for the state's nth invocation (counted from 0 within the
// execution, retries included) instead of calling anything; other Task
// states call their integration as usual. An invocation past the last
// index given repeats the last response.

// mockFile is the parsed file.
type mockFile struct {
	StateMachines map[string]struct {
		TestCases map[string]map[string]string `json:"TestCases"`
	} `json:"StateMachines"`
	MockedResponses map[string]map[string]struct {
		Return json.RawMessage `json:"Return"`
		Throw  *struct {
			Error string `json:"Error"`
			Cause string `json:"Cause"`
		} `json:"Throw"`
	} `json:"MockedResponses"`
}

// mockStep is one mocked answer: a compact result or a failure.
type mockStep struct {
	result []byte
	fail   *fastpath.Failure
}

// MockCase is one test case: the answers of each mocked state, by
// invocation index.
type MockCase map[string][]mockStep

// MockSet is a whole file, checked and indexed.
type MockSet struct {
	cases map[string]map[string]MockCase // machine name → test case → state
}

// ParseMocks reads a MockConfigFile, reporting every problem it finds at
// once.
func ParseMocks(b []byte) (*MockSet, error) {
	var f mockFile
	if err := json.Unmarshal(b, &f); err != nil {
		return nil, fmt.Errorf("cannot parse the mock config: %w", err)
	}
	var problems []string
	responses := map[string][]mockStep{}
	for name, steps := range f.MockedResponses {
		var out []mockStep
		keys := make([]string, 0, len(steps))
		for k := range steps {
			keys = append(keys, k)
		}
		type span struct {
			lo, hi int
			key    string
		}
		var spans []span
		for _, k := range keys {
			lo, hi, err := parseMockIndex(k)
			if err != nil {
				problems = append(problems, fmt.Sprintf("MockedResponses.%s: %v", name, err))
				continue
			}
			spans = append(spans, span{lo, hi, k})
		}
		sort.Slice(spans, func(i, j int) bool { return spans[i].lo < spans[j].lo })
		next := 0
		for _, sp := range spans {
			if sp.lo != next {
				problems = append(problems, fmt.Sprintf("MockedResponses.%s: invocation %d has no response (keys must cover 0, 1, 2, … without gaps)", name, next))
				break
			}
			s := steps[sp.key]
			var st mockStep
			switch {
			case s.Throw != nil && len(s.Return) > 0:
				problems = append(problems, fmt.Sprintf("MockedResponses.%s.%s: has both Return and Throw", name, sp.key))
			case s.Throw != nil:
				st.fail = &fastpath.Failure{Name: s.Throw.Error, Cause: s.Throw.Cause}
			case len(s.Return) > 0:
				r, err := jsonb.Compact(nil, s.Return, jsonb.MaxDepth)
				if err != nil {
					problems = append(problems, fmt.Sprintf("MockedResponses.%s.%s.Return: %v", name, sp.key, err))
				}
				st.result = r
			default:
				problems = append(problems, fmt.Sprintf("MockedResponses.%s.%s: needs Return or Throw", name, sp.key))
			}
			for i := sp.lo; i <= sp.hi; i++ {
				out = append(out, st)
			}
			next = sp.hi + 1
		}
		if len(out) == 0 {
			problems = append(problems, fmt.Sprintf("MockedResponses.%s: has no responses", name))
		}
		responses[name] = out
	}
	set := &MockSet{cases: map[string]map[string]MockCase{}}
	for machine, m := range f.StateMachines {
		set.cases[machine] = map[string]MockCase{}
		for tc, states := range m.TestCases {
			c := MockCase{}
			for state, resp := range states {
				steps, ok := responses[resp]
				if !ok {
					problems = append(problems, fmt.Sprintf("StateMachines.%s.TestCases.%s.%s: no MockedResponses entry %q", machine, tc, state, resp))
					continue
				}
				c[state] = steps
			}
			set.cases[machine][tc] = c
		}
	}
	if len(problems) > 0 {
		sort.Strings(problems)
		return nil, fmt.Errorf("mock config: %s", strings.Join(problems, "; "))
	}
	return set, nil
}

// parseMockIndex reads "3" or "1-2".
func parseMockIndex(k string) (lo, hi int, err error) {
	a, b, isRange := strings.Cut(k, "-")
	if lo, err = strconv.Atoi(a); err != nil || lo < 0 {
		return 0, 0, fmt.Errorf("%q is not an invocation index or range like \"1-2\"", k)
	}
	hi = lo
	if isRange {
		if hi, err = strconv.Atoi(b); err != nil || hi < lo {
			return 0, 0, fmt.Errorf("%q is not an invocation index or range like \"1-2\"", k)
		}
	}
	if hi-lo > 10000 {
		return 0, 0, fmt.Errorf("%q spans more than 10000 invocations", k)
	}
	return lo, hi, nil
}

// Find returns a test case of machine, or an error naming what is missing.
func (s *MockSet) Find(machine, testCase string) (MockCase, error) {
	m, ok := s.cases[machine]
	if !ok {
		return nil, fmt.Errorf("the mock config has no state machine %q", machine)
	}
	c, ok := m[testCase]
	if !ok {
		return nil, fmt.Errorf("the mock config has no test case %q for the state machine %q", testCase, machine)
	}
	return c, nil
}

// Mocks reports whether a test case of the set mocks the state called
// state of the machine called machine.
func (s *MockSet) Mocks(machine, state string) bool {
	for _, c := range s.cases[machine] {
		if _, ok := c[state]; ok {
			return true
		}
	}
	return false
}

// MockStore is the mock config file, re-read when it changes (its size or
// modification time differ from the last read). It is safe for concurrent
// use.
type MockStore struct {
	path string

	mu    sync.Mutex
	mtime time.Time
	size  int64
	set   *MockSet
	err   error
}

// NewMockStore reads the mock config file at path.
func NewMockStore(path string) (*MockStore, error) {
	m := &MockStore{path: path}
	_, err := m.Current()
	return m, err
}

// Current returns the file's mocks, reading it again if it changed.
func (m *MockStore) Current() (*MockSet, error) {
	fi, err := os.Stat(m.path)
	if err != nil {
		return nil, fmt.Errorf("cannot read the mock config: %w", err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.set != nil || m.err != nil {
		if fi.ModTime().Equal(m.mtime) && fi.Size() == m.size {
			return m.set, m.err
		}
	}
	b, err := os.ReadFile(m.path)
	if err != nil {
		return nil, fmt.Errorf("cannot read the mock config: %w", err)
	}
	m.mtime, m.size = fi.ModTime(), fi.Size()
	m.set, m.err = ParseMocks(b)
	return m.set, m.err
}

// mockInvoker answers the mocked states of one execution's test case and
// hands the others to base. One is made per execution: it counts each
// state's invocations. It is safe for the concurrent branches of that
// execution.
type mockInvoker struct {
	base fastpath.Invoker
	tc   MockCase

	mu     sync.Mutex
	counts map[string]int
}

// NewMockInvoker answers the states tc mocks and hands the others to base.
func NewMockInvoker(base fastpath.Invoker, tc MockCase) *mockInvoker {
	return &mockInvoker{base: base, tc: tc, counts: map[string]int{}}
}

// Mocks reports whether the test case mocks task's state
// (fastpath.Mocker): a callback Task it mocks ends with the mocked answer.
func (m *mockInvoker) Mocks(task *fastpath.Task) bool {
	_, ok := m.tc[task.State]
	return ok
}

// Invoke answers task from the test case when it mocks task's state.
func (m *mockInvoker) Invoke(ctx context.Context, task *fastpath.Task, input, dst []byte) ([]byte, []byte, error) {
	steps, ok := m.tc[task.State]
	if !ok {
		if m.base == nil {
			return fastpath.Funcs(nil).Invoke(ctx, task, input, dst)
		}
		return m.base.Invoke(ctx, task, input, dst)
	}
	m.mu.Lock()
	i := m.counts[task.State]
	m.counts[task.State] = i + 1
	m.mu.Unlock()
	st := steps[min(i, len(steps)-1)]
	if st.fail != nil {
		return nil, dst, &fastpath.Failure{Name: st.fail.Name, Cause: st.fail.Cause}
	}
	mark := len(dst)
	dst = append(dst, st.result...)
	return dst[mark:], dst, nil
}

// LoadTestCase finds a test case in a mock file: under the machine's name,
// or else in the only state machine that has a test case of that name.
func LoadTestCase(file, machine, testCase string) (MockCase, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	set, err := ParseMocks(b)
	if err != nil {
		return nil, err
	}
	if tc, err := set.Find(machine, testCase); err == nil {
		return tc, nil
	}
	var found []MockCase
	for _, cases := range set.cases {
		if tc, ok := cases[testCase]; ok {
			found = append(found, tc)
		}
	}
	if len(found) != 1 {
		return nil, fmt.Errorf("%s: no single state machine has the test case %q (looked for %q first)", file, testCase, machine)
	}
	return found[0], nil
}
