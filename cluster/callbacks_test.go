package cluster

import (
	"testing"
	"time"

	"github.com/stepd/stepd/fastpath"
)

// awaitRecord is the RecordAwait of an activity task of e at key seq.
func awaitRecord(token string, seq int, heartbeat time.Duration) Record {
	a := fastpath.Await{Token: token, Key: fastpath.RecordKey{Seq: seq}, Callback: fastpath.CallbackActivity, Since: execStart,
		Heartbeat: heartbeat, Activity: "arn:aws:states:us-east-1:123456789012:activity:w", Input: []byte(`{"n":1}`)}
	return Record{Seq: seq + 1, Kind: uint8(fastpath.RecordAwait), Val: fastpath.AppendAwait(nil, &a)}
}

// TestCallbackCommands: an activity task goes to the first worker that
// claims it; a token is answered once (then TaskTimedOut), an unknown one
// is TaskDoesNotExist; a heartbeat moves the heartbeat deadline, and a
// timeout before it is refused; the answer lands at the token's
// AnswerKey; a snapshot keeps all of it.
func TestCallbackCommands(t *testing.T) {
	f := newFSM(nil)
	var answered []string
	f.execs.Watch(func(c ExecutionChange) {
		if c.Answered {
			answered = append(answered, c.Arn)
		}
	})
	e := testExecution("cb", "{}")
	applyOne(t, f, 1, &StartExecution{Execution: e})
	applyOne(t, f, 2, &AppendRecords{Arn: e.Arn, Records: []Record{awaitRecord("t1", 0, 10*time.Second), awaitRecord("t2", 5, 0)}})
	tasks, _ := f.execs.ActivityTasks("arn:aws:states:us-east-1:123456789012:activity:w", 8)
	if len(tasks) != 2 || tasks[0].Token != "t1" || string(tasks[0].Input) != `{"n":1}` {
		t.Fatalf("activity tasks: %+v", tasks)
	}
	idx := uint64(3)
	expect := func(c Command, code string) {
		t.Helper()
		r := applyOne(t, f, idx, c)
		idx++
		if (code == "") != (r.Err == nil) || (r.Err != nil && r.Err.Code != code) {
			t.Errorf("%T: %+v, want %q", c, r.Err, code)
		}
	}
	expect(&ClaimActivityTask{Token: "t1", Worker: "w1"}, "")
	expect(&ClaimActivityTask{Token: "t1", Worker: "w2"}, "TaskClaimed")
	expect(&HeartbeatTask{Token: "t1", Now: execStart.Add(8 * time.Second)}, "")
	expect(&AnswerTask{Token: "t1", Timeout: true, Now: execStart.Add(12 * time.Second)}, "NotDue")
	expect(&HeartbeatTask{Token: "nope", Now: execStart}, "TaskDoesNotExist")
	expect(&AnswerTask{Token: "t1", Outcome: fastpath.AppendTaskSuccess(nil, []byte(`{"ok":1}`)), Now: execStart.Add(13 * time.Second)}, "")
	expect(&AnswerTask{Token: "t1", Outcome: fastpath.AppendTaskSuccess(nil, []byte(`{}`)), Now: execStart.Add(14 * time.Second)}, "TaskTimedOut")
	expect(&HeartbeatTask{Token: "t1", Now: execStart.Add(14 * time.Second)}, "TaskTimedOut")
	if len(answered) != 1 || answered[0] != e.Arn {
		t.Errorf("answered notifications %v", answered)
	}
	got, _ := f.execs.Get(e.Arn)
	claim, answer := fastpath.AnswerKey(fastpath.RecordKey{}, fastpath.CallbackNone), fastpath.AnswerKey(fastpath.RecordKey{}, fastpath.CallbackActivity)
	n := len(got.Records)
	if r := got.Records[n-2]; r.Scope != claim.Scope || r.Seq != claim.Seq || string(r.Val) != "w1" {
		t.Errorf("claim record %+v", r)
	}
	if r := got.Records[n-1]; r.Scope != answer.Scope || r.Seq != answer.Seq || r.Kind != uint8(fastpath.RecordTask) {
		t.Errorf("answer record %+v", r)
	}
	if p := f.execs.Pending(e.Arn); len(p) != 1 || p[0].Token != "t2" {
		t.Errorf("pending after the answer: %+v", p)
	}

	g := restored(t, f)
	if p := g.execs.Pending(e.Arn); len(p) != 1 || p[0].Token != "t2" || p[0].Claimed {
		t.Errorf("pending after a restore: %+v", p)
	}
	if r := applyOne(t, g, idx, &AnswerTask{Token: "t1", Outcome: []byte{0}, Now: execStart}); r.Err == nil || r.Err.Code != "TaskTimedOut" {
		t.Errorf("an answered token after a restore: %+v", r.Err)
	}
	applyOne(t, g, idx+1, &EndExecution{Arn: e.Arn, Status: "FAILED", Stop: execStart.Add(time.Minute)})
	if r := applyOne(t, g, idx+2, &ClaimActivityTask{Token: "t2", Worker: "w"}); r.Err == nil || r.Err.Code != "TaskTimedOut" {
		t.Errorf("a task of an ended execution: %+v", r.Err)
	}
	applyOne(t, g, idx+3, &PruneExecutions{Before: execStart.Add(time.Hour)})
	if len(g.execs.cb.byToken) != 0 {
		t.Errorf("tokens of pruned executions kept: %d", len(g.execs.cb.byToken))
	}
}

