package daemon

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log"
	"net"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/stepd/stepd/cluster"
	"github.com/stepd/stepd/daemon/auth"
	"github.com/stepd/stepd/daemon/console"
	"github.com/stepd/stepd/daemon/durable"
	"github.com/stepd/stepd/daemon/history"
	"github.com/stepd/stepd/daemon/integrations"

	"github.com/stepd/stepd/internal/awserr"
)

// server answers the AWS JSON API, the REST API, metrics and health checks
// for one node.
type server struct {
	cfg   Config
	id    identity
	reg   *registry
	node  *cluster.Node
	execs *executor
	// durable runs the STANDARD executions (durable.go).
	durable *durable.Runner
	// pollers counts the GetActivityTask polls waiting (callbacks.go);
	// claiming holds the tokens of the activity tasks they are claiming.
	pollers  atomic.Int64
	claiming sync.Map
	mocks    *integrations.MockStore // nil without -mock-config
	hist     *history.Log
	log      *log.Logger
	auth     *auth.Authenticator // nil when the config has no credentials

	authDenied throttledLog
	failures   throttledLog // 5xx answers of the AWS API

	// ctx ends when the node stops for good: synchronous executions still
	// running then are aborted.
	ctx   context.Context
	ready atomic.Bool
	http  *fasthttp.Server
	panic throttledLog
}

// newServer opens the node's cluster member in the data directory (which
// fills the registry) and prepares the HTTP server; Serve starts
// answering.
func newServer(ctx context.Context, cfg Config, logger *log.Logger) (*server, error) {
	id := identity{region: cfg.Region, account: cfg.Account}
	reg := newRegistry(id, logger)
	var err error
	s := &server{cfg: cfg, id: id, reg: reg, log: logger, ctx: ctx}
	s.execs = &executor{reg: reg, id: id, maxRuns: int64(cfg.MaxInFlight), bgCtx: ctx, recent: newRecentExecutions(cfg.RecentRuns),
		mapRuns: newMapRuns(cfg.RecentRuns)}
	ic := cfg.integrationsConfig()
	aws, err := newAWSServices(ctx, cfg.Region, &ic, localSFN{s})
	if err != nil {
		return nil, err
	}
	router := integrations.NewRouter(ic, cfg.Region, cfg.Account, aws)
	s.execs.invoker, s.execs.s3 = newTimedInvoker(router), router.S3()
	s.execs.time = cfg.TimeControl
	cfg.TimeControl.apply()
	if cfg.MockConfig != "" {
		if s.mocks, err = integrations.NewMockStore(cfg.MockConfig); err != nil {
			return nil, err
		}
	}
	if s.auth, err = auth.New(cfg.Auth, cfg.Region, os.Getenv); err != nil {
		return nil, err
	}
	if err := openHistory(cfg, s); err != nil {
		return nil, err
	}
	if s.node, err = openCluster(ctx, cfg, reg, logger); err != nil {
		return nil, err
	}
	s.execs.mapRuns.durable = s.node.Executions().Get
	if err := openDurable(cfg, s); err != nil {
		s.node.Close()
		return nil, err
	}
	s.http = &fasthttp.Server{
		Handler:            s.handle,
		Name:               "stepd",
		MaxRequestBodySize: serverBodyLimit(cfg.MaxBodyBytes), // each request's own limit: limits.go
		ReadTimeout:        cfg.ReadTimeout,                   // a slow client cannot hold a connection for ever
		WriteTimeout:       6 * time.Minute,                   // longer than the longest Express execution
		IdleTimeout:        cfg.IdleTimeout,
		ReadBufferSize:     cfg.MaxHeaderBytes, // larger headers answer 431
		Concurrency:        cfg.MaxConnections,
		NoDefaultDate:      true,
		Logger:             logger,
		ErrorHandler:       s.requestError,
		// A client that asks before sending a body (Expect: 100-continue)
		// learns at once that it is too large, instead of after sending it.
		ExpectHandler: func(ctx *fasthttp.RequestCtx) int {
			if ctx.Request.Header.ContentLength() > requestBodyLimit(ctx, cfg.MaxBodyBytes) {
				s.requestError(ctx, fasthttp.ErrBodyTooLarge)
				return fasthttp.StatusRequestEntityTooLarge
			}
			return fasthttp.StatusContinue
		},
	}
	return s, nil
}

// listen opens the API listener: TCP host:port, or unix:/path.
func listen(addr string) (net.Listener, error) {
	if path, ok := strings.CutPrefix(addr, "unix:"); ok {
		_ = os.Remove(path) // a stale socket from an earlier run
		return net.Listen("unix", path)
	}
	return net.Listen("tcp", addr)
}

// serve answers on ln until Shutdown.
func (s *server) serve(ln net.Listener) error {
	s.ready.Store(true)
	return s.http.Serve(ln)
}

