package cluster

import (
	"sort"
	"time"

	"github.com/stepd/stepd/fastpath"
)

// Callback Tasks in the durable state: a run that waits for the answer to
// a task token records the wait (fastpath.RecordAwait); AppendRecords
// keeps it here as a pending task, by token. The answer is a command
// (AnswerTask) that adds the outcome at the token's fastpath.AnswerKey,
// so that the execution's replay finds it; a token is answered once, and
// everything that decides whether an answer, a heartbeat or a claim is
// accepted happens in Apply, on every node alike.

// The command types of callbacks, after those of executions. Part of the
// log format: never renumber or reuse one.
const (
	cmdAnswerTask cmdType = 120 + iota
	cmdHeartbeatTask
	cmdClaimActivityTask
)

// callbackCommands makes an empty command of each callback type for
// decoding, indexed from cmdAnswerTask.
var callbackCommands = [...]func() Command{
	func() Command { return new(AnswerTask) },
	func() Command { return new(HeartbeatTask) },
	func() Command { return new(ClaimActivityTask) },
}

// PendingTask is a callback Task waiting for its answer, as the durable
// state knows it. Values returned by Executions are copies.
type PendingTask struct {
	Arn string // the execution's
	fastpath.Await
	// LastBeat is when the last SendTaskHeartbeat came (zero: none).
	LastBeat time.Time
	// Worker is the name of the worker that took an activity task;
	// Claimed says one did.
	Worker  string
	Claimed bool
	// Done is set once the answer (or the timeout) is recorded: the token
	// is then used up.
	Done bool
	// Child is the STANDARD execution a `.sync` Task started, whose end
	// answers the task (its ParentToken is the token).
	Child string
	// order is the commit order of the waits, for handing out activity
	// tasks oldest first.
	order uint64
	// epoch is the epoch of the run that waits.
	epoch int
}

// Due is when the task times out, if ever.
func (p *PendingTask) Due() (time.Time, bool) { return p.Await.Due(p.LastBeat) }

// callbacks is the index of the pending tasks of Executions, guarded by
// its lock.
type callbacks struct {
	byToken map[string]*PendingTask
	// byArn and byActivity list the same tasks by execution and by
	// activity (oldest first), so that a resume and a poll look only at
	// their own.
	byArn      map[string][]*PendingTask
	byActivity map[string][]*PendingTask
	next       uint64
	// changed is closed and replaced when an activity task is added, so
	// long polls wake up.
	changed chan struct{}
}

// indexRecords adds the waits and answers among recs (of the execution
// arn) to the index. Called with x.mu held.
func (x *Executions) indexRecords(arn string, recs []Record) {
	for i := range recs {
		r := &recs[i]
		switch fastpath.RecordKind(r.Kind) {
		case fastpath.RecordAwait:
			a, ok := fastpath.ParseAwait(r.Val)
			if !ok || x.cb.byToken[a.Token] != nil {
				continue
			}
			x.cb.next++
			p := &PendingTask{Arn: arn, Await: a, order: x.cb.next, epoch: r.Epoch}
			x.cb.byToken[a.Token] = p
			x.cb.byArn[arn] = append(x.cb.byArn[arn], p)
			if a.Activity != "" {
				x.cb.byActivity[a.Activity] = append(x.cb.byActivity[a.Activity], p)
				close(x.cb.changed)
				x.cb.changed = make(chan struct{})
			}
		}
	}
}

