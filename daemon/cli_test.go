package daemon

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

const (
	// ResultPath places the result into the raw input, not the InputPath.
	passMachine = `{"StartAt":"P","States":{"P":{"Type":"Pass","InputPath":"$.order","Result":{"tier":"gold"},"ResultPath":"$.class","End":true}}}`
	failMachine = `{"StartAt":"F","States":{"F":{"Type":"Fail","Error":"Nope","Cause":"it failed"}}}`
	badMachine  = `{"StartAt":"X","States":{"A":{"Type":"Pass","Next":"Z"}}}`
	taskMachine = `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:states:::states:startExecution.sync","End":true}}}`
)

// writeFiles writes name→content files into a temporary directory.
func writeFiles(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func runMain(args ...string) (code int, stdout, stderr string) {
	var out, errb bytes.Buffer
	code = Main(args, strings.NewReader(`{"order":{"total":7}}`), &out, &errb)
	return code, out.String(), errb.String()
}

func TestRunCommand(t *testing.T) {
	dir := writeFiles(t, map[string]string{"pass.asl.json": passMachine, "fail.asl.json": failMachine, "bad.asl.json": badMachine, "in.json": `{"order":{"total":150}}`})
	pass, fail, bad := filepath.Join(dir, "pass.asl.json"), filepath.Join(dir, "fail.asl.json"), filepath.Join(dir, "bad.asl.json")
	for _, tc := range []struct {
		name      string
		args      []string
		code      int
		stdout    string
		stderrHas string
	}{
		{"inline input", []string{"run", pass, "-input", `{"order":{"total":1}}`}, 0, `{"order":{"total":1},"class":{"tier":"gold"}}` + "\n", ""},
		{"flags first", []string{"run", "-input", `{"order":{"total":1}}`, pass}, 0, `{"order":{"total":1},"class":{"tier":"gold"}}` + "\n", ""},
		{"input file", []string{"run", pass, "-input", "@" + filepath.Join(dir, "in.json")}, 0, `{"order":{"total":150},"class":{"tier":"gold"}}` + "\n", ""},
		{"stdin input", []string{"run", pass, "-input", "@-"}, 0, `{"order":{"total":7},"class":{"tier":"gold"}}` + "\n", ""},
		{"failed", []string{"run", fail}, 1, "", "error: Nope\ncause: it failed"},
		{"bad definition", []string{"run", bad}, 2, "", "MISSING_TRANSITION_TARGET"},
		{"bad input", []string{"run", pass, "-input", `{"order":`}, 2, "", "InvalidExecutionInput"},
		{"no file", []string{"run"}, 2, "", "exactly one definition file"},
		{"bad type", []string{"run", pass, "-type", "LARGE"}, 2, "", "EXPRESS or STANDARD"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, stdout, stderr := runMain(tc.args...)
			if code != tc.code || (tc.stdout != "" && stdout != tc.stdout) || !strings.Contains(stderr, tc.stderrHas) {
				t.Errorf("exit %d, stdout %q, stderr %q; want %d, %q, stderr containing %q", code, stdout, stderr, tc.code, tc.stdout, tc.stderrHas)
			}
		})
	}
}

func TestRunJSON(t *testing.T) {
	dir := writeFiles(t, map[string]string{"pass.asl.json": passMachine, "fail.asl.json": failMachine})
	for _, tc := range []struct {
		file   string
		code   int
		status string
	}{{"pass.asl.json", 0, "SUCCEEDED"}, {"fail.asl.json", 1, "FAILED"}} {
		code, stdout, _ := runMain("run", "-json", filepath.Join(dir, tc.file), "-input", `{"order":{"a":1}}`, "-region", "eu-west-1", "-account", "111111111111")
		var resp map[string]any
		if err := json.Unmarshal([]byte(stdout), &resp); err != nil {
			t.Fatalf("%s: %v in %q", tc.file, err, stdout)
		}
		if code != tc.code || resp["status"] != tc.status {
			t.Errorf("%s: exit %d status %v, want %d %s", tc.file, code, resp["status"], tc.code, tc.status)
		}
		if !strings.HasPrefix(resp["executionArn"].(string), "arn:aws:states:eu-west-1:111111111111:express:") {
			t.Errorf("executionArn %v", resp["executionArn"])
		}
		if tc.status == "SUCCEEDED" && resp["output"] != `{"order":{"a":1},"class":{"tier":"gold"}}` {
			t.Errorf("output %v (must be a JSON string)", resp["output"])
		}
		if tc.status == "FAILED" && (resp["error"] != "Nope" || resp["cause"] != "it failed") {
			t.Errorf("error %v cause %v", resp["error"], resp["cause"])
		}
	}
}

