package daemon

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"time"

	json "github.com/goccy/go-json"

	"github.com/stepd/stepd/compile"
	"github.com/stepd/stepd/fastpath"
)

// identity is where executions pretend to run: the region and account of
// their ARNs.
type identity struct {
	region, account string
}

func (id *identity) register(fs *flag.FlagSet) {
	fs.StringVar(&id.region, "region", "us-east-1", "AWS region named in ARNs")
	fs.StringVar(&id.account, "account", "123456789012", "AWS account id named in ARNs")
}

func (id *identity) stateMachineArn(name string) string {
	return "arn:aws:states:" + id.region + ":" + id.account + ":stateMachine:" + name
}

// executionArn returns the ARN of an execution; Express executions have
// their own shape, with a run id after the name.
func (id *identity) executionArn(machine, name string, express bool) string {
	return string(id.appendExecutionArn(nil, machine, name, express))
}

// appendExecutionArn appends the ARN executionArn returns.
func (id *identity) appendExecutionArn(dst []byte, machine, name string, express bool) []byte {
	dst = append(dst, "arn:aws:states:"...)
	dst = append(dst, id.region...)
	dst = append(dst, ':')
	dst = append(dst, id.account...)
	if express {
		dst = append(dst, ":express:"...)
	} else {
		dst = append(dst, ":execution:"...)
	}
	dst = append(dst, machine...)
	dst = append(dst, ':')
	dst = append(dst, name...)
	if express {
		dst = append(dst, ':')
		dst = newID(dst)
	}
	return dst
}

// syncResponse is the StartSyncExecution response shape that `run -json`
// prints.
type syncResponse struct {
	ExecutionArn    string  `json:"executionArn"`
	StateMachineArn string  `json:"stateMachineArn"`
	Name            string  `json:"name"`
	StartDate       float64 `json:"startDate"`
	StopDate        float64 `json:"stopDate"`
	Status          string  `json:"status"`
	Input           string  `json:"input"`
	Output          *string `json:"output,omitempty"`
	Error           *string `json:"error,omitempty"`
	Cause           *string `json:"cause,omitempty"`
}

func epochSeconds(t time.Time) float64 { return float64(t.UnixMilli()) / 1000 }

