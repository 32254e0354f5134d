package daemon

import (
	"context"
	"strconv"
	"time"

	"github.com/stepd/stepd/daemon/history"
	"github.com/stepd/stepd/daemon/integrations"
	"github.com/stepd/stepd/fastpath"
	"github.com/stepd/stepd/fastpath/jsonb"
	"github.com/stepd/stepd/internal/awserr"
)

// execRequest is one execution to run, whoever asks for it: the AWS API
// (StartSyncExecution, StartExecution), the REST API, `stepd run`, and
// later durable STANDARD executions replayed from their log, which bring
// their own clock, invoker and event sink. The caller owns it; execute
// only reads it, except for opts, its scratch.
type execRequest struct {
	m          *machine // program, name, role, logging; metrics when not nil
	machineArn string   // as the caller named it: the machine's, a version's or an alias's
	arn, name  string
	input      []byte
	start      time.Time
	sync       bool                  // a synchronous (StartSyncExecution-like) execution
	invoker    fastpath.Invoker      // the node's integrations, a mock test case, or a replaying wrapper
	s3         *integrations.S3Store // Distributed Maps' items and results; nil: none
	mapRuns    *mapRuns              // Distributed Maps' runs; nil: nobody asks for them
	clock      fastpath.Clock        // nil: the system clock
	hist       *history.Log          // nil: no execution history
	// events, when set, receives the engine's events (a durable
	// execution's log) instead of the execution history's recorder.
	events    fastpath.EventSink
	eventMask fastpath.EventMask
	// recorder, set for a durable (STANDARD) execution, records and
	// replays what the engine cannot decide again; its history is the
	// durable state's, not the execution history's.
	recorder fastpath.Recorder
	// redrives and redriveDate: how many times and when last a durable
	// execution was redriven (the context object, the machine's timeout).
	redrives    int
	redriveDate time.Time

	// opts and res are execute's scratch, kept here so that a pooled
	// request runs without allocating.
	opts fastpath.Options
	res  fastpath.Result
}

// now reads the clock of x: start and stop times and the engine's
// deadlines must come from the same one.
func (x *execRequest) now() time.Time {
	if x.clock != nil {
		return x.clock.Now()
	}
	return time.Now()
}

// execute runs one execution to its end: it fills the engine's options,
// begins the execution's history, runs the program on a pooled engine,
// ends the history (before any response: see README, Execution history),
// counts it, and hands the result and stop time to reply while the
// engine's memory is still valid (res and its output must not be kept
// after reply returns). An input that is not JSON runs nothing and answers
// InvalidExecutionInput. It does not take an in-flight slot: its callers
// do, since StartExecution holds one past the request. It is the only
// place an execution runs.
func execute(ctx context.Context, x *execRequest, reply func(res *fastpath.Result, stop time.Time)) *awserr.Error {
	x.opts = fastpath.Options{
		ExecutionArn: x.arn, ExecutionName: x.name, StateMachineArn: x.machineArn, StateMachineName: x.m.Name,
		RoleArn: x.m.RoleArn, Synchronous: x.sync, Invoker: x.invoker, Clock: x.clock, StartTime: x.start,
		Events: x.events, EventMask: x.eventMask, Recorder: x.recorder, RedriveCount: x.redrives, RedriveTime: x.redriveDate,
	}
	if x.s3 != nil {
		x.opts.Items, x.opts.Results = x.s3.ItemReader(), x.s3
	}
	if x.mapRuns != nil && x.m.prog.HasDistributedMap() {
		x.opts.MapRuns = x.mapRuns.forMachine(x.m)
	}
	var rec *history.Recorder
	if x.events == nil && x.recorder == nil {
		rec = beginHistory(x.hist, x.m, &x.opts, x.start)
	}
	ex := fastpath.AcquireExecution()
	defer fastpath.ReleaseExecution(ex)
	var err error
	x.res, err = ex.Run(ctx, x.m.prog, x.input, &x.opts)
	stop := x.now()
	if err != nil {
		endHistory(x.hist, rec, &x.opts, x.start, stop, nil)
		return awserr.InvalidExecutionInput(err.Error())
	}
	endHistory(x.hist, rec, &x.opts, x.start, stop, &x.res)
	if x.m.metrics != nil {
		x.m.metrics.byStatus[x.res.Status].Inc()
		transitionsTotal.Add(x.res.Transitions)
		executionDuration.Update(stop.Sub(x.start).Seconds())
	}
	reply(&x.res, stop)
	x.res, x.opts = fastpath.Result{}, fastpath.Options{}
	return nil
}

// syncResult is a finished synchronous execution. Its strings and output
// are valid only during the reply callback of execSync.
type syncResult struct {
	arn, machineArn, name string
	start, stop           time.Time
	res                   *fastpath.Result
}

// appendSyncResponse appends a StartSyncExecution response, which the AWS
// API answers and `stepd run -json` prints; quotedInput is the input as a
// JSON string.
func appendSyncResponse(dst []byte, sr *syncResult, quotedInput []byte) []byte {
	res := sr.res
	dst = append(dst, `{"executionArn":`...)
	dst = jsonb.AppendQuotedString(dst, sr.arn)
	dst = append(dst, `,"stateMachineArn":`...)
	dst = jsonb.AppendQuotedString(dst, sr.machineArn)
	dst = append(dst, `,"name":`...)
	dst = jsonb.AppendQuotedString(dst, sr.name)
	dst = append(dst, `,"startDate":`...)
	dst = appendEpoch(dst, sr.start)
	dst = append(dst, `,"stopDate":`...)
	dst = appendEpoch(dst, sr.stop)
	dst = append(dst, `,"status":"`...)
	dst = append(dst, res.Status.String()...)
	dst = append(dst, `","input":`...)
	dst = append(dst, quotedInput...)
	dst = append(dst, `,"inputDetails":{"included":true}`...)
	if res.Status == fastpath.Succeeded {
		dst = append(dst, `,"output":`...)
		dst = jsonb.AppendQuoted(dst, res.Output)
		dst = append(dst, `,"outputDetails":{"included":true}`...)
	}
	dst = appendErrorCause(dst, res)
	billed := max(100, (sr.stop.Sub(sr.start).Milliseconds()+99)/100*100)
	dst = append(dst, `,"billingDetails":{"billedMemoryUsedInMB":64,"billedDurationInMilliseconds":`...)
	dst = strconv.AppendInt(dst, billed, 10)
	return append(dst, "}}"...)
}

// appendErrorCause appends the ,"error" and ,"cause" members of a
// finished execution's response, when it has them.
func appendErrorCause(dst []byte, res *fastpath.Result) []byte {
	if res.HasError {
		dst = append(dst, `,"error":`...)
		dst = jsonb.AppendQuotedString(dst, res.Error)
	}
	if res.HasCause {
		dst = append(dst, `,"cause":`...)
		dst = jsonb.AppendQuotedString(dst, res.Cause)
	}
	return dst
}
