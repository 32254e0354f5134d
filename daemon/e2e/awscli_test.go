package e2e

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// The AWS CLI sends StartSyncExecution to the host "sync-" + the endpoint's
// host (the operation's host prefix), which names nothing on a machine
// where the endpoint is 127.0.0.1. What gets the request to stepd:
//
//   - HTTP_PROXY=http://<stepd's address>: the CLI sends every request to
//     stepd as a proxy, with the full URL in the request line, and stepd
//     answers it by its path. Works with every CLI version.
//   - disable_host_prefix_injection = true in the config file, or
//     AWS_DISABLE_HOST_PREFIX_INJECTION=true: only CLIs whose botocore
//     knows the setting (aws-cli v1 1.45 does; the Debian aws-cli 2.9 does
//     not, and ignores both, as it ignores inject_host_prefix).
//   - An endpoint host whose sync- name resolves to the node (an
//     /etc/hosts line "127.0.0.1 sync-stepd", or a resolver that maps
//     *.localhost to loopback): depends on the machine, so not tested.

// awsCLI finds the AWS CLI: $STEPD_TEST_AWS_CLI, else /usr/bin/aws (the
// Debian awscli package), else aws on the PATH. It skips the test when
// there is none.
func awsCLI(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("STEPD_TEST_AWS_CLI"); p != "" {
		return p
	}
	if _, err := os.Stat("/usr/bin/aws"); err == nil {
		return "/usr/bin/aws"
	}
	if p, err := exec.LookPath("aws"); err == nil {
		return p
	}
	t.Skip("no AWS CLI installed (apt-get install awscli, or set STEPD_TEST_AWS_CLI)")
	return ""
}

// cliRun is one run of the AWS CLI.
type cliRun struct {
	code           int
	stdout, stderr string
}

// cli runs the AWS CLI with dummy credentials, no pager, no user
// configuration and no proxy, plus env (NAME=value) and args.
func cli(t *testing.T, bin string, env []string, args ...string) cliRun {
	t.Helper()
	dir := t.TempDir()
	empty := filepath.Join(dir, "empty")
	if err := os.WriteFile(empty, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, args...)
	cmd.Env = []string{
		"PATH=" + os.Getenv("PATH"), "HOME=" + dir, "LANG=C.UTF-8",
		"AWS_ACCESS_KEY_ID=x", "AWS_SECRET_ACCESS_KEY=x", "AWS_DEFAULT_REGION=us-east-1", "AWS_PAGER=",
		"AWS_CONFIG_FILE=" + empty, "AWS_SHARED_CREDENTIALS_FILE=" + empty, "AWS_EC2_METADATA_DISABLED=true",
		"AWS_MAX_ATTEMPTS=1",
	}
	if root := os.Getenv("PYENV_ROOT"); root != "" { // a pyenv shim needs to find its interpreter
		cmd.Env = append(cmd.Env, "PYENV_ROOT="+root)
	}
	cmd.Env = append(cmd.Env, env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		t.Fatalf("cannot run %s: %v", bin, err)
	}
	return cliRun{cmd.ProcessState.ExitCode(), stdout.String(), stderr.String()}
}

// cliJSON runs the CLI, expects exit 0 and decodes its JSON output.
func cliJSON(t *testing.T, bin string, env []string, out any, args ...string) {
	t.Helper()
	r := cli(t, bin, env, append(args, "--output", "json")...)
	if r.code != 0 {
		t.Fatalf("aws %s: exit %d\n%s%s", strings.Join(args, " "), r.code, r.stdout, r.stderr)
	}
	if err := json.Unmarshal([]byte(r.stdout), out); err != nil {
		t.Fatalf("aws %s: output %q: %v", strings.Join(args, " "), r.stdout, err)
	}
}

// syncOutput is the part of start-sync-execution's output the tests check.
type syncOutput struct {
	Status, Output, Error, Cause, StateMachineArn string
}

