package durable

import (
	"strconv"
	"testing"

	"github.com/stepd/stepd/cluster"
	"github.com/stepd/stepd/daemon/history"
	"github.com/stepd/stepd/fastpath"
)

// mapRunExecution is a durable execution whose Distributed Map ran
// children STANDARD children of a Pass state each, as their records hold
// them.
func mapRunExecution(children int) *cluster.Execution {
	e := execution("bench", "{}", "[]")
	add := func(scope string, seq int, ev fastpath.Event) {
		e.Records = append(e.Records, cluster.Record{Scope: scope, Seq: seq, Kind: uint8(fastpath.RecordEvent), Val: history.AppendEvent(nil, &ev, 1)})
	}
	add("", 0, fastpath.Event{Type: fastpath.EventExecutionStarted, ID: 1, Payload: []byte("[]")})
	add("", 1, fastpath.Event{Type: fastpath.EventMapStateEntered, ID: 2, State: "M", Payload: []byte("[]")})
	add("", 2, fastpath.Event{Type: fastpath.EventMapRunStarted, ID: 3, State: "M", Resource: "arn:aws:states:us-east-1:123456789012:mapRun:m/l:r"})
	for i := range children {
		scope := "3." + strconv.Itoa(i) + "/"
		add(scope, 0, fastpath.Event{Type: fastpath.EventExecutionStarted, Resource: "arn:aws:states:us-east-1:123456789012:execution:m/l:" + strconv.Itoa(i), Payload: []byte("1")})
		add(scope, 1, fastpath.Event{Type: fastpath.EventPassStateEntered, State: "P", Payload: []byte("1")})
		add(scope, 2, fastpath.Event{Type: fastpath.EventPassStateExited, State: "P", Payload: []byte("1")})
		add(scope, 3, fastpath.Event{Type: fastpath.EventExecutionSucceeded, Payload: []byte("1")})
	}
	add("", 4, fastpath.Event{Type: fastpath.EventMapRunSucceeded, ID: 4, State: "M"})
	add("", 5, fastpath.Event{Type: fastpath.EventMapStateExited, ID: 5, State: "M", Payload: []byte("[]")})
	add("", 6, fastpath.Event{Type: fastpath.EventExecutionSucceeded, ID: 6, Payload: []byte("[]")})
	return e
}

// BenchmarkHistoryWithChildren: the parent's history of an execution
// whose Map Run ran 1,000 STANDARD children (their 4,000 events left
// out), and one child's history.
func BenchmarkHistoryWithChildren(b *testing.B) {
	e := mapRunExecution(1000)
	b.Run("parent", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if h, err := historyOf(e); err != nil || len(h.Events) != 6 {
				b.Fatal(err)
			}
		}
	})
	b.Run("child", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if h, ok, err := ChildHistory(e, "arn:aws:states:us-east-1:123456789012:execution:m/l:500"); !ok || err != nil || len(h.Events) != 4 {
				b.Fatal(ok, err)
			}
		}
	})
}