func TestEnvironmentBelowFlags(t *testing.T) {
	dir := writeFiles(t, map[string]string{"ctx.asl.json": `{"StartAt":"P","States":{"P":{"Type":"Pass","Parameters":{"sm.$":"$$.StateMachine.Id"},"End":true}}}`})
	file := filepath.Join(dir, "ctx.asl.json")
	t.Setenv("STEPD_REGION", "ap-south-1")
	if _, stdout, _ := runMain("run", file); !strings.Contains(stdout, "arn:aws:states:ap-south-1:") {
		t.Errorf("STEPD_REGION not used: %s", stdout)
	}
	if _, stdout, _ := runMain("run", file, "-region", "us-west-2"); !strings.Contains(stdout, "arn:aws:states:us-west-2:") {
		t.Errorf("-region must win over STEPD_REGION: %s", stdout)
	}
}

func TestValidateCommand(t *testing.T) {
	dir := writeFiles(t, map[string]string{"pass.asl.json": passMachine, "bad.asl.json": badMachine, "sync.asl.json": taskMachine})
	pass, bad, sync := filepath.Join(dir, "pass.asl.json"), filepath.Join(dir, "bad.asl.json"), filepath.Join(dir, "sync.asl.json")
	code, stdout, _ := runMain("validate", pass)
	if code != 0 || stdout != "" {
		t.Errorf("valid: exit %d, %q", code, stdout)
	}
	code, stdout, _ = runMain("validate", pass, bad)
	want := bad + ": MISSING_END_STATE: Workflow has no terminal state\n" +
		bad + ": /StartAt: MISSING_TRANSITION_TARGET: Missing 'Next' target: X\n" +
		bad + ": /States/A/Next: MISSING_TRANSITION_TARGET: Missing 'Next' target: Z\n"
	if code != 1 || stdout != want {
		t.Errorf("invalid: exit %d\n%s\nwant\n%s", code, stdout, want)
	}
	if code, stdout, _ = runMain("validate", sync); code != 1 || !strings.Contains(stdout, "Express state machine does not support '.sync'") {
		t.Errorf("express .sync: exit %d %q", code, stdout)
	}
	if code, _, _ = runMain("validate", "-type", "STANDARD", sync); code != 0 {
		t.Errorf("standard .sync: exit %d", code)
	}
	if code, stdout, _ = runMain("validate", "-dump", pass); code != 0 || !strings.Contains(stdout, `0000 Pass "P" end`) {
		t.Errorf("dump: exit %d %q", code, stdout)
	}
	if code, _, _ = runMain("validate"); code != 2 {
		t.Errorf("no files: exit %d", code)
	}
}

// TestBinary builds stepd and runs it as users do, checking that main hands
// the arguments and exit code through.
func TestBinary(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := filepath.Join(t.TempDir(), "stepd")
	build := exec.Command("go", "build", "-o", bin, "..")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	dir := writeFiles(t, map[string]string{"fail.asl.json": failMachine, "pass.asl.json": passMachine})
	out, err := exec.Command(bin, "run", filepath.Join(dir, "pass.asl.json"), "-input", `{"order":{}}`).Output()
	if err != nil || string(out) != `{"order":{},"class":{"tier":"gold"}}`+"\n" {
		t.Errorf("run: %v %q", err, out)
	}
	err = exec.Command(bin, "run", filepath.Join(dir, "fail.asl.json")).Run()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 {
		t.Errorf("failed execution: %v, want exit status 1", err)
	}
}