// shutdown stops accepting requests, lets in-flight requests and
// background executions finish until the grace period ends, then closes
// the cluster node.
func (s *server) shutdown(grace time.Duration) error {
	defer s.node.Close()
	// Before the node: STANDARD runs stop where they are (RUNNING, to
	// resume on the next leader) while Raft can still take their records.
	defer s.durable.Close()
	s.ready.Store(false)
	ctx, cancel := context.WithTimeout(context.Background(), grace)
	defer cancel()
	err := s.http.ShutdownWithContext(ctx)
	done := make(chan struct{})
	go func() { s.execs.bg.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
		_ = s.hist.Close() // executions still running have their records shed (counted)
		return fmt.Errorf("executions still running after %v", grace)
	}
	if herr := s.hist.Close(); err == nil {
		err = herr
	}
	return err
}

var (
	pathRoot    = []byte("/")
	pathMetrics = []byte("/metrics")
	pathHealth  = []byte("/healthz")
	pathReady   = []byte("/readyz")
	pathCluster = []byte("/cluster")
	prefixREST  = []byte("/v1/")
)

// handle routes one request. It is the outermost handler, so it recovers
// panics: a bug in one request answers InternalFailure and is counted and
// logged (throttled), instead of taking the node down.
func (s *server) handle(ctx *fasthttp.RequestCtx) {
	defer func() {
		if p := recover(); p != nil {
			panicsTotal.Inc()
			id := string(ctx.Response.Header.Peek(headerRequestID))
			s.panic.printf(s.log, "panic serving %s %s (request %s): %v", ctx.Method(), ctx.Path(), id, p)
			ctx.Response.Reset()
			ctx.Response.Header.Set(headerRequestID, id)
			writeAPIError(ctx, awserr.New("InternalFailure", "An internal error occurred"))
		}
	}()
	setRequestID(ctx)
	// A body the server read (up to serverBodyLimit) may still be over
	// its own request's limit; it is refused before anything else.
	if n := len(ctx.PostBody()); n > s.cfg.MaxBodyBytes && n > requestBodyLimit(ctx, s.cfg.MaxBodyBytes) {
		s.requestError(ctx, fasthttp.ErrBodyTooLarge)
		return
	}
	if !s.authorize(ctx) {
		return
	}
	path := ctx.Path()
	switch {
	case bytes.Equal(path, pathRoot) && ctx.IsPost():
		s.handleAWS(ctx)
	case bytes.HasPrefix(path, prefixREST):
		s.handleREST(ctx)
	case console.Owns(path):
		console.Serve(ctx)
	case bytes.Equal(path, pathMetrics):
		ctx.SetContentType("text/plain; version=0.0.4")
		writeMetrics(ctx)
	case bytes.Equal(path, pathHealth):
		ctx.SetBodyString("ok\n")
	case bytes.Equal(path, pathReady):
		if !s.ready.Load() {
			ctx.SetStatusCode(fasthttp.StatusServiceUnavailable)
			ctx.SetBodyString("shutting down\n")
			return
		}
		if !s.node.Ready() {
			ctx.SetStatusCode(fasthttp.StatusServiceUnavailable)
			ctx.SetBodyString("no Raft leader yet, or still catching up\n")
			return
		}
		ctx.SetBodyString("ready\n")
	case bytes.Equal(path, pathCluster) && ctx.IsGet():
		s.handleCluster(ctx)
	default:
		ctx.SetStatusCode(fasthttp.StatusNotFound)
		ctx.SetBodyString("not found\n")
	}
}

const targetPrefix = "AWSStepFunctions."

var (
	headerTarget = []byte("X-Amz-Target")
	jsonTypes    = [][]byte{[]byte("application/x-amz-json-1.0"), []byte("application/x-amz-json-1.1"), []byte("application/json")}
)

// handleAWS answers one AWS JSON 1.0 request.
func (s *server) handleAWS(ctx *fasthttp.RequestCtx) {
	target := ctx.Request.Header.PeekBytes(headerTarget)
	name, ok := bytes.CutPrefix(target, []byte(targetPrefix))
	action := awsActions[string(name)]
	if !ok || action == nil {
		writeAPIError(ctx, awserr.New("UnknownOperationException", "Unknown operation: %q", target))
		return
	}
	if !contentTypeOK(ctx.Request.Header.ContentType()) {
		action.metrics.done(400, ctx.Time())
		writeAPIError(ctx, awserr.New("SerializationException", "Content-Type must be application/x-amz-json-1.0, not %q", ctx.Request.Header.ContentType()))
		return
	}
	bp := responsePool.Get().(*[]byte)
	defer responsePool.Put(bp)
	out, aerr := action.handle(s, ctx.PostBody(), (*bp)[:0])
	*bp = out[:0]
	if aerr != nil {
		action.metrics.done(aerr.Status(), ctx.Time())
		if aerr.Status() >= 500 {
			s.failures.printf(s.log, "%s answered %s: %s (request %s)", action.name, aerr.Code, aerr.Message, ctx.Response.Header.Peek(headerRequestID))
		}
		writeAPIError(ctx, aerr)
		return
	}
	action.metrics.done(200, ctx.Time())
	ctx.Response.Header.SetContentType("application/x-amz-json-1.0")
	ctx.SetBody(out)
}

