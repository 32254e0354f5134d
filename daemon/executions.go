package daemon

import (
	"context"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/stepd/stepd/daemon/history"
	"github.com/stepd/stepd/daemon/integrations"
	"github.com/stepd/stepd/fastpath"

	"github.com/stepd/stepd/internal/awserr"
)

// executor starts executions: synchronously for StartSyncExecution and the
// REST API, in the background for StartExecution. It enforces the
// in-flight cap and keeps recent background executions for Describe and
// List.
type executor struct {
	reg      *registry
	id       identity
	invoker  fastpath.Invoker
	s3       *integrations.S3Store // Distributed Maps' items and results
	mapRuns  *mapRuns              // Distributed Maps' runs
	clock    fastpath.Clock        // nil: the system clock; tests use a virtual one
	time     TimeControl           // when clock is nil, what clockFor makes
	maxRuns  int64
	inFlight atomic.Int64

	// background executions: their lifetime context, ended when the
	// shutdown grace period is over, and a WaitGroup to drain them.
	bgCtx context.Context
	bg    sync.WaitGroup

	recent *recentExecutions
	hist   *history.Log // nil in tests that run without one
}

// now reads the executor's clock: execution start and stop times and the
// engine's deadlines must come from the same one.
func (ec *executor) now() time.Time {
	if ec.clock != nil {
		return ec.clock.Now()
	}
	return time.Now()
}

var errThrottled = awserr.New("ThrottlingException", "Rate exceeded")

// acquire takes an in-flight slot, or refuses when the cap is reached:
// overload is answered at once instead of queueing without bound.
func (ec *executor) acquire() *awserr.Error {
	if ec.inFlight.Add(1) > ec.maxRuns {
		ec.inFlight.Add(-1)
		throttledTotal.Inc()
		return errThrottled
	}
	inFlightGauge.Inc()
	return nil
}

func (ec *executor) release() {
	ec.inFlight.Add(-1)
	inFlightGauge.Dec()
}

// clockFor returns the clock of one execution: the executor's, when a
// test set one, else what -wait-time-scale and -virtual-time make (nil:
// the system clock).
func (ec *executor) clockFor() fastpath.Clock {
	if ec.clock != nil {
		return ec.clock
	}
	return ec.time.clock()
}

// newID appends a random id in UUID form, for execution names and ARNs.
func newID(dst []byte) []byte { return fastpath.AppendUUID(dst) }

// execution is the outcome of one run, in the shape the API reports.
type execution struct {
	Arn        string
	MachineArn string
	Name       string
	Start      time.Time
	Stop       time.Time
	Status     string
	Input      string
	Output     *string
	Error      *string
	Cause      *string
	machine    *machine
	// Durable executions (STANDARD) can be redriven: how many times and
	// when last, and whether they can be now (redriveStatus, with its
	// reason when not). The others leave them zero.
	Redrives      int
	RedriveDate   time.Time
	RedriveStatus string
	RedriveReason string
	// MapRunArn is the Map Run of a child execution of a Distributed Map.
	MapRunArn string
}

// executeBackground executes r's machine on input and fills e, for
// StartExecution. Input that is not JSON is refused with
// InvalidExecutionInput before anything runs.
func (ec *executor) executeBackground(ctx context.Context, r resolved, e *execution, input []byte, inv fastpath.Invoker) *awserr.Error {
	x := &execRequest{m: r.m, machineArn: r.arn, arn: e.Arn, name: e.Name, input: input, start: e.Start,
		invoker: inv, s3: ec.s3, mapRuns: ec.mapRuns, clock: ec.clockFor(), hist: ec.hist}
	aerr := execute(ctx, x, func(res *fastpath.Result, stop time.Time) {
		e.Stop = stop
		e.Status = res.Status.String()
		if res.Status == fastpath.Succeeded {
			out := string(res.Output)
			e.Output = &out
		}
		if res.HasError {
			s := res.Error
			e.Error = &s
		}
		if res.HasCause {
			s := res.Cause
			e.Cause = &s
		}
	})
	if aerr != nil {
		e.Stop = ec.now()
	}
	return aerr
}

// executionArn is the ARN of an execution of r named name.
func (ec *executor) executionArn(r resolved, name string) string {
	return ec.id.executionArn(r.m.Name, name, r.m.Type == "EXPRESS")
}

// bgExecution is a background execution (StartExecution) as Describe and
// List see it.
type bgExecution struct {
	mu     sync.Mutex
	e      execution
	cancel context.CancelFunc
	// parent is the token of the `.sync` Task that started it, "" for
	// none.
	parent string
}