// rebuildCallbacks indexes every execution's waits again (after a
// snapshot is restored): a wait whose answer is among the records is
// done; one claimed by a worker keeps that.
func (x *Executions) rebuildCallbacks() {
	x.cb.byToken, x.cb.byArn, x.cb.byActivity = map[string]*PendingTask{}, map[string][]*PendingTask{}, map[string][]*PendingTask{}
	arns := make([]string, 0, len(x.byArn))
	for arn := range x.byArn {
		arns = append(arns, arn)
	}
	sort.Strings(arns)
	for _, arn := range arns {
		e := x.byArn[arn]
		x.indexRecords(arn, e.Records)
		keys := map[fastpath.RecordKey]*Record{}
		for i := range e.Records {
			if r := &e.Records[i]; e.Replayed(r) {
				keys[fastpath.RecordKey{Scope: r.Scope, Seq: r.Seq}] = r
			}
		}
		for _, p := range x.cb.byArn[arn] {
			// A wait of an epoch before a redrive ended with its run.
			p.Done = e.Status != "RUNNING" || p.epoch < e.Epoch() || keys[fastpath.AnswerKey(p.Key, p.Callback)] != nil
			if c := keys[fastpath.AnswerKey(p.Key, fastpath.CallbackNone)]; p.Callback == fastpath.CallbackActivity && c != nil {
				p.Claimed, p.Worker = true, string(c.Val)
			}
		}
	}
	for _, arn := range arns {
		x.linkChild(x.byArn[arn])
	}
}

// linkChild notes e as the child of the `.sync` Task that started it.
// Called with x.mu held.
func (x *Executions) linkChild(e *Execution) {
	if p := x.cb.byToken[e.ParentToken]; e.ParentToken != "" && p != nil {
		p.Child = e.Arn
	}
}

// syncChildren returns the STANDARD children that the `.sync` Tasks of
// the execution arn wait for. Called with x.mu held.
func (x *Executions) syncChildren(arn string) []string {
	var out []string
	for _, p := range x.cb.byArn[arn] {
		if p.Child != "" && x.waiting(p) {
			out = append(out, p.Child)
		}
	}
	return out
}

// adoptChild makes e, which a `.sync` Task with the token parent started
// again with the same name and input (its replay after a restart, or a
// name that a RUNNING execution without a parent has), the child of that
// Task; when e has ended already, its end answers the Task at once, and
// adoptChild returns the waiting execution's ARN. Called with x.mu held.
func (x *Executions) adoptChild(e *Execution, parent string) string {
	if parent == "" || e.ParentToken == parent {
		return ""
	}
	if e.Status != "RUNNING" {
		return x.answerWaiting(parent, e)
	}
	if e.ParentToken == "" {
		e.ParentToken = parent
		x.linkChild(e)
	}
	return ""
}

// answerParent answers the `.sync` Task waiting for e, which has just
// ended, with e's description, and returns the waiting execution's ARN
// ("" when none waits: no parent, or its task was answered first, as a
// SendTaskSuccess with the token does). Called with x.mu held.
func (x *Executions) answerParent(e *Execution) string { return x.answerWaiting(e.ParentToken, e) }

// answerWaiting answers the `.sync` Task with the token tok, if it still
// waits, with the end of e. Called with x.mu held.
func (x *Executions) answerWaiting(tok string, e *Execution) string {
	p := x.cb.byToken[tok]
	if tok == "" || p == nil || !x.waiting(p) || (p.Callback != fastpath.CallbackSync && p.Callback != fastpath.CallbackSync2) {
		return ""
	}
	c := childExecution(e)
	x.recordAnswer(p, x.byArn[p.Arn], fastpath.AppendChildOutcome(nil, &c, p.Callback == fastpath.CallbackSync2))
	return p.Arn
}

// childExecution describes e, which has just ended, as DescribeExecution
// does at its stop (a `.sync` Task's answer, decided in Apply, reads no
// clock).
func childExecution(e *Execution) fastpath.ChildExecution {
	c := fastpath.ChildExecution{Arn: e.Arn, MachineArn: e.MachineArn, Name: e.Name, Status: e.Status, Start: e.Start,
		Stop: e.Stop, Input: e.Input, Output: e.Output, Error: e.Error, Cause: e.Cause, RedriveStatus: "REDRIVABLE",
		RedriveReason: e.NotRedrivable(e.Stop), RedriveCount: e.Epoch(), RedriveDate: e.RedriveDate()}
	if c.RedriveReason != "" {
		c.RedriveStatus = "NOT_REDRIVABLE"
	}
	return c
}

