package durable

import (
	"sort"
	"strings"
	"testing"

	"github.com/stepd/stepd/fastpath"
)

// TestChildHistories: the STANDARD child executions of a durable
// execution's Distributed Maps (run inline, Pass only, and concurrently,
// Tasks, one failing) each have their own history in the parent's
// records, numbered from 1, and the parent's history has none of their
// events: only its own, with the Map Runs.
func TestChildHistories(t *testing.T) {
	proc := `"ProcessorConfig":{"Mode":"DISTRIBUTED","ExecutionType":"STANDARD"}`
	def := `{"StartAt":"Inline","States":{
		"Inline":{"Type":"Map","ResultPath":null,"Next":"Tasks","ItemProcessor":{` + proc + `,"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}}},
		"Tasks":{"Type":"Map","ToleratedFailureCount":1,"End":true,"ItemProcessor":{` + proc + `,"StartAt":"T","States":{"T":{"Type":"Task","Resource":"` + fnArn + `bad","End":true}}}}}}`
	_, rn, _, e, got := runUntil(t, "children", def, `["x","bad"]`, "SUCCEEDED")
	const parent = "ExecutionStarted MapStateEntered MapStateStarted MapRunStarted MapRunSucceeded MapStateSucceeded MapStateExited " +
		"MapStateEntered MapStateStarted MapRunStarted MapRunSucceeded MapStateSucceeded MapStateExited ExecutionSucceeded"
	if types := eventTypes(t, rn, e.Arn); types != parent {
		t.Errorf("parent history\n%s\nwant\n%s", types, parent)
	}
	children, err := childScopes(&got)
	if err != nil || len(children) != 4 {
		t.Fatalf("child scopes %v %v, want 4", children, err)
	}
	var histories []string
	for _, arn := range children {
		if !strings.HasPrefix(arn, "arn:aws:states:us-east-1:123456789012:execution:m/") {
			t.Errorf("child ARN %s", arn)
		}
		h, ok, err := ChildHistory(&got, arn)
		if !ok || err != nil {
			t.Fatalf("history of %s: %v %v", arn, ok, err)
		}
		var types []string
		for i, ev := range h.Events {
			if ev.ID != i+1 || ev.Prev >= ev.ID {
				t.Errorf("%s: event %d has id %d, previous %d", arn, i, ev.ID, ev.Prev)
			}
			types = append(types, ev.Type.String())
		}
		first, last := h.Events[0], h.Events[len(h.Events)-1]
		if string(first.Payload) != `"x"` && string(first.Payload) != `"bad"` || h.Start.IsZero() || h.Stop.IsZero() {
			t.Errorf("%s: started with %s at %v, stopped at %v", arn, first.Payload, h.Start, h.Stop)
		}
		switch last.Type {
		case fastpath.EventExecutionSucceeded:
			if h.Status != fastpath.Succeeded || string(last.Payload) != string(first.Payload) && string(last.Payload) != `"fixed"` {
				t.Errorf("%s: %v with %s", arn, h.Status, last.Payload)
			}
		case fastpath.EventExecutionFailed:
			if h.Status != fastpath.Failed || h.Error != "Boom" || h.Cause != "not yet" || last.Error != "Boom" {
				t.Errorf("%s: %v %s %s", arn, h.Status, h.Error, h.Cause)
			}
		}
		histories = append(histories, strings.Join(types, " "))
	}
	sort.Strings(histories)
	want := []string{
		"ExecutionStarted PassStateEntered PassStateExited ExecutionSucceeded",
		"ExecutionStarted PassStateEntered PassStateExited ExecutionSucceeded",
		"ExecutionStarted TaskStateEntered TaskScheduled TaskStarted TaskFailed ExecutionFailed",
		"ExecutionStarted TaskStateEntered TaskScheduled TaskStarted TaskSucceeded TaskStateExited ExecutionSucceeded",
	}
	if strings.Join(histories, "\n") != strings.Join(want, "\n") {
		t.Errorf("child histories\n%s\nwant\n%s", strings.Join(histories, "\n"), strings.Join(want, "\n"))
	}
	h, _, _ := rn.History(e.Arn)
	of := map[string]int{}
	for _, ev := range h.Events {
		if ev.Type == fastpath.EventMapRunStarted {
			of[ev.Resource] = 0
		}
	}
	list, err := Children(&got)
	if err != nil || len(list) != 4 {
		t.Fatalf("children %d, %v", len(list), err)
	}
	for _, c := range list {
		of[c.MapRun]++
		ok := c.Status == fastpath.Succeeded && c.Output != nil || c.Status == fastpath.Failed && c.Error == "Boom" && c.Output == nil
		if children[scopeOf(children, c.ExecutionArn)] != c.ExecutionArn || c.Start.IsZero() || c.Stop.IsZero() || !ok ||
			c.Input != `"x"` && c.Input != `"bad"` {
			t.Errorf("child %+v", c)
		}
	}
	if len(of) != 2 {
		t.Errorf("children by Map Run %v, want 2 runs of 2", of)
	}
	for run, n := range of {
		if n != 2 {
			t.Errorf("children by Map Run %v: %s has %d, want 2", of, run, n)
		}
	}
	if _, ok, _ := ChildHistory(&got, e.Arn+"-none"); ok {
		t.Error("a history for an unknown child")
	}
}

// TestNestedChildHistories: a child whose own Distributed Map runs
// children has a history with its Map Run and none of its children's
// events, which have histories of their own.
func TestNestedChildHistories(t *testing.T) {
	proc := `"ProcessorConfig":{"Mode":"DISTRIBUTED","ExecutionType":"STANDARD"}`
	def := `{"StartAt":"Outer","States":{"Outer":{"Type":"Map","End":true,"ItemProcessor":{` + proc + `,"StartAt":"Inner","States":{
		"Inner":{"Type":"Map","End":true,"ItemProcessor":{` + proc + `,"StartAt":"T","States":{"T":{"Type":"Task","Resource":"` + fnArn + `ok","End":true}}}}}}}}}`
	_, rn, _, e, got := runUntil(t, "nested", def, `[[1,2]]`, "SUCCEEDED")
	const mapRun = "ExecutionStarted MapStateEntered MapStateStarted MapRunStarted MapRunSucceeded MapStateSucceeded MapStateExited ExecutionSucceeded"
	if types := eventTypes(t, rn, e.Arn); types != mapRun {
		t.Errorf("parent history\n%s\nwant\n%s", types, mapRun)
	}
	children, err := Children(&got)
	if err != nil || len(children) != 3 {
		t.Fatalf("children %d, %v; want 3", len(children), err)
	}
	var histories []string
	for _, c := range children {
		h, ok, err := ChildHistory(&got, c.ExecutionArn)
		if !ok || err != nil {
			t.Fatal(ok, err)
		}
		var types []string
		for _, ev := range h.Events {
			types = append(types, ev.Type.String())
		}
		histories = append(histories, strings.Join(types, " "))
	}
	sort.Strings(histories)
	task := "ExecutionStarted TaskStateEntered TaskScheduled TaskStarted TaskSucceeded TaskStateExited ExecutionSucceeded"
	if want := []string{mapRun, task, task}; strings.Join(histories, "\n") != strings.Join(want, "\n") {
		t.Errorf("child histories\n%s\nwant\n%s", strings.Join(histories, "\n"), strings.Join(want, "\n"))
	}
}
