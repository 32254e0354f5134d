package cluster

import (
	"encoding/binary"
	"fmt"
	"sort"
	"sync"
	"time"

	"github.com/hashicorp/raft"

	"github.com/stepd/stepd/fastpath"
)

// The durable state of STANDARD executions is a second part of the FSM,
// beside the control plane's immutable State: executions change at every
// transition, so copying a State for each change would cost far too
// much. Executions is mutable, guarded by a lock, and append-only where
// readers look without it (an execution's records).
//
// An execution is its start (definition, input, start date) and the
// records its runs made through fastpath.Recorder, in the order they were
// committed: replaying them through the engine rebuilds where it stands,
// and its history events are among them. Commands carry everything, so
// Apply is deterministic.

// The command types of executions, far from the control plane's so that
// both lists grow without meeting. Part of the log format: never
// renumber or reuse one.
const (
	cmdStartExecution cmdType = 100 + iota
	cmdAppendRecords
	cmdEndExecution
	cmdStopExecution
	cmdPruneExecutions
	cmdRedriveExecution
)

// execCommands makes an empty command of each execution type for
// decoding, indexed from cmdStartExecution.
var execCommands = [...]func() Command{
	func() Command { return new(StartExecution) },
	func() Command { return new(AppendRecords) },
	func() Command { return new(EndExecution) },
	func() Command { return new(StopExecution) },
	func() Command { return new(PruneExecutions) },
	func() Command { return new(RedriveExecution) },
}

// newExecCommand returns an empty command of execution (or callback)
// type t, or nil.
func newExecCommand(t byte) Command {
	if c := fromTable(execCommands[:], cmdStartExecution, t); c != nil {
		return c
	}
	return fromTable(callbackCommands[:], cmdAnswerTask, t)
}

// fromTable returns an empty command of type t from a table of the
// commands numbered from first, or nil.
func fromTable(table []func() Command, first cmdType, t byte) Command {
	if i := int(t) - int(first); i >= 0 && i < len(table) {
		return table[i]()
	}
	return nil
}

// execCommand is a command on Executions rather than on State.
type execCommand interface {
	Command
	applyExec(x *Executions) Result
}

// notState is the State side of an execution command, which Apply never
// calls: applyData sends execution commands to Executions.
func notState() Result {
	return errorf("InternalFailure", "an execution command applied to the control plane")
}

// Record is one value an execution's run recorded (fastpath.RecordKey
// and RecordKind, and the value), in the epoch of its run: 0 before any
// redrive, n after the n-th.
type Record struct {
	Scope string `json:"s,omitempty"`
	Seq   int    `json:"q"`
	Kind  uint8  `json:"k"`
	Val   []byte `json:"v,omitempty"`
	Epoch int    `json:"e,omitempty"`
}

// Redrive is one RedriveExecution of an execution: it starts a new epoch
// of its records. The runs of the new epoch replay the records of the
// earlier ones except, in each scope named in Cuts, those from the seq
// given on: the states that failed or did not finish (and the
// iterations and branches of theirs that did not succeed), which run
// again live.
type Redrive struct {
	Date time.Time `json:"date"`
	// Token is the request's clientToken: the same token again within
	// 15 minutes answers this redrive instead of redriving once more.
	Token string         `json:"token,omitempty"`
	Cuts  map[string]int `json:"cuts,omitempty"`
}

// Execution is the durable state of one STANDARD execution. Values
// returned by Executions are copies, except Records, whose elements are
// never changed once committed.
type Execution struct {
	Arn         string    `json:"arn"`
	MachineArn  string    `json:"machineArn"` // as started: the machine, a version or an alias
	MachineName string    `json:"machineName"`
	Name        string    `json:"name"`
	RoleArn     string    `json:"roleArn,omitempty"`
	Definition  string    `json:"definition"` // the revision it runs, whatever the machine becomes
	Input       string    `json:"input"`
	Start       time.Time `json:"start"`
	// TestCase is the mock test case it runs with (Step Functions
	// Local's stateMachineArn#TestCase), "" for none.
	TestCase string `json:"testCase,omitempty"`
	// ParentToken is the token of the `.sync` Task of the execution that
	// started this one and waits for its end (callbacks.go), "" for none.
	ParentToken string `json:"parentToken,omitempty"`
	// Status is RUNNING, SUCCEEDED, FAILED, TIMED_OUT or ABORTED.
	Status string    `json:"status"`
	Stop   time.Time `json:"stop"`
	Output *string   `json:"output,omitempty"`
	Error  *string   `json:"error,omitempty"`
	Cause  *string   `json:"cause,omitempty"`
	// Records are what its runs recorded, in commit order. Once it has
	// SUCCEEDED they are in Packed instead (see shrink): read them with
	// EachRecord or EachEvent.
	Records []Record `json:"records,omitempty"`
	Packed  []byte   `json:"packed,omitempty"`
	// Redrives are its redrives, oldest first; their count is its
	// epoch.
	Redrives []Redrive `json:"redrives,omitempty"`
}