// syncAwait is the RecordAwait of a `.sync` Task (c: CallbackSync or
// CallbackSync2) at key seq.
func syncAwait(token string, seq int, c fastpath.Callback) Record {
	a := fastpath.Await{Token: token, Key: fastpath.RecordKey{Seq: seq}, Callback: c, Since: execStart}
	return Record{Seq: seq + 1, Kind: uint8(fastpath.RecordAwait), Val: fastpath.AppendAwait(nil, &a)}
}

// TestSyncChildAnswersParent: a STANDARD child's end answers the `.sync`
// Task of its parent in the same command (success for SUCCEEDED, parsed
// for .sync:2; States.TaskFailed for a stop); a token answered first
// (SendTaskSuccess with $$.Task.Token) keeps its answer; the link from a
// task to its child survives a snapshot.
func TestSyncChildAnswersParent(t *testing.T) {
	f := newFSM(nil)
	var answered []string
	f.execs.Watch(func(c ExecutionChange) {
		if c.Answered {
			answered = append(answered, c.Arn)
		}
	})
	parent := testExecution("parent", "{}")
	applyOne(t, f, 1, &StartExecution{Execution: parent})
	applyOne(t, f, 2, &AppendRecords{Arn: parent.Arn, Records: []Record{syncAwait("s1", 0, fastpath.CallbackSync2), syncAwait("s2", 5, fastpath.CallbackSync),
		syncAwait("s3", 9, fastpath.CallbackSync)}})
	c1, c2, c3 := testExecution("c1", `{"a":1}`), testExecution("c2", "{}"), testExecution("c3", "{}")
	c1.ParentToken, c2.ParentToken, c3.ParentToken = "s1", "s2", "s3"
	for i, c := range []*Execution{c1, c2, c3} {
		applyOne(t, f, uint64(3+i), &StartExecution{Execution: c})
	}
	if p := f.execs.Pending(parent.Arn); len(p) != 3 || p[0].Child != c1.Arn || p[1].Child != c2.Arn {
		t.Fatalf("pending tasks and their children: %+v", p)
	}
	if w := f.execs.WaitingTasks(); len(w) != 0 {
		t.Errorf(".sync tasks among the tasks waiting for a person: %+v", w)
	}
	g := restored(t, f)
	if p := g.execs.Pending(parent.Arn); len(p) != 3 || p[0].Child != c1.Arn || p[2].Child != c3.Arn {
		t.Fatalf("pending tasks and their children after a restore: %+v", p)
	}
	out := `{"r":true}`
	applyOne(t, f, 6, &EndExecution{Arn: c1.Arn, Status: "SUCCEEDED", Stop: execStart.Add(time.Second), Output: &out})
	applyOne(t, f, 7, &StopExecution{Arn: c2.Arn, Stop: execStart.Add(2 * time.Second)})
	applyOne(t, f, 8, &AnswerTask{Token: "s3", Outcome: fastpath.AppendTaskSuccess(nil, []byte(`"early"`)), Now: execStart})
	applyOne(t, f, 9, &EndExecution{Arn: c3.Arn, Status: "SUCCEEDED", Stop: execStart.Add(3 * time.Second), Output: &out})
	if len(answered) != 3 {
		t.Errorf("answered notifications %v", answered)
	}
	got, _ := f.execs.Get(parent.Arn)
	answers := map[string]string{}
	for _, r := range got.Records {
		if r.Kind == uint8(fastpath.RecordTask) {
			answers[r.Scope] = string(r.Val)
		}
	}
	c1.Status, c1.Stop, c1.Output = "SUCCEEDED", execStart.Add(time.Second), &out
	c2.Status, c2.Stop = "ABORTED", execStart.Add(2*time.Second)
	want := map[string]string{
		fastpath.AnswerKey(fastpath.RecordKey{Seq: 0}, fastpath.CallbackSync2).Scope: string(fastpath.AppendChildOutcome(nil, ptr(childExecution(c1)), true)),
		fastpath.AnswerKey(fastpath.RecordKey{Seq: 5}, fastpath.CallbackSync).Scope:  string(fastpath.AppendChildOutcome(nil, ptr(childExecution(c2)), false)),
		fastpath.AnswerKey(fastpath.RecordKey{Seq: 9}, fastpath.CallbackSync).Scope:  string(fastpath.AppendTaskSuccess(nil, []byte(`"early"`))),
	}
	for k, v := range want {
		if answers[k] != v {
			t.Errorf("answer at %s = %q, want %q", k, answers[k], v)
		}
	}
	if len(answers) != len(want) {
		t.Errorf("answers %v", answers)
	}
}

