package history

import (
	"encoding/binary"
	"errors"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/stepd/stepd/fastpath"
)

// Level is a loggingConfiguration level.
type Level uint8

// The logging levels of AWS Step Functions.
const (
	LevelOff Level = iota
	LevelFatal
	LevelError
	LevelAll
)

// String returns AWS's name of the level.
func (l Level) String() string { return levels[l].name }

// Mask is the set of events the level keeps.
func (l Level) Mask() fastpath.EventMask { return levels[l].keeps }

// ParseLevel reads AWS's name of a level.
func ParseLevel(s string) (Level, bool) {
	for i := range levels {
		if levels[i].name == s {
			return Level(i), true
		}
	}
	return LevelOff, false
}

// levels are the names and the kept events of each Level, as AWS's table
// of log levels lists them: FATAL keeps how a failed execution ended,
// ERROR every failure, ALL everything.
var levels = [...]struct {
	name  string
	keeps fastpath.EventMask
}{
	LevelOff:   {"OFF", 0},
	LevelFatal: {"FATAL", fatalEvents},
	LevelError: {"ERROR", fatalEvents | fastpath.MaskOf(fastpath.EventFailStateEntered, fastpath.EventTaskFailed,
		fastpath.EventTaskTimedOut, fastpath.EventMapStateFailed, fastpath.EventMapIterationFailed, fastpath.EventMapRunFailed,
		fastpath.EventParallelStateFailed)},
	LevelAll: {"ALL", fastpath.AllEvents},
}

var fatalEvents = fastpath.MaskOf(fastpath.EventExecutionFailed, fastpath.EventExecutionAborted, fastpath.EventExecutionTimedOut)

// Logging is a state machine's parsed loggingConfiguration.
type Logging struct {
	Level       Level
	IncludeData bool
}

// Enabled reports whether executions leave any history.
func (l Logging) Enabled() bool { return l.Level != LevelOff }

// The binary record of one execution, as staged and as stored in segment
// blocks:
//
//	record  = version header event*
//	header  = str(executionArn) str(stateMachineArn) str(name) str(roleArn)
//	          status:byte flags:byte uvarint(redriveCount)
//	          varint(startMs) varint(stopMs) str(error) str(cause) uvarint(eventCount)
//	event   = type:byte flags:byte uvarint(id) uvarint(previousId) uvarint(ms after start)
//	          [str(state) str(resource)] [payload] [str(error)] [str(cause)] uvarint(index)
//	payload = str(bytes) | nothing when flagSamePayload (the previous event's payload)
//	str     = uvarint(len) bytes
//
// State and resource are left out when flagSameState says they are the
// previous event's (a StateExited after its StateEntered, the events of a
// Task). Records written before that flag existed always have them.
//
// Events come before the header in the Recorder's buffer (the header is
// known only at the end); Finish stages header and events as one frame.
const recordVersion = 1

const (
	flagPayload     = 1 << iota // the event has a payload
	flagSamePayload             // ... equal to the previous event's
	flagError
	flagCause
	flagSameState // state and resource are the previous event's
	flagActivity  // activity details (worker, timeout, heartbeat) follow the index
)

const headerIncludeData = 1

// Recorder collects the history events of one execution: it is the
// fastpath.EventSink of executions with logging on. Events are appended as
// compact binary records to a buffer the Recorder reuses; Finish hands the
// whole execution to the Log at once. Acquire one with AcquireRecorder and
// release it after Finish; it must not be used after Release. Events of
// concurrent branches may arrive from several goroutines (fastpath says
// which), everything else is called from the execution's goroutine.
type Recorder struct {
	mu      sync.Mutex // held only for events of concurrent branches
	buf     []byte
	n       int // the last event id
	count   int
	start   int64        // ms
	now     func() int64 // nil: the coarse clock
	logging Logging
	hdr     []byte

	// What the previous event had, for flagSamePayload and flagSameState.
	lastPay                 []byte
	lastState, lastResource string
}

var recorderPool = sync.Pool{New: func() any { return &Recorder{} }}

