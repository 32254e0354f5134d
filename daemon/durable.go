package daemon

import (
	"context"
	"sort"
	"time"

	"github.com/stepd/stepd/cluster"
	"github.com/stepd/stepd/daemon/durable"
	"github.com/stepd/stepd/daemon/history"
	"github.com/stepd/stepd/fastpath"
	"github.com/stepd/stepd/internal/awserr"
)

// STANDARD executions are durable (package durable, docs/CLUSTER.md):
// their start, every transition and their end are committed through the
// cluster's Raft log, the leader runs them, and every node answers
// Describe, List and GetExecutionHistory from its copy of that state.

// openDurable starts the runner of the node's STANDARD executions.
func openDurable(cfg Config, s *server) error {
	dc := durable.DefaultConfig()
	dc.Retention, dc.Clock, dc.Logger = cfg.StandardRetention, s.execs.clock, s.log
	dc.Execute, dc.OnEnd, dc.RunClock = s.executeDurable, s.durableEnded, s.execs.clockFor
	rn, err := durable.New(s.node, dc)
	if err != nil {
		return err
	}
	s.durable = rn
	rn.Start()
	return nil
}

// executeDurable runs one run of a STANDARD execution (the first, or a
// replay that resumes it) through the one execute path.
func (s *server) executeDurable(ctx context.Context, e *cluster.Execution, prog *fastpath.Program, clock fastpath.Clock, rec fastpath.Recorder, done func(*fastpath.Result)) error {
	// The machine as the execution started it: its definition then,
	// whatever the machine has become. Counting is durableEnded's.
	m := &machine{Machine: &cluster.Machine{Arn: e.MachineArn, Name: e.MachineName, Type: "STANDARD", RoleArn: e.RoleArn, Definition: e.Definition}, prog: prog}
	inv, aerr := s.invokerFor(resolved{m: m, arn: e.MachineArn}, e.TestCase)
	if aerr != nil {
		return aerr
	}
	inv = &callbackInvoker{next: inv, s: s}
	s.restartLostChildren(ctx, e.Arn, inv)
	x := &execRequest{m: m, machineArn: e.MachineArn, arn: e.Arn, name: e.Name, input: []byte(e.Input), start: e.Start,
		invoker: inv, s3: s.execs.s3, mapRuns: s.execs.mapRuns, clock: clock, recorder: rec, redrives: e.Epoch(), redriveDate: e.RedriveDate()}
	if aerr := execute(ctx, x, func(res *fastpath.Result, _ time.Time) { done(res) }); aerr != nil {
		return aerr
	}
	return nil
}

// durableEnded counts a STANDARD execution that ended on this node (the
// leader) and, when its machine's logging is on, writes its history to the
// history log, as every execution's is.
func (s *server) durableEnded(e *cluster.Execution, res *fastpath.Result) {
	executionDuration.Update(e.Stop.Sub(e.Start).Seconds())
	m := s.reg.snap.Load().machines[e.MachineName]
	if m == nil {
		return
	}
	if m.metrics != nil {
		m.metrics.byStatus[res.Status].Inc()
	}
	if s.hist != nil && m.logging.Enabled() {
		s.logDurable(e.Arn, m.logging)
	}
}

// logDurable stages the history of an ended STANDARD execution, read from
// its durable state, in the history log with the events and data the
// logging configuration keeps, stamped when they happened; after a
// redrive, from its ExecutionRedriven event on.
func (s *server) logDurable(arn string, lg history.Logging) {
	h, ok, err := s.durable.History(arn)
	if !ok || err != nil {
		s.log.Printf("durable: cannot log the history of %s: %v", arn, err)
		return
	}
	rec := history.AcquireRecorder(lg, h.Start)
	defer history.ReleaseRecorder(rec)
	var ts int64
	rec.SetClock(func() int64 { return ts })
	mask := rec.Mask()
	from := 0 // a redriven execution logs the events since its last redrive: the earlier ones are logged
	for i := range h.Events {
		if h.Events[i].Type == fastpath.EventExecutionRedriven {
			from = i
		}
	}
	for i := from; i < len(h.Events); i++ {
		he := &h.Events[i]
		if !mask.Has(he.Type) {
			continue
		}
		ts = he.Timestamp
		ev := fastpath.Event{Type: he.Type, ID: he.ID, PreviousID: he.Prev, State: he.State, Resource: he.Resource,
			Error: he.Error, Cause: he.Cause, HasError: he.HasError, HasCause: he.HasCause, Index: he.Index}
		if he.HasPayload {
			ev.Payload = he.Payload
		}
		rec.Event(&ev)
	}
	rec.Finish(s.hist, &h.Summary)
}

// startDurable answers StartExecution for a STANDARD machine once the
// start is committed; the leader runs it. The same name and input answer
// the execution that exists, another input ExecutionAlreadyExists. parent
// is the token of the `.sync` Task that starts it, "" for none. While it
// commits, the start holds one of the -max-inflight slots the running
// EXPRESS executions hold: starts beyond it are refused at once with
// ThrottlingException, as AWS throttles StartExecution, rather than
// queued for the log without bound.
func (s *server) startDurable(dst []byte, r resolved, name string, input []byte, testCase, parent string) ([]byte, *awserr.Error) {
	if aerr := s.execs.acquire(); aerr != nil {
		return dst, aerr
	}
	defer s.execs.release()
	e := &cluster.Execution{Arn: s.execs.executionArn(r, name), MachineArn: r.arn, MachineName: r.m.Name, Name: name,
		RoleArn: r.m.RoleArn, Definition: r.m.Definition, Input: string(input), Start: s.execs.now(), TestCase: testCase,
		ParentToken: parent}
	res, aerr := s.propose(&cluster.StartExecution{Execution: e})
	if aerr != nil {
		return dst, aerr
	}
	return appendStarted(dst, e.Arn, res.Date)
}