// Epoch is the epoch of the execution's current run: its redrive count.
func (e *Execution) Epoch() int { return len(e.Redrives) }

// RedriveDate is when it was last redriven (zero: never).
func (e *Execution) RedriveDate() time.Time {
	if len(e.Redrives) == 0 {
		return time.Time{}
	}
	return e.Redrives[len(e.Redrives)-1].Date
}

// Replayed reports whether the runs of the current epoch replay r, one
// of its records: a record of an earlier epoch is not replayed once a
// later redrive cut its scope at or before it.
func (e *Execution) Replayed(r *Record) bool {
	for _, rd := range e.Redrives[min(r.Epoch, len(e.Redrives)):] {
		if cut, ok := rd.Cuts[r.Scope]; ok && r.Seq >= cut {
			return false
		}
	}
	return true
}

// ExecutionChange tells a watcher what a committed command did to an
// execution: Started (a new one, or one redriven), Stopped
// (StopExecution made it ABORTED) or Ended.
type ExecutionChange struct {
	Arn                     string
	Started, Stopped, Ended bool
	// Answered: a task of the execution has its answer; Claimed: a
	// worker took one of its activity tasks (callbacks.go).
	Answered, Claimed bool
}

// Executions holds the executions the log committed. Its methods are
// safe for concurrent use.
type Executions struct {
	mu    sync.RWMutex
	byArn map[string]*Execution
	// strs interns the strings executions share (definitions, machine
	// ARNs and names, roles): thousands of executions of one machine
	// hold one copy. Rebuilt at prune, so it holds only what is used.
	strs   map[string]string
	cb     callbacks
	watch  func(ExecutionChange)
	watchM sync.Mutex
}

func newExecutions() *Executions {
	return &Executions{byArn: map[string]*Execution{}, strs: map[string]string{}, cb: callbacks{byToken: map[string]*PendingTask{}, byArn: map[string][]*PendingTask{},
		byActivity: map[string][]*PendingTask{}, changed: make(chan struct{})}}
}

// Watch sets the function that sees each change, on Raft's apply
// goroutine, in commit order; it must be quick and must not call back
// into the Node.
func (x *Executions) Watch(fn func(ExecutionChange)) {
	x.watchM.Lock()
	x.watch = fn
	x.watchM.Unlock()
}

func (x *Executions) notify(c ExecutionChange) {
	x.watchM.Lock()
	fn := x.watch
	x.watchM.Unlock()
	if fn != nil {
		fn(c)
	}
}

// Get returns a copy of the execution, or false.
func (x *Executions) Get(arn string) (Execution, bool) {
	x.mu.RLock()
	defer x.mu.RUnlock()
	e := x.byArn[arn]
	if e == nil {
		return Execution{}, false
	}
	return *e, true
}

// List returns the executions accepted by keep (which sees them without
// their records, under the lock: it must be quick), newest first.
func (x *Executions) List(keep func(*Execution) bool) []Execution {
	x.mu.RLock()
	var out []Execution
	for _, e := range x.byArn {
		if keep(e) {
			c := *e
			c.Records = nil
			out = append(out, c)
		}
	}
	x.mu.RUnlock()
	sort.Slice(out, func(i, j int) bool {
		if !out[i].Start.Equal(out[j].Start) {
			return out[i].Start.After(out[j].Start)
		}
		return out[i].Arn > out[j].Arn
	})
	return out
}

// Len is how many executions are held, RUNNING or ended.
func (x *Executions) Len() int {
	x.mu.RLock()
	defer x.mu.RUnlock()
	return len(x.byArn)
}

