package daemon

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"
)

// serveCommand runs a node until SIGTERM or SIGINT: open the data
// directory, listen, serve; on the signal stop accepting, let in-flight
// executions finish within the grace period, and exit 0.
func serveCommand(args []string, stderr io.Writer) int {
	fs := newFlagSet("stepd serve", "Usage: stepd [serve] [flags]\n\nRuns a node: the AWS Step Functions API (POST / with X-Amz-Target), the REST API\n(/v1/state-machines), /metrics, /healthz and /readyz.\n\nEach flag can also be set by the environment variable STEPD_<FLAG> (upper case,\n'-' as '_') or by a key of the same name in the -config file; a flag wins over\nthe environment, which wins over the file.\n\nFlags:", stderr)
	cfg, err := loadConfig(args, os.Getenv, fs)
	if errors.Is(err, flag.ErrHelp) {
		return exitOK
	}
	if err != nil {
		fmt.Fprintf(stderr, "stepd serve: %v\n", err)
		return exitUsage
	}
	logger := log.New(stderr, "stepd: ", log.LstdFlags|log.Lmicroseconds)
	step := func(what string, start time.Time) {
		logger.Printf("%s (%v)", what, time.Since(start).Round(time.Microsecond))
	}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	// Listen first, so the node table records the API address a port 0
	// resolved to; requests wait in the backlog until serving starts.
	ln, err := listen(cfg.Listen)
	if err != nil {
		logger.Printf("cannot listen: %v", err)
		return exitFailed
	}
	if !strings.HasPrefix(cfg.Listen, "unix:") {
		cfg.Listen = ln.Addr().String()
	}
	// A client still sending when the node answers (413) and closes
	// gets the answer, not a reset (linger.go).
	ln = &lingerListener{Listener: ln, wait: cfg.ReadTimeout}
	if ln, err = wrapTLS(ctx, cfg, ln, logger); err != nil {
		logger.Printf("cannot start TLS: %v", err)
		return exitFailed
	}
	t := time.Now()
	srv, err := newServer(ctx, cfg, logger)
	if err != nil {
		ln.Close()
		logger.Printf("cannot start: %v", err)
		return exitFailed
	}
	st := srv.node.Status()
	raftPort := "on " + st.RaftAddr
	if st.RaftAddr == "" {
		raftPort = "without a Raft port"
	}
	step(fmt.Sprintf("opened %s: %d state machines; Raft node %s %s, %s", cfg.DataDir, len(srv.reg.snap.Load().machines), st.ID, raftPort, st.State), t)
	step("listening on "+ln.Addr().String(), t)

	errc := make(chan error, 1)
	go func() { errc <- srv.serve(ln) }()
	sdNotifyReady(logger, "listening on "+ln.Addr().String())
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, syscall.SIGINT)
	defer signal.Stop(sig)
	select {
	case s := <-sig:
		logger.Printf("%v: draining for up to %v", s, cfg.ShutdownGrace)
	case err := <-errc:
		logger.Printf("server stopped: %v", err)
		return exitFailed
	}
	t = time.Now()
	if err := srv.shutdown(cfg.ShutdownGrace); err != nil {
		logger.Printf("shutdown: %v", err)
	}
	cancel()
	step("stopped", t)
	return exitOK
}