// AcquireRecorder returns a Recorder for an execution that started at
// start with logging l.
func AcquireRecorder(l Logging, start time.Time) *Recorder {
	touchCoarseClock()
	r := recorderPool.Get().(*Recorder)
	r.logging, r.start, r.now = l, start.UnixMilli(), nil
	return r
}

// ReleaseRecorder returns r to the pool.
func ReleaseRecorder(r *Recorder) {
	if cap(r.buf) > 1<<20 {
		r.buf = nil
	}
	r.buf, r.hdr = r.buf[:0], r.hdr[:0]
	r.n, r.count, r.lastPay, r.lastState, r.lastResource = 0, 0, nil, "", ""
	recorderPool.Put(r)
}

// SetClock replaces the clock events are stamped with (milliseconds since
// the epoch); tests use it for reproducible records.
func (r *Recorder) SetClock(now func() int64) { r.now = now }

// Mask is the set of events to ask the VM for (Options.EventMask).
func (r *Recorder) Mask() fastpath.EventMask { return r.logging.Level.Mask() }

// Event implements fastpath.EventSink.
func (r *Recorder) Event(e *fastpath.Event) {
	if e.Concurrent {
		r.mu.Lock()
		defer r.mu.Unlock()
	}
	id, prev := e.ID, e.PreviousID
	if id <= r.n {
		id, prev = r.n+1, r.n
	}
	r.n = id
	r.count++
	var ms int64
	if r.now != nil {
		ms = r.now()
	} else {
		ms = coarseNow()
	}
	flags := byte(0)
	pay := e.Payload
	if pay != nil && r.logging.IncludeData {
		flags = flagPayload
		if len(pay) == len(r.lastPay) && unsafe.SliceData(pay) == unsafe.SliceData(r.lastPay) {
			flags |= flagSamePayload
		}
	}
	// Strings are compared by where they are, not by their bytes: the VM
	// hands over its State's own strings.
	if len(e.State) == len(r.lastState) && unsafe.StringData(e.State) == unsafe.StringData(r.lastState) &&
		len(e.Resource) == len(r.lastResource) && unsafe.StringData(e.Resource) == unsafe.StringData(r.lastResource) {
		flags |= flagSameState
	}
	flags |= detailFlags(e)
	b := append(r.buf, byte(e.Type), flags)
	b = binary.AppendUvarint(b, uint64(id))
	b = binary.AppendUvarint(b, uint64(prev))
	b = binary.AppendUvarint(b, uint64(max(ms-r.start, 0)))
	if flags&flagSameState == 0 {
		b = appendStr(b, e.State)
		b = appendStr(b, e.Resource)
		r.lastState, r.lastResource = e.State, e.Resource
	}
	if flags&(flagPayload|flagSamePayload) == flagPayload {
		b = appendBytes(b, pay)
		r.lastPay = pay
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
	r.buf = b
}

// detailFlags are the flags of what follows e's index: flagError,
// flagCause, flagActivity.
func detailFlags(e *fastpath.Event) byte {
	var flags byte
	if e.HasError {
		flags |= flagError
	}
	if e.HasCause {
		flags |= flagCause
	}
	if e.Activity != (fastpath.ActivityDetails{}) {
		flags |= flagActivity
	}
	return flags
}

// appendActivity appends the details of an activity event (flagActivity).
func appendActivity(b []byte, a *fastpath.ActivityDetails) []byte {
	b = appendStr(b, a.Worker)
	b = binary.AppendUvarint(b, uint64(a.TimeoutSeconds))
	return binary.AppendUvarint(b, uint64(a.HeartbeatSeconds))
}

// readActivity reads what appendActivity wrote into e.
func readActivity(d *reader, e *Event) {
	e.Worker = d.str()
	e.TimeoutSeconds, e.HeartbeatSeconds = int64(d.uvarint()), int64(d.uvarint())
}

// Summary is what an execution's record says besides its events: the
// fields of DescribeExecution and ListExecutions.
type Summary struct {
	ExecutionArn, StateMachineArn, Name, RoleArn string
	Status                                       fastpath.Status
	RedriveCount                                 int
	Start, Stop                                  time.Time
	Error, Cause                                 string
	HasError, HasCause                           bool
	IncludeData                                  bool
}

// Finish stages the execution's record (s and the events so far) in l.
// It returns false when l shed the record under overload (see
// Config.Overload) or when l is closed; the record is then counted, not
// written. The Recorder's payload references are dropped, so the
// execution may be released afterwards.
func (r *Recorder) Finish(l *Log, s *Summary) bool {
	r.hdr = encodeHeader(r.hdr[:0], s, r.count, r.logging.IncludeData)
	r.lastPay = nil
	return l.append(r.hdr, r.buf, r.count)
}

// encodeHeader appends a record's header: the summary and the number of
// events that follow.
func encodeHeader(h []byte, s *Summary, events int, includeData bool) []byte {
	h = append(h, recordVersion)
	h = appendStr(h, s.ExecutionArn)
	h = appendStr(h, s.StateMachineArn)
	h = appendStr(h, s.Name)
	h = appendStr(h, s.RoleArn)
	flags := byte(0)
	if includeData {
		flags |= headerIncludeData
	}
	h = append(h, byte(s.Status), flags)
	h = binary.AppendUvarint(h, uint64(s.RedriveCount))
	h = binary.AppendVarint(h, s.Start.UnixMilli())
	h = binary.AppendVarint(h, s.Stop.UnixMilli())
	h = appendStr(h, optional(s.Error, s.HasError))
	h = appendStr(h, optional(s.Cause, s.HasCause))
	return binary.AppendUvarint(h, uint64(events))
}

func optional(s string, ok bool) string {
	if !ok {
		return ""
	}
	return s
}

func appendStr(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

func appendBytes(b, s []byte) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

// Event is one decoded history event. Its slices view the record it was
// decoded from.
type Event struct {
	Type        fastpath.EventType
	ID, Prev    int
	Timestamp   int64 // ms since the epoch
	State       string
	Resource    string
	Payload     []byte
	HasPayload  bool
	Error       string
	Cause       string
	HasError    bool
	HasCause    bool
	Index       int
	IncludeData bool
	// Worker, TimeoutSeconds and HeartbeatSeconds are the details of
	// ActivityStarted and ActivityScheduled (fastpath.ActivityDetails).
	Worker                           string
	TimeoutSeconds, HeartbeatSeconds int64
}

// Record is one decoded execution record.
type Record struct {
	Summary
	Events []Event
}

var errCorrupt = errors.New("corrupt history record")

// reader decodes the binary encoding; the first error sticks.
type reader struct {
	b   []byte
	err error
}

func (d *reader) uvarint() uint64 { return readVarint(d, binary.Uvarint) }
func (d *reader) varint() int64   { return readVarint(d, binary.Varint) }

// readVarint reads one number with decode (binary.Uvarint or Varint).
func readVarint[T uint64 | int64](d *reader, decode func([]byte) (T, int)) T {
	v, n := decode(d.b)
	if n <= 0 {
		d.fail()
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *reader) byte() byte {
	if len(d.b) == 0 {
		d.fail()
		return 0
	}
	c := d.b[0]
	d.b = d.b[1:]
	return c
}

func (d *reader) bytes() []byte {
	n := d.uvarint()
	if n > uint64(len(d.b)) {
		d.fail()
		return nil
	}
	v := d.b[:n:n]
	d.b = d.b[n:]
	return v
}

func (d *reader) str() string { return string(d.bytes()) }

func (d *reader) fail() {
	d.err = errCorrupt
	d.b = nil
}

// decodeSummary reads a record's header; the reader is left at the
// first event and the event count is returned.
func decodeSummary(d *reader, s *Summary) int {
	if d.byte() != recordVersion {
		d.fail()
		return 0
	}
	s.ExecutionArn, s.StateMachineArn, s.Name, s.RoleArn = d.str(), d.str(), d.str(), d.str()
	st, flags := d.byte(), d.byte()
	if st > byte(fastpath.Aborted) {
		d.fail()
	}
	s.Status = fastpath.Status(st)
	s.IncludeData = flags&headerIncludeData != 0
	s.RedriveCount = int(d.uvarint())
	s.Start, s.Stop = time.UnixMilli(d.varint()).UTC(), time.UnixMilli(d.varint()).UTC()
	s.Error, s.Cause = d.str(), d.str()
	s.HasError, s.HasCause = s.Error != "", s.Cause != ""
	return int(d.uvarint())
}

// DecodeRecord decodes one execution record, which must take all of b;
// the result's slices view b.
func DecodeRecord(b []byte) (*Record, error) {
	d := reader{b: b}
	rec := &Record{}
	n := decodeSummary(&d, &rec.Summary)
	if d.err != nil || n > len(b) {
		return nil, errCorrupt
	}
	rec.Events = make([]Event, 0, n)
	start := rec.Start.UnixMilli()
	var last []byte
	for i := 0; i < n && d.err == nil; i++ {
		e := Event{IncludeData: rec.IncludeData}
		e.Type = fastpath.EventType(d.byte())
		flags := d.byte()
		e.ID, e.Prev = int(d.uvarint()), int(d.uvarint())
		e.Timestamp = start + int64(d.uvarint())
		if flags&flagSameState == 0 {
			e.State, e.Resource = d.str(), d.str()
		} else if i > 0 { // the first event's previous is an empty one
			e.State, e.Resource = rec.Events[i-1].State, rec.Events[i-1].Resource
		}
		if flags&flagPayload != 0 {
			e.HasPayload = true
			if flags&flagSamePayload != 0 {
				e.Payload = last
			} else {
				e.Payload = d.bytes()
				last = e.Payload
			}
		}
		if flags&flagError != 0 {
			e.Error, e.HasError = d.str(), true
		}
		if flags&flagCause != 0 {
			e.Cause, e.HasCause = d.str(), true
		}
		e.Index = int(d.uvarint())
		if flags&flagActivity != 0 {
			readActivity(&d, &e)
		}
		rec.Events = append(rec.Events, e)
	}
	if d.err != nil {
		return nil, d.err
	}
	if len(d.b) != 0 {
		return nil, errCorrupt
	}
	return rec, nil
}

// decodeSummaryOnly reads just the header of a record.
func decodeSummaryOnly(b []byte) (Summary, error) {
	d := reader{b: b}
	var s Summary
	decodeSummary(&d, &s)
	return s, d.err
}

// The coarse clock: the wall clock in milliseconds, refreshed by a ticker
// while executions with history run. Events are stamped with millisecond
// precision, as CloudWatch records are, and reading the real clock for
// each one would cost more than recording it. The ticker starts with the
// first Recorder and stops after a second without any, so an idle node
// does not wake up every millisecond.
var (
	coarseMs      atomic.Int64
	coarseRunning atomic.Bool
	coarseUsed    atomic.Bool
)

// coarseIdleTicks is how many ticks without a new Recorder stop the
// ticker.
const coarseIdleTicks = 1000

func coarseNow() int64 {
	if coarseRunning.Load() {
		return coarseMs.Load()
	}
	return time.Now().UnixMilli()
}

// touchCoarseClock keeps the ticker running, starting it if needed.
func touchCoarseClock() {
	if !coarseUsed.Load() {
		coarseUsed.Store(true)
	}
	if !coarseRunning.Load() && coarseRunning.CompareAndSwap(false, true) {
		coarseMs.Store(time.Now().UnixMilli())
		go runCoarseClock()
	}
}

func runCoarseClock() {
	t := time.NewTicker(time.Millisecond)
	defer t.Stop()
	idle := 0
	for now := range t.C {
		coarseMs.Store(now.UnixMilli())
		if coarseUsed.Swap(false) {
			idle = 0
		} else if idle++; idle >= coarseIdleTicks {
			coarseRunning.Store(false)
			return
		}
	}
}
