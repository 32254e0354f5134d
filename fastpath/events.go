package fastpath

// EventType is the type of a history event, as AWS names them in execution
// histories and in the CloudWatch Logs records of Express workflows.
type EventType uint8

// The history events the runtime emits. The state events of each state
// type follow StateKind's order, so that enteredEvent and exitedEvent are
// an addition.
const (
	EventExecutionStarted EventType = iota
	EventExecutionSucceeded
	EventExecutionFailed
	EventExecutionTimedOut
	EventExecutionAborted

	EventPassStateEntered
	EventTaskStateEntered
	EventChoiceStateEntered
	EventWaitStateEntered
	EventSucceedStateEntered
	EventFailStateEntered
	EventParallelStateEntered
	EventMapStateEntered

	EventPassStateExited
	EventTaskStateExited
	EventChoiceStateExited
	EventWaitStateExited
	EventSucceedStateExited
	EventFailStateExited // never emitted: a Fail state ends its scope
	EventParallelStateExited
	EventMapStateExited

	EventTaskScheduled
	EventTaskStarted
	EventTaskSucceeded
	EventTaskFailed
	EventTaskTimedOut

	EventParallelStateStarted
	EventParallelStateSucceeded
	EventParallelStateFailed

	EventMapStateStarted
	EventMapStateSucceeded
	EventMapStateFailed
	EventMapIterationStarted
	EventMapIterationSucceeded
	EventMapIterationFailed

	// A Distributed Map's run of child executions, in its parent's
	// history instead of MapIteration events.
	EventMapRunStarted
	EventMapRunSucceeded
	EventMapRunFailed

	// Callback Tasks (vm_callback.go).
	EventTaskSubmitted
	EventActivityScheduled
	EventActivityStarted
	EventActivitySucceeded
	EventActivityFailed
	EventActivityTimedOut

	// RedriveExecution resumed an execution that had ended: its Index
	// is the redrive count. MapRunRedriven: the redrive resumed a
	// Distributed Map's Map Run (its Resource), Index times so far.
	EventExecutionRedriven
	EventMapRunRedriven

	numEventTypes
)

var eventTypeNames = [numEventTypes]string{
	"ExecutionStarted", "ExecutionSucceeded", "ExecutionFailed", "ExecutionTimedOut", "ExecutionAborted",
	"PassStateEntered", "TaskStateEntered", "ChoiceStateEntered", "WaitStateEntered",
	"SucceedStateEntered", "FailStateEntered", "ParallelStateEntered", "MapStateEntered",
	"PassStateExited", "TaskStateExited", "ChoiceStateExited", "WaitStateExited",
	"SucceedStateExited", "FailStateExited", "ParallelStateExited", "MapStateExited",
	"TaskScheduled", "TaskStarted", "TaskSucceeded", "TaskFailed", "TaskTimedOut",
	"ParallelStateStarted", "ParallelStateSucceeded", "ParallelStateFailed",
	"MapStateStarted", "MapStateSucceeded", "MapStateFailed",
	"MapIterationStarted", "MapIterationSucceeded", "MapIterationFailed",
	"MapRunStarted", "MapRunSucceeded", "MapRunFailed",
	"TaskSubmitted", "ActivityScheduled", "ActivityStarted", "ActivitySucceeded", "ActivityFailed", "ActivityTimedOut",
	"ExecutionRedriven", "MapRunRedriven",
}

// String returns AWS's name of the event type.
func (t EventType) String() string {
	if t >= numEventTypes {
		return "Unknown"
	}
	return eventTypeNames[t]
}

// ParseEventType returns the event type AWS calls name.
func ParseEventType(name string) (EventType, bool) {
	for i, n := range eventTypeNames {
		if n == name {
			return EventType(i), true
		}
	}
	return 0, false
}

func enteredEvent(k StateKind) EventType { return EventPassStateEntered + EventType(k) }
func exitedEvent(k StateKind) EventType  { return EventPassStateExited + EventType(k) }

// EventMask is a set of event types: which events an execution emits.
type EventMask uint64

// AllEvents emits every event.
const AllEvents EventMask = 1<<numEventTypes - 1

// MaskOf returns the set of the given event types.
func MaskOf(types ...EventType) EventMask {
	var m EventMask
	for _, t := range types {
		m |= 1 << t
	}
	return m
}

// Has reports whether t is in m.
func (m EventMask) Has(t EventType) bool { return m&(1<<t) != 0 }

