package history

import (
	"testing"

	"github.com/stepd/stepd/fastpath"
)

// FuzzDecodeRecord: any bytes decode to a record or an error, never a
// panic, and a record renders in both shapes.
func FuzzDecodeRecord(f *testing.F) {
	rec := AcquireRecorder(Logging{LevelAll, true}, testStart)
	rec.SetClock(func() int64 { return testStart.UnixMilli() })
	rec.Event(&fastpath.Event{Type: fastpath.EventExecutionStarted, ID: 1, Payload: []byte(`{"a":1}`)})
	rec.Event(&fastpath.Event{Type: fastpath.EventTaskFailed, ID: 2, PreviousID: 1, State: "T", Resource: "arn:aws:states:::lambda:invoke",
		Error: "E", Cause: "c", HasError: true, HasCause: true})
	rec.Event(&fastpath.Event{Type: fastpath.EventMapIterationStarted, ID: 3, PreviousID: 2, State: "M", Index: 4})
	sum := Summary{ExecutionArn: "arn:aws:states:us-east-1:123456789012:express:m:e:1", StateMachineArn: testMachineArn + "m",
		Name: "e", Status: fastpath.Failed, Start: testStart, Stop: testStart, Error: "E", HasError: true}
	hdr := encodeHeader(nil, &sum, rec.count, true)
	f.Add(append(hdr, rec.buf...))
	f.Add([]byte{recordVersion})
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := DecodeRecord(b)
		if err != nil {
			return
		}
		for i := range r.Events {
			AppendCloudWatch(nil, r, i)
			AppendAPIEvent(nil, r, i, true)
		}
	})
}
