package compile

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stepd/stepd/fastpath"
	"github.com/stepd/stepd/internal/conformance"
)

// knownFailuresFile lists the conformance cases that do not pass yet, one
// "id<TAB>reason" a line; docs/CONFORMANCE.md explains them. The test fails
// when a case outside the list fails, and when a listed case passes (so the
// list never goes stale).
const knownFailuresFile = "testdata/conformance/known_failures.txt"

func loadKnownFailures(t *testing.T) map[string]string {
	known, err := conformance.LoadKnownFailures(knownFailuresFile)
	if err != nil {
		t.Fatal(err)
	}
	return known
}

// conformanceOptions are the names AWS recorded the corpus under. Express
// executions have ARNs of their own shape.
func conformanceOptions(c *conformance.Case, clock fastpath.Clock) *fastpath.Options {
	arn := "arn:aws:states:us-east-1:111111111111:execution:conformance:exec-1"
	if c.Type() == "EXPRESS" {
		arn = "arn:aws:states:us-east-1:111111111111:express:conformance:exec-1:0f5c3c9e-7a52-4b8e-9e43-6d1c8a1b2f00"
	}
	return &fastpath.Options{
		ExecutionArn:     arn,
		ExecutionName:    "exec-1",
		StateMachineArn:  "arn:aws:states:us-east-1:111111111111:stateMachine:conformance",
		StateMachineName: "conformance",
		RoleArn:          "arn:aws:iam::111111111111:role/stepd",
		Synchronous:      c.Synchronous(),
		Clock:            clock,
	}
}

// TestConformance runs every corpus case that needs no AWS service in
// process, and prints the pass rate by category.
func TestConformance(t *testing.T) {
	dir, err := conformance.Dir()
	if err != nil {
		t.Skip(err)
	}
	cases, err := conformance.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	known := loadKnownFailures(t)
	var tally conformance.Tally
	notRun := map[string]int{}
	for _, c := range cases {
		var err error
		switch {
		case c.Category == "dmap" || slices.Contains(c.Features, "Map:Distributed") && len(c.Needs) == 0:
			err = runDistributedCase(dir, c)
		case len(c.Needs) > 0:
			notRun["needs a Lambda stub or an AWS service (daemon tests run those)"]++
			continue
		default:
			err = runCase(c, nil)
		}
		tally.Add(c.Category, err == nil)
		reason, isKnown := known[c.ID]
		switch {
		case err != nil && !isKnown:
			t.Errorf("%s (%s): %v", c.ID, c.File, err)
		case err == nil && isKnown:
			t.Errorf("%s passes now: remove it from %s (%s)", c.ID, knownFailuresFile, reason)
		}
	}
	t.Logf("conformance, in process:\n%s", tally.String())
	for reason, n := range notRun {
		t.Logf("not run: %d cases: %s", n, reason)
	}
}

// caseExtras are what a case of a Distributed Map brings and checks
// beyond the rest: the ItemReader of its S3 objects, AWS's exact output
// text when it was kept (the key order of CSV items shows only there),
// and the history AWS recorded.
type caseExtras struct {
	items      fastpath.ItemReader
	outputText string
	trace      []string
}

// runCase runs c and compares as the corpus README says; with x, also
// byte for byte with x.outputText and event for event with x.trace.
func runCase(c *conformance.Case, x *caseExtras) error {
	if c.IsValidation() {
		return checkValidationCase(c)
	}
	prog, err := Compile(c.DefinitionBytes(), MachineType(c.Type()))
	if err != nil {
		return err
	}
	ex := fastpath.AcquireExecution()
	defer fastpath.ReleaseExecution(ex)
	clock := fastpath.NewVirtualClock(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC))
	opts := conformanceOptions(c, clock)
	sink := &traceSink{}
	if x != nil {
		opts.Items, opts.Events, opts.EventMask = x.items, sink, fastpath.AllEvents
	}
	res, err := ex.Run(context.Background(), prog, c.Input, opts)
	if err != nil {
		return err
	}
	if x != nil && strings.Join(sink.trace, " ") != strings.Join(x.trace, " ") {
		return fmt.Errorf("history:\n got %s\nwant %s", strings.Join(sink.trace, " "), strings.Join(x.trace, " "))
	}
	o := conformance.Outcome{Status: res.Status.String(), Output: res.Output}
	if res.HasError {
		o.Error = &res.Error
	}
	if res.HasCause {
		o.Cause = &res.Cause
	}
	if x != nil && x.outputText != "" && res.Status == fastpath.Succeeded && string(res.Output) != x.outputText {
		return fmt.Errorf("output %s, want exactly %s", res.Output, x.outputText)
	}
	return c.CheckExecution(o)
}

// checkValidationCase compares Validate with a recorded definition check:
// CreateStateMachine's exact InvalidDefinition message, or
// ValidateStateMachineDefinition's result and diagnostics.
func checkValidationCase(c *conformance.Case) error {
	diags := Validate(c.DefinitionBytes(), MachineType(c.Type()))
	e := &c.Expect
	if e.API == "CreateStateMachine" {
		if got := CreateError(diags); got != e.Message {
			return fmt.Errorf("CreateError %q, want %q", got, e.Message)
		}
		return nil
	}
	result := "OK"
	if hasError(diags) {
		result = "FAIL"
	}
	if result != e.Result || len(diags) != len(e.Diagnostics) {
		return fmt.Errorf("result %s with %v, want %s with %v", result, diags, e.Result, e.Diagnostics)
	}
	for i, w := range e.Diagnostics {
		d := diags[i]
		if d.Code != w.Code || d.Location != w.Location || d.Message != w.Message || string(d.Severity) != w.Severity {
			return fmt.Errorf("diagnostic %d: %+v, want %+v", i, d, w)
		}
	}
	return nil
}
