package daemon

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestUnsupportedResourceRefusedAtCreate checks that a Task naming a
// resource this node cannot run is refused by CreateStateMachine, with the
// resource and its place, unless the mock config stands in for the state.
func TestUnsupportedResourceRefusedAtCreate(t *testing.T) {
	create := func(ts *testServer, name string) (string, string) {
		code, msg, err := ts.call("CreateStateMachine", map[string]any{"name": name, "definition": mockMachine, "roleArn": "arn:aws:iam::123456789012:role/r", "type": "EXPRESS"}, nil)
		if err != nil {
			t.Fatal(err)
		}
		return code, msg
	}
	cfg := DefaultConfig()
	cfg.DataDir = t.TempDir()
	ts := startTestServer(t, cfg)
	code, msg := create(ts, "LambdaSQSIntegration")
	want := "Invalid State Machine Definition: 'SCHEMA_VALIDATION_FAILED: The resource provided arn:aws:states:::sqs:sendMessage is not supported by stepd yet; a -mock-config test case for this state can stand in for it at /States/SQSState/Resource'"
	if code != "InvalidDefinition" || msg != want {
		t.Errorf("without mocks: %s %q\nwant InvalidDefinition %q", code, msg, want)
	}

	file := filepath.Join(t.TempDir(), "MockConfigFile.json")
	if err := os.WriteFile(file, []byte(mockConfigText), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg = DefaultConfig()
	cfg.DataDir, cfg.MockConfig = t.TempDir(), file
	ts = startTestServer(t, cfg)
	if code, msg := create(ts, "LambdaSQSIntegration"); code != "" {
		t.Errorf("mocked machine refused: %s %s", code, msg)
	}
	if code, msg := create(ts, "Unmocked"); code != "InvalidDefinition" || !strings.Contains(msg, "sqs:sendMessage") {
		t.Errorf("a machine the mock config does not name: %s %s", code, msg)
	}
}
