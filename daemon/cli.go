package daemon

import (
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
)

// Exit codes of the command line, as DESIGN.md fixes them.
const (
	exitOK     = 0
	exitFailed = 1 // the execution FAILED or TIMED_OUT; a definition has errors
	exitUsage  = 2 // bad usage or an invalid definition given to run
)

// Main runs the stepd command line with args (without the program name)
// and returns the process exit code.
func Main(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	cmd := "serve"
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") && !strings.Contains(args[0], "=") {
		cmd, args = args[0], args[1:]
	}
	switch cmd {
	case "run":
		return runCommand(args, stdin, stdout, stderr)
	case "validate":
		return validateCommand(args, stdout, stderr)
	case "test":
		return testCommand(args, stdout, stderr)
	case "history":
		return historyCommand(args, stdout, stderr)
	case "serve":
		return serveCommand(args, stderr)
	case "remove":
		return removeCommand(args, stderr)
	case "help", "-h", "-help", "--help":
		fmt.Fprint(stdout, usage)
		return exitOK
	}
	fmt.Fprintf(stderr, "stepd: unknown command %q\n%s", cmd, usage)
	return exitUsage
}

const usage = `Usage:
  stepd [serve] [flags]          run a node (the default)
  stepd run DEFINITION.json [-input JSON | -input @FILE] [-json] [-type EXPRESS|STANDARD]
  stepd validate [-type EXPRESS|STANDARD] [-dump] FILE...
  stepd test [-junit FILE] [-run REGEXP] [-seed N] SUITE.json...   run workflow test suites
  stepd remove -node-id ID [-api HOST:PORT]   take a node out of its cluster
  stepd history [-data-dir DIR] [-follow] [-execution ARN]
  stepd help

Run 'stepd serve -h', 'stepd run -h', 'stepd validate -h' or 'stepd test -h' for the flags of each.
`

// parseInterspersed parses flags that may come before or after the
// positional arguments, as users type both "run -json m.json" and
// "run m.json -json", and returns the positional arguments.
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		args = fs.Args()
		if len(args) == 0 {
			return positional, nil
		}
		positional = append(positional, args[0])
		args = args[1:]
	}
}

// envDefaults gives every flag that was not set on the command line the
// value of its environment variable, STEPD_ + the name upper-cased with
// '-' as '_' (-lambda-endpoint reads STEPD_LAMBDA_ENDPOINT).
func envDefaults(fs *flag.FlagSet, getenv func(string) string) error {
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	var err error
	fs.VisitAll(func(f *flag.Flag) {
		if set[f.Name] || err != nil {
			return
		}
		name := envName(f.Name)
		if v := getenv(name); v != "" {
			if e := f.Value.Set(v); e != nil {
				err = fmt.Errorf("cannot use %s=%q: %w", name, v, e)
			}
		}
	})
	return err
}

// envName is the environment variable that mirrors a flag.
func envName(flagName string) string {
	return "STEPD_" + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}

// machineType is a flag value that accepts EXPRESS or STANDARD.
type machineType string

func (m *machineType) String() string { return string(*m) }

func (m *machineType) Set(s string) error {
	switch u := strings.ToUpper(s); u {
	case "EXPRESS", "STANDARD":
		*m = machineType(u)
		return nil
	}
	return fmt.Errorf("must be EXPRESS or STANDARD")
}

// readInput reads the -input flag: JSON text, or @FILE for a file's
// contents ("-" for standard input). No flag means {}.
func readInput(v string, stdin io.Reader) ([]byte, error) {
	switch {
	case v == "":
		return []byte("{}"), nil
	case v == "@-":
		return io.ReadAll(stdin)
	case strings.HasPrefix(v, "@"):
		return os.ReadFile(v[1:])
	}
	return []byte(v), nil
}

// newFlagSet is the flag set of a subcommand: errors and help go to
// stderr, the help being usage and then the flags.
func newFlagSet(name, usage string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, usage)
		fs.PrintDefaults()
	}
	return fs
}
