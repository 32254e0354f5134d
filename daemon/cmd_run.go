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

	"github.com/stepd/stepd/cluster"
	"github.com/stepd/stepd/compile"
	"github.com/stepd/stepd/daemon/integrations"
	"github.com/stepd/stepd/fastpath"
	"github.com/stepd/stepd/fastpath/jsonb"
)

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
	tc := DefaultTimeControl()
	tc.register(fs)
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
	if err == nil {
		err = tc.Validate()
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
	smName := machineName(files[0])
	router, err := newCommandInvoker(context.Background(), id, *lambdaEndpoint)
	if err != nil {
		fmt.Fprintf(stderr, "stepd run: %v\n", err)
		return exitUsage
	}
	var invoker fastpath.Invoker = router
	if (*mockFile == "") != (*testCase == "") {
		fmt.Fprintln(stderr, "stepd run: -mock and -test-case go together")
		return exitUsage
	}
	if *mockFile != "" {
		tc, err := integrations.LoadTestCase(*mockFile, smName, *testCase)
		if err != nil {
			fmt.Fprintf(stderr, "stepd run: %v\n", err)
			return exitUsage
		}
		invoker = integrations.NewMockInvoker(invoker, tc)
	}
	tc.apply()
	name := string(newID(nil))
	m := &machine{Machine: &cluster.Machine{Name: smName, Type: string(typ), RoleArn: id.defaultRoleArn()}, prog: prog}
	x := &execRequest{m: m, machineArn: id.stateMachineArn(smName), arn: id.executionArn(smName, name, typ == "EXPRESS"),
		name: name, input: in, start: time.Now(), sync: true, invoker: invoker, s3: router.S3(), clock: tc.clock()}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	code := exitOK
	aerr := execute(ctx, x, func(res *fastpath.Result, stopped time.Time) {
		if res.Status != fastpath.Succeeded {
			code = exitFailed
		}
		if *asJSON {
			sr := syncResult{arn: x.arn, machineArn: x.machineArn, name: name, start: x.start, stop: stopped, res: res}
			fmt.Fprintf(stdout, "%s\n", appendSyncResponse(nil, &sr, jsonb.AppendQuoted(nil, in)))
			return
		}
		if res.Status == fastpath.Succeeded {
			fmt.Fprintf(stdout, "%s\n", res.Output)
			return
		}
		fmt.Fprintf(stderr, "%s\n", res.Status)
		if res.HasError {
			fmt.Fprintf(stderr, "error: %s\n", res.Error)
		}
		if res.HasCause {
			fmt.Fprintf(stderr, "cause: %s\n", res.Cause)
		}
	})
	if aerr != nil {
		fmt.Fprintf(stderr, "stepd run: %v\n", aerr)
		return exitUsage
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