// Running returns the ARNs of the RUNNING executions.
func (x *Executions) Running() []string {
	x.mu.RLock()
	defer x.mu.RUnlock()
	var out []string
	for arn, e := range x.byArn {
		if e.Status == "RUNNING" {
			out = append(out, arn)
		}
	}
	sort.Strings(out)
	return out
}

// image copies every execution for a snapshot: the structs (their status
// changes in place) and the record slices as they are now.
func (x *Executions) image() []Execution {
	x.mu.RLock()
	defer x.mu.RUnlock()
	out := make([]Execution, 0, len(x.byArn))
	for _, e := range x.byArn {
		out = append(out, *e)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Arn < out[j].Arn })
	return out
}

// restore replaces every execution with those of a snapshot.
func (x *Executions) restore(im []Execution) {
	m := make(map[string]*Execution, len(im))
	for i := range im {
		m[im[i].Arn] = &im[i]
	}
	x.mu.Lock()
	x.byArn = m
	x.strs = map[string]string{}
	for _, e := range m {
		x.share(e)
		e.shrink()
	}
	x.rebuildCallbacks()
	x.mu.Unlock()
}

// share makes e use the interned copy of the strings executions share;
// x.mu must be held.
func (x *Executions) share(e *Execution) {
	for _, s := range []*string{&e.Definition, &e.MachineArn, &e.MachineName, &e.RoleArn} {
		if v, ok := x.strs[*s]; ok {
			*s = v
		} else {
			x.strs[*s] = *s
		}
	}
}

// shrink drops what only a run of e needs once it has SUCCEEDED (no run
// and no redrive follows): its clock readings, random numbers, task
// outcomes, ended waits, tokens, waits and claims. The rest — its history
// events, Map Run updates, and any kind it does not know — it packs into
// Packed: one allocation instead of a Record and a value each. Readers
// may hold the old Records slice, which is left as it was.
func (e *Execution) shrink() {
	if e.Status != "SUCCEEDED" || len(e.Records) == 0 {
		return
	}
	packed := append([]byte(nil), e.Packed...)
	for i := range e.Records {
		r := &e.Records[i]
		switch fastpath.RecordKind(r.Kind) {
		case fastpath.RecordTime, fastpath.RecordRandom, fastpath.RecordTask, fastpath.RecordWake,
			fastpath.RecordToken, fastpath.RecordAwait, fastpath.RecordClaim:
			continue
		}
		packed = binary.AppendUvarint(packed, uint64(len(r.Scope)))
		packed = append(packed, r.Scope...)
		packed = binary.AppendUvarint(packed, uint64(r.Seq))
		packed = append(packed, r.Kind)
		packed = binary.AppendUvarint(packed, uint64(r.Epoch))
		packed = binary.AppendUvarint(packed, uint64(len(r.Val)))
		packed = append(packed, r.Val...)
	}
	e.Packed, e.Records = nil, nil
	if len(packed) > 0 {
		e.Packed = packed[:len(packed):len(packed)]
	}
}

// EachRecord calls fn with each record of e in the order they were
// committed, those in Records and then those in Packed, until fn returns
// an error. r.Val is valid only during the call; fn must not keep r.
func (e *Execution) EachRecord(fn func(r *Record) error) error {
	for i := range e.Records {
		if err := fn(&e.Records[i]); err != nil {
			return err
		}
	}
	var r Record
	for rest := e.Packed; len(rest) > 0; {
		var ok bool
		if r, rest, ok = unpackRecord(rest); !ok {
			return fmt.Errorf("the packed records of %s are damaged", e.Arn)
		}
		if err := fn(&r); err != nil {
			return err
		}
	}
	return nil
}

// unpackRecord decodes the first record of b (see shrink), its value
// pointing into b.
func unpackRecord(b []byte) (r Record, rest []byte, ok bool) {
	n, w := binary.Uvarint(b)
	if w <= 0 || uint64(len(b)-w) < n {
		return r, nil, false
	}
	r.Scope, b = string(b[w:w+int(n)]), b[w+int(n):]
	seq, w := binary.Uvarint(b)
	if w <= 0 || len(b) == w {
		return r, nil, false
	}
	r.Seq, r.Kind, b = int(seq), b[w], b[w+1:]
	epoch, w := binary.Uvarint(b)
	if w <= 0 {
		return r, nil, false
	}
	r.Epoch, b = int(epoch), b[w:]
	if n, w = binary.Uvarint(b); w <= 0 || uint64(len(b)-w) < n {
		return r, nil, false
	}
	r.Val, rest = b[w:w+int(n):w+int(n)], b[w+int(n):] // capped: a reader that appends to it must not write over the next record
	return r, rest, true
}