// responsePool holds the buffers responses are built in before fasthttp
// copies them out.
var responsePool = sync.Pool{New: func() any { b := make([]byte, 0, 4096); return &b }}

func contentTypeOK(ct []byte) bool {
	ct, _, _ = bytes.Cut(ct, []byte(";"))
	for _, t := range jsonTypes {
		if bytes.EqualFold(bytes.TrimSpace(ct), t) {
			return true
		}
	}
	return false
}

// requestError answers a request fasthttp could not read: 413 for a body
// over its limit (limits.go), 431 for headers over -max-header-bytes, 408
// for one not read within -read-timeout, 400 for anything else; in the
// REST API's error shape on its paths, AWS's elsewhere, with a request id.
func (s *server) requestError(ctx *fasthttp.RequestCtx, err error) {
	var small *fasthttp.ErrSmallBuffer
	var netErr net.Error
	var e *awserr.Error
	switch {
	case errors.Is(err, fasthttp.ErrBodyTooLarge):
		e = errBodyTooLarge(requestBodyLimit(ctx, s.cfg.MaxBodyBytes))
	case errors.As(err, &small):
		e = &awserr.Error{Code: "RequestHeaderFieldsTooLarge", Message: "The request headers are larger than the server accepts (-max-header-bytes)"}
	case errors.As(err, &netErr) && netErr.Timeout():
		e = &awserr.Error{Code: "RequestTimeout", Message: "The request was not received within -read-timeout"}
	default:
		e = awserr.New("SerializationException", "Cannot read the request: %v", err)
	}
	if bytes.HasPrefix(ctx.Path(), prefixREST) {
		writeRESTError(ctx, e)
		return
	}
	if len(ctx.Response.Header.Peek(headerRequestID)) == 0 {
		setRequestID(ctx)
	}
	writeAPIError(ctx, e)
}

func writeAPIError(ctx *fasthttp.RequestCtx, e *awserr.Error) {
	ctx.SetStatusCode(e.Status())
	ctx.Response.Header.SetContentType("application/x-amz-json-1.0")
	ctx.Response.Header.Set("X-Amzn-ErrorType", e.Code)
	ctx.SetBody(appendErrorBody(nil, e))
}

// throttledLog prints at most one message a second, counting the rest, so
// a flood of bad requests cannot flood the log.
type throttledLog struct {
	last       atomic.Int64
	suppressed atomic.Int64
}

func (t *throttledLog) printf(l *log.Logger, format string, args ...any) {
	now := time.Now().UnixNano()
	last := t.last.Load()
	if now-last < int64(time.Second) || !t.last.CompareAndSwap(last, now) {
		t.suppressed.Add(1)
		return
	}
	if n := t.suppressed.Swap(0); n > 0 {
		format += fmt.Sprintf(" (%d more suppressed)", n)
	}
	l.Printf(format, args...)
}

// authorize authenticates and authorizes a request before handle routes
// it, answering the refusal itself; it reports whether to go on.
// /healthz and /readyz are open; /metrics needs the read role, since
// metric labels name the state machines.
func (s *server) authorize(ctx *fasthttp.RequestCtx) bool {
	if s.auth == nil {
		return true
	}
	path := ctx.Path()
	var need auth.Role
	var action []byte
	rest := bytes.HasPrefix(path, prefixREST)
	switch {
	case bytes.Equal(path, pathHealth) || bytes.Equal(path, pathReady) || console.Owns(path):
		return true // the console's files hold no data: its API calls are checked
	case bytes.Equal(path, pathCluster):
		return true // -join reads the node table here; joining itself needs the Raft port's mutual TLS
	case rest:
		need = auth.RESTRole(ctx.Method(), path)
	case bytes.Equal(path, pathRoot) && ctx.IsPost():
		action, _ = bytes.CutPrefix(ctx.Request.Header.PeekBytes(headerTarget), []byte(targetPrefix))
		need = auth.ActionRole(action)
	default:
		need = auth.RoleRead
	}
	aerr := s.auth.Authorize(ctx, need, action)
	if aerr == nil {
		return true
	}
	s.authDenied.printf(s.log, "auth: refused %s %s from %s: %s (request %s)", ctx.Method(), path, ctx.RemoteAddr(), aerr, ctx.Response.Header.Peek(headerRequestID))
	if rest {
		writeRESTError(ctx, aerr)
	} else {
		writeAPIError(ctx, aerr)
	}
	return false
}
