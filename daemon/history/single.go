package history

import (
	"encoding/binary"

	"github.com/stepd/stepd/fastpath"
)

// A single event, encoded on its own (a durable execution keeps each of
// its events as a record of the Raft log, not in a segment):
//
//	event = type:byte flags:byte uvarint(engineID) uvarint(enginePrev) varint(ms since the epoch)
//	        str(state) str(resource) [str(payload)] [str(error)] [str(cause)] uvarint(index)
//
// The flags are flagPayload, flagError and flagCause of the record
// encoding. engineID and enginePrev are the engine's numbering (0 for the
// events of concurrent branches); readers number events by their place.

// AppendEvent appends e, stamped at ms, as a single event.
func AppendEvent(b []byte, e *fastpath.Event, ms int64) []byte {
	flags := detailFlags(e)
	if e.Payload != nil {
		flags |= flagPayload
	}
	b = append(b, byte(e.Type), flags)
	b = binary.AppendUvarint(b, uint64(e.ID))
	b = binary.AppendUvarint(b, uint64(e.PreviousID))
	b = binary.AppendVarint(b, ms)
	b = appendStr(b, e.State)
	b = appendStr(b, e.Resource)
	if e.Payload != nil {
		b = appendBytes(b, e.Payload)
	}
	if e.HasError {
		b = appendStr(b, e.Error)
	}
	if e.HasCause {
		b = appendStr(b, e.Cause)
	}
	b = binary.AppendUvarint(b, uint64(e.Index))
	if flags&flagActivity != 0 {
		b = appendActivity(b, &e.Activity)
	}
	return b
}

// DecodeEvent reads a single event into ev (its payload views b) and
// returns the engine's id and previous id; ev's ID and Prev are left 0.
// A value that is not exactly one event is an error, never a panic.
func DecodeEvent(b []byte, ev *Event) (engineID, enginePrev int, err error) {
	d := reader{b: b}
	*ev = Event{Type: fastpath.EventType(d.byte()), IncludeData: true}
	flags := d.byte()
	engineID, enginePrev = int(d.uvarint()), int(d.uvarint())
	ev.Timestamp = d.varint()
	ev.State, ev.Resource = d.str(), d.str()
	if flags&flagPayload != 0 {
		ev.Payload, ev.HasPayload = d.bytes(), true
	}
	if flags&flagError != 0 {
		ev.Error, ev.HasError = d.str(), true
	}
	if flags&flagCause != 0 {
		ev.Cause, ev.HasCause = d.str(), true
	}
	ev.Index = int(d.uvarint())
	if flags&flagActivity != 0 {
		readActivity(&d, ev)
	}
	if d.err == nil && (len(d.b) != 0 || ev.Type.String() == "Unknown") {
		d.fail()
	}
	return engineID, enginePrev, d.err
}
