package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
)

// Exit statuses: 0 every measured request passed verification, 1 some
// failed, 2 usage or setup error (bad flag, cannot create a machine).
const (
	exitOK     = 0
	exitFailed = 1
	exitUsage  = 2
)

func main() { os.Exit(mainArgs(os.Args[1:], os.Stdout, os.Stderr)) }

func mainArgs(args []string, stdout, stderr io.Writer) int {
	c, files, err := parseFlags(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return exitOK
	}
	if err != nil {
		fmt.Fprintf(stderr, "loadtest: %v\n", err)
		return exitUsage
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	res, err := run(ctx, &c, stderr)
	if err != nil {
		fmt.Fprintf(stderr, "loadtest: %v\n", err)
		return exitUsage
	}
	rep := newReport(&c, res)
	rep.writeSummary(stdout)
	if files.report != "" {
		if err := writeFile(files.report, rep.writeJSON); err != nil {
			fmt.Fprintf(stderr, "loadtest: %v\n", err)
			return exitUsage
		}
	}
	if files.chart != "" {
		if err := writeFile(files.chart, func(w io.Writer) error { return writeChart(w, rep) }); err != nil {
			fmt.Fprintf(stderr, "loadtest: %v\n", err)
			return exitUsage
		}
	}
	if rep.Totals.Failed > 0 {
		return exitFailed
	}
	return exitOK
}

func writeFile(path string, write func(io.Writer) error) error {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("cannot create %s: %w", path, err)
	}
	if err := write(f); err != nil {
		f.Close()
		return fmt.Errorf("cannot write %s: %w", path, err)
	}
	return f.Close()
}

type outputFiles struct{ report, chart string }

// parseFlags turns the command line into a Config.
func parseFlags(args []string, stderr io.Writer) (Config, outputFiles, error) {
	c := DefaultConfig()
	var files outputFiles
	fs := flag.NewFlagSet("loadtest", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "Usage: go run ./loadtest [flags]\n\nDrives StartSyncExecution (or, with -api rest, POST /v1/state-machines/{name}/executions)\nagainst stepd, verifies every answer and reports throughput and latency. docs/LOADTEST.md\ndescribes it.\n\nFlags:")
		fs.PrintDefaults()
	}
	targets := fs.String("targets", strings.Join(c.Targets, ","), "comma-separated host:port of the servers; requests go round robin over them")
	api := fs.String("api", string(c.API), "aws: StartSyncExecution on the AWS JSON 1.0 API; rest: POST /v1/state-machines/{name}/executions")
	machines := fs.String("machine", "tiny", "comma-separated state machines with weights, name=weight (weight 1 when omitted): tiny=3,medium=1")
	mix := fs.String("mix", "", "JSON file describing the machine mix instead of -machine/-input (see docs/LOADTEST.md)")
	var inputs, outputs perMachine
	fs.Var(&inputs, "input", "execution input: JSON or @file for every machine, or name=JSON / name=@file for one (repeatable); default {}")
	fs.Var(&outputs, "expect-output", "expected output: JSON or @file, or name=JSON / name=@file (repeatable); compared as JSON values")
	status := fs.String("expect-status", "", "expected execution status, STATUS or name=STATUS,... (default SUCCEEDED)")
	create := fs.String("create", "", "create the machines first: name=file.asl.json,... (CreateStateMachine, EXPRESS; UpdateStateMachine if it exists)")
	fs.IntVar(&c.Conns, "c", c.Conns, "connections: requests in flight at most. Closed loop: each sends the next request as soon as the last is answered; open loop: the workers that serve the schedule")
	fs.IntVar(&c.Pipeline, "pipeline", 0, "use fasthttp.PipelineClient with up to this many pending requests per connection (ceil(c/pipeline) connections); 0: one request per connection")
	fs.Float64Var(&c.Rate, "rate", 0, "open loop: requests per second on a fixed schedule, latency measured from the intended send time; 0: closed loop")
	fs.DurationVar(&c.Duration, "d", c.Duration, "how long to measure, after the warm-up")
	fs.Int64Var(&c.Count, "n", 0, "measure this many requests instead of a duration")
	fs.DurationVar(&c.Warmup, "warmup", c.Warmup, "run this long before measuring (connections, caches, CPU frequency); warm-up requests are verified but not counted")
	fs.DurationVar(&c.Timeout, "timeout", c.Timeout, "per-request timeout; a timed-out request counts as a transport error")
	fs.StringVar(&c.Region, "region", c.Region, "region in the state machine ARNs")
	fs.StringVar(&c.Account, "account", c.Account, "account in the state machine ARNs")
	fs.StringVar(&c.HostName, "host", "", "Host header to send (default: the target's host:port)")
	fs.StringVar(&files.report, "report", "", "write the JSON report to this file")
	fs.StringVar(&files.chart, "chart", "", "write an SVG chart of throughput and p50/p99 latency over time to this file")
	fs.BoolVar(&c.Quiet, "q", false, "no progress line")
	if err := fs.Parse(args); err != nil {
		return c, files, err
	}
	if fs.NArg() > 0 {
		return c, files, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	c.Targets = splitList(*targets)
	c.API = API(*api)
	var err error
	machineSet := false
	fs.Visit(func(f *flag.Flag) { machineSet = machineSet || f.Name == "machine" })
	if *mix != "" {
		if machineSet {
			return c, files, errors.New("give -mix or -machine, not both")
		}
		if c.Machines, err = readMix(*mix); err != nil {
			return c, files, err
		}
	} else if c.Machines, err = parseMachines(*machines); err != nil {
		return c, files, err
	}
	for i := range c.Machines {
		m := &c.Machines[i]
		if v, ok, err := inputs.value(m.Name); err != nil {
			return c, files, fmt.Errorf("-input: %w", err)
		} else if ok {
			m.Input = v
		}
		if v, ok, err := outputs.value(m.Name); err != nil {
			return c, files, fmt.Errorf("-expect-output: %w", err)
		} else if ok {
			if m.Expect == nil {
				m.Expect = &Expect{}
			}
			m.Expect.Output = v
		}
	}
	if err := applyStatus(c.Machines, *status); err != nil {
		return c, files, err
	}
	if err := applyCreate(c.Machines, *create); err != nil {
		return c, files, err
	}
	return c, files, c.Validate()
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// applyStatus applies -expect-status: "STATUS" for every machine, or
// "name=STATUS,...".
func applyStatus(ms []Machine, s string) error {
	for _, part := range splitList(s) {
		name, st, one := strings.Cut(part, "=")
		if !one {
			name, st = "", part
		}
		switch st {
		case "SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED":
		default:
			return fmt.Errorf("-expect-status: %q is not SUCCEEDED, FAILED, TIMED_OUT or ABORTED", st)
		}
		found := false
		for i := range ms {
			if name == "" || ms[i].Name == name {
				if ms[i].Expect == nil {
					ms[i].Expect = &Expect{}
				}
				ms[i].Expect.Status = st
				found = true
			}
		}
		if !found {
			return fmt.Errorf("-expect-status: no machine %q in the mix", name)
		}
	}
	return nil
}

// applyCreate applies -create name=file,...
func applyCreate(ms []Machine, s string) error {
	for _, part := range splitList(s) {
		name, file, ok := strings.Cut(part, "=")
		if !ok || file == "" {
			return fmt.Errorf("-create: %q is not name=file.asl.json", part)
		}
		found := false
		for i := range ms {
			if ms[i].Name == name {
				ms[i].Create = file
				found = true
			}
		}
		if !found {
			return fmt.Errorf("-create: no machine %q in the mix (add it to -machine)", name)
		}
	}
	return nil
}
