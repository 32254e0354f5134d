package durable

import (
	"github.com/stepd/stepd/cluster"
	"github.com/stepd/stepd/daemon/history"
	"github.com/stepd/stepd/fastpath"
)

// historyOf is the history of e: its summary and its events in the order
// they were committed, numbered from 1. An event's previous event is the
// one the engine said (mapped to its place), or the one before it; the
// first event after an ExecutionRedriven (and its MapRunRedriven) follows
// it.
func historyOf(e *cluster.Execution) (*history.Record, error) {
	rec := &history.Record{Summary: summaryOf(e)}
	place := map[int]int{} // engine id → place
	redriven := false
	err := e.EachEvent(func(val []byte) error {
		var ev history.Event
		vmID, vmPrev, err := history.DecodeEvent(val, &ev)
		if err != nil {
			return err
		}
		ev.ID = len(rec.Events) + 1
		ev.Prev = ev.ID - 1
		if p, ok := place[vmPrev]; ok && vmPrev != 0 && !redriven {
			ev.Prev = p
		}
		redriven = ev.Type == fastpath.EventExecutionRedriven || ev.Type == fastpath.EventMapRunRedriven
		if vmID != 0 {
			place[vmID] = ev.ID
		}
		rec.Events = append(rec.Events, ev)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return rec, nil
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
