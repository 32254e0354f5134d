// Package testrunner runs workflow test suites for `stepd test`: each
// suite names a state machine definition, mocked Task answers in the
// MockConfigFile format of AWS Step Functions Local, and cases with an
// input and what must come out (status, output exactly or as a JSON
// subset, error and cause, the states passed through). Cases run in
// process on virtual time, so Waits and Retry back-offs of any length
// take no time, with seeded randomness, so States.UUID and $uuid() repeat
// from run to run. The report shows each failure's differences and path;
// WriteJUnit writes the JUnit XML that CI systems read.
package testrunner

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Suite is one suite file:
//
//	{
//	  "definition": "order.asl.json",        // file (relative to the suite) or the definition inline
//	  "stateMachine": "order",               // its name in the mock file; default: the file name
//	  "type": "STANDARD",                    // validation rules; default STANDARD
//	  "mocks": "mocks.json",                 // MockConfigFile: file or inline; optional
//	  "cases": [{
//	    "name": "charges the card",
//	    "input": {"total": 12},
//	    "testCase": "HappyPath",             // test case of the mock file; optional
//	    "expect": {
//	      "status": "SUCCEEDED",             // default SUCCEEDED
//	      "output": {...},                   // the whole output, exactly
//	      "outputContains": {...},           // a JSON subset of the output
//	      "error": "States.TaskFailed", "cause": "...",
//	      "path": ["Validate", "Charge", "Done"]  // the states entered, in order (branches that
//	                                               // call tasks or wait run at once: their order varies)
//	    }
//	  }]
//	}
type Suite struct {
	Definition   json.RawMessage `json:"definition"`
	StateMachine string          `json:"stateMachine"`
	Type         string          `json:"type"`
	Mocks        json.RawMessage `json:"mocks"`
	Cases        []Case          `json:"cases"`

	// File is the suite's file; DefinitionText and MockText the
	// definition and mock file as read.
	File           string `json:"-"`
	DefinitionText []byte `json:"-"`
	MockText       []byte `json:"-"`
}

// Case is one test of a suite.
type Case struct {
	Name     string          `json:"name"`
	Input    json.RawMessage `json:"input"`
	TestCase string          `json:"testCase"`
	Expect   Expect          `json:"expect"`
}

// Expect is what a case must produce; an absent field is not checked.
type Expect struct {
	Status         string          `json:"status"`
	Output         json.RawMessage `json:"output"`
	OutputContains json.RawMessage `json:"outputContains"`
	Error          *string         `json:"error"`
	Cause          *string         `json:"cause"`
	Path           []string        `json:"path"`
}

// Load reads a suite file and the files it names, and checks it.
func Load(file string) (*Suite, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	s := &Suite{File: file}
	d := json.NewDecoder(bytes.NewReader(b))
	d.DisallowUnknownFields()
	if err := d.Decode(s); err != nil {
		return nil, fmt.Errorf("%s: cannot read the suite: %w", file, err)
	}
	if s.DefinitionText, err = s.fileOrInline(s.Definition, "definition"); err != nil {
		return nil, err
	}
	if s.DefinitionText == nil {
		return nil, fmt.Errorf("%s: the suite has no definition", file)
	}
	if s.MockText, err = s.fileOrInline(s.Mocks, "mocks"); err != nil {
		return nil, err
	}
	if s.StateMachine == "" {
		s.StateMachine = baseName(file)
		if name := unquote(s.Definition); name != nil {
			s.StateMachine = baseName(string(name))
		}
	}
	switch s.Type {
	case "":
		s.Type = "STANDARD"
	case "STANDARD", "EXPRESS":
	default:
		return nil, fmt.Errorf("%s: type %q is neither STANDARD nor EXPRESS", file, s.Type)
	}
	if len(s.Cases) == 0 {
		return nil, fmt.Errorf("%s: the suite has no cases", file)
	}
	for i := range s.Cases {
		c := &s.Cases[i]
		if c.Name == "" {
			c.Name = fmt.Sprintf("case %d", i+1)
		}
		switch c.Expect.Status {
		case "":
			c.Expect.Status = "SUCCEEDED"
		case "SUCCEEDED", "FAILED", "TIMED_OUT":
		default:
			return nil, fmt.Errorf("%s: %s: expect.status %q is not SUCCEEDED, FAILED or TIMED_OUT", file, c.Name, c.Expect.Status)
		}
		if c.TestCase != "" && s.MockText == nil {
			return nil, fmt.Errorf("%s: %s: testCase %q needs the suite's mocks", file, c.Name, c.TestCase)
		}
	}
	return s, nil
}

// fileOrInline reads the file a JSON string names (relative to the
// suite), or returns an inline JSON value as it is; nil when absent.
func (s *Suite) fileOrInline(v json.RawMessage, field string) ([]byte, error) {
	if len(v) == 0 || string(v) == "null" {
		return nil, nil
	}
	name := unquote(v)
	if name == nil {
		return v, nil
	}
	path := string(name)
	if !filepath.IsAbs(path) {
		path = filepath.Join(filepath.Dir(s.File), path)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("%s: cannot read the %s: %w", s.File, field, err)
	}
	return b, nil
}

// unquote is the text of a JSON string, nil if v is not one.
func unquote(v json.RawMessage) []byte {
	var s string
	if json.Unmarshal(v, &s) != nil {
		return nil
	}
	return []byte(s)
}

// baseName is a file's name without its directory and its .asl.json,
// .json, .asl or .suite.json ending: the state machine's name by default.
func baseName(file string) string {
	base := filepath.Base(file)
	for _, ext := range []string{".suite.json", ".asl.json", ".json", ".asl"} {
		if strings.HasSuffix(base, ext) {
			return strings.TrimSuffix(base, ext)
		}
	}
	return base
}