// recordAnswer adds the answer to p, a task of e, and uses its token up.
// Called with x.mu held.
func (x *Executions) recordAnswer(p *PendingTask, e *Execution, outcome []byte) {
	k := fastpath.AnswerKey(p.Key, p.Callback)
	e.Records = append(e.Records, Record{Scope: k.Scope, Seq: k.Seq, Kind: uint8(fastpath.RecordTask), Val: outcome, Epoch: e.Epoch()})
	p.Done = true
}

// Pending returns the tasks of the execution arn that wait for an answer.
func (x *Executions) Pending(arn string) []PendingTask {
	x.mu.RLock()
	defer x.mu.RUnlock()
	var out []PendingTask
	for _, p := range x.cb.byArn[arn] {
		if x.waiting(p) {
			out = append(out, *p)
		}
	}
	return out
}

// ActivityTasks returns up to n tasks of the activity that no worker has
// taken yet, oldest first, and a channel closed when another is added.
func (x *Executions) ActivityTasks(activity string, n int) ([]PendingTask, <-chan struct{}) {
	x.mu.RLock()
	defer x.mu.RUnlock()
	var out []PendingTask
	for _, p := range x.cb.byActivity[activity] {
		if len(out) == n {
			break
		}
		if !p.Claimed && x.waiting(p) {
			out = append(out, *p)
		}
	}
	return out, x.cb.changed
}

// WaitingTasks returns every task that waits for an answer from outside,
// oldest first: what a person may approve or reject. A `.sync` Task waits
// for its child execution instead, and is left out.
func (x *Executions) WaitingTasks() []PendingTask {
	x.mu.RLock()
	defer x.mu.RUnlock()
	var out []PendingTask
	for _, p := range x.cb.byToken {
		if x.waiting(p) && p.Callback != fastpath.CallbackSync && p.Callback != fastpath.CallbackSync2 {
			out = append(out, *p)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].order < out[j].order })
	return out
}

// waiting reports whether p still waits: not answered, its execution
// RUNNING. Called with x.mu held.
func (x *Executions) waiting(p *PendingTask) bool {
	e := x.byArn[p.Arn]
	return !p.Done && e != nil && e.Status == "RUNNING"
}

// forgetPruned drops the tasks of executions no longer kept. Called with
// x.mu held.
func (x *Executions) forgetPruned() {
	for tok, p := range x.cb.byToken {
		if x.byArn[p.Arn] == nil {
			delete(x.cb.byToken, tok)
			delete(x.cb.byArn, p.Arn)
		}
	}
	for act, list := range x.cb.byActivity {
		x.cb.byActivity[act] = x.keepWaiting(list)
	}
}

// unclaimed drops the claimed or ended tasks at the head of list (the
// oldest), so that a poll does not walk past them again.
func (x *Executions) unclaimed(list []*PendingTask) []*PendingTask {
	i := 0
	for i < len(list) && (list[i].Claimed || !x.waiting(list[i])) {
		list[i] = nil
		i++
	}
	return list[i:]
}

// keepWaiting drops the tasks that no longer wait from list, in place.
// Called with x.mu held for writing.
func (x *Executions) keepWaiting(list []*PendingTask) []*PendingTask {
	kept := list[:0]
	for _, p := range list {
		if x.waiting(p) {
			kept = append(kept, p)
		}
	}
	clear(list[len(kept):])
	return kept
}

// pendingFor finds the task of token for an answer, a heartbeat or a
// claim, or the error AWS answers: TaskDoesNotExist for a token never
// recorded, TaskTimedOut for one used up (answered, timed out, or its
// execution ended). Called with x.mu held.
func (x *Executions) pendingFor(token string) (*PendingTask, *Execution, *Result) {
	p := x.cb.byToken[token]
	if p == nil {
		r := errorf("TaskDoesNotExist", "Task Does Not Exist: 'Provided task does not exist'")
		return nil, nil, &r
	}
	e := x.byArn[p.Arn]
	if !x.waiting(p) {
		r := errorf("TaskTimedOut", "Task Timed Out: 'Provided task does not exist anymore'")
		return nil, nil, &r
	}
	return p, e, nil
}