func runCommand(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := newFlagSet("stepd run", "Usage: stepd run DEFINITION.json [flags]\n\nRuns one execution in process and prints its output.\nExit status: 0 SUCCEEDED, 1 FAILED or TIMED_OUT, 2 bad definition or usage.\n\nFlags (each also read from STEPD_<NAME>):", stderr)
	input := fs.String("input", "", "execution input: JSON text, or @FILE to read it from a file (@- for standard input); default {}")
	asJSON := fs.Bool("json", false, "print a StartSyncExecution-shaped JSON object instead of the bare output")
	typ := machineType("EXPRESS")
	fs.Var(&typ, "type", "state machine type whose validation rules apply: EXPRESS or STANDARD")
	var id identity
	id.register(fs)
	lambdaEndpoint := fs.String("lambda-endpoint", "", "base URL of an AWS Lambda Invoke API that Lambda tasks call")
	mockFile := fs.String("mock", "", "AWS Step Functions Local MockConfigFile whose -test-case answers the Task states it mocks")
	testCase := fs.String("test-case", "", "test case of the -mock file to run (of the state machine named as the definition file, or the only one with this test case)")
	files, err := parseInterspersed(fs, args)
	if err == flag.ErrHelp {
		return exitOK
	}
	if err == nil {
		err = envDefaults(fs, os.Getenv)
	}
	if err == nil && len(files) != 1 {
		err = fmt.Errorf("run needs exactly one definition file, got %d", len(files))
	}
	if err != nil {
		fmt.Fprintf(stderr, "stepd run: %v\n", err)
		return exitUsage
	}
	def, err := os.ReadFile(files[0])
	if err != nil {
		fmt.Fprintf(stderr, "stepd run: %v\n", err)
		return exitUsage
	}
	prog, err := compile.Compile(def, compile.MachineType(typ))
	if err != nil {
		printCompileError(stderr, files[0], err)
		return exitUsage
	}
	in, err := readInput(*input, stdin)
	if err != nil {
		fmt.Fprintf(stderr, "stepd run: cannot read the input: %v\n", err)
		return exitUsage
	}
	machine := machineName(files[0])
	integ := Integrations{Lambda: LambdaConfig{Endpoint: *lambdaEndpoint}}
	if err := integ.Validate(); err != nil {
		fmt.Fprintf(stderr, "stepd run: %v\n", err)
		return exitUsage
	}
	aws, err := newAWSServices(context.Background(), id.region, &integ, nil)
	if err != nil {
		fmt.Fprintf(stderr, "stepd run: %v\n", err)
		return exitUsage
	}
	var invoker fastpath.Invoker = newTaskInvoker(integ, id, aws)
	if (*mockFile == "") != (*testCase == "") {
		fmt.Fprintln(stderr, "stepd run: -mock and -test-case go together")
		return exitUsage
	}
	if *mockFile != "" {
		tc, err := loadTestCase(*mockFile, machine, *testCase)
		if err != nil {
			fmt.Fprintf(stderr, "stepd run: %v\n", err)
			return exitUsage
		}
		invoker = newMockInvoker(invoker, tc)
	}
	name := string(newID(nil))
	opts := &fastpath.Options{
		ExecutionArn:     id.executionArn(machine, name, typ == "EXPRESS"),
		ExecutionName:    name,
		StateMachineArn:  id.stateMachineArn(machine),
		StateMachineName: machine,
		RoleArn:          "arn:aws:iam::" + id.account + ":role/stepd",
		Synchronous:      true,
		Invoker:          invoker,
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	ex := fastpath.AcquireExecution()
	defer fastpath.ReleaseExecution(ex)
	start := time.Now()
	res, err := ex.Run(ctx, prog, in, opts)
	if err != nil {
		fmt.Fprintf(stderr, "stepd run: InvalidExecutionInput: %v\n", err)
		return exitUsage
	}
	code := exitOK
	if res.Status != fastpath.Succeeded {
		code = exitFailed
	}
	if *asJSON {
		resp := syncResponse{
			ExecutionArn: opts.ExecutionArn, StateMachineArn: opts.StateMachineArn, Name: name,
			StartDate: epochSeconds(start), StopDate: epochSeconds(time.Now()),
			Status: res.Status.String(), Input: string(in),
		}
		if res.Status == fastpath.Succeeded {
			out := string(res.Output)
			resp.Output = &out
		}
		if res.HasError {
			resp.Error = &res.Error
		}
		if res.HasCause {
			resp.Cause = &res.Cause
		}
		b, _ := json.Marshal(resp)
		fmt.Fprintf(stdout, "%s\n", b)
		return code
	}
	if res.Status == fastpath.Succeeded {
		fmt.Fprintf(stdout, "%s\n", res.Output)
		return code
	}
	fmt.Fprintf(stderr, "%s\n", res.Status)
	if res.HasError {
		fmt.Fprintf(stderr, "error: %s\n", res.Error)
	}
	if res.HasCause {
		fmt.Fprintf(stderr, "cause: %s\n", res.Cause)
	}
	return code
}

// machineName derives a state machine name from a definition's file name.
func machineName(file string) string {
	base := filepath.Base(file)
	for _, ext := range []string{".asl.json", ".json", ".asl"} {
		if strings.HasSuffix(base, ext) {
			return strings.TrimSuffix(base, ext)
		}
	}
	return base
}

// printCompileError prints a compile failure one diagnostic a line,
// "FILE: /pointer: CODE: message".
func printCompileError(w io.Writer, file string, err error) {
	var de *compile.DefinitionError
	if errors.As(err, &de) {
		for _, d := range de.Diagnostics {
			fmt.Fprintf(w, "%s: %s\n", file, d)
		}
		return
	}
	fmt.Fprintf(w, "%s: %v\n", file, err)
}

// loadTestCase finds a test case in a mock file: under the machine's name,
// or else in the only state machine that has a test case of that name.
func loadTestCase(file, machine, testCase string) (mockCase, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	set, err := parseMocks(b)
	if err != nil {
		return nil, err
	}
	if tc, err := set.find(machine, testCase); err == nil {
		return tc, nil
	}
	var found []mockCase
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