func (rec *bgExecution) snapshot() execution {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	return rec.e
}

// recentExecutions keeps the last background executions, evicting the
// oldest finished ones beyond its capacity.
type recentExecutions struct {
	mu    sync.Mutex
	max   int
	byArn map[string]*bgExecution
	order []*bgExecution // in start order
}

func newRecentExecutions(max int) *recentExecutions {
	return &recentExecutions{max: max, byArn: map[string]*bgExecution{}}
}

func (re *recentExecutions) add(rec *bgExecution) {
	re.mu.Lock()
	defer re.mu.Unlock()
	re.byArn[rec.e.Arn] = rec
	re.order = append(re.order, rec)
	// Evict the oldest finished executions; running ones stay (at most
	// -max-inflight of them), and never stop the eviction of those after.
	for i := 0; len(re.order) > re.max && i < len(re.order); {
		old := re.order[i]
		if old.snapshot().Status == "RUNNING" {
			i++
			continue
		}
		delete(re.byArn, old.e.Arn)
		re.order = append(re.order[:i], re.order[i+1:]...)
	}
}

func (re *recentExecutions) get(arn string) *bgExecution {
	re.mu.Lock()
	defer re.mu.Unlock()
	return re.byArn[arn]
}

// list returns the executions started through machineArn (or its
// versions and aliases), newest first, filtered by status when not "".
func (re *recentExecutions) list(machineName, status string) []execution {
	re.mu.Lock()
	recs := append([]*bgExecution(nil), re.order...)
	re.mu.Unlock()
	var out []execution
	for i := len(recs) - 1; i >= 0; i-- {
		e := recs[i].snapshot()
		if e.machine.Name != machineName || (status != "" && e.Status != status) {
			continue
		}
		out = append(out, e)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Start.After(out[j].Start) })
	return out
}

// childOf returns the ARN of the execution the `.sync` Task whose token
// is parent started, or "".
func (re *recentExecutions) childOf(parent string) string {
	re.mu.Lock()
	defer re.mu.Unlock()
	for i := len(re.order) - 1; i >= 0; i-- {
		if re.order[i].parent == parent {
			return re.order[i].e.Arn
		}
	}
	return ""
}

// startBackground starts an execution that outlives the request, as
// StartExecution does. parent is the token of the `.sync` Task that
// starts it ("" for none); ended, when not nil, sees how it ended, unless
// the node's shutdown cut it short (the parent then runs it again when it
// resumes, nested_sync.go).
func (ec *executor) startBackground(r resolved, name string, input []byte, inv fastpath.Invoker, parent string, ended func(execution)) (execution, *awserr.Error) {
	if err := ec.acquire(); err != nil {
		return execution{}, err
	}
	arn := ec.executionArn(r, name)
	if old := ec.recent.get(arn); old != nil {
		ec.release()
		prev := old.snapshot()
		if prev.Input == string(input) {
			return prev, nil // AWS answers a repeated StartExecution with the same execution
		}
		return execution{}, awserr.New("ExecutionAlreadyExists", "Execution Already Exists: '%s'", arn)
	}
	ctx, cancel := context.WithCancel(ec.bgCtx)
	rec := &bgExecution{cancel: cancel, parent: parent, e: execution{Arn: arn, MachineArn: r.arn, Name: name, Start: ec.now(), Status: "RUNNING", Input: string(input), machine: r.m}}
	ec.recent.add(rec)
	started := rec.e
	ec.bg.Add(1)
	go func() {
		defer ec.bg.Done()
		defer ec.release()
		defer cancel()
		e := started
		if aerr := ec.executeBackground(ctx, r, &e, input, inv); aerr != nil {
			e.Status, e.Error, e.Cause = "FAILED", &aerr.Code, &aerr.Message
		}
		rec.mu.Lock()
		if rec.e.Status == "RUNNING" { // not stopped meanwhile
			rec.e = e
		}
		e = rec.e
		rec.mu.Unlock()
		if ended != nil && ec.bgCtx.Err() == nil { // not cut short by the node's shutdown
			ended(e)
		}
	}()
	return started, nil
}

// stop ends a background execution as ABORTED with the given error and
// cause.
func (ec *executor) stop(arn string, errName, cause *string) (time.Time, *awserr.Error) {
	rec := ec.recent.get(arn)
	if rec == nil {
		return time.Time{}, awserr.ExecutionDoesNotExist(arn)
	}
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if rec.e.Status == "RUNNING" {
		rec.e.Status, rec.e.Stop, rec.e.Error, rec.e.Cause = "ABORTED", ec.now(), errName, cause
		rec.cancel()
	}
	return rec.e.Stop, nil
}