// TestSyncChildAdopted: a `.sync` Task that starts an execution that
// exists with the same name and input (its replay after a restart) waits
// for it: answered at once when it has ended, at its end when it runs
// and had no parent.
func TestSyncChildAdopted(t *testing.T) {
	f := newFSM(nil)
	parent := testExecution("parent", "{}")
	done, running := testExecution("done", "{}"), testExecution("running", "{}")
	applyOne(t, f, 1, &StartExecution{Execution: parent})
	applyOne(t, f, 2, &StartExecution{Execution: done})
	applyOne(t, f, 3, &StartExecution{Execution: running})
	applyOne(t, f, 4, &EndExecution{Arn: done.Arn, Status: "FAILED", Stop: execStart.Add(time.Second)})
	applyOne(t, f, 5, &AppendRecords{Arn: parent.Arn, Records: []Record{syncAwait("a", 0, fastpath.CallbackSync), syncAwait("b", 3, fastpath.CallbackSync)}})
	again := *done
	again.ParentToken = "a"
	if r := applyOne(t, f, 6, &StartExecution{Execution: &again}); r.Err != nil || r.Created {
		t.Fatalf("start again: %+v", r)
	}
	if p := f.execs.Pending(parent.Arn); len(p) != 1 || p[0].Token != "b" {
		t.Errorf("an ended child did not answer at once: %+v", p)
	}
	again = *running
	again.ParentToken = "b"
	applyOne(t, f, 7, &StartExecution{Execution: &again})
	applyOne(t, f, 8, &EndExecution{Arn: running.Arn, Status: "SUCCEEDED", Stop: execStart.Add(time.Second)})
	if p := f.execs.Pending(parent.Arn); len(p) != 0 {
		t.Errorf("a running child adopted did not answer at its end: %+v", p)
	}
}

// TestSyncStopStopsChild: stopping a parent stops, in the same command,
// the STANDARD child its `.sync` Task waits for, with the child record.
func TestSyncStopStopsChild(t *testing.T) {
	f := newFSM(nil)
	parent, child, other := testExecution("parent", "{}"), testExecution("child", "{}"), testExecution("other", "{}")
	applyOne(t, f, 1, &StartExecution{Execution: parent})
	applyOne(t, f, 2, &AppendRecords{Arn: parent.Arn, Records: []Record{syncAwait("k", 0, fastpath.CallbackSync)}})
	child.ParentToken = "k"
	applyOne(t, f, 3, &StartExecution{Execution: child})
	applyOne(t, f, 4, &StartExecution{Execution: other})
	stop := execStart.Add(time.Minute)
	applyOne(t, f, 5, &StopExecution{Arn: parent.Arn, Stop: stop, Record: &Record{Scope: "stop/", Val: []byte("p")}, ChildRecord: &Record{Scope: "stop/", Val: []byte("c")}})
	got, _ := f.execs.Get(child.Arn)
	if got.Status != "ABORTED" || !got.Stop.Equal(stop) || string(got.Records[len(got.Records)-1].Val) != "c" {
		t.Errorf("child after the parent's stop: %s %v %+v", got.Status, got.Stop, got.Records)
	}
	if o, _ := f.execs.Get(other.Arn); o.Status != "RUNNING" {
		t.Errorf("an unrelated execution was stopped: %s", o.Status)
	}
}
