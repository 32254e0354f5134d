package conformance

import (
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strings"
)

// TestStateCase is one recorded TestState call (category test_state): the
// request as sent and AWS's answer.
type TestStateCase struct {
	ID       string `json:"id"`
	Category string `json:"category"`
	Request  struct {
		Definition         json.RawMessage `json:"definition"`
		RoleArn            *string         `json:"roleArn"`
		Input              json.RawMessage `json:"input"`
		InputText          *string         `json:"input_text"`
		InspectionLevel    string          `json:"inspectionLevel"`
		StateName          *string         `json:"stateName"`
		Variables          json.RawMessage `json:"variables"`
		Mock               json.RawMessage `json:"mock"`
		Context            json.RawMessage `json:"context"`
		StateConfiguration json.RawMessage `json:"stateConfiguration"`
		RevealSecrets      *bool           `json:"revealSecrets"`
	} `json:"request"`
	Expect struct {
		Status         string                     `json:"status"`
		Output         json.RawMessage            `json:"output"`
		Error          *string                    `json:"error"`
		Cause          *string                    `json:"cause"`
		NextState      *string                    `json:"nextState"`
		InspectionData map[string]json.RawMessage `json:"inspectionData"`
		JSONTexts      map[string]string          `json:"json_texts"`
		IgnorePaths    []string                   `json:"ignore_paths"`
		MatchPaths     map[string]string          `json:"match_paths"`
		Message        *string                    `json:"message"`
		MessageRegex   *string                    `json:"message_regex"`
	} `json:"expect"`
	Needs []string `json:"needs"`
	// Lambdas are the Lambda stubs the case needs, by function name, as
	// the base corpus describes them.
	Lambdas map[string]json.RawMessage `json:"lambdas"`
	File    string                     `json:"-"`
}

// LoadTestState reads the TestState cases of the corpus in dir, in index
// order.
func LoadTestState(dir string) ([]*TestStateCase, error) {
	var cases []*TestStateCase
	err := loadIndex(dir, "index-test_state.json", func(file string, b []byte) error {
		c := &TestStateCase{File: file}
		cases = append(cases, c)
		return json.Unmarshal(b, c)
	})
	return cases, err
}

// asText is a request member as the API takes it: a JSON string member
// holding JSON text. The corpus keeps it parsed (an object) or, when it
// was not JSON or not canonical, as the string that was sent.
func asText(v json.RawMessage) *string {
	if len(v) == 0 || string(v) == "null" {
		return nil
	}
	var s string
	if json.Unmarshal(v, &s) == nil {
		return &s
	}
	t := string(v)
	return &t
}

// RequestBody is the TestState request as the AWS JSON API takes it.
func (c *TestStateCase) RequestBody() []byte {
	r := &c.Request
	body := map[string]any{"definition": *asText(r.Definition)}
	if r.RoleArn != nil {
		body["roleArn"] = *r.RoleArn
	}
	switch {
	case r.InputText != nil:
		body["input"] = *r.InputText
	case len(r.Input) > 0:
		body["input"] = string(r.Input)
	}
	if r.InspectionLevel != "" {
		body["inspectionLevel"] = r.InspectionLevel
	}
	if r.StateName != nil {
		body["stateName"] = *r.StateName
	}
	if v := asText(r.Variables); v != nil {
		body["variables"] = *v
	}
	if v := asText(r.Context); v != nil {
		body["context"] = *v
	}
	if r.RevealSecrets != nil {
		body["revealSecrets"] = *r.RevealSecrets
	}
	for name, v := range map[string]json.RawMessage{"mock": r.Mock, "stateConfiguration": r.StateConfiguration} {
		if len(v) > 0 && string(v) != "null" {
			body[name] = json.RawMessage(v)
		}
	}
	b, err := json.Marshal(body)
	if err != nil {
		panic("BUG: cannot encode a TestState request: " + err.Error())
	}
	return b
}

