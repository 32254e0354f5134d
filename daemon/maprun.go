package daemon

import (
	"strings"
	"sync"

	json "github.com/goccy/go-json"

	"github.com/stepd/stepd/cluster"
	"github.com/stepd/stepd/daemon/durable"
	"github.com/stepd/stepd/daemon/history"
	"github.com/stepd/stepd/fastpath"
	"github.com/stepd/stepd/internal/awserr"
)

// mapRuns keeps the Map Runs of the Distributed Maps this node runs, and
// the STANDARD child executions of each, for DescribeMapRun, ListMapRuns,
// UpdateMapRun, and DescribeExecution and ListExecutions of the children.
// It is the engine's fastpath.MapRunObserver. A durable execution resumed
// by replay starts its Map Runs again under the same ARNs, and its
// children under the same names: they replace what was kept. It keeps the
// last max runs, evicting finished ones first; safe for concurrent use.
type mapRuns struct {
	// durable, when not nil, finds the durable execution arn: the
	// UpdateMapRuns of its Map Runs are records of it (see
	// updateDurable), applied again when a replay starts a run again.
	durable func(arn string) (cluster.Execution, bool)

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
	for _, u := range mr.durableUpdates(run) {
		run.Update(u)
	}
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
	setChildRedrive(&e)
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

// setChildRedrive sets the redrive status of a child of a Map Run: a
// child that did not fail is not run again by a redrive of its parent
// either.
func setChildRedrive(e *execution) {
	e.RedriveStatus, e.RedriveReason = "REDRIVABLE_BY_MAP_RUN", ""
	if e.Status == fastpath.StatusRunning || e.Status == fastpath.StatusSucceeded {
		e.RedriveStatus, e.RedriveReason = "NOT_REDRIVABLE", "Execution is "+e.Status+" and cannot be redriven"
	}
}

// MapRunEnded needs nothing: the run's state says how it ended.
func (mm machineMapRuns) MapRunEnded(*fastpath.MapRun) {}

// findMapRun returns the Map Run arn names: one this node keeps, or, after
// a restart, one that a durable execution recorded as it ended; nil when
// there is none.
func (s *server) findMapRun(arn string) *fastpath.MapRun {
	if run := s.execs.mapRuns.get(arn); run != nil {
		return run
	}
	rest, _ := cutResourcePrefix(arn, &s.id, ":mapRun:")
	machine, _, _ := strings.Cut(rest, "/")
	var found *fastpath.MapRun
	s.eachDurableOf(machine, func(e *cluster.Execution) bool {
		for _, run := range recordedMapRuns(e) {
			if run.Arn == arn {
				found = run
			}
		}
		return found != nil
	})
	return found
}

// recordedChildren are the STANDARD children of the Map Run arn that
// this node does not keep (it ran before a restart) from what its durable
// execution recorded, newest first as ListExecutions lists them, with
// status (all when ""); ResourceNotFound when there is no such run.
func (s *server) recordedChildren(arn, status string) ([]execution, *awserr.Error) {
	run := s.findMapRun(arn)
	if run == nil {
		return nil, awserr.ResourceNotFound(arn)
	}
	e, ok := s.node.Executions().Get(run.ExecutionArn)
	if !ok {
		return nil, nil // an EXPRESS parent's: its children are not listed
	}
	children, err := durable.Children(&e)
	if err != nil {
		return nil, awserr.New("InternalFailure", "%v", err)
	}
	var out []execution
	for i := len(children) - 1; i >= 0; i-- {
		if c := &children[i]; c.MapRun == arn && (status == "" || c.Status.String() == status) {
			out = append(out, s.childOfRecords(&e, c))
		}
	}
	return out, nil
}

// recordedChild is the STANDARD child execution arn of a Map Run that
// this node does not keep, from what its durable parent recorded: one
// of the executions of the machine the child's ARN names.
func (s *server) recordedChild(arn string) (execution, bool) {
	machine, ok := s.childMachine(arn)
	if !ok {
		return execution{}, false
	}
	var found execution
	s.eachDurableOf(machine, func(e *cluster.Execution) bool {
		children, _ := durable.Children(e)
		for i := range children {
			if children[i].ExecutionArn == arn {
				found, ok = s.childOfRecords(e, &children[i]), true
				return true
			}
		}
		return false
	})
	return found, ok
}

// childMachine is the name of the machine whose execution's Map Run
// the child execution arn is of: <machine> in
// ...:execution:<machine>/<label>:<name>; ok false for the ARN of an
// execution that is no child.
func (s *server) childMachine(arn string) (machine string, ok bool) {
	rest, ok := cutResourcePrefix(arn, &s.id, ":execution:")
	machine, _, labelled := strings.Cut(rest, "/")
	return machine, ok && labelled
}

// childOfRecords is the child c of the durable execution parent as
// Describe and List show it.
func (s *server) childOfRecords(parent *cluster.Execution, c *durable.Child) execution {
	x := executionOf(&c.Summary)
	x.Input, x.Output, x.MapRunArn, x.Redrives = c.Input, c.Output, c.MapRun, c.RedriveCount
	x.machine, _ = s.machineByArn(parent.MachineArn)
	setChildRedrive(&x)
	return x
}

// eachDurableOf calls fn with each durable execution of the machine
// called machine, with its records, until fn returns true.
func (s *server) eachDurableOf(machine string, fn func(e *cluster.Execution) bool) {
	execs := s.node.Executions()
	for _, listed := range execs.List(func(e *cluster.Execution) bool { return e.MachineName == machine }) {
		if e, ok := execs.Get(listed.Arn); ok && fn(&e) { // with its records, which List leaves out
			return
		}
	}
}

// mapRunState is run's state as the API shows it. A run still RUNNING
// whose durable execution has ended (stopped while it was parked, so that
// no run of it ends the Map Run) ended with it: ABORTED when it was
// stopped, FAILED otherwise, its running children aborted.
func (s *server) mapRunState(run *fastpath.MapRun) fastpath.MapRunState {
	st := run.State()
	if st.Status != fastpath.StatusRunning {
		return st
	}
	e, ok := s.node.Executions().Get(run.ExecutionArn)
	if !ok || e.Status == fastpath.StatusRunning {
		return st
	}
	st.Status, st.Stop = fastpath.StatusFailed, e.Stop
	if e.Status == fastpath.StatusAborted {
		st.Status = fastpath.StatusAborted
	}
	for _, c := range []*fastpath.MapRunCounts{&st.Items, &st.Executions} {
		c.Aborted += c.Running
		c.Running = 0
	}
	return st
}

// mapRunsOf returns the Map Runs the execution arn started, in start
// order: those this node keeps, or those a durable execution recorded.
func (s *server) mapRunsOf(arn string) []*fastpath.MapRun {
	if runs := s.execs.mapRuns.ofExecution(arn); len(runs) > 0 {
		return runs
	}
	if e, ok := s.node.Executions().Get(arn); ok {
		return recordedMapRuns(&e)
	}
	return nil
}

// recordedMapRuns are the Map Runs e recorded as they ended (the
// payloads of its MapRunSucceeded and MapRunFailed events), in order, the
// last record of each run.
func recordedMapRuns(e *cluster.Execution) []*fastpath.MapRun {
	var runs []*fastpath.MapRun
	at := map[string]int{}
	_ = e.EachEvent(func(val []byte) error {
		var ev history.Event
		if _, _, err := history.DecodeEvent(val, &ev); err != nil || ev.Type != fastpath.EventMapRunSucceeded && ev.Type != fastpath.EventMapRunFailed {
			return nil
		}
		run, ok := fastpath.ParseMapRunRecord(ev.Payload)
		if !ok {
			return nil
		}
		if j, seen := at[run.Arn]; seen {
			runs[j] = run // a redrive ran it again
			return nil
		}
		at[run.Arn] = len(runs)
		runs = append(runs, run)
		return nil
	})
	return runs
}

// mapRunScope is the scope of the records of a durable execution that
// keep the UpdateMapRuns of its Map Run run.
func mapRunScope(run *fastpath.MapRun) string { return "maprun/" + run.ID }

// durableUpdates are the UpdateMapRuns committed for run, oldest first:
// none when its execution is not durable.
func (mr *mapRuns) durableUpdates(run *fastpath.MapRun) []fastpath.MapRunUpdate {
	if mr.durable == nil {
		return nil
	}
	e, ok := mr.durable(run.ExecutionArn)
	if !ok {
		return nil
	}
	var out []fastpath.MapRunUpdate
	scope := mapRunScope(run)
	_ = e.EachRecord(func(r *cluster.Record) error {
		var u fastpath.MapRunUpdate
		if r.Scope == scope && fastpath.RecordKind(r.Kind) == fastpath.RecordMapRun && json.Unmarshal(r.Val, &u) == nil {
			out = append(out, u)
		}
		return nil
	})
	return out
}

// updateDurable commits u as a record of run's durable execution, so that
// the update outlives the node; nothing for the run of an execution that
// is not durable, or no longer RUNNING.
func (s *server) updateDurable(run *fastpath.MapRun, u fastpath.MapRunUpdate) *awserr.Error {
	e, ok := s.node.Executions().Get(run.ExecutionArn)
	if !ok || e.Status != fastpath.StatusRunning {
		return nil
	}
	scope, seq := mapRunScope(run), 0
	for _, r := range e.Records {
		if r.Scope == scope {
			seq++
		}
	}
	val, err := json.Marshal(u)
	if err != nil {
		panic("BUG: cannot encode a MapRunUpdate: " + err.Error())
	}
	_, aerr := s.propose(&cluster.AppendRecords{Arn: e.Arn, Records: []cluster.Record{
		{Scope: scope, Seq: seq, Kind: uint8(fastpath.RecordMapRun), Val: val, Epoch: e.Epoch()}}})
	return aerr
}

// processorDefinition is the definition of the children of the
// Distributed Map state called state in the machine definition def: its
// ItemProcessor without ProcessorConfig. It is def itself when no such
// state is found (def was checked when the machine was created).
func processorDefinition(def, state string) string {
	var top map[string]json.RawMessage
	if json.Unmarshal([]byte(def), &top) != nil {
		return def
	}
	if proc := findProcessor(top, state); proc != nil {
		delete(proc, "ProcessorConfig")
		if b, err := json.Marshal(proc); err == nil {
			return string(b)
		}
	}
	return def
}

// findProcessor looks for the state called name in the States of scope
// and of the scopes nested in them (Parallel branches, Map processors),
// and returns its ItemProcessor.
func findProcessor(scope map[string]json.RawMessage, name string) map[string]json.RawMessage {
	var states map[string]map[string]json.RawMessage
	if json.Unmarshal(scope["States"], &states) != nil {
		return nil
	}
	var nested []map[string]json.RawMessage
	for n, st := range states {
		var proc map[string]json.RawMessage
		if raw, ok := st["ItemProcessor"]; !ok || json.Unmarshal(raw, &proc) != nil {
			proc = nil
		}
		if n == name && proc != nil {
			return proc
		}
		if proc != nil {
			nested = append(nested, proc)
		}
		var branches []map[string]json.RawMessage
		if raw, ok := st["Branches"]; ok && json.Unmarshal(raw, &branches) == nil {
			nested = append(nested, branches...)
		}
	}
	for _, sc := range nested {
		if proc := findProcessor(sc, name); proc != nil {
			return proc
		}
	}
	return nil
}

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