// EachEvent calls fn with each history event of e in the order they were
// committed (fastpath.RecordEvent values), until fn returns an error.
func (e *Execution) EachEvent(fn func(val []byte) error) error {
	return e.EachRecord(func(r *Record) error {
		if fastpath.RecordKind(r.Kind) != fastpath.RecordEvent {
			return nil
		}
		return fn(r.Val)
	})
}

// StartExecution records a new execution. Starting one that exists is
// idempotent when the input (and machine) are the same, as AWS's
// StartExecution is: the Result then has Created false and the existing
// start date; otherwise ExecutionAlreadyExists.
type StartExecution struct {
	Execution *Execution `json:"execution"`
}

func (*StartExecution) kind() cmdType       { return cmdStartExecution }
func (*StartExecution) apply(*State) Result { return notState() }

func (c *StartExecution) applyExec(x *Executions) Result {
	if c.Execution == nil || c.Execution.Arn == "" {
		return errMissing("execution")
	}
	x.mu.Lock()
	if old := x.byArn[c.Execution.Arn]; old != nil {
		if old.Input != c.Execution.Input || old.MachineArn != c.Execution.MachineArn {
			x.mu.Unlock()
			return errorf("ExecutionAlreadyExists", "Execution Already Exists: '%s'", old.Arn)
		}
		parent := x.adoptChild(old, c.Execution.ParentToken)
		x.mu.Unlock()
		if parent != "" {
			x.notify(ExecutionChange{Arn: parent, Answered: true})
		}
		return Result{Arn: old.Arn, Date: old.Start}
	}
	e := *c.Execution
	e.Status, e.Stop, e.Output, e.Error, e.Cause = "RUNNING", time.Time{}, nil, nil, nil
	x.share(&e)
	x.byArn[e.Arn] = &e
	x.linkChild(&e)
	x.mu.Unlock()
	x.notify(ExecutionChange{Arn: e.Arn, Started: true})
	return Result{Arn: e.Arn, Date: e.Start, Created: true}
}

// AppendRecords adds what a run of a RUNNING execution recorded since its
// last checkpoint. An execution that is no longer RUNNING (stopped
// meanwhile) refuses them with ExecutionNotRunning.
type AppendRecords struct {
	Arn     string   `json:"arn"`
	Records []Record `json:"records"`
}

func (*AppendRecords) kind() cmdType       { return cmdAppendRecords }
func (*AppendRecords) apply(*State) Result { return notState() }

// errNotRunning refuses records for an execution that has ended.
func errNotRunning(arn string) Result {
	return errorf("ExecutionNotRunning", "Execution is not running: '%s'", arn)
}

func (c *AppendRecords) applyExec(x *Executions) Result {
	x.mu.Lock()
	defer x.mu.Unlock()
	e := x.byArn[c.Arn]
	if e == nil || e.Status != "RUNNING" || len(c.Records) > 0 && c.Records[0].Epoch != e.Epoch() {
		return errNotRunning(c.Arn) // ended, or a run from before a redrive
	}
	e.Records = append(e.Records, c.Records...)
	x.indexRecords(c.Arn, c.Records)
	return Result{Arn: c.Arn}
}

// EndExecution records how a RUNNING execution ended, with the last
// records of its run.
type EndExecution struct {
	Arn     string    `json:"arn"`
	Status  string    `json:"status"`
	Stop    time.Time `json:"stop"`
	Output  *string   `json:"output,omitempty"`
	Error   *string   `json:"error,omitempty"`
	Cause   *string   `json:"cause,omitempty"`
	Records []Record  `json:"records,omitempty"`
	// Epoch is the epoch of the run that ended: one from before a
	// redrive ends nothing.
	Epoch int `json:"epoch,omitempty"`
}

func (*EndExecution) kind() cmdType       { return cmdEndExecution }
func (*EndExecution) apply(*State) Result { return notState() }

