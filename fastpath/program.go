package fastpath

import (
	"time"
)

// StateKind is the type of a state.
type StateKind uint8

// The state types of the States Language.
const (
	StatePass StateKind = iota
	StateTask
	StateChoice
	StateWait
	StateSucceed
	StateFail
	StateParallel
	StateMap
)

var stateKindNames = [...]string{"Pass", "Task", "Choice", "Wait", "Succeed", "Fail", "Parallel", "Map"}

// String returns the ASL name of the state type.
func (k StateKind) String() string { return stateKindNames[k] }

// NoState marks the absence of a transition: an End state, or a Choice
// without Default.
const NoState = -1

// Program is a compiled state machine. States of every scope (the top level,
// Parallel branches, Map item processors) live in one slice and refer to each
// other by index; a scope is entered at its Start index. A Program is
// immutable once built and safe for concurrent use by any number of
// executions.
type Program struct {
	States []State
	// Start is the index of the top-level StartAt state.
	Start int
	// Timeout is the state machine's TimeoutSeconds, 0 when unset.
	Timeout time.Duration
	// Express selects the Express workflow rules (a five-minute cap on
	// every execution).
	Express bool
	// VarNames lists the Assign variables; a path's VarSlot indexes it.
	VarNames []string
	// distributed is set by Seal when a Map state is distributed.
	distributed bool
}

// State is one compiled state. Which fields are used depends on Kind; the
// compiler leaves the others zero.
type State struct {
	Kind StateKind
	Name string
	// Next is the index of the next state, NoState for an End state.
	Next int

	// Input and output processing; a nil path means "$" (pass through).
	InputPath      *Path
	InputPathNull  bool // "InputPath": null: the effective input is {}
	OutputPath     *Path
	OutputPathNull bool // "OutputPath": null: the output is {}
	ResultPath     *Path
	ResultPathNull bool // "ResultPath": null: the result is discarded
	Parameters     *Template
	ResultSelector *Template
	Assign         *Assign
	// JSONata is set when the state's query language is JSONata: the
	// state then runs from these fields (see runQueryState).
	JSONata *JSONata

	// Pass.
	Result []byte

	// Task.
	Task          *Task
	TaskTimeout   time.Duration
	TimeoutPath   *Path
	Heartbeat     time.Duration
	HeartbeatPath *Path
	Retry         []Retrier
	Catch         []Catcher

	// Choice.
	Choices       []*ChoiceRule
	ChoiceAssigns []*Assign // per rule, nil where the rule has no Assign
	Default       int

	// Wait.
	WaitSeconds       int64
	WaitTimestamp     int64 // unix nanoseconds
	WaitHasTimestamp  bool
	WaitSecondsPath   *Path
	WaitTimestampPath *Path

	// Fail. A literal Error or Cause, or a path or intrinsic producing it.
	Error, Cause         string
	HasError, HasCause   bool
	ErrorPath, CausePath *Template

	// Parallel branches, each the Start index of its scope.
	Branches []int

	// Map.
	Processor            int // Start index of the item processor scope
	ItemsPath            *Path
	Items                *Template
	ItemSelector         *Template
	MaxConcurrency       int
	MaxConcurrencyPath   *Path
	ToleratedPercent     float64
	HasToleratedPercent  bool
	ToleratedPercentPath *Path
	ToleratedCount       int
	HasToleratedCount    bool
	ToleratedCountPath   *Path
	Distributed          bool
	// Reader reads the items from a source outside the execution (S3),
	// nil when they come from the state input.
	Reader *ItemReaderSpec
	// Writer is the Map's ResultWriter, nil when it has none.
	Writer *ResultWriterSpec
	// Label is the Map's Label, which names its Map Run; ChildExpress is
	// ProcessorConfig.ExecutionType EXPRESS.
	Label        string
	ChildExpress bool
	// Batcher groups the items into batches, nil when each item is an
	// iteration of its own.
	Batcher *ItemBatcher
	// Concurrent is set by Seal on Parallel and Map states whose branches
	// wait or call tasks: those run on goroutines, the others inline.
	Concurrent     bool
	UsesMapContext bool // ItemSelector reads $$.Map
}

// Assign is a compiled Assign field: each variable slot gets the value of a
// template, all evaluated before any is set.
type Assign struct {
	Slots  []int
	Values []*Template
}

// Retrier is one compiled Retry entry.
type Retrier struct {
	Errors      ErrorSet
	Interval    time.Duration
	MaxAttempts int
	BackoffRate float64
	MaxDelay    time.Duration
	FullJitter  bool
}

// Catcher is one compiled Catch entry.
type Catcher struct {
	Errors         ErrorSet
	ResultPath     *Path
	ResultPathNull bool
	Next           int
	Assign         *Assign
}

// ErrorSet is the compiled ErrorEquals of a Retrier or Catcher.
type ErrorSet struct {
	Names []string
	All   bool // contains States.ALL
}

// Matches reports whether the error name is in the set. States.Runtime
// never matches: AWS neither retries nor catches it, even when ErrorEquals
// names it (recorded: catch_states_runtime). Two names are wildcards:
// States.ALL matches every other error (States.DataLimitExceeded of a Task
// result included, as AWS recorded), and States.TaskFailed matches "any
// known error name except States.Timeout", as AWS documents it.
func (s *ErrorSet) Matches(name string) bool {
	if name == ErrRuntime {
		return false
	}
	for _, n := range s.Names {
		if n == name || n == ErrTaskFailed && name != ErrTimeout {
			return true
		}
	}
	return s.All
}

// Task names what a Task state invokes; the Invoker decides what that means.
type Task struct {
	// Resource is the state's Resource ARN.
	Resource string
	// State is the name of the Task state, for messages.
	State string
	// Pointer is the JSON pointer of the Resource field in the definition,
	// for messages about the resource.
	Pointer string
	// Callback says whether the Task ends with an answer to its task
	// token rather than with its call's result (vm_callback.go).
	Callback Callback
}
