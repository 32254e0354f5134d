package fastpath

import (
	"context"
	"encoding/binary"
	"strconv"
	"time"

	"github.com/stepd/stepd/fastpath/jsonata"
)

// Recorder makes an execution durable by event-sourced replay: everything
// the VM cannot decide again by itself — each clock reading, each random
// number, each task's outcome, each wait that ended — goes through it, and
// so does every history event. A first run records; a run of the same
// program on the same input and options with a Recorder that holds those
// records replays them, so it takes the same path without calling a task
// that already answered, and carries on live from where the records end.
//
// Values are keyed by their call site (RecordKey), not by global order:
// the states of one scope run one after another, so a scope's n-th
// recorded value is the same thing on every run, while the branches of a
// Parallel or Map that run at once each have a scope of their own.
//
// Options.Recorder nil (EXPRESS executions) costs a comparison per clock
// read and per task. Record, Event and Checkpoint are called from the
// goroutines of concurrent branches at once; an implementation must be
// safe for that.
type Recorder interface {
	// Replay returns the value recorded at key by an earlier run, or ok
	// false when there is none and the execution runs live from there.
	// val must stay valid until the execution ends.
	Replay(key RecordKey) (kind RecordKind, val []byte, ok bool)
	// Record keeps val (valid only during the call) at key.
	Record(key RecordKey, kind RecordKind, val []byte)
	// Event keeps a history event at key, one that no earlier run
	// recorded. e is valid only during the call, as for EventSink.
	Event(key RecordKey, e *Event)
	// Checkpoint is called between two states of a scope: it returns
	// once what was recorded so far is durable. An error (a full disk, a
	// lost leadership) suspends the execution (Result.Status Suspended,
	// Until zero) so that it resumes, by replay, once writes work again.
	Checkpoint() error
	// Suspend reports whether a wait until t should park the execution
	// (the run returns Suspended with Until t) rather than sleep.
	Suspend(until time.Time) bool
}

// RecordKey names a call site of an execution: Scope is "" for the
// states outside any concurrently run branch and, for such a branch, its
// parent's scope followed by "seq.index/" (the parent's sequence number
// at the Parallel or Map state, and the branch's index); a STANDARD child
// execution of a Distributed Map has a scope of that form even when its
// children run one after another, since its history is its own (see
// beginChild). Seq counts the recorded values and events of the scope
// from 0.
type RecordKey struct {
	Scope string
	Seq   int
}

// String renders the key as "scope#seq", for messages.
func (k RecordKey) String() string { return k.Scope + "#" + strconv.Itoa(k.Seq) }

// RecordKind says what a recorded value is. Values are part of the
// durable format: never renumber one.
type RecordKind uint8

// The kinds of recorded values.
const (
	// RecordTime is a clock reading: 8 bytes, Unix nanoseconds, big-endian.
	RecordTime RecordKind = iota + 1
	// RecordRandom is a random number: 8 bytes, big-endian.
	RecordRandom
	// RecordTask is a task's outcome (see AppendTaskOutcome).
	RecordTask
	// RecordWake is a Wait or Retry back-off that ended; no value.
	RecordWake
	// RecordEvent is a history event, in the recorder's own encoding.
	RecordEvent
	// RecordToken is the task token a callback Task minted: its text.
	RecordToken
	// RecordAwait is a callback Task waiting for the answer to its token
	// (see Await): the durable store keeps it as a pending task.
	RecordAwait
	// RecordClaim is an activity task taken by a worker: its name. The
	// store records it at the token's AnswerKey, before the answer.
	RecordClaim
	// RecordMapRun is an UpdateMapRun of one of the execution's Map Runs
	// (a MapRunUpdate as JSON). The daemon keeps it in a scope of its
	// own, which the engine never replays, and applies it again when the
	// run starts again on a replay.
	RecordMapRun
)

var recordKindNames = [...]string{"", "time", "random", "task", "wake", "event", "token", "await", "claim", "maprun"}

