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
