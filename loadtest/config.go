package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// API selects the request shape.
type API string

const (
	// APIAWS is StartSyncExecution on the AWS JSON 1.0 API (POST / with
	// X-Amz-Target); the answer carries status and output fields.
	APIAWS API = "aws"
	// APIREST is stepd's POST /v1/state-machines/{name}/executions; the
	// answer is the output itself (200) or {"status","error","cause"} (422).
	APIREST API = "rest"
)

// Machine is one state machine of the mix.
type Machine struct {
	Name   string  `json:"name"`
	Weight int     `json:"weight"`
	Input  string  `json:"input"`  // compact JSON text
	Create string  `json:"create"` // ASL file to create the machine from, if any
	Expect *Expect `json:"expect,omitempty"`
}

// Expect is what a correct answer looks like.
type Expect struct {
	Status string `json:"status"`           // SUCCEEDED, FAILED, TIMED_OUT
	Output string `json:"output,omitempty"` // compact JSON; empty: not checked
}

// Config is one load test. Tests build it directly; main fills it from
// flags.
type Config struct {
	Targets  []string      `json:"targets"`
	API      API           `json:"api"`
	Machines []Machine     `json:"machines"`
	Conns    int           `json:"connections"`         // workers (requests in flight at most)
	Pipeline int           `json:"pipeline,omitempty"`  // >0: PipelineClient, this many pending requests per connection
	Rate     float64       `json:"rate,omitempty"`      // >0: open loop, requests per second
	Duration time.Duration `json:"duration"`            // measured time (ignored when Count > 0)
	Count    int64         `json:"count,omitempty"`     // measured requests
	Warmup   time.Duration `json:"warmup"`              // before measuring
	Timeout  time.Duration `json:"timeout"`             // per request
	Region   string        `json:"region"`              // for ARNs
	Account  string        `json:"account"`             // for ARNs
	Interval time.Duration `json:"interval"`            // progress line and series step
	Quiet    bool          `json:"-"`                   // no progress line
	RoleArn  string        `json:"role_arn,omitempty"`  // for CreateStateMachine
	HostName string        `json:"host_name,omitempty"` // Host header; default: the target
}

// DefaultConfig is a closed loop of 64 connections for 10 s against a
// local stepd, running the machine "tiny" with input {}.
func DefaultConfig() Config {
	return Config{
		Targets:  []string{"127.0.0.1:8083"},
		API:      APIAWS,
		Machines: []Machine{{Name: "tiny", Weight: 1, Input: "{}"}},
		Conns:    64,
		Duration: 10 * time.Second,
		Warmup:   0,
		Timeout:  10 * time.Second,
		Region:   "us-east-1",
		Account:  "123456789012",
		Interval: time.Second,
		RoleArn:  "arn:aws:iam::123456789012:role/stepd-loadtest",
	}
}

// Validate reports the first setting that cannot work.
func (c *Config) Validate() error {
	switch {
	case len(c.Targets) == 0:
		return errors.New("-targets: at least one host:port")
	case c.API != APIAWS && c.API != APIREST:
		return fmt.Errorf("-api must be aws or rest, not %q", c.API)
	case len(c.Machines) == 0:
		return errors.New("-machine: at least one state machine")
	case c.Conns < 1:
		return errors.New("-c must be at least 1")
	case c.Pipeline < 0:
		return errors.New("-pipeline must not be negative")
	case c.Rate < 0:
		return errors.New("-rate must not be negative")
	case c.Count < 0:
		return errors.New("-n must not be negative")
	case c.Count == 0 && c.Duration <= 0:
		return errors.New("-d must be positive (or give -n)")
	case c.Warmup < 0:
		return errors.New("-warmup must not be negative")
	case c.Timeout <= 0:
		return errors.New("-timeout must be positive")
	case c.Interval <= 0:
		return errors.New("the progress interval must be positive")
	}
	for _, t := range c.Targets {
		if !strings.Contains(t, ":") {
			return fmt.Errorf("-targets: %q is not host:port", t)
		}
	}
	seen := map[string]bool{}
	for _, m := range c.Machines {
		switch {
		case m.Name == "" || strings.ContainsAny(m.Name, " /?#=,\"\\"):
			return fmt.Errorf("-machine: bad state machine name %q", m.Name)
		case seen[m.Name]:
			return fmt.Errorf("-machine: %q given twice", m.Name)
		case m.Weight < 1:
			return fmt.Errorf("-machine: %s: the weight must be at least 1", m.Name)
		case !json.Valid([]byte(m.Input)):
			return fmt.Errorf("-input: %s: not valid JSON: %.60q", m.Name, m.Input)
		}
		if m.Expect != nil && m.Expect.Output != "" && !json.Valid([]byte(m.Expect.Output)) {
			return fmt.Errorf("-expect-output: %s: not valid JSON", m.Name)
		}
		seen[m.Name] = true
	}
	return nil
}