// String names the kind.
func (k RecordKind) String() string {
	if int(k) < len(recordKindNames) && k != 0 {
		return recordKindNames[k]
	}
	return "kind" + strconv.Itoa(int(k))
}

// errSuspended ends a run that parked at a wait or could not make its
// records durable; Result.Until says when to run it again.
var errSuspended = &Failure{Name: "States.Suspended"}

// interrupted reports whether f ends the run without being the state's
// failure: a timeout of the execution, a stop, a suspension. Retry,
// Catch and Map's tolerance never see these.
func interrupted(f *Failure) bool { return f == errTimedOut || f == errAborted || f == errSuspended }

// nextKey returns the key of the scope's next recorded value.
func (ex *Execution) nextKey() RecordKey {
	k := RecordKey{Scope: ex.scope, Seq: ex.seq}
	ex.seq++
	return k
}

// replay looks up the next key of the scope, expecting a value of kind
// want. A value of another kind means the program or its input is not
// the one recorded: the run fails loudly (see diverged) rather than
// following another path.
func (ex *Execution) replay(want RecordKind) (key RecordKey, val []byte, ok bool) {
	key = ex.nextKey()
	kind, val, ok := ex.rec.Replay(key)
	if ok && kind != want && ex.divergence == "" {
		ex.divergence = "at " + key.String() + " the recorded run has a " + kind.String() + " record where this run has a " + want.String()
	}
	return key, val, ok && kind == want
}

// put records val at key, unless the replay has diverged: the records
// then belong to another run, and the execution is about to fail.
func (ex *Execution) put(key RecordKey, kind RecordKind, val []byte) {
	if ex.divergence == "" {
		ex.rec.Record(key, kind, val)
	}
}

// diverged is the failure of a replay that found records of another run.
func (ex *Execution) diverged() *Failure {
	return &Failure{Name: ErrRuntime, Cause: "The execution's recorded history does not match its definition: " + ex.divergence}
}

// recordingClock is the clock of an execution with a Recorder: each
// reading is recorded, and read back on replay.
type recordingClock struct{ ex *Execution }

// Now returns the recorded time of this reading, or reads the live clock
// and records it.
func (c *recordingClock) Now() time.Time {
	ex := c.ex
	key, val, ok := ex.replay(RecordTime)
	if ok && len(val) == 8 {
		return time.Unix(0, int64(binary.BigEndian.Uint64(val)))
	}
	t := ex.live.Now()
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], uint64(t.UnixNano()))
	ex.put(key, RecordTime, b[:])
	return t
}

// Sleep sleeps on the live clock; durable waits go through durableSleep.
func (c *recordingClock) Sleep(ctx context.Context, d time.Duration) error {
	return c.ex.live.Sleep(ctx, d)
}

// random64 returns a random number, recorded when the execution has a
// Recorder.
func (ex *Execution) random64() uint64 {
	if ex.rec == nil {
		return randUint64()
	}
	key, val, ok := ex.replay(RecordRandom)
	if ok && len(val) == 8 {
		return binary.BigEndian.Uint64(val)
	}
	r := randUint64()
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], r)
	ex.put(key, RecordRandom, b[:])
	return r
}

// randomFloat returns a number in [0, 1) from random64.
func (ex *Execution) randomFloat() float64 { return float64(ex.random64()<<11>>11) / (1 << 53) }

// randomOf returns a random number from r's execution (recorded when it
// has a Recorder), or from the process's generator when r is not one.
func randomOf(r Resolver) uint64 {
	if ex, ok := r.(*Execution); ok {
		return ex.random64()
	}
	return randUint64()
}

// randomNOf is randomOf in [0, n); n must be positive.
func randomNOf(r Resolver, n uint64) uint64 {
	if ex, ok := r.(*Execution); ok && ex.rec != nil {
		return ex.random64() % n
	}
	return randUint64N(n)
}

