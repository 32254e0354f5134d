package daemon

import (
	"sync"

	"github.com/stepd/stepd/fastpath"
)

// mapRuns keeps the Map Runs of the Distributed Maps this node runs, and
// the STANDARD child executions of each, for DescribeMapRun, ListMapRuns,
// UpdateMapRun, and DescribeExecution and ListExecutions of the children.
// It is the engine's fastpath.MapRunObserver. A durable execution resumed
// by replay starts its Map Runs again under the same ARNs, and its
// children under the same names: they replace what was kept. It keeps the
// last max runs, evicting finished ones first; safe for concurrent use.
type mapRuns struct {
	mu       sync.Mutex
	max      int
	byArn    map[string]*mapRunEntry
	order    []*mapRunEntry // in start order
	children map[string]*mapChild
}

// mapRunEntry is one Map Run and its STANDARD children in start order.
type mapRunEntry struct {
	run      *fastpath.MapRun
	children []*mapChild
}

// mapChild is a STANDARD child execution as Describe and List show it.
type mapChild struct {
	e execution
}

var _ fastpath.MapRunObserver = machineMapRuns{}

func newMapRuns(max int) *mapRuns {
	return &mapRuns{max: max, byArn: map[string]*mapRunEntry{}, children: map[string]*mapChild{}}
}

// forMachine returns the observer of the executions of m, which names
// m as the machine of their children.
func (mr *mapRuns) forMachine(m *machine) fastpath.MapRunObserver {
	if mr == nil {
		return nil
	}
	return machineMapRuns{mr, m}
}

// machineMapRuns is mapRuns seen from the executions of one machine.
type machineMapRuns struct {
	*mapRuns
	m *machine
}

// MapRunStarted keeps run, replacing the run of the same ARN that a
// durable execution started before it parked or its node restarted; run
// keeps the settings UpdateMapRun gave the one it replaces.
func (mm machineMapRuns) MapRunStarted(run *fastpath.MapRun) {
	mr := mm.mapRuns
	mr.mu.Lock()
	defer mr.mu.Unlock()
	if old := mr.byArn[run.Arn]; old != nil {
		st := old.run.State()
		u := fastpath.MapRunUpdate{MaxConcurrency: &st.MaxConcurrency, ToleratedCount: &st.ToleratedCount}
		if st.HasPercent {
			u.ToleratedPercent = &st.ToleratedPercent
		}
		run.Update(u)
		old.run = run
		return
	}
	e := &mapRunEntry{run: run}
	mr.byArn[run.Arn] = e
	mr.order = append(mr.order, e)
	for i := 0; len(mr.order) > mr.max && i < len(mr.order); {
		old := mr.order[i]
		if old.run.State().Status == fastpath.StatusRunning {
			i++
			continue
		}
		delete(mr.byArn, old.run.Arn)
		for _, c := range old.children {
			delete(mr.children, c.e.Arn)
		}
		mr.order = append(mr.order[:i], mr.order[i+1:]...)
	}
}

// MapRunChild keeps or updates a STANDARD child.
func (mm machineMapRuns) MapRunChild(run *fastpath.MapRun, c *fastpath.MapRunChild) {
	mr := mm.mapRuns
	e := execution{Arn: c.Arn, MachineArn: run.StateMachineArn, Name: c.Name, Start: c.Start, Stop: c.Stop,
		Status: c.Status, Input: string(c.Input), MapRunArn: run.Arn, machine: mm.m}
	if c.Status == fastpath.StatusSucceeded {
		out := string(c.Output)
		e.Output = &out
	}
	if c.Error != "" {
		errName, cause := c.Error, c.Cause
		e.Error, e.Cause = &errName, &cause
	}
	mr.mu.Lock()
	defer mr.mu.Unlock()
	entry := mr.byArn[run.Arn]
	if entry == nil {
		return // evicted
	}
	if old := mr.children[c.Arn]; old != nil {
		old.e = e
		return
	}
	child := &mapChild{e: e}
	mr.children[c.Arn] = child
	entry.children = append(entry.children, child)
}

// MapRunEnded needs nothing: the run's state says how it ended.
func (mm machineMapRuns) MapRunEnded(*fastpath.MapRun) {}

// get returns the Map Run arn names, nil when there is none.
func (mr *mapRuns) get(arn string) *fastpath.MapRun {
	mr.mu.Lock()
	defer mr.mu.Unlock()
	if e := mr.byArn[arn]; e != nil {
		return e.run
	}
	return nil
}

// ofExecution returns the Map Runs the execution arn started, in start
// order.
func (mr *mapRuns) ofExecution(arn string) []*fastpath.MapRun {
	mr.mu.Lock()
	defer mr.mu.Unlock()
	var runs []*fastpath.MapRun
	for _, e := range mr.order {
		if e.run.ExecutionArn == arn {
			runs = append(runs, e.run)
		}
	}
	return runs
}

// child returns the STANDARD child execution arn names.
func (mr *mapRuns) child(arn string) (execution, bool) {
	mr.mu.Lock()
	defer mr.mu.Unlock()
	if c := mr.children[arn]; c != nil {
		return c.e, true
	}
	return execution{}, false
}

// childrenOf returns the STANDARD children of the Map Run arn, newest
// first as ListExecutions lists them, with status filter (all when ""),
// and whether the run exists.
func (mr *mapRuns) childrenOf(arn, status string) ([]execution, bool) {
	mr.mu.Lock()
	defer mr.mu.Unlock()
	e := mr.byArn[arn]
	if e == nil {
		return nil, false
	}
	out := make([]execution, 0, len(e.children))
	for i := len(e.children) - 1; i >= 0; i-- {
		if c := e.children[i].e; status == "" || c.Status == status {
			out = append(out, c)
		}
	}
	return out, true
}
