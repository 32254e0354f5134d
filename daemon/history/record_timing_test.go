package history

import (
	"testing"
	"time"

	"github.com/stepd/stepd/fastpath"
)

// BenchmarkRecorderEvent is the cost of recording one StateEntered event
// with a payload the previous event did not have, as the VM hands it over.
func BenchmarkRecorderEvent(b *testing.B) {
	rec := AcquireRecorder(Logging{LevelAll, true}, testStart)
	defer ReleaseRecorder(rec)
	p1, p2 := []byte(`{"order":{"id":"o-1","total":150,"items":3}}`), []byte(`{"total":150}`)
	ev := fastpath.Event{Type: fastpath.EventPassStateEntered, State: "Classify"}
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		ev.ID++
		ev.Payload = p1
		if i&1 == 1 {
			ev.Payload = p2
		}
		rec.Event(&ev)
		if len(rec.buf) > 1<<16 {
			rec.buf, rec.n, rec.count = rec.buf[:0], 0, 0
		}
	}
}

// BenchmarkFinish is the cost of recording and staging a tiny-sized
// record of eight events, with the writer idle (so that only the
// execution's side is measured).
func BenchmarkFinish(b *testing.B) {
	c := testConfig(b)
	c.StagingBytes, c.BlockBytes, c.FlushInterval = 64<<20, 1<<30, time.Hour
	l := openLog(b, c)
	b.ResetTimer()
	payload := []byte(`{"order":{"id":"o-1","total":150,"items":3},"noise":{"a":1,"b":[1,2,3]}}`)
	sum := Summary{ExecutionArn: "arn:aws:states:us-east-1:123456789012:express:tiny:e:0d5c4f7e-0000-4000-8000-000000000000",
		StateMachineArn: testMachineArn + "tiny", Name: "e", Status: fastpath.Succeeded, Start: testStart, Stop: testStart}
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if i%50000 == 0 { // empty the ring now and then, outside the timing
			b.StopTimer()
			l.Flush()
			b.StartTimer()
		}
		rec := AcquireRecorder(Logging{LevelAll, true}, testStart)
		for k := 1; k <= 8; k++ {
			rec.Event(&fastpath.Event{Type: fastpath.EventPassStateEntered, ID: k, State: "Classify", Payload: payload})
		}
		rec.Finish(l, &sum)
		ReleaseRecorder(rec)
	}
}
