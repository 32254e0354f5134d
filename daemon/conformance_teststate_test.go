package daemon

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/stepd/stepd/internal/conformance"
)

// testStateKnownFailures are the TestState cases that do not pass yet,
// with why (docs/CONFORMANCE.md repeats them).
var testStateKnownFailures = map[string]string{}

// TestConformanceTestState runs the corpus's 171 TestState calls through
// the AWS API of an in-process node (the ones that call a Lambda function
// with a loopback Lambda Invoke API serving the case's stubs, as
// TestConformanceLambda does), compares each answer as the corpus README
// says, and prints the pass rate. A case in testStateKnownFailures may
// fail; any other failure, or a listed case that passes, fails the test.
func TestConformanceTestState(t *testing.T) {
	dir, err := conformance.Dir()
	if err != nil {
		t.Skip(err)
	}
	cases, err := conformance.LoadTestState(dir)
	if err != nil {
		t.Fatal(err)
	}
	cfg := DefaultConfig()
	cfg.DataDir, cfg.Account = t.TempDir(), "111111111111"
	plain := startTestServer(t, cfg)
	var tally conformance.Tally
	for _, c := range cases {
		ts := plain
		if len(c.Lambdas) > 0 {
			fns := map[string]stubFunction{}
			for name, l := range c.Lambdas {
				var fn stubFunction
				if err := json.Unmarshal(l, &fn); err != nil {
					t.Fatalf("%s: lambda %s: %v", c.ID, name, err)
				}
				fns[name] = fn
			}
			lcfg := cfg
			lcfg.DataDir = t.TempDir()
			lcfg.LambdaEndpoint = startLambdaStub(t, fns).URL
			ts = startTestServer(t, lcfg)
		}
		var body json.RawMessage
		errType, msg, err := ts.call("TestState", json.RawMessage(c.RequestBody()), &body)
		if err == nil {
			err = c.CheckTestState(errType, msg, body)
		}
		tally.Add(c.Category, err == nil)
		reason, known := testStateKnownFailures[c.ID]
		switch {
		case err != nil && known:
			t.Logf("known failure %s (%s): %v", c.ID, reason, err)
		case err != nil:
			t.Errorf("%s: %v", strings.TrimPrefix(c.ID, "state."), err)
		case known:
			t.Errorf("%s passes: remove it from testStateKnownFailures", c.ID)
		}
	}
	t.Logf("TestState conformance over HTTP:\n%s", tally.String())
}
