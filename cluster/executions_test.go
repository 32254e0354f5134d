package cluster

import (
	"context"
	"fmt"
	"io"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/raft"

	"github.com/stepd/stepd/fastpath"
)

var execStart = time.Date(2026, 12, 6, 5, 0, 0, 0, time.UTC)

func testExecution(name, input string) *Execution {
	return &Execution{Arn: testArn[:len(testArn)-len("stateMachine:")] + "execution:m:" + name, MachineArn: testArn + "m", MachineName: "m",
		Name: name, Definition: passDef, Input: input, Start: execStart}
}

// restored is a new FSM restored from a snapshot of f.
func restored(t *testing.T, f *fsm) *fsm {
	t.Helper()
	snap, err := f.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	var sink memSink
	if err := snap.Persist(&sink); err != nil {
		t.Fatal(err)
	}
	g := newFSM(nil)
	if err := g.Restore(io.NopCloser(&sink)); err != nil {
		t.Fatal(err)
	}
	return g
}

// applyOne applies one command to f at index and returns its result.
func applyOne(t *testing.T, f *fsm, index uint64, c Command) *Result {
	t.Helper()
	return f.Apply(&raft.Log{Index: index, Type: raft.LogCommand, Data: must(Encode(c))}).(*Result)
}

// TestExecutionCommands: a start is idempotent for the same input and a
// conflict for another; records append while RUNNING; a stop makes it
// ABORTED and refuses later records and ends; a stop of an ended one
// answers its stop date; prune frees the name once retention is over.
func TestExecutionCommands(t *testing.T) {
	var changes []ExecutionChange
	f := newFSM(nil)
	f.execs.Watch(func(c ExecutionChange) { changes = append(changes, c) })
	e := testExecution("a", `{"x":1}`)
	if r := applyOne(t, f, 1, &StartExecution{Execution: e}); r.Err != nil || !r.Created || !r.Date.Equal(execStart) {
		t.Fatalf("start: %+v", r)
	}
	later := *e
	later.Start = execStart.Add(time.Hour)
	if r := applyOne(t, f, 2, &StartExecution{Execution: &later}); r.Err != nil || r.Created || !r.Date.Equal(execStart) {
		t.Fatalf("same start again: %+v, want the first execution", r)
	}
	other := *e
	other.Input = `{"x":2}`
	if r := applyOne(t, f, 3, &StartExecution{Execution: &other}); r.Err == nil || r.Err.Code != "ExecutionAlreadyExists" {
		t.Fatalf("start with another input: %+v", r)
	}
	recs := []Record{{Seq: 0, Kind: 5, Val: []byte("started")}, {Scope: "3.1/", Seq: 2, Kind: 1, Val: []byte{1, 2, 3, 4, 5, 6, 7, 8}}}
	if r := applyOne(t, f, 4, &AppendRecords{Arn: e.Arn, Records: recs}); r.Err != nil {
		t.Fatalf("append: %+v", r.Err)
	}
	stop := execStart.Add(time.Minute)
	if r := applyOne(t, f, 5, &StopExecution{Arn: e.Arn, Stop: stop, Error: ptr("E")}); r.Err != nil || !r.Date.Equal(stop) {
		t.Fatalf("stop: %+v", r)
	}
	if r := applyOne(t, f, 6, &AppendRecords{Arn: e.Arn, Records: recs}); r.Err == nil || r.Err.Code != "ExecutionNotRunning" {
		t.Fatalf("append after stop: %+v", r)
	}
	if r := applyOne(t, f, 7, &EndExecution{Arn: e.Arn, Status: "SUCCEEDED", Stop: stop.Add(time.Second)}); r.Err == nil {
		t.Fatalf("end after stop: %+v", r)
	}
	if r := applyOne(t, f, 8, &StopExecution{Arn: e.Arn, Stop: stop.Add(time.Hour)}); r.Err != nil || !r.Date.Equal(stop) {
		t.Fatalf("second stop: %+v, want the first stop date", r)
	}
	got, ok := f.execs.Get(e.Arn)
	if !ok || got.Status != "ABORTED" || *got.Error != "E" || !reflect.DeepEqual(got.Records, recs) {
		t.Fatalf("after stop: %+v", got)
	}
	want := []ExecutionChange{{Arn: e.Arn, Started: true}, {Arn: e.Arn, Stopped: true}}
	if !reflect.DeepEqual(changes, want) {
		t.Errorf("changes %+v, want %+v", changes, want)
	}
	applyOne(t, f, 9, &PruneExecutions{Before: stop})
	if _, ok := f.execs.Get(e.Arn); !ok {
		t.Fatal("pruned before its retention ended")
	}
	applyOne(t, f, 10, &PruneExecutions{Before: stop.Add(time.Second)})
	if _, ok := f.execs.Get(e.Arn); ok {
		t.Fatal("not pruned after its retention")
	}
	if r := applyOne(t, f, 11, &StartExecution{Execution: &other}); r.Err != nil || !r.Created {
		t.Fatalf("start of a pruned name: %+v", r)
	}
}