// stopDurable answers StopExecution for a STANDARD execution: ABORTED,
// committed, wherever it runs. ok is false when arn is not one.
func (s *server) stopDurable(arn string, errName, cause *string) (stop time.Time, ok bool, aerr *awserr.Error) {
	if _, ok := s.node.Executions().Get(arn); !ok {
		return stop, false, nil
	}
	res, aerr := s.propose(s.durable.StopCommand(arn, errName, cause))
	return res.Date, true, aerr
}

// redriveDurable answers RedriveExecution once the redrive is committed,
// with its date; an execution that is not durable (EXPRESS) is not
// redrivable.
func (s *server) redriveDurable(arn, token string) (time.Time, *awserr.Error) {
	e, ok := s.node.Executions().Get(arn)
	if !ok {
		x, aerr := s.executionByArn(arn)
		switch {
		case aerr != nil:
			return time.Time{}, aerr
		case x.MapRunArn != "":
			return time.Time{}, awserr.New("ExecutionNotRedrivable", "Execution is a child of the Map Run %s: redrive its parent execution", x.MapRunArn)
		}
		return time.Time{}, awserr.New("ExecutionNotRedrivable", "This API action is not supported by EXPRESS state machines.")
	}
	if reason := s.machineGone(&e); reason != "" && e.RedrivenBy(token, s.execs.now()) == nil {
		return time.Time{}, awserr.New("ExecutionNotRedrivable", "%s", reason)
	}
	c, aerr := s.durable.RedriveCommand(arn, token)
	if aerr != nil {
		return time.Time{}, aerr
	}
	res, aerr := s.propose(c)
	return res.Date, aerr
}

// machineGone is the reason a durable execution cannot be redriven when
// its state machine (or the version or alias it started) was deleted.
func (s *server) machineGone(e *cluster.Execution) string {
	if _, aerr := s.machineByArn(e.MachineArn); aerr != nil {
		return "State machine is in DELETING status"
	}
	return ""
}

// durableExecution describes a STANDARD execution from the node's
// durable state; ok is false when arn is not one.
func (s *server) durableExecution(arn string) (execution, bool) {
	e, ok := s.node.Executions().Get(arn)
	if !ok {
		return execution{}, false
	}
	return s.executionOfDurable(&e), true
}

func (s *server) executionOfDurable(e *cluster.Execution) execution {
	x := execution{Arn: e.Arn, MachineArn: e.MachineArn, Name: e.Name, Start: e.Start, Stop: e.Stop, Status: e.Status,
		Input: e.Input, Output: e.Output, Error: e.Error, Cause: e.Cause, Redrives: e.Epoch(), RedriveDate: e.RedriveDate(),
		RedriveStatus: "REDRIVABLE"}
	if x.RedriveReason = s.durable.NotRedrivable(e); x.RedriveReason == "" {
		x.RedriveReason = s.machineGone(e)
	}
	if x.RedriveReason != "" {
		x.RedriveStatus = "NOT_REDRIVABLE"
	}
	x.machine, _ = s.machineByArn(e.MachineArn)
	if x.machine != nil && x.machine.Definition != e.Definition {
		// DescribeStateMachineForExecution shows the definition the
		// execution runs, not the one the machine has now.
		then := *x.machine.Machine
		then.Definition = e.Definition
		x.machine = &machine{Machine: &then}
	}
	return x
}

// withDurable adds the STANDARD executions of the machine named name,
// with the status when not "", to list, newest first.
func (s *server) withDurable(list []execution, name, status string) []execution {
	for _, e := range s.node.Executions().List(func(e *cluster.Execution) bool {
		return e.MachineName == name && (status == "" || e.Status == status)
	}) {
		list = append(list, s.executionOfDurable(&e))
	}
	sort.SliceStable(list, func(i, j int) bool { return list[i].Start.After(list[j].Start) })
	return list
}

// durableHistory is the history of a STANDARD execution from the node's
// durable state, or of a STANDARD child execution of a Map Run from its
// parent's; ok is false when arn is neither.
func (s *server) durableHistory(arn string) (*history.Record, bool, *awserr.Error) {
	h, ok, err := s.durable.History(arn)
	if !ok && err == nil {
		h, ok, err = s.childHistory(arn)
	}
	if err != nil {
		return nil, true, awserr.New("InternalFailure", "%v", err)
	}
	return h, ok, nil
}

// childHistory is the history of the STANDARD child execution arn of a
// Map Run, which its durable parent recorded (durable.ChildHistory): the
// parent is the one of the run this node keeps or, after a restart, one
// of the executions of the machine the child's ARN names.
func (s *server) childHistory(arn string) (*history.Record, bool, error) {
	execs := s.node.Executions()
	if c, ok := s.execs.mapRuns.child(arn); ok {
		if run := s.execs.mapRuns.get(c.MapRunArn); run != nil {
			if e, ok := execs.Get(run.ExecutionArn); ok {
				return durable.ChildHistory(&e, arn)
			}
		}
	}
	machine, ok := s.childMachine(arn)
	if !ok {
		return nil, false, nil
	}
	var (
		h     *history.Record
		found bool
		err   error
	)
	s.eachDurableOf(machine, func(e *cluster.Execution) bool {
		h, found, err = durable.ChildHistory(e, arn)
		return found || err != nil
	})
	return h, found, err
}
