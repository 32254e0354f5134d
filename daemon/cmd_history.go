package daemon

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/stepd/stepd/daemon/history"
)

const historyUsage = `Usage: stepd history [-data-dir DIR] [-follow] [-execution ARN]

Prints execution history events as JSON lines, in the shape AWS writes them to
CloudWatch Logs for Express workflows. It reads the segment files, so it works
while a node runs; records staged but not yet written appear within moments
(after a crash, when the node starts again).

Flags (each also read from STEPD_<NAME>):`

// historyCommand is `stepd history`: it prints the history records of a
// data directory as CloudWatch Logs JSON lines, optionally only those of
// one execution, and with -follow keeps printing new ones until
// interrupted.
func historyCommand(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("stepd history", historyUsage, stderr)
	dataDir := fs.String("data-dir", DefaultConfig().DataDir, "the node's data directory")
	follow := fs.Bool("follow", false, "keep printing new events as they are written, until interrupted")
	execution := fs.String("execution", "", "print only the events of the execution with this ARN")
	rest, err := parseInterspersed(fs, args)
	switch {
	case err == flag.ErrHelp:
		return exitOK
	case err == nil:
		err = envDefaults(fs, os.Getenv)
	}
	if err == nil && len(rest) > 0 {
		err = fmt.Errorf("unexpected argument %q", rest[0])
	}
	if err != nil {
		fmt.Fprintf(stderr, "stepd history: %v\n", err)
		return exitUsage
	}
	dir := filepath.Join(*dataDir, "history")
	if _, err := os.Stat(dir); err != nil {
		fmt.Fprintf(stderr, "stepd history: no history in %s: %v\n", *dataDir, err)
		return exitFailed
	}
	stop := make(chan struct{})
	if *follow {
		sig := make(chan os.Signal, 1)
		signal.Notify(sig, syscall.SIGINT, syscall.SIGTERM)
		defer signal.Stop(sig)
		go func() { <-sig; close(stop) }()
	}
	if err := printHistory(dir, *execution, *follow, stop, stdout); err != nil {
		fmt.Fprintf(stderr, "stepd history: %v\n", err)
		return exitFailed
	}
	return exitOK
}

// followPoll is how often -follow looks for new blocks.
const followPoll = 200 * time.Millisecond

// printHistory writes the events of the history in dir to w as JSON
// lines; arn, when not "", selects one execution. With follow it waits
// for more until stop is closed.
func printHistory(dir, arn string, follow bool, stop <-chan struct{}, w io.Writer) error {
	out := bufio.NewWriter(w)
	defer out.Flush()
	cur := history.Cursor{Dir: dir}
	var line []byte
	for {
		moved, err := cur.Next(func(raw []byte) error {
			return history.EachRecord(raw, func(rec *history.Record) error {
				if arn != "" && rec.ExecutionArn != arn {
					return nil
				}
				for i := range rec.Events {
					line = append(history.AppendCloudWatch(line[:0], rec, i), '\n')
					if _, err := out.Write(line); err != nil {
						return err
					}
				}
				return nil
			})
		})
		if err != nil {
			return err
		}
		if moved {
			continue
		}
		if !follow {
			return nil
		}
		if err := out.Flush(); err != nil {
			return err
		}
		select {
		case <-stop:
			return nil
		case <-time.After(followPoll):
		}
	}
}