// expect returns what m's answers are checked against.
func (m *Machine) expect() Expect {
	if m.Expect == nil {
		return Expect{Status: "SUCCEEDED"}
	}
	e := *m.Expect
	if e.Status == "" {
		e.Status = "SUCCEEDED"
	}
	return e
}

// parseMachines parses "-machine name=weight,name,..." (weight 1 when
// omitted).
func parseMachines(s string) ([]Machine, error) {
	var ms []Machine
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		name, w, hasW := strings.Cut(part, "=")
		m := Machine{Name: name, Weight: 1, Input: "{}"}
		if hasW {
			n, err := strconv.Atoi(w)
			if err != nil || n < 1 {
				return nil, fmt.Errorf("-machine: %s: the weight must be a positive integer, not %q", name, w)
			}
			m.Weight = n
		}
		ms = append(ms, m)
	}
	if len(ms) == 0 {
		return nil, errors.New("-machine: at least one state machine")
	}
	return ms, nil
}

// perMachine is a repeatable flag whose values are either "VALUE" (for
// every machine) or "name=VALUE" (for one). A value is JSON text or
// @file. JSON text never starts with a name followed by '=', so the two
// forms cannot be confused.
type perMachine struct {
	all    *string
	byName map[string]string
}

func (p *perMachine) String() string { return "" }

func (p *perMachine) Set(v string) error {
	if p.byName == nil {
		p.byName = map[string]string{}
	}
	t := strings.TrimSpace(v)
	if strings.HasPrefix(t, "@") || json.Valid([]byte(t)) {
		p.all = &t
		return nil
	}
	name, val, ok := strings.Cut(t, "=")
	if !ok {
		return fmt.Errorf("%.60q is neither JSON, @file nor name=JSON", v)
	}
	p.byName[name] = val
	return nil
}

// value returns the compact JSON given for machine name, if any.
func (p *perMachine) value(name string) (string, bool, error) {
	v, ok := p.byName[name]
	if !ok {
		if p.all == nil {
			return "", false, nil
		}
		v = *p.all
	}
	b, err := readJSONArg(v)
	return string(b), true, err
}

// readJSONArg reads "@file" or JSON text and returns it compacted.
func readJSONArg(v string) ([]byte, error) {
	b := []byte(v)
	if file, ok := strings.CutPrefix(v, "@"); ok {
		var err error
		if b, err = os.ReadFile(file); err != nil {
			return nil, fmt.Errorf("cannot read %s: %w", file, err)
		}
	}
	var out bytes.Buffer
	if err := json.Compact(&out, b); err != nil {
		return nil, fmt.Errorf("cannot parse %.60q as JSON: %w", v, err)
	}
	return out.Bytes(), nil
}

// mixFile is the -mix file: a JSON array of machines, with the input
// inline (any JSON) or in a file named relative to the mix file.
//
//	[{"name":"tiny","weight":3,"input":{"order":{"total":150}}},
//	 {"name":"medium","weight":1,"input_file":"medium.input.json","create":"medium.asl.json",
//	  "expect_status":"SUCCEEDED","expect_output":{"ok":true}}]
type mixEntry struct {
	Name         string          `json:"name"`
	Weight       int             `json:"weight"`
	Input        json.RawMessage `json:"input"`
	InputFile    string          `json:"input_file"`
	Create       string          `json:"create"`
	ExpectStatus string          `json:"expect_status"`
	ExpectOutput json.RawMessage `json:"expect_output"`
}

// readMix parses a -mix file.
func readMix(path string) ([]Machine, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("cannot read the mix file: %w", err)
	}
	var entries []mixEntry
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&entries); err != nil {
		return nil, fmt.Errorf("cannot parse the mix file %s: %w", path, err)
	}
	dir := path[:strings.LastIndexByte(path, '/')+1]
	rel := func(f string) string {
		if f == "" || strings.HasPrefix(f, "/") {
			return f
		}
		return dir + f
	}
	var ms []Machine
	for i, e := range entries {
		m := Machine{Name: e.Name, Weight: e.Weight, Input: "{}", Create: rel(e.Create)}
		if m.Weight == 0 {
			m.Weight = 1
		}
		var in []byte
		switch {
		case e.InputFile != "":
			in, err = readJSONArg("@" + rel(e.InputFile))
		case len(e.Input) > 0:
			in, err = readJSONArg(string(e.Input))
		default:
			in = []byte("{}")
		}
		if err != nil {
			return nil, fmt.Errorf("mix file %s: entry %d (%s): %w", path, i, e.Name, err)
		}
		m.Input = string(in)
		if e.ExpectStatus != "" || len(e.ExpectOutput) > 0 {
			m.Expect = &Expect{Status: e.ExpectStatus}
			if len(e.ExpectOutput) > 0 {
				out, err := readJSONArg(string(e.ExpectOutput))
				if err != nil {
					return nil, fmt.Errorf("mix file %s: entry %d (%s): expect_output: %w", path, i, e.Name, err)
				}
				m.Expect.Output = string(out)
			}
		}
		ms = append(ms, m)
	}
	return ms, nil
}
