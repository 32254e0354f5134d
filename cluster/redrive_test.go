package cluster

import (
	"fmt"
	"strconv"
	"testing"
	"time"
)

// TestRedriveCommand: only an ended, unsuccessful execution within its
// window is redriven, once per epoch; the redrive makes it RUNNING in the
// next epoch, where the records its cuts name are no longer replayed and
// records of the older epoch are refused; the same clientToken answers
// the same redrive for 15 minutes.
func TestRedriveCommand(t *testing.T) {
	f := newFSM(nil)
	e := testExecution("r", `{}`)
	applyOne(t, f, 1, &StartExecution{Execution: e})
	recs := []Record{{Seq: 0, Kind: 5}, {Seq: 1, Kind: 5}, {Seq: 2, Kind: 5}, {Scope: "2.0/", Seq: 0, Kind: 5}, {Scope: "2.1/", Seq: 0, Kind: 5}, {Scope: "2.1/", Seq: 1, Kind: 5}}
	applyOne(t, f, 2, &AppendRecords{Arn: e.Arn, Records: recs})
	stop := execStart.Add(time.Minute)
	redrive := func(index uint64, epoch int, at time.Time, token string) *Result {
		recs := []Record{{Scope: "redrive/", Kind: 5, Epoch: epoch}}
		return applyOne(t, f, index, &RedriveExecution{Arn: e.Arn, Epoch: epoch, Records: recs,
			Redrive: Redrive{Date: at, Token: token, Cuts: map[string]int{"": 2, "2.1/": 1}}})
	}
	if r := redrive(3, 1, stop, ""); r.Err == nil || r.Err.Message != "Execution is RUNNING and cannot be redriven" {
		t.Fatalf("redrive of a RUNNING execution: %+v", r)
	}
	applyOne(t, f, 4, &EndExecution{Arn: e.Arn, Status: "FAILED", Stop: stop, Error: ptr("E")})
	if r := redrive(5, 1, stop.Add(RedrivePeriod+time.Second), ""); r.Err == nil || r.Err.Message != "Execution redrivable period exceeded" {
		t.Fatalf("redrive after 14 days: %+v", r)
	}
	if r := redrive(6, 2, stop, ""); r.Err == nil || r.Err.Code != "ExecutionNotRedrivable" {
		t.Fatalf("redrive into a later epoch: %+v", r)
	}
	at := stop.Add(time.Hour)
	if r := redrive(7, 1, at, "tok"); r.Err != nil || !r.Date.Equal(at) {
		t.Fatalf("redrive: %+v", r)
	}
	got, _ := f.execs.Get(e.Arn)
	if got.Status != "RUNNING" || got.Error != nil || !got.Stop.IsZero() || got.Epoch() != 1 || !got.RedriveDate().Equal(at) {
		t.Errorf("redriven: %+v", got)
	}
	var replayed []string
	for i := range got.Records {
		if got.Replayed(&got.Records[i]) {
			replayed = append(replayed, got.Records[i].Scope+"#"+strconv.Itoa(got.Records[i].Seq))
		}
	}
	if want := "[#0 #1 2.0/#0 2.1/#0 redrive/#0]"; fmt.Sprint(replayed) != want {
		t.Errorf("replayed %v, want %s", replayed, want)
	}
	if r := applyOne(t, f, 8, &AppendRecords{Arn: e.Arn, Records: []Record{{Seq: 2, Kind: 5}}}); r.Err == nil {
		t.Errorf("records of the epoch before the redrive were accepted")
	}
	if r := applyOne(t, f, 9, &AppendRecords{Arn: e.Arn, Records: []Record{{Seq: 2, Kind: 5, Epoch: 1}}}); r.Err != nil {
		t.Errorf("records of the redriven epoch: %+v", r.Err)
	}
	if r := redrive(10, 2, at.Add(time.Minute), "tok"); r.Err != nil || !r.Date.Equal(at) {
		t.Errorf("the same token: %+v, want the redrive of %v", r, at)
	}
	if r := redrive(11, 2, at.Add(RedriveTokenTTL+time.Second), "tok"); r.Err == nil || r.Err.Code != "ExecutionNotRedrivable" {
		t.Errorf("the same token after 15 minutes of a RUNNING execution: %+v", r)
	}
}

// BenchmarkReplayed is the check of each record when a run of an
// execution redriven once builds its replay index.
func BenchmarkReplayed(b *testing.B) {
	e := &Execution{Redrives: []Redrive{{Cuts: map[string]int{"": 40, "39.3/": 2}}}}
	recs := make([]Record, 64)
	for i := range recs {
		recs[i] = Record{Seq: i}
	}
	b.ReportAllocs()
	for b.Loop() {
		for i := range recs {
			e.Replayed(&recs[i])
		}
	}
}