func (c *EndExecution) applyExec(x *Executions) Result {
	x.mu.Lock()
	e := x.byArn[c.Arn]
	if e == nil || e.Status != "RUNNING" || c.Epoch != e.Epoch() {
		x.mu.Unlock()
		return errNotRunning(c.Arn)
	}
	e.Records = append(e.Records, c.Records...)
	e.Status, e.Stop, e.Output, e.Error, e.Cause = c.Status, c.Stop, c.Output, c.Error, c.Cause
	parent := x.answerParent(e)
	e.shrink()
	x.mu.Unlock()
	x.notify(ExecutionChange{Arn: c.Arn, Ended: true})
	if parent != "" {
		x.notify(ExecutionChange{Arn: parent, Answered: true})
	}
	return Result{Arn: c.Arn, Date: c.Stop}
}

// StopExecution makes a RUNNING execution ABORTED, with the record of its
// ExecutionAborted event. Stopping one that has ended changes nothing and
// answers its stop date. The STANDARD children its `.sync` Tasks wait for
// stop with it, in the same command, each with ChildRecord (an
// ExecutionAborted event without error and cause) when it is set.
type StopExecution struct {
	Arn         string    `json:"arn"`
	Stop        time.Time `json:"stop"`
	Error       *string   `json:"error,omitempty"`
	Cause       *string   `json:"cause,omitempty"`
	Record      *Record   `json:"record,omitempty"`
	ChildRecord *Record   `json:"childRecord,omitempty"`
}

func (*StopExecution) kind() cmdType       { return cmdStopExecution }
func (*StopExecution) apply(*State) Result { return notState() }

func (c *StopExecution) applyExec(x *Executions) Result {
	x.mu.Lock()
	e := x.byArn[c.Arn]
	if e == nil {
		x.mu.Unlock()
		return errorf("ExecutionDoesNotExist", "Execution Does Not Exist: '%s'", c.Arn)
	}
	if e.Status != "RUNNING" {
		x.mu.Unlock()
		return Result{Arn: c.Arn, Date: e.Stop}
	}
	var children []string
	if c.ChildRecord != nil {
		children = x.syncChildren(c.Arn)
	}
	if c.Record != nil {
		e.Records = append(e.Records, *c.Record)
	}
	e.Status, e.Stop, e.Error, e.Cause = "ABORTED", c.Stop, c.Error, c.Cause
	parent := x.answerParent(e)
	stopped := children[:0]
	for _, arn := range children {
		if child := x.byArn[arn]; child != nil && child.Status == "RUNNING" {
			rec := *c.ChildRecord
			rec.Epoch = child.Epoch()
			child.Records = append(child.Records, rec)
			child.Status, child.Stop = "ABORTED", c.Stop
			stopped = append(stopped, arn)
		}
	}
	x.mu.Unlock()
	x.notify(ExecutionChange{Arn: c.Arn, Stopped: true})
	for _, arn := range stopped {
		x.notify(ExecutionChange{Arn: arn, Stopped: true})
	}
	if parent != "" {
		x.notify(ExecutionChange{Arn: parent, Answered: true})
	}
	return Result{Arn: c.Arn, Date: c.Stop}
}

// PruneExecutions forgets the executions that ended before Before (the
// retention period is over): their names become free again.
type PruneExecutions struct {
	Before time.Time `json:"before"`
}

func (*PruneExecutions) kind() cmdType       { return cmdPruneExecutions }
func (*PruneExecutions) apply(*State) Result { return notState() }

func (c *PruneExecutions) applyExec(x *Executions) Result {
	x.mu.Lock()
	defer x.mu.Unlock()
	for arn, e := range x.byArn {
		if e.Status != "RUNNING" && e.Stop.Before(c.Before) {
			delete(x.byArn, arn)
		}
	}
	x.strs = map[string]string{}
	for _, e := range x.byArn {
		x.share(e)
	}
	x.forgetPruned()
	return Result{}
}

// RedriveExecution resumes an execution that ended FAILED, TIMED_OUT or
// ABORTED: RUNNING again, in a new epoch of its records (Redrive), with
// the records of its ExecutionRedriven (and MapRunRedriven) events. Epoch is the epoch it
// starts, so that of two redrives decided at once only the first
// applies. The same Token again within 15 minutes answers the redrive it
// made (Result.Date its date); an execution redriven meanwhile, or
// RUNNING, is ExecutionNotRedrivable. The proposer checks what it can
// see alone (the machine, the event limit); Apply what depends on the
// log's order.
type RedriveExecution struct {
	Arn     string   `json:"arn"`
	Epoch   int      `json:"epoch"`
	Redrive Redrive  `json:"redrive"`
	Records []Record `json:"records,omitempty"`
}