// durableSleep waits until t for an execution with a Recorder: a wait a
// replay finds ended returns at once; one that the Recorder wants parked
// suspends the run; otherwise it sleeps on the live clock and records
// that the wait ended.
func (ex *Execution) durableSleep(t time.Time) *Failure {
	key, _, ok := ex.replay(RecordWake)
	if ok {
		return nil
	}
	if d := t.Sub(ex.live.Now()); d > 0 {
		if ex.rec.Suspend(t) {
			ex.until = t
			return errSuspended
		}
		if err := ex.live.Sleep(ex.ctx, d); err != nil {
			return errAborted
		}
	}
	ex.put(key, RecordWake, nil)
	return nil
}

// checkpoint makes the scope's records durable between two states.
func (ex *Execution) checkpoint() *Failure {
	if ex.divergence != "" {
		return ex.diverged()
	}
	if err := ex.rec.Checkpoint(); err != nil {
		ex.until = time.Time{}
		return errSuspended
	}
	return nil
}

// Task outcomes as RecordTask values: a first byte saying which, then
//
//	taskSucceeded: the result's JSON
//	taskFailed:    flags (1: no error name, 2: no cause), uvarint length
//	               and bytes of the error name, then the cause
//	taskTimedOut:  nothing (the execution's deadline passed)
const (
	taskSucceeded byte = iota
	taskFailed
	taskTimedOut
)

// AppendTaskOutcome appends the RecordTask value of a task that returned
// result, or failed with f (result nil).
func appendTaskOutcome(dst, result []byte, f *Failure) []byte {
	switch {
	case f == nil:
		return append(append(dst, taskSucceeded), result...)
	case f == errTimedOut:
		return append(dst, taskTimedOut)
	}
	var flags byte
	if f.noName {
		flags |= 1
	}
	if f.noCause {
		flags |= 2
	}
	dst = append(dst, taskFailed, flags)
	dst = binary.AppendUvarint(dst, uint64(len(f.Name)))
	dst = append(dst, f.Name...)
	return append(dst, f.Cause...)
}

// taskOutcome decodes a RecordTask value; ok is false when it is not one.
func taskOutcome(val []byte) (result []byte, f *Failure, ok bool) {
	if len(val) == 0 {
		return nil, nil, false
	}
	switch val[0] {
	case taskSucceeded:
		return val[1:], nil, true
	case taskTimedOut:
		return nil, errTimedOut, true
	case taskFailed:
		if len(val) < 2 {
			return nil, nil, false
		}
		n, w := binary.Uvarint(val[2:])
		if w <= 0 || uint64(len(val)-2-w) < n {
			return nil, nil, false
		}
		name := val[2+w : 2+w+int(n)]
		return nil, &Failure{Name: string(name), Cause: string(val[2+w+int(n):]), noName: val[1]&1 != 0, noCause: val[1]&2 != 0}, true
	}
	return nil, nil, false
}

// queryFuncs is the JSONata function registry of ex: the shared one, or
// for an execution with a Recorder one whose $random and $uuid are
// recorded (built once per pooled Execution).
func (ex *Execution) queryFuncs() *jsonata.Registry {
	if ex.rec == nil {
		return jsonataFuncs
	}
	if ex.durableFuncs == nil {
		fns := awsFunctions()
		fns["random"] = jsonata.Function{Signature: fns["random"].Signature, Impl: func(args []any) (any, error) {
			if len(args) > 0 && args[0] != nil {
				return jfnRandom(args)
			}
			return ex.randomFloat(), nil
		}}
		fns["uuid"] = jsonata.Function{Signature: fns["uuid"].Signature, Impl: func([]any) (any, error) {
			return string(appendUUIDFrom(nil, ex.random64(), ex.random64())), nil
		}}
		ex.durableFuncs = mustRegistry(fns)
	}
	return ex.durableFuncs
}

// discardEvents is the sink of an execution with a Recorder and no sink
// of its own: the VM then emits its events for the Recorder only.
type discardEvents struct{}

func (discardEvents) Event(*Event) {}