// inspectionTextFields are the inspectionData members the API returns as
// JSON text.
var inspectionTextFields = map[string]bool{
	"input": true, "afterInputPath": true, "afterParameters": true, "result": true,
	"afterResultSelector": true, "afterResultPath": true, "afterArguments": true,
	"afterItemsPath": true, "afterItemSelector": true, "afterItemBatcher": true, "variables": true,
}

// CheckTestState compares an answer with the recorded one, by the corpus
// README's rules: errType and msg are the API error of a refused call
// (empty when it answered), body the answer's JSON otherwise.
func (c *TestStateCase) CheckTestState(errType, msg string, body []byte) error {
	e := &c.Expect
	if e.Status == "API_ERROR" {
		want := deref(e.Error)
		if errType == "" {
			return fmt.Errorf("answered %s, want the error %s: %s", body, want, deref(e.Message))
		}
		if e.Error != nil && errType != *e.Error {
			return fmt.Errorf("error %s: %s, want %s: %s", errType, msg, want, deref(e.Message))
		}
		switch {
		case e.MessageRegex != nil:
			if !regexp.MustCompile(*e.MessageRegex).MatchString(msg) {
				return fmt.Errorf("message %q does not match %q", msg, *e.MessageRegex)
			}
		case e.Message != nil && msg != *e.Message:
			return fmt.Errorf("message %q, want %q", msg, *e.Message)
		}
		return nil
	}
	if errType != "" {
		return fmt.Errorf("error %s: %s, want status %s", errType, msg, e.Status)
	}
	got, err := c.normalize(body)
	if err != nil {
		return err
	}
	want := map[string]any{"status": e.Status}
	if len(e.Output) > 0 {
		v, _ := decode(e.Output)
		want["output"] = v
	}
	for name, p := range map[string]*string{"error": e.Error, "cause": e.Cause, "nextState": e.NextState} {
		if p != nil {
			want[name] = *p
		}
	}
	if len(e.InspectionData) > 0 {
		d := map[string]any{}
		for k, v := range e.InspectionData {
			d[k], _ = decode(v)
		}
		want["inspectionData"] = d
	}
	for p, re := range e.MatchPaths {
		if v, ok := getPath(got, p); ok {
			if s, _ := v.(string); !regexp.MustCompile(re).MatchString(s) {
				return fmt.Errorf("%s is %v, which does not match %q", p, v, re)
			}
		}
	}
	for _, p := range e.IgnorePaths {
		got, want = deletePath(got, p).(map[string]any), deletePath(want, p).(map[string]any)
	}
	if !equalValues(got, want) {
		return fmt.Errorf("answer differs:%s", describeDiff(got, want))
	}
	return nil
}

// normalize decodes an answer and parses its JSON-text members, as the
// corpus keeps them parsed.
func (c *TestStateCase) normalize(body []byte) (map[string]any, error) {
	v, err := decode(body)
	if err != nil {
		return nil, fmt.Errorf("answer is not JSON: %s", body)
	}
	got, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("answer is not an object: %s", body)
	}
	parse := func(s any) any {
		text, ok := s.(string)
		if !ok {
			return s
		}
		p, err := decode([]byte(text))
		if err != nil {
			return s
		}
		return p
	}
	if o, ok := got["output"]; ok {
		got["output"] = parse(o)
	}
	if d, ok := got["inspectionData"].(map[string]any); ok {
		for k, v := range d {
			if inspectionTextFields[k] {
				d[k] = parse(v)
			}
		}
	}
	return got, nil
}

// describeDiff lists the top-level and inspectionData members that differ.
func describeDiff(got, want map[string]any) string {
	var b strings.Builder
	keys := map[string]bool{}
	for k := range got {
		keys[k] = true
	}
	for k := range want {
		keys[k] = true
	}
	var names []string
	for k := range keys {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		if equalValues(got[k], want[k]) {
			continue
		}
		g, _ := json.Marshal(got[k])
		w, _ := json.Marshal(want[k])
		fmt.Fprintf(&b, "\n  %s: %s\n    want %s", k, g, w)
	}
	return b.String()
}
