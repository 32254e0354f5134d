package daemon

import (
	"context"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/stepd/stepd/daemon/history"
	"github.com/stepd/stepd/fastpath"

	"github.com/stepd/stepd/internal/awserr"
)

// runner starts executions: synchronously for StartSyncExecution and the
// REST API, in the background for StartExecution. It enforces the
// in-flight cap and keeps recent background executions for Describe and
// List.
type runner struct {
	reg      *registry
	id       identity
	invoker  fastpath.Invoker
	clock    fastpath.Clock // nil: the system clock; tests use a virtual one
	maxRuns  int64
	inFlight atomic.Int64

	// background executions: their lifetime context, ended when the
	// shutdown grace period is over, and a WaitGroup to drain them.
	bgCtx context.Context
	bg    sync.WaitGroup

	recent *recentExecutions
	hist   *history.Log // nil in tests that run without one
}

// now reads the runner's clock: execution start and stop times and the
// engine's deadlines must come from the same one.
func (rn *runner) now() time.Time {
	if rn.clock != nil {
		return rn.clock.Now()
	}
	return time.Now()
}

var errThrottled = awserr.New("ThrottlingException", "Rate exceeded")

// acquire takes an in-flight slot, or refuses when the cap is reached:
// overload is answered at once instead of queueing without bound.
func (rn *runner) acquire() *awserr.Error {
	if rn.inFlight.Add(1) > rn.maxRuns {
		rn.inFlight.Add(-1)
		throttledTotal.Inc()
		return errThrottled
	}
	inFlightGauge.Inc()
	return nil
}

func (rn *runner) release() {
	rn.inFlight.Add(-1)
	inFlightGauge.Dec()
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
}

// runBackground executes r's machine on input and fills e, for
// StartExecution. Input that is not JSON is refused with
// InvalidExecutionInput before anything runs.
func (rn *runner) runBackground(ctx context.Context, r resolved, e *execution, input []byte, inv fastpath.Invoker) *awserr.Error {
	x := &execRequest{m: r.m, machineArn: r.arn, arn: e.Arn, name: e.Name, input: input, start: e.Start,
		invoker: inv, clock: rn.clock, hist: rn.hist}
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
		e.Stop = rn.now()
	}
	return aerr
}

// executionArn is the ARN of an execution of r named name.
func (rn *runner) executionArn(r resolved, name string) string {
	return rn.id.executionArn(r.m.Name, name, r.m.Type == "EXPRESS")
}

// record is a background execution as Describe and List see it.
type record struct {
	mu     sync.Mutex
	e      execution
	cancel context.CancelFunc
}

func (rec *record) snapshot() execution {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	return rec.e
}

// recentExecutions keeps the last background executions, evicting the
// oldest finished ones beyond its capacity.
type recentExecutions struct {
	mu    sync.Mutex
	max   int
	byArn map[string]*record
	order []*record // in start order
}

func newRecentExecutions(max int) *recentExecutions {
	return &recentExecutions{max: max, byArn: map[string]*record{}}
}

func (re *recentExecutions) add(rec *record) {
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

func (re *recentExecutions) get(arn string) *record {
	re.mu.Lock()
	defer re.mu.Unlock()
	return re.byArn[arn]
}

// list returns the executions started through machineArn (or its
// versions and aliases), newest first, filtered by status when not "".
func (re *recentExecutions) list(machineName, status string) []execution {
	re.mu.Lock()
	recs := append([]*record(nil), re.order...)
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

// startBackground starts an execution that outlives the request, as
// StartExecution does.
func (rn *runner) startBackground(r resolved, name string, input []byte, inv fastpath.Invoker) (execution, *awserr.Error) {
	if err := rn.acquire(); err != nil {
		return execution{}, err
	}
	arn := rn.executionArn(r, name)
	if old := rn.recent.get(arn); old != nil {
		rn.release()
		prev := old.snapshot()
		if prev.Input == string(input) {
			return prev, nil // AWS answers a repeated StartExecution with the same execution
		}
		return execution{}, awserr.New("ExecutionAlreadyExists", "Execution Already Exists: '%s'", arn)
	}
	ctx, cancel := context.WithCancel(rn.bgCtx)
	rec := &record{cancel: cancel, e: execution{Arn: arn, MachineArn: r.arn, Name: name, Start: rn.now(), Status: "RUNNING", Input: string(input), machine: r.m}}
	rn.recent.add(rec)
	started := rec.e
	rn.bg.Add(1)
	go func() {
		defer rn.bg.Done()
		defer rn.release()
		defer cancel()
		e := started
		if aerr := rn.runBackground(ctx, r, &e, input, inv); aerr != nil {
			e.Status, e.Error, e.Cause = "FAILED", &aerr.Code, &aerr.Message
		}
		rec.mu.Lock()
		if rec.e.Status == "RUNNING" { // not stopped meanwhile
			rec.e = e
		}
		rec.mu.Unlock()
	}()
	return started, nil
}

// stop ends a background execution as ABORTED with the given error and
// cause.
func (rn *runner) stop(arn string, errName, cause *string) (time.Time, *awserr.Error) {
	rec := rn.recent.get(arn)
	if rec == nil {
		return time.Time{}, awserr.ExecutionDoesNotExist(arn)
	}
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if rec.e.Status == "RUNNING" {
		rec.e.Status, rec.e.Stop, rec.e.Error, rec.e.Cause = "ABORTED", rn.now(), errName, cause
		rec.cancel()
	}
	return rec.e.Stop, nil
}
