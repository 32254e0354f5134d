package durable

import (
	"sort"
	"strconv"
	"strings"

	"github.com/stepd/stepd/cluster"
	"github.com/stepd/stepd/daemon/history"
	"github.com/stepd/stepd/fastpath"
	"github.com/stepd/stepd/internal/awserr"
)

// A redrive is a new epoch of an execution's records (cluster.Redrive):
// its runs replay what the earlier ones recorded, but for the records of
// the states that did not finish, which they run again live. Which those
// are follows from the scopes of the records (fastpath.RecordKey): in the
// outermost scope, the state that was entered and never exited (or,
// between states, the execution's failure); within it, of the branches
// and iterations it started, those that did not finish either, each cut
// at its own unfinished state, and the answers to its callback tokens.
// Succeeded iterations and branches, and everything before the
// unfinished state, replay: they do not run again, and a Task's Retry
// counts from zero since its attempts are among the records cut.

// redriveScope is the key scope of the ExecutionRedriven events: no run
// of the engine uses it.
const redriveScope = "redrive/"

// MaxHistoryEvents is AWS's limit of events in one execution's history;
// a redrive needs room for its ExecutionRedriven event and one more.
const MaxHistoryEvents = 25000

// NotRedrivable is AWS's reason why e cannot be redriven now (its
// redriveStatusReason and the message of ExecutionNotRedrivable), or ""
// when it can; the caller checks that its machine still exists.
func (rn *Runner) NotRedrivable(e *cluster.Execution) string {
	if reason := e.NotRedrivable(rn.now()); reason != "" {
		return reason
	}
	events := 0
	for i := range e.Records {
		if fastpath.RecordKind(e.Records[i].Kind) == fastpath.RecordEvent {
			events++
		}
	}
	if events >= MaxHistoryEvents-1 {
		return "Execution history event limit exceeded"
	}
	return ""
}

// RedriveCommand is the command that redrives the execution arn with
// the request's clientToken (see cluster.RedriveExecution), or the error
// AWS answers: ExecutionDoesNotExist, ExecutionNotRedrivable. A token
// that redrove it already makes a command Apply answers with that
// redrive.
func (rn *Runner) RedriveCommand(arn, token string) (*cluster.RedriveExecution, *awserr.Error) {
	e, ok := rn.store.Executions().Get(arn)
	if !ok {
		return nil, awserr.New("ExecutionDoesNotExist", "Execution Does Not Exist: '%s'", arn)
	}
	now := rn.now()
	c := &cluster.RedriveExecution{Arn: arn, Epoch: e.Epoch() + 1, Redrive: cluster.Redrive{Date: now, Token: token}}
	if e.RedrivenBy(token, now) != nil {
		return c, nil
	}
	if reason := rn.NotRedrivable(&e); reason != "" {
		return nil, awserr.New("ExecutionNotRedrivable", "%s", reason)
	}
	cuts, err := cutsOf(&e)
	if err != nil {
		return nil, awserr.New("InternalFailure", "cannot redrive %s: %v", arn, err)
	}
	c.Redrive.Cuts = cuts
	ev := fastpath.Event{Type: fastpath.EventExecutionRedriven, Index: c.Epoch}
	c.Record = &cluster.Record{Scope: redriveScope, Seq: e.Epoch(), Kind: uint8(fastpath.RecordEvent),
		Val: history.AppendEvent(nil, &ev, now.UnixMilli()), Epoch: c.Epoch}
	return c, nil
}

// scopeEnd is how a scope's replayed records end, as a redrive sees it.
type scopeEnd struct {
	events []scopeEvent
}

type scopeEvent struct {
	seq int
	typ fastpath.EventType
}

// restart is where a scope that did not finish runs again: its last
// state entered and not exited or, without one, its failure (the
// execution's, or its iteration's); ok is false when the scope finished.
func (s *scopeEnd) restart() (seq int, ok bool) {
	sort.Slice(s.events, func(i, j int) bool { return s.events[i].seq < s.events[j].seq })
	open, failed := -1, -1
	for _, ev := range s.events {
		switch t := ev.typ; {
		case t >= fastpath.EventPassStateEntered && t <= fastpath.EventMapStateEntered:
			open = ev.seq
		case t >= fastpath.EventPassStateExited && t <= fastpath.EventMapStateExited:
			open = -1
		case failed < 0 && (t == fastpath.EventExecutionFailed || t == fastpath.EventExecutionTimedOut || t == fastpath.EventMapIterationFailed):
			failed = ev.seq
		}
	}
	if open >= 0 {
		return open, true
	}
	return failed, failed >= 0
}

// childScope parses a scope a state opened in its parent's: a branch or
// iteration ("seq.index/") or the answers to a callback token
// ("cbseq/"); ok is false for the root and for the scopes no run uses.
func childScope(scope string) (parent string, seq int, answers, ok bool) {
	t, found := strings.CutSuffix(scope, "/")
	if !found {
		return "", 0, false, false
	}
	i := strings.LastIndexByte(t, '/')
	parent, seg := t[:i+1], t[i+1:]
	if rest, cb := strings.CutPrefix(seg, "cb"); cb {
		seq, err := strconv.Atoi(rest)
		return parent, seq, true, err == nil
	}
	n, _, found := strings.Cut(seg, ".")
	seq, err := strconv.Atoi(n)
	return parent, seq, false, found && err == nil
}

// cutsOf is where each scope of e's replayed records runs again after a
// redrive (cluster.Redrive.Cuts).
func cutsOf(e *cluster.Execution) (map[string]int, error) {
	scopes := map[string]*scopeEnd{"": {}}
	for i := range e.Records {
		r := &e.Records[i]
		if !e.Replayed(r) {
			continue
		}
		s := scopes[r.Scope]
		if s == nil {
			s = &scopeEnd{}
			scopes[r.Scope] = s
		}
		if fastpath.RecordKind(r.Kind) != fastpath.RecordEvent {
			continue
		}
		var ev history.Event
		if _, _, err := history.DecodeEvent(r.Val, &ev); err != nil {
			return nil, err
		}
		s.events = append(s.events, scopeEvent{r.Seq, ev.Type})
	}
	names := make([]string, 0, len(scopes))
	for name := range scopes {
		names = append(names, name)
	}
	sort.Slice(names, func(i, j int) bool { return len(names[i]) < len(names[j]) }) // parents first
	cuts := map[string]int{}
	rerun := map[string]int{} // the scopes that run again, from where
	for _, name := range names {
		if name == "" {
			if seq, ok := scopes[name].restart(); ok {
				cuts[name], rerun[name] = seq, seq
			} else {
				rerun[name] = int(^uint(0) >> 1) // aborted between states: nothing to run again
			}
			continue
		}
		parent, seq, answers, ok := childScope(name)
		from, again := rerun[parent]
		if !ok || !again || seq < from {
			continue // not opened by a state that runs again: it replays whole
		}
		if answers {
			cuts[name] = 0 // the token is minted anew
			continue
		}
		if at, unfinished := scopes[name].restart(); unfinished {
			cuts[name], rerun[name] = at, at
		}
	}
	return cuts, nil
}