// TestAWSCLI drives a node with the AWS CLI: create, describe and list
// machines, errors, and start-sync-execution and test-state by each way
// around the sync- host prefix.
func TestAWSCLI(t *testing.T) {
	bin := awsCLI(t)
	version := strings.TrimSpace(cli(t, bin, nil, "--version").stdout)
	t.Logf("%s: %s", bin, version)
	// Debian's aws-cli 2.9 predates TestState (aws-cli 2.13): with it the
	// test-state calls are left to TestTestStateSDK and said so.
	hasTestState := !strings.Contains(cli(t, bin, nil, "stepfunctions", "test-state").stderr, "Invalid choice")
	p := startStepd(t)
	endpoint := "--endpoint-url=" + p.url()

	for _, m := range []struct{ name, def string }{{"cli-pass", e2ePass}, {"cli-fail", e2eFail}} {
		var created struct {
			StateMachineArn string
			CreationDate    json.RawMessage // ISO 8601 from aws-cli v2, seconds from v1
		}
		cliJSON(t, bin, nil, &created, "stepfunctions", "create-state-machine", endpoint,
			"--name", m.name, "--type", "EXPRESS", "--role-arn", e2eRole, "--definition", m.def)
		if created.StateMachineArn != machineArn(m.name) || len(created.CreationDate) == 0 {
			t.Errorf("create-state-machine answered %+v", created)
		}
	}

	var list struct {
		StateMachines []struct{ Name, StateMachineArn, Type string }
	}
	cliJSON(t, bin, nil, &list, "stepfunctions", "list-state-machines", endpoint)
	if len(list.StateMachines) != 2 || list.StateMachines[0].Name != "cli-fail" || list.StateMachines[1].Type != "EXPRESS" {
		t.Errorf("list-state-machines answered %+v", list)
	}
	// The CLI pages through with its own NextToken handling.
	cliJSON(t, bin, nil, &list, "stepfunctions", "list-state-machines", endpoint, "--page-size", "1")
	if len(list.StateMachines) != 2 {
		t.Errorf("list-state-machines --page-size 1 answered %+v, want both machines", list)
	}

	var described struct{ Name, Definition, Type, Status string }
	cliJSON(t, bin, nil, &described, "stepfunctions", "describe-state-machine", endpoint, "--state-machine-arn", machineArn("cli-pass"))
	if described.Name != "cli-pass" || described.Definition != e2ePass || described.Status != "ACTIVE" {
		t.Errorf("describe-state-machine answered %+v", described)
	}

	// Errors reach the CLI with AWS's names (a service error exits 254 from
	// aws-cli v2, 255 from v1).
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"no such machine", []string{"describe-state-machine", "--state-machine-arn", machineArn("nope")}, "(StateMachineDoesNotExist)"},
		{"bad definition", []string{"create-state-machine", "--name", "x", "--role-arn", e2eRole, "--definition", e2eBad}, "(InvalidDefinition)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := cli(t, bin, nil, append([]string{"stepfunctions", endpoint}, tc.args...)...)
			if (r.code != 254 && r.code != 255) || !strings.Contains(r.stderr, tc.want) {
				t.Errorf("exit %d, stderr %q; want 254 and %q", r.code, r.stderr, tc.want)
			}
		})
	}

	config := filepath.Join(t.TempDir(), "config")
	if err := os.WriteFile(config, []byte("[default]\ndisable_host_prefix_injection = true\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name     string
		env      []string
		endpoint string
		optional bool // only CLIs that know the setting pass
	}{
		// Any host name serves: the proxy (stepd) receives the full URL.
		{"HTTP_PROXY", []string{"HTTP_PROXY=" + p.url(), "http_proxy=" + p.url(), "NO_PROXY=", "no_proxy="}, "http://stepd.invalid:" + portOf(p.addr), false},
		{"config disable_host_prefix_injection", []string{"AWS_CONFIG_FILE=" + config}, p.url(), true},
		{"AWS_DISABLE_HOST_PREFIX_INJECTION", []string{"AWS_DISABLE_HOST_PREFIX_INJECTION=true"}, p.url(), true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, run := range []struct {
				machine, input string
				want           syncOutput
			}{
				{"cli-pass", `{"n":1}`, syncOutput{Status: "SUCCEEDED", Output: `{"n":1,"class":{"tier":"gold"}}`, StateMachineArn: machineArn("cli-pass")}},
				{"cli-fail", `{}`, syncOutput{Status: "FAILED", Error: "Nope", Cause: "it failed", StateMachineArn: machineArn("cli-fail")}},
			} {
				args := []string{"stepfunctions", "start-sync-execution", "--endpoint-url", tc.endpoint,
					"--state-machine-arn", machineArn(run.machine), "--input", run.input, "--output", "json", "--cli-connect-timeout", "5"}
				r := cli(t, bin, tc.env, args...)
				if tc.optional && r.code != 0 && strings.Contains(r.stderr, "sync-") {
					t.Skipf("%s does not know this setting: it still sends to the sync- host: %s", version, strings.TrimSpace(r.stderr))
				}
				if r.code != 0 {
					t.Fatalf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
				}
				var got syncOutput
				if err := json.Unmarshal([]byte(r.stdout), &got); err != nil {
					t.Fatalf("output %q: %v", r.stdout, err)
				}
				if got != run.want {
					t.Errorf("start-sync-execution of %s = %+v, want %+v", run.machine, got, run.want)
				}
			}
			// TestState goes to the sync- host too.
			if !hasTestState {
				t.Logf("%s has no test-state; TestTestStateSDK covers TestState", version)
				return
			}
			r := cli(t, bin, tc.env, "stepfunctions", "test-state", "--endpoint-url", tc.endpoint, "--output", "json", "--cli-connect-timeout", "5",
				"--definition", `{"Type":"Pass","InputPath":"$.order","Parameters":{"total.$":"$.total"},"ResultPath":"$.checked","End":true}`,
				"--input", `{"order":{"total":150}}`, "--inspection-level", "DEBUG")
			var tested struct {
				Status, Output string
				InspectionData struct{ AfterParameters string }
			}
			if r.code != 0 || json.Unmarshal([]byte(r.stdout), &tested) != nil || tested.Status != "SUCCEEDED" ||
				tested.Output != `{"order":{"total":150},"checked":{"total":150}}` || tested.InspectionData.AfterParameters != `{"total":150}` {
				t.Errorf("test-state: exit %d\n%s%s", r.code, r.stdout, r.stderr)
			}
		})
	}
}

// portOf returns the port of a host:port address.
func portOf(addr string) string {
	_, port, _ := strings.Cut(addr, ":")
	return port
}