// Event is one history event as the runtime emits it. The sink receives
// a pointer to an Event the Execution reuses for each of its events: it
// is valid only during the call, and neither it nor the slices it refers
// to may be kept after the call returns (Payload lives in the
// execution's arena).
type Event struct {
	Type EventType
	// ID is the event's number in the execution, as AWS counts it for
	// its "entered at the event id #N" messages; PreviousID is the event
	// it follows (0 for none). ID is 0 for events the count does not
	// include (the failures of states) and for every event of a branch
	// that runs concurrently with others: the sink numbers those itself.
	ID, PreviousID int
	// Concurrent is set for events of branches that run on their own
	// goroutines: such events may reach the sink from several goroutines
	// at once.
	Concurrent bool
	// State is the name of the state the event belongs to, "" for
	// execution events.
	State string
	// Resource is the Resource of the Task state of Task events, and
	// the Map Run's ARN of MapRunStarted and MapRunRedriven.
	Resource string
	// Payload is the JSON data of the event: the input of
	// ExecutionStarted, StateEntered and TaskScheduled, the output of
	// StateExited, TaskSucceeded and ExecutionSucceeded, the Map Run as
	// it ended of MapRunSucceeded and MapRunFailed (a MapRunRecord);
	// nil otherwise.
	Payload []byte
	// Error and Cause describe failure events; HasError and HasCause say
	// whether AWS reports each.
	Error, Cause       string
	HasError, HasCause bool
	// Index is the iteration of MapIteration events; Length the number
	// of items of MapStateStarted.
	Index, Length int
	// Activity holds what ActivityScheduled and ActivityStarted say
	// besides the above; zero for every other event.
	Activity ActivityDetails
}

// ActivityDetails are the details of activity events that other events
// do not have: the worker that took the task (ActivityStarted, "" when
// it gave no name), and the Task's TimeoutSeconds and HeartbeatSeconds
// (ActivityScheduled, 0 when the state sets none).
type ActivityDetails struct {
	Worker                           string
	TimeoutSeconds, HeartbeatSeconds int64
}

// EventSink receives the history events of executions (Options.Events).
// Event is called on the execution's goroutine, in order, except for
// events marked Concurrent, which branches running at once emit from
// their own goroutines. It must not block for long: the execution waits
// for it.
type EventSink interface {
	Event(e *Event)
}

// emit records an event of the current state with the execution's
// current count as its id. With no sink it costs a comparison.
func (ex *Execution) emit(t EventType, st *State, payload []byte) {
	if ex.sink != nil {
		ex.record(t, ex.events, st, payload, nil, 0)
	}
}

// emitActivity records an activity event with its details d.
func (ex *Execution) emitActivity(t EventType, st *State, payload []byte, d ActivityDetails) {
	if ex.sink == nil {
		return
	}
	if ex.ev == nil {
		ex.ev = new(Event)
	}
	ex.ev.Activity = d
	ex.record(t, ex.events, st, payload, nil, 0)
	ex.ev.Activity = ActivityDetails{}
}

// emitFailure records a failure event, which the count does not include.
// A suspension is no failure: the state has not ended.
func (ex *Execution) emitFailure(t EventType, st *State, f *Failure) {
	if ex.sink != nil && f != errSuspended {
		ex.record(t, 0, st, nil, f, 0)
	}
}

// emitIteration records a MapIteration event of iteration i of an
// inline Map (a Distributed Map's iterations are child executions, with
// histories of their own).
func (ex *Execution) emitIteration(t EventType, st *State, i int, f *Failure) {
	if ex.sink != nil && st.Kind == StateMap && !st.Distributed {
		ex.record(t, ex.events, st, nil, f, i)
	}
}

// record hands the event to the sink if the mask lets it through.
// n is the index of MapIteration events and the length of MapStateStarted.
func (ex *Execution) record(t EventType, id int, st *State, payload []byte, f *Failure, n int) {
	prev := ex.lastEvent
	if t >= EventPassStateEntered && t <= EventMapStateEntered {
		prev = ex.lastExit
	}
	if ex.concurrent {
		id = 0
	}
	if id != 0 {
		ex.lastEvent = id
		if t >= EventPassStateExited && t <= EventMapStateExited {
			ex.lastExit = id
		}
	}
	var key RecordKey
	if ex.rec != nil {
		var ok bool
		if key, _, ok = ex.replay(RecordEvent); ok {
			return // an earlier run recorded it, and its sink saw it
		}
	} else if !ex.mask.Has(t) {
		return
	}
	// Field by field: a composite literal is built on the stack and
	// copied, which costs more than the rest of the event.
	if ex.ev == nil {
		ex.ev = new(Event)
	}
	ev := ex.ev
	ev.Type, ev.ID, ev.PreviousID, ev.Concurrent = t, id, prev, ex.concurrent
	ev.Payload, ev.Index, ev.Length = payload, n, n
	ev.State, ev.Resource = "", ex.evResource
	if st != nil {
		ev.State = st.Name
		if st.Task != nil {
			ev.Resource = st.Task.Resource
		}
	}
	ev.Error, ev.Cause, ev.HasError, ev.HasCause = "", "", false, false
	if f != nil {
		ev.Error, ev.Cause, ev.HasError, ev.HasCause = f.Name, f.Cause, !f.noName, !f.noCause
	}
	if ex.rec != nil {
		if ex.divergence == "" {
			ex.rec.Event(key, ev)
		}
		if !ex.mask.Has(t) {
			return
		}
	}
	ex.sink.Event(ev)
}
