package daemon

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"regexp"

	"github.com/stepd/stepd/daemon/integrations"
	"github.com/stepd/stepd/daemon/testrunner"
	"github.com/stepd/stepd/fastpath"
)

// testCommand is `stepd test SUITE...`: it runs workflow test suites in
// process (package testrunner), prints the report and exits 0 when every
// case passes, 1 when one fails, 2 when a suite cannot be read.
func testCommand(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("stepd test", "Usage: stepd test [flags] SUITE.json...\n\nRuns workflow test suites in process on virtual time and reports each case.\nExit status: 0 all passed, 1 a case failed, 2 a suite could not be read or bad usage.\n\nFlags (each also read from STEPD_<NAME>):", stderr)
	junit := fs.String("junit", "", "also write the results as JUnit XML to this file, for CI systems")
	seed := fs.Uint64("seed", 1, "seed of the random values (States.UUID, $uuid, $random), mixed with each case's name")
	run := fs.String("run", "", "run only the cases whose name matches this regular expression")
	var id identity
	id.register(fs)
	lambdaEndpoint := fs.String("lambda-endpoint", "", "base URL of an AWS Lambda Invoke API that the Lambda tasks a case does not mock call")
	files, err := parseInterspersed(fs, args)
	if err == flag.ErrHelp {
		return exitOK
	}
	if err == nil {
		err = envDefaults(fs, os.Getenv)
	}
	if err == nil && len(files) == 0 {
		err = fmt.Errorf("test needs at least one suite file")
	}
	var router *integrations.Router
	if err == nil {
		router, err = newCommandInvoker(context.Background(), id, *lambdaEndpoint)
	}
	var filter *regexp.Regexp
	if err == nil && *run != "" {
		filter, err = regexp.Compile(*run)
	}
	if err != nil {
		fmt.Fprintf(stderr, "stepd test: %v\n", err)
		return exitUsage
	}
	cfg := &testrunner.Config{
		Run:         filter,
		Invoker:     router,
		MockInvoker: mockInvoker,
		Region:      id.region, Account: id.account, Seed: *seed,
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	var results []testrunner.Result
	for _, f := range files {
		s, err := testrunner.Load(f)
		if err != nil {
			fmt.Fprintf(stderr, "stepd test: %v\n", err)
			return exitUsage
		}
		results = append(results, testrunner.RunSuite(ctx, cfg, s)...)
	}
	failed := testrunner.WriteReport(stdout, results)
	if *junit != "" {
		if err := writeJUnit(*junit, results); err != nil {
			fmt.Fprintf(stderr, "stepd test: %v\n", err)
			return exitUsage
		}
	}
	if failed > 0 {
		return exitFailed
	}
	return exitOK
}

// mockInvoker answers a test case of a MockConfigFile, as -mock-config
// does for the server.
func mockInvoker(mocks []byte, machine, testCase string, base fastpath.Invoker) (fastpath.Invoker, error) {
	set, err := integrations.ParseMocks(mocks)
	if err != nil {
		return nil, err
	}
	tc, err := set.Find(machine, testCase)
	if err != nil {
		return nil, err
	}
	return integrations.NewMockInvoker(base, tc), nil
}

func writeJUnit(file string, results []testrunner.Result) error {
	f, err := os.Create(file)
	if err != nil {
		return err
	}
	if err := testrunner.WriteJUnit(f, results); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