func (*RedriveExecution) kind() cmdType       { return cmdRedriveExecution }
func (*RedriveExecution) apply(*State) Result { return notState() }

// RedriveTokenTTL is how long a clientToken answers the redrive it made,
// and RedrivePeriod how long after its end an execution can be redriven.
const (
	RedriveTokenTTL = 15 * time.Minute
	RedrivePeriod   = 14 * 24 * time.Hour
)

// NotRedrivable is AWS's reason why e cannot be redriven at now (its
// redriveStatusReason, and the message of ExecutionNotRedrivable), or ""
// when it can, as far as its own state tells.
func (e *Execution) NotRedrivable(now time.Time) string {
	switch {
	case e.Status == "RUNNING" || e.Status == "SUCCEEDED":
		return "Execution is " + e.Status + " and cannot be redriven"
	case now.Sub(e.Start) > 365*24*time.Hour:
		return "Execution has exceeded the max execution time"
	case now.Sub(e.Stop) > RedrivePeriod:
		return "Execution redrivable period exceeded"
	}
	return ""
}

// RedrivenBy is the redrive of e that token made within its time to
// live at now, if any: the same request again answers it.
func (e *Execution) RedrivenBy(token string, now time.Time) *Redrive {
	if token == "" {
		return nil
	}
	for i := range e.Redrives {
		if rd := &e.Redrives[i]; rd.Token == token && now.Sub(rd.Date) <= RedriveTokenTTL {
			return rd
		}
	}
	return nil
}

func (c *RedriveExecution) applyExec(x *Executions) Result {
	x.mu.Lock()
	e := x.byArn[c.Arn]
	if e == nil {
		x.mu.Unlock()
		return errorf("ExecutionDoesNotExist", "Execution Does Not Exist: '%s'", c.Arn)
	}
	if rd := e.RedrivenBy(c.Redrive.Token, c.Redrive.Date); rd != nil {
		x.mu.Unlock()
		return Result{Arn: c.Arn, Date: rd.Date}
	}
	reason := e.NotRedrivable(c.Redrive.Date)
	if reason == "" && c.Epoch != e.Epoch()+1 {
		reason = "Execution is RUNNING and cannot be redriven" // redriven meanwhile
	}
	if reason != "" {
		x.mu.Unlock()
		return errorf("ExecutionNotRedrivable", "%s", reason)
	}
	e.Redrives = append(e.Redrives[:len(e.Redrives):len(e.Redrives)], c.Redrive)
	e.Records = append(e.Records, c.Records...)
	e.Status, e.Stop, e.Output, e.Error, e.Cause = "RUNNING", time.Time{}, nil, nil, nil
	for _, p := range x.cb.byArn[c.Arn] {
		p.Done = true // the tokens of the ended run are used up
	}
	x.mu.Unlock()
	x.notify(ExecutionChange{Arn: c.Arn, Started: true})
	return Result{Arn: c.Arn, Date: c.Redrive.Date}
}

// Executions is the durable state of this node's STANDARD executions, as
// far as it has applied the log.
func (n *Node) Executions() *Executions { return n.fsm.execs }

// IsLeader reports whether this node is the Raft leader: the node that
// runs the STANDARD executions.
func (n *Node) IsLeader() bool { return n.raft.State() == raft.Leader }

// Barrier returns once this node, the leader, has applied every entry
// committed before the call: a new leader waits for it before it resumes
// the RUNNING executions, so it sees each as the log left it.
func (n *Node) Barrier(timeout time.Duration) error { return n.raft.Barrier(timeout).Error() }

// ProposeLocal commits c through this node's Raft, which must be the
// leader, without forwarding: the path of the records of the executions
// the leader runs. Many concurrent calls share each append to the log
// and its fsync (raft batches them). It returns ErrNotLeader's error when
// this node is not the leader.
func (n *Node) ProposeLocal(c Command) (Result, error) { return n.proposeEncoded(c) }
