package durable

import (
	"strings"
	"time"

	"github.com/stepd/stepd/cluster"
	"github.com/stepd/stepd/daemon/history"
	"github.com/stepd/stepd/fastpath"
)

// historyOf is the history of e: its summary and its events in the order
// they were committed, numbered from 1, without those of its child
// executions (see ChildHistory).
func historyOf(e *cluster.Execution) (*history.Record, error) {
	children, err := childScopes(e)
	if err != nil {
		return nil, err
	}
	return eventsOf(e, summaryOf(e), func(scope string) bool { return childOf(children, scope) == "" }, false)
}

// eventsOf is the history of e's events whose key scope keep accepts,
// with summary sum: in the order they were committed, numbered from 1. An
// event's previous event is the one the engine said (mapped to its
// place), or the one before it; the first event after an
// ExecutionRedriven (and its MapRunRedriven) follows it. redrives, for
// a child's history, adds an ExecutionRedriven before the first event
// each redrive of e recorded in it (the child ran again), and counts them.
func eventsOf(e *cluster.Execution, sum history.Summary, keep func(scope string) bool, redrives bool) (*history.Record, error) {
	rec := &history.Record{Summary: sum}
	place := map[int]int{} // engine id → place
	redriven, epoch := false, 0
	add := func(ev *history.Event, vmID, vmPrev int) {
		ev.ID = len(rec.Events) + 1
		ev.Prev = ev.ID - 1
		if p, ok := place[vmPrev]; ok && vmPrev != 0 && !redriven {
			ev.Prev = p
		}
		redriven = ev.Type == fastpath.EventExecutionRedriven || ev.Type == fastpath.EventMapRunRedriven
		if vmID != 0 {
			place[vmID] = ev.ID
		}
		rec.Events = append(rec.Events, *ev)
	}
	err := e.EachRecord(func(r *cluster.Record) error {
		if fastpath.RecordKind(r.Kind) != fastpath.RecordEvent || !keep(r.Scope) {
			return nil
		}
		var ev history.Event
		vmID, vmPrev, err := history.DecodeEvent(r.Val, &ev)
		if err != nil {
			return err
		}
		if len(rec.Events) == 0 {
			epoch = r.Epoch // a child that the redrive started first
		}
		if redrives && r.Epoch > epoch && r.Epoch <= len(e.Redrives) {
			epoch = r.Epoch
			rec.RedriveCount++
			add(&history.Event{Type: fastpath.EventExecutionRedriven, Index: rec.RedriveCount,
				Timestamp: e.Redrives[epoch-1].Date.UnixMilli(), IncludeData: true}, 0, 0)
		}
		add(&ev, vmID, vmPrev)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return rec, nil
}

// childScopes are the key scopes in which the child executions of e's
// Distributed Maps recorded their histories, by the ARN of each child:
// the scopes other than the root whose events include an
// ExecutionStarted, which names the child (fastpath's beginChild). The
// scopes nested in one (its Parallel branches) are its too.
func childScopes(e *cluster.Execution) (map[string]string, error) {
	children := map[string]string{}
	err := e.EachRecord(func(r *cluster.Record) error {
		if r.Scope == "" || fastpath.RecordKind(r.Kind) != fastpath.RecordEvent || len(r.Val) == 0 || r.Val[0] != byte(fastpath.EventExecutionStarted) {
			return nil
		}
		var ev history.Event
		if _, _, err := history.DecodeEvent(r.Val, &ev); err != nil {
			return err
		}
		children[r.Scope] = ev.Resource
		return nil
	})
	return children, err
}

// childOf is the ARN of the child execution whose records the key scope
// holds, "" for the parent's own: the innermost, when a child's own
// Distributed Map ran children of its own.
func childOf(children map[string]string, scope string) string {
	if len(children) == 0 {
		return ""
	}
	arn := ""
	for i := 0; i < len(scope); i++ {
		if scope[i] == '/' {
			if child, ok := children[scope[:i+1]]; ok {
				arn = child
			}
		}
	}
	return arn
}

// ChildHistory is the history of the STANDARD child execution arn of one
// of e's Distributed Maps, which e's records hold: ok is false when they
// do not. Its summary follows from its events; a child that has not
// ended while e has was stopped with it (ABORTED).
func ChildHistory(e *cluster.Execution, arn string) (*history.Record, bool, error) {
	children, err := childScopes(e)
	if err != nil {
		return nil, false, err
	}
	scope := scopeOf(children, arn)
	if scope == "" {
		return nil, false, nil
	}
	rec, err := eventsOf(e, childSummary(e, arn), func(s string) bool { return strings.HasPrefix(s, scope) && childOf(children, s) == arn }, true)
	if err != nil {
		return nil, true, err
	}
	for i := range rec.Events {
		childEvent(&rec.Summary, &rec.Events[i])
	}
	childEnded(&rec.Summary, e)
	return rec, true, nil
}

// scopeOf is the scope of the child arn among children, "" for none.
func scopeOf(children map[string]string, arn string) string {
	for scope, child := range children {
		if child == arn {
			return scope
		}
	}
	return ""
}

// childSummary is the history summary of e's child arn before its events.
func childSummary(e *cluster.Execution, arn string) history.Summary {
	at := strings.LastIndexByte(arn, ':') // a child's ARN: ...:execution:<machine>/<label>:<name>
	prefix, name := arn[:at], arn[at+1:]
	return history.Summary{ExecutionArn: arn, StateMachineArn: strings.Replace(prefix, ":execution:", ":stateMachine:", 1), Name: name,
		RoleArn: e.RoleArn, Status: fastpath.Suspended, IncludeData: true}
}

// childEvent updates a child's summary with one of its events: its
// start, its end, a redrive that runs it again.
func childEvent(sum *history.Summary, ev *history.Event) {
	at := time.UnixMilli(ev.Timestamp)
	if ev.Type == fastpath.EventExecutionStarted {
		sum.Start = at
	} else if ev.Type == fastpath.EventExecutionRedriven {
		sum.Status, sum.Stop = fastpath.Suspended, time.Time{}
		sum.Error, sum.HasError, sum.Cause, sum.HasCause = "", false, "", false
	} else if status, ok := childStatuses[ev.Type]; ok {
		sum.Status, sum.Stop = statusOf(status), at
		sum.Error, sum.HasError, sum.Cause, sum.HasCause = ev.Error, ev.HasError, ev.Cause, ev.HasCause
	}
}

// childEnded ends the summary of a child that has not ended when its
// parent e has: it was stopped with it (ABORTED).
func childEnded(sum *history.Summary, e *cluster.Execution) {
	if sum.Status == fastpath.Suspended && e.Status != fastpath.StatusRunning {
		sum.Status, sum.Stop = fastpath.Aborted, e.Stop
	}
}

// Child is a STANDARD child execution of one of a durable execution's
// Map Runs as the execution's records hold it (see ChildHistory): its
// summary, its Map Run, its input and its output (nil unless it
// succeeded).
type Child struct {
	history.Summary
	MapRun string
	Input  string
	Output *string
}

// Children are the STANDARD children of e's Map Runs in the order they
// started, read in one pass over e's records. A child belongs to the run
// whose MapRunStarted is the last one before the place its scope was
// opened at, in the same scope.
func Children(e *cluster.Execution) ([]Child, error) {
	type started struct {
		seq int
		run string
	}
	runs := map[string][]started{} // by scope, in seq order
	at := map[string]int{}         // a child's scope → its place in children
	var children []Child
	var scopes []string
	var epochs []int // the last epoch of each child's records
	err := e.EachRecord(func(r *cluster.Record) error {
		if fastpath.RecordKind(r.Kind) != fastpath.RecordEvent || len(r.Val) == 0 {
			return nil
		}
		i, child := at[r.Scope]
		if child && r.Epoch > epochs[i] { // a redrive ran it again
			epochs[i] = r.Epoch
			children[i].RedriveCount++
			childEvent(&children[i].Summary, &history.Event{Type: fastpath.EventExecutionRedriven})
		}
		t := fastpath.EventType(r.Val[0])
		_, ends := childStatuses[t]
		if t != fastpath.EventMapRunStarted && t != fastpath.EventExecutionStarted && !ends {
			return nil
		}
		var ev history.Event
		if _, _, err := history.DecodeEvent(r.Val, &ev); err != nil {
			return err
		}
		switch {
		case t == fastpath.EventMapRunStarted:
			runs[r.Scope] = append(runs[r.Scope], started{r.Seq, ev.Resource})
		case t == fastpath.EventExecutionStarted && r.Scope != "" && strings.Contains(ev.Resource, ":execution:"):
			at[r.Scope] = len(children)
			epochs = append(epochs, r.Epoch)
			children = append(children, Child{Summary: childSummary(e, ev.Resource), Input: string(ev.Payload)})
			scopes = append(scopes, r.Scope)
			childEvent(&children[len(children)-1].Summary, &ev)
		case child:
			c := &children[i]
			childEvent(&c.Summary, &ev)
			c.Output = nil
			if t == fastpath.EventExecutionSucceeded {
				out := string(ev.Payload)
				c.Output = &out
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	for i := range children {
		parent, seq, _, ok := childScope(scopes[i])
		for _, st := range runs[parent] {
			if ok && st.seq < seq {
				children[i].MapRun = st.run
			}
		}
		childEnded(&children[i].Summary, e)
	}
	return children, nil
}

// childStatuses are the statuses of the child executions whose histories
// end with each event.
var childStatuses = map[fastpath.EventType]string{
	fastpath.EventExecutionSucceeded: fastpath.StatusSucceeded, fastpath.EventExecutionFailed: fastpath.StatusFailed,
	fastpath.EventExecutionTimedOut: fastpath.StatusTimedOut, fastpath.EventExecutionAborted: fastpath.StatusAborted,
}

// statusOf maps an execution's status name to the engine's Status
// (RUNNING is Suspended's name).
func statusOf(name string) fastpath.Status {
	for s := fastpath.Succeeded; s <= fastpath.Suspended; s++ {
		if s.String() == name {
			return s
		}
	}
	return fastpath.Suspended
}

// summaryOf is the history summary of e.
func summaryOf(e *cluster.Execution) history.Summary {
	s := history.Summary{ExecutionArn: e.Arn, StateMachineArn: e.MachineArn, Name: e.Name, RoleArn: e.RoleArn,
		Status: statusOf(e.Status), Start: e.Start, Stop: e.Stop, IncludeData: true, RedriveCount: e.Epoch()}
	if e.Error != nil {
		s.Error, s.HasError = *e.Error, true
	}
	if e.Cause != nil {
		s.Cause, s.HasCause = *e.Cause, true
	}
	return s
}
