package teststate

import (
	"context"
	"strings"
	"testing"

	json "github.com/goccy/go-json"

	"github.com/stepd/stepd/internal/conformance"
)

// knownFailures are the TestState cases that do not pass yet, with why
// (docs/CONFORMANCE.md repeats them).
var knownFailures = map[string]string{
	"state.state_context_object.state_map_context_object[ALL]": "AWS's TestState words a Map's ItemsPath that selects no array as `Reference path \"$\" must point to array.`; stepd answers with its execution message, as the wording for other paths is not recorded",
}

// TestConformanceInProcess runs the corpus's TestState cases that need no
// Lambda function straight through Run (the daemon's conformance test runs
// all of them over HTTP) and fails on any that does not pass, other than
// the known failures.
func TestConformanceInProcess(t *testing.T) {
	dir, err := conformance.Dir()
	if err != nil {
		t.Skip(err)
	}
	cases, err := conformance.LoadTestState(dir)
	if err != nil {
		t.Fatal(err)
	}
	cfg := &Config{Region: "us-east-1", Account: "111111111111"}
	passed, ran := 0, 0
	for _, c := range cases {
		if len(c.Lambdas) > 0 {
			continue
		}
		ran++
		var req Request
		if err := json.Unmarshal(c.RequestBody(), &req); err != nil {
			t.Errorf("%s: cannot decode the request: %v", c.ID, err)
			continue
		}
		resp, e := Run(context.Background(), cfg, &req)
		var errType, msg string
		var body []byte
		if e != nil {
			errType, msg = e.Type, e.Message
		} else {
			body, _ = json.Marshal(resp)
		}
		err := c.CheckTestState(errType, msg, body)
		reason, known := knownFailures[c.ID]
		switch {
		case err != nil && known:
			t.Logf("known failure %s (%s)", c.ID, reason)
		case err != nil:
			t.Errorf("%s: %v", strings.TrimPrefix(c.ID, "state."), err)
		case known:
			t.Errorf("%s passes: remove it from knownFailures", c.ID)
		}
		if err == nil {
			passed++
		}
	}
	t.Logf("test_state in process: %d of %d pass", passed, ran)
}