// AnswerTask records the answer to a task token: Outcome is the
// fastpath.RecordTask value (AppendTaskSuccess, AppendTaskFailure), or
// Child the EXPRESS child execution that a `.sync` Task waited for (a
// STANDARD child's end answers it in the same command, answerParent). A
// timeout the runner decides sets Timeout: it is refused with NotDue
// when a heartbeat has moved the deadline past Now.
type AnswerTask struct {
	Token   string                   `json:"token"`
	Outcome []byte                   `json:"outcome"`
	Child   *fastpath.ChildExecution `json:"child,omitempty"`
	Timeout bool                     `json:"timeout,omitempty"`
	Now     time.Time                `json:"now"`
}

func (*AnswerTask) kind() cmdType       { return cmdAnswerTask }
func (*AnswerTask) apply(*State) Result { return notState() }

func (c *AnswerTask) applyExec(x *Executions) Result {
	x.mu.Lock()
	p, e, r := x.pendingFor(c.Token)
	if r != nil {
		x.mu.Unlock()
		return *r
	}
	if due, ok := p.Due(); c.Timeout && (!ok || c.Now.Before(due)) {
		x.mu.Unlock()
		return errorf("NotDue", "the task of %s is not due yet", p.Arn)
	}
	outcome := c.Outcome
	if c.Child != nil {
		outcome = fastpath.AppendChildOutcome(nil, c.Child, p.Callback == fastpath.CallbackSync2)
	}
	x.recordAnswer(p, e, outcome)
	x.mu.Unlock()
	x.notify(ExecutionChange{Arn: p.Arn, Answered: true})
	return Result{Arn: p.Arn}
}

// HeartbeatTask is SendTaskHeartbeat: the task's heartbeat deadline
// starts again from Now. It records no event.
type HeartbeatTask struct {
	Token string    `json:"token"`
	Now   time.Time `json:"now"`
}

func (*HeartbeatTask) kind() cmdType       { return cmdHeartbeatTask }
func (*HeartbeatTask) apply(*State) Result { return notState() }

func (c *HeartbeatTask) applyExec(x *Executions) Result {
	x.mu.Lock()
	defer x.mu.Unlock()
	p, _, r := x.pendingFor(c.Token)
	if r != nil {
		return *r
	}
	if due, ok := p.Due(); ok && !c.Now.Before(due) {
		return errorf("TaskTimedOut", "Task Timed Out: 'Provided task does not exist anymore'")
	}
	if c.Now.After(p.LastBeat) {
		p.LastBeat = c.Now
	}
	return Result{Arn: p.Arn}
}

// ClaimActivityTask hands an activity task to the worker that asked for
// it (GetActivityTask): the first claim of a task wins, on every node,
// so each task goes to exactly one worker. Its record holds the worker's
// name for the ActivityStarted event.
type ClaimActivityTask struct {
	Token  string `json:"token"`
	Worker string `json:"worker"`
}

func (*ClaimActivityTask) kind() cmdType       { return cmdClaimActivityTask }
func (*ClaimActivityTask) apply(*State) Result { return notState() }

func (c *ClaimActivityTask) applyExec(x *Executions) Result {
	x.mu.Lock()
	p, e, r := x.pendingFor(c.Token)
	if r != nil {
		x.mu.Unlock()
		return *r
	}
	if p.Claimed || p.Activity == "" {
		x.mu.Unlock()
		return errorf("TaskClaimed", "the task was taken by another worker")
	}
	k := fastpath.AnswerKey(p.Key, fastpath.CallbackNone)
	e.Records = append(e.Records, Record{Scope: k.Scope, Seq: k.Seq, Kind: uint8(fastpath.RecordClaim), Val: []byte(c.Worker), Epoch: e.Epoch()})
	p.Claimed, p.Worker = true, c.Worker
	if list := x.cb.byActivity[p.Activity]; len(list) > 0 && list[0] == p {
		x.cb.byActivity[p.Activity] = x.unclaimed(list)
	}
	x.mu.Unlock()
	// The execution records ActivityStarted now, as AWS does when a
	// worker takes the task, not when it answers.
	x.notify(ExecutionChange{Arn: p.Arn, Claimed: true})
	return Result{Arn: p.Arn}
}
