package durable

import (
	"sort"
	"strconv"
	"strings"
	"time"

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
// Succeeded iterations and branches (of the state's first attempt), and
// everything before the unfinished state, replay: they do not run again,
// and the state's Retry counts from zero since its attempts are among
// the records cut.

// redriveScope starts the key scopes of the events of redrives,
// "redrive/<epoch>/": no run of the engine uses them.
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
	children, _ := childScopes(e) // their events are in their own histories
	for i := range e.Records {
		if r := &e.Records[i]; fastpath.RecordKind(r.Kind) == fastpath.RecordEvent && childOf(children, r.Scope) == "" {
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
	cuts, runs, err := cutsOf(&e)
	if err != nil {
		return nil, awserr.New("InternalFailure", "cannot redrive %s: %v", arn, err)
	}
	c.Redrive.Cuts = cuts
	scope := redriveScope + strconv.Itoa(c.Epoch) + "/"
	ev := fastpath.Event{Type: fastpath.EventExecutionRedriven, Index: c.Epoch}
	c.Records = []cluster.Record{{Scope: scope, Kind: uint8(fastpath.RecordEvent), Val: history.AppendEvent(nil, &ev, now.UnixMilli()), Epoch: c.Epoch}}
	arns := make([]string, 0, len(runs))
	for run := range runs {
		arns = append(arns, run)
	}
	sort.Strings(arns)
	for _, run := range arns {
		ev := fastpath.Event{Type: fastpath.EventMapRunRedriven, Resource: run, Index: runs[run]}
		c.Records = append(c.Records, cluster.Record{Scope: scope, Seq: len(c.Records), Kind: uint8(fastpath.RecordEvent),
			Val: history.AppendEvent(nil, &ev, now.UnixMilli()), Epoch: c.Epoch})
	}
	return c, nil
}

// scopeEnd is how a scope's replayed records end, as a redrive sees
// them: their seqs, kinds and, for events, types (and the ARN of a
// MapRunStarted).
type scopeEnd struct {
	recs []scopeRecord
}

type scopeRecord struct {
	seq    int
	kind   fastpath.RecordKind
	typ    fastpath.EventType
	mapRun string
}

// restart is where a scope that did not finish runs again: its last
// state entered and not exited or, without one, its failure (the
// execution's, or its iteration's); ok is false when the scope finished.
// A Distributed Map that had started its Map Run goes on with that run
// (mapRun, its ARN): its records up to its MapRunStarted are kept.
func (s *scopeEnd) restart() (seq int, mapRun string, ok bool) {
	sort.Slice(s.recs, func(i, j int) bool { return s.recs[i].seq < s.recs[j].seq })
	open, failed := -1, -1
	for i, r := range s.recs {
		if r.kind != fastpath.RecordEvent {
			continue
		}
		switch t := r.typ; {
		case t >= fastpath.EventPassStateEntered && t <= fastpath.EventMapStateEntered:
			open = i
		case t >= fastpath.EventPassStateExited && t <= fastpath.EventMapStateExited:
			open = -1
		case failed < 0 && (t == fastpath.EventExecutionFailed || t == fastpath.EventExecutionTimedOut || t == fastpath.EventMapIterationFailed):
			failed = r.seq
		}
	}
	if open < 0 {
		return failed, "", failed >= 0
	}
	if s.recs[open].typ == fastpath.EventMapStateEntered {
		// Its run's id is two random numbers, then comes MapRunStarted
		// (a Map whose ItemReader failed has no run to go on with).
		randoms := 0
		for _, r := range s.recs[open+1:] {
			switch {
			case r.kind == fastpath.RecordRandom:
				randoms++
			case r.kind == fastpath.RecordEvent && r.typ == fastpath.EventMapRunStarted && randoms >= 2:
				return r.seq + 1, r.mapRun, true
			case r.kind == fastpath.RecordEvent && r.typ == fastpath.EventMapRunStarted:
				return s.recs[open].seq, "", true
			}
		}
	}
	return s.recs[open].seq, "", true
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
// redrive (cluster.Redrive.Cuts), and the Map Runs the redrive resumes
// with how many times each was redriven, this time included.
func cutsOf(e *cluster.Execution) (map[string]int, map[string]int, error) {
	scopes := map[string]*scopeEnd{"": {}}
	redriven := map[string]int{} // Map Run → its earlier redrives
	for i := range e.Records {
		r := &e.Records[i]
		if strings.HasPrefix(r.Scope, redriveScope) {
			var ev history.Event
			if _, _, err := history.DecodeEvent(r.Val, &ev); err == nil && ev.Type == fastpath.EventMapRunRedriven {
				redriven[ev.Resource]++
			}
			continue
		}
		if !e.Replayed(r) {
			continue
		}
		s := scopes[r.Scope]
		if s == nil {
			s = &scopeEnd{}
			scopes[r.Scope] = s
		}
		sr := scopeRecord{seq: r.Seq, kind: fastpath.RecordKind(r.Kind)}
		if sr.kind == fastpath.RecordEvent {
			var ev history.Event
			if _, _, err := history.DecodeEvent(r.Val, &ev); err != nil {
				return nil, nil, err
			}
			sr.typ = ev.Type
			if ev.Type == fastpath.EventMapRunStarted {
				sr.mapRun = ev.Resource
			}
		}
		s.recs = append(s.recs, sr)
	}
	names := make([]string, 0, len(scopes))
	for name := range scopes {
		names = append(names, name)
	}
	sort.Slice(names, func(i, j int) bool { return len(names[i]) < len(names[j]) }) // parents first
	// The places in each scope where a state opened branches: the state
	// that runs again opened them from its first attempt on.
	spawns := map[string][]int{}
	for _, name := range names {
		if parent, seq, answers, ok := childScope(name); ok && !answers {
			spawns[parent] = append(spawns[parent], seq)
		}
	}
	cuts := map[string]int{}
	runs := map[string]int{}
	rerun := map[string]int{} // the scopes that run again, from where
	restart := func(name string) bool {
		at, run, unfinished := scopes[name].restart()
		if unfinished {
			cuts[name], rerun[name] = at, at
		}
		if run != "" {
			runs[run] = redriven[run] + 1
		}
		return unfinished
	}
	for _, name := range names {
		if name == "" {
			if !restart(name) {
				rerun[name] = int(^uint(0) >> 1) // aborted between states: nothing runs again
			}
			continue
		}
		parent, seq, answers, ok := childScope(name)
		from, again := rerun[parent]
		if !ok || !again || seq < from {
			continue // not opened by a state that runs again: it replays whole
		}
		if answers || seq != firstFrom(spawns[parent], from) {
			// The token is minted anew; the branches of a later attempt
			// (the state's Retry) run again whole, as that attempt did.
			cuts[name] = 0
			continue
		}
		restart(name)
	}
	return cuts, runs, nil
}

// firstFrom is the smallest of seqs that is at least from.
func firstFrom(seqs []int, from int) int {
	first := -1
	for _, s := range seqs {
		if s >= from && (first < 0 || s < first) {
			first = s
		}
	}
	return first
}

// MapRunRedrives is how many times the redrives of e resumed the Map Run
// mapRun, and when last (DescribeMapRun's redriveCount and redriveDate).
func MapRunRedrives(e *cluster.Execution, mapRun string) (count int, last time.Time) {
	_ = e.EachEvent(func(val []byte) error { // an ended execution keeps its events packed
		var ev history.Event
		if _, _, err := history.DecodeEvent(val, &ev); err == nil && ev.Type == fastpath.EventMapRunRedriven && ev.Resource == mapRun {
			count, last = ev.Index, time.UnixMilli(ev.Timestamp)
		}
		return nil
	})
	return count, last
}