// TestExecutionsSnapshot: executions and their records (and redrives)
// survive a snapshot and restore beside the control plane.
func TestExecutionsSnapshot(t *testing.T) {
	f := newFSM(nil)
	applyAll(t, f, testLog(t))
	n := uint64(len(testLog(t)))
	for i, name := range []string{"a", "b", "c"} {
		applyOne(t, f, n+uint64(2*i+1), &StartExecution{Execution: testExecution(name, "{}")})
		applyOne(t, f, n+uint64(2*i+2), &AppendRecords{Arn: testExecution(name, "{}").Arn, Records: []Record{{Seq: i, Kind: 3, Val: []byte(name)}}})
	}
	applyOne(t, f, n+7, &EndExecution{Arn: testExecution("b", "{}").Arn, Status: "SUCCEEDED", Stop: execStart, Output: ptr("{}")})
	c := testExecution("c", "{}").Arn // redriven: its epochs and cuts are kept
	applyOne(t, f, n+8, &EndExecution{Arn: c, Status: "FAILED", Stop: execStart})
	if r := applyOne(t, f, n+9, &RedriveExecution{Arn: c, Epoch: 1, Redrive: Redrive{Date: execStart, Token: "t", Cuts: map[string]int{"": 2}}}); r.Err != nil {
		t.Fatal(r.Err)
	}
	applyOne(t, f, n+10, &AppendRecords{Arn: c, Records: []Record{{Seq: 2, Kind: 3, Val: []byte("again"), Epoch: 1}}})
	g := restored(t, f)
	if a, b := encodeState(t, f), encodeState(t, g); a != b {
		t.Fatalf("restored control plane differs:\n%s\n%s", a, b)
	}
	if a, b := f.execs.image(), g.execs.image(); !reflect.DeepEqual(a, b) {
		t.Fatalf("restored executions differ:\n%+v\n%+v", a, b)
	}
	if got := g.execs.Running(); len(got) != 2 {
		t.Errorf("running after restore: %v", got)
	}
}

// TestExecutionsReplicate: a start proposed on a follower is committed
// once, and every node holds the execution and its records.
func TestExecutionsReplicate(t *testing.T) {
	nodes := startCluster(t, 3, TLSFiles{})
	e := testExecution("r", "{}")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if r, err := follower(t, nodes).Propose(ctx, &StartExecution{Execution: e}); err != nil || !r.Created {
		t.Fatalf("start on a follower: %+v %v", r, err)
	}
	var leader *Node
	for _, n := range nodes {
		if n.IsLeader() {
			leader = n
		}
	}
	if leader == nil {
		t.Fatal("no leader")
	}
	if _, err := leader.ProposeLocal(&AppendRecords{Arn: e.Arn, Records: []Record{{Seq: 0, Kind: 1}}}); err != nil {
		t.Fatal(err)
	}
	for _, n := range nodes {
		waitFor(t, "the records on every node", func() bool {
			got, ok := n.Executions().Get(e.Arn)
			return ok && len(got.Records) == 1
		})
	}
}

// TestSucceededExecutionShrinks: once an execution SUCCEEDED its history
// events (and what else is not only for a run: here a Map Run update)
// are kept, packed, in their order, with their scopes; one that FAILED
// keeps every record (a redrive replays them); both survive a snapshot.
func TestSucceededExecutionShrinks(t *testing.T) {
	f := newFSM(nil)
	recs := []Record{{Seq: 0, Kind: uint8(fastpath.RecordEvent), Val: []byte("started")}, {Seq: 1, Kind: uint8(fastpath.RecordTime), Val: []byte{1, 2, 3, 4, 5, 6, 7, 8}},
		{Seq: 2, Kind: uint8(fastpath.RecordEvent), Val: []byte("entered")}, {Seq: 3, Kind: uint8(fastpath.RecordTask), Val: []byte("result")}}
	last := []Record{{Scope: "maprun/1", Seq: 0, Kind: uint8(fastpath.RecordMapRun), Val: []byte("{}")}, {Scope: "redrive/1", Seq: 0, Kind: uint8(fastpath.RecordEvent), Val: []byte("redriven"), Epoch: 1},
		{Seq: 4, Kind: uint8(fastpath.RecordEvent), Val: []byte("succeeded"), Epoch: 1}}
	for i, c := range []struct{ name, status string }{{"ok", "SUCCEEDED"}, {"bad", "FAILED"}} {
		arn := testExecution(c.name, "{}").Arn
		applyOne(t, f, uint64(3*i+1), &StartExecution{Execution: testExecution(c.name, "{}")})
		applyOne(t, f, uint64(3*i+2), &AppendRecords{Arn: arn, Records: recs})
		applyOne(t, f, uint64(3*i+3), &EndExecution{Arn: arn, Status: c.status, Stop: execStart, Records: last})
	}
	g := restored(t, f)
	for _, x := range []*Executions{f.execs, g.execs} {
		ok, _ := x.Get(testExecution("ok", "{}").Arn)
		var events []string
		if err := ok.EachEvent(func(v []byte) error { events = append(events, string(v)); return nil }); err != nil {
			t.Fatal(err)
		}
		if len(ok.Records) != 0 || strings.Join(events, ",") != "started,entered,redriven,succeeded" {
			t.Errorf("SUCCEEDED: %d records, events %v", len(ok.Records), events)
		}
		var kept []string
		if err := ok.EachRecord(func(r *Record) error {
			kept = append(kept, fmt.Sprintf("%s#%d/%d@%d", r.Scope, r.Seq, r.Kind, r.Epoch))
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		if got := strings.Join(kept, " "); got != "#0/5@0 #2/5@0 maprun/1#0/9@0 redrive/1#0/5@1 #4/5@1" {
			t.Errorf("SUCCEEDED keeps %s", got)
		}
		if bad, _ := x.Get(testExecution("bad", "{}").Arn); len(bad.Records) != 7 || len(bad.Packed) != 0 {
			t.Errorf("FAILED: %d records, %d packed bytes, want every record kept", len(bad.Records), len(bad.Packed))
		}
	}
}
