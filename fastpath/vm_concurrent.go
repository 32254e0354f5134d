package fastpath

import (
	"context"
	"strconv"
	"sync"
	"time"

	"github.com/stepd/stepd/fastpath/jsonb"
)

// Seal computes what the VM derives from the states once they are all in
// place: which Parallel and Map states run their branches concurrently,
// whether any Map is distributed. The
// compiler calls it once after building the program.
func (p *Program) Seal() {
	for i := range p.States {
		st := &p.States[i]
		switch st.Kind {
		case StateParallel:
			for _, b := range st.Branches {
				st.Concurrent = st.Concurrent || p.waits(b, map[int]bool{})
			}
		case StateMap:
			st.Concurrent = p.waits(st.Processor, map[int]bool{})
			p.distributed = p.distributed || st.Distributed
		}
	}
}

// HasDistributedMap reports whether the program has a Distributed Map
// state: whether its executions may start Map Runs.
func (p *Program) HasDistributedMap() bool { return p.distributed }

// waits reports whether a state reachable from start (in its scope or in
// scopes nested in it) is a Task or a Wait: something that spends time
// waiting rather than computing, so that branches gain from overlapping.
func (p *Program) waits(start int, seen map[int]bool) bool {
	if start == NoState || seen[start] {
		return false
	}
	seen[start] = true
	st := &p.States[start]
	switch st.Kind {
	case StateTask, StateWait:
		return true
	case StateParallel:
		for _, b := range st.Branches {
			if p.waits(b, seen) {
				return true
			}
		}
	case StateMap:
		if p.waits(st.Processor, seen) {
			return true
		}
	}
	next := []int{st.Next, st.Default}
	for _, r := range st.Choices {
		next = append(next, r.Next)
	}
	for _, c := range st.Catch {
		next = append(next, c.Next)
	}
	for _, n := range next {
		if p.waits(n, seen) {
			return true
		}
	}
	return false
}

// The concurrency ceilings of Map states, as AWS documents them.
const (
	maxInlineMapConcurrency      = 40
	maxDistributedMapConcurrency = 10000
)

// branchResult is what one concurrently run branch left behind: its
// output as a span of the shared output buffer, its failure, and what its
// parent adds up (events, transitions, virtual time).
type branchResult struct {
	ran      bool
	from, to int // its output in outs
	fail     *Failure
	until    time.Time // when a suspended branch wants to resume
	events   int       // events it added, its end included
	steps    int       // transitions it made
	clock    Clock
}

// runConcurrently runs the n branches whose inputs are ex.spans[base:] on
// their own goroutines, at most pol.limit at a time, each in a child
// Execution with its own arena and a copy of the variables. A branch that
// ends copies its output into a buffer shared by the branches and returns
// its Execution to the pool at once, so finished branches hold only their
// outputs; outputs past 16 payloads (the state's result may be one) fail
// the state with States.DataLimitExceeded.
// Once all have ended it copies the outputs into ex's arena in branch
// order. A failure that the policy does not tolerate cancels the branches
// still running and fails the state with the first such failure.
//
// ex must not be used by anything else while the branches run: they read
// its arena (their inputs) and its fields.
func (ex *Execution) runConcurrently(st *State, base, n int, pol branchPolicy) *Failure {
	ctx, cancel := context.WithCancel(ex.ctx)
	defer cancel()
	limit := pol.limit
	if st.Kind == StateMap {
		// AWS runs at most 40 iterations of an inline Map at once, and 10,000
		// child executions of a distributed one, whatever MaxConcurrency says;
		// the caps also bound the goroutines and arenas one execution holds.
		ceiling := maxInlineMapConcurrency
		if st.Distributed {
			ceiling = maxDistributedMapConcurrency
		}
		if limit <= 0 || limit > ceiling {
			limit = ceiling
		}
	}
	if limit <= 0 || limit > n {
		limit = n
	}
	ex.startTime() // children share the start time and deadline
	var scope string
	if ex.rec != nil {
		// The branches record in scopes of their own, named after this
		// place in ex's scope.
		scope = ex.scope + strconv.Itoa(ex.nextKey().Seq) + "."
	}
	results := make([]branchResult, n)
	var acquire func() bool
	var release func()
	if run := pol.run; run != nil {
		// UpdateMapRun may change the Map Run's concurrency while it runs.
		acquire, release = func() bool { return run.acquire(ctx) }, run.release
	} else {
		acquire, release = semaphore(ctx, limit)
	}
	var (
		wg        sync.WaitGroup
		mu        sync.Mutex
		outs      []byte // the outputs of the branches that ended, guarded by mu
		failures  int
		suspended bool
		first     *Failure
		full      *Failure // set when outs passed the arena limit
	)
	for i := 0; i < n && acquire(); i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			defer release()
			c := AcquireExecution()
			defer ReleaseExecution(c)
			c.sink, c.mask, c.concurrent = ex.sink, ex.mask, true
			if st.Distributed {
				c.sink = nil // a child execution: its events are not its parent's
			}
			c.clock = ex.clock
			if bc, ok := ex.clock.(branchClock); ok {
				c.clock = bc.fork()
			}
			if ex.rec != nil {
				c.setRecorder(ex.rec, scope+strconv.Itoa(i)+"/")
				c.live = ex.live
			}
			c.emitIteration(EventMapIterationStarted, st, i, nil)
			var saved childExecution
			var counts mapRunDelta
			if st.Distributed {
				c.opts = ex.opts
				counts.started(pol.items(i))
				pol.run.add(&counts)
				saved = c.beginChild(pol.run, i, ex.spans[base+i])
			}
			out, f := c.runChild(ex, ctx, branchStart(st, i), ex.spans[base+i], st.Distributed)
			if st.Distributed {
				c.endChild(i, out, f, saved)
				counts.ended(pol.items(i), f)
				pol.run.add(&counts)
			}
			c.emitIterationEnd(st, i, f)
			if c.rec != nil && !interrupted(f) {
				// The branch's last state is durable before its output
				// counts, or it runs again (by replay) on resuming.
				if cf := c.checkpoint(); cf != nil {
					f = cf
				}
			}
			mu.Lock()
			defer mu.Unlock()
			// Each branch counted its events on from ex's (its iteration's
			// start); its states count against the whole execution.
			r := branchResult{ran: true, fail: f, until: c.until, events: c.events - ex.events + 1, steps: ex.budget - c.budget, clock: c.clock}
			if st.Distributed {
				r.events = 0
			}
			if f == nil {
				r.from = len(outs)
				outs = append(outs, out...)
				r.to = len(outs)
				if len(outs) > 16*ex.maxBytes && full == nil {
					full = ex.dataLimit() // far more than the state's result may be
					cancel()
				}
			}
			results[i] = r
			if f == errSuspended {
				suspended = true // the others go on until they end or park too
				return
			}
			if f == nil || (f == errAborted && ctx.Err() != nil) {
				return
			}
			failures += pol.items(i)
			if first == nil {
				first = f
			}
			if f == errTimedOut || pol.failFast() || pol.exceeded(failures) {
				cancel()
			}
		}(i)
	}
	wg.Wait()
	bc, joinClock := ex.clock.(branchClock)
	for i := range results {
		if r := &results[i]; r.ran {
			ex.events += r.events
			ex.budget -= r.steps
			if joinClock {
				bc.join(r.clock)
			}
		}
	}
	if ex.ctx.Err() != nil {
		return errAborted
	}
	switch {
	case full != nil:
		return full
	case first == errTimedOut:
		return errTimedOut
	case first != nil && pol.failFast():
		return first
	case pol.exceeded(failures):
		return errToleranceExceeded
	case suspended:
		ex.until = earliestWake(results)
		return errSuspended
	}
	for i := range results {
		r := &results[i]
		out := jsonb.Null
		if pol.fails != nil {
			pol.fails[i] = r.fail
		}
		if r.ran && r.fail == nil {
			mark := len(ex.arena)
			ex.arena = append(ex.arena, outs[r.from:r.to]...)
			out = ex.arena[mark:len(ex.arena):len(ex.arena)]
		}
		ex.spans[base+i] = out
	}
	return nil
}

// semaphore returns the acquire and release of limit slots: acquire
// waits for a free one and reports false, holding none, once ctx ended.
func semaphore(ctx context.Context, limit int) (acquire func() bool, release func()) {
	sem := make(chan struct{}, limit)
	acquire = func() bool {
		sem <- struct{}{}
		if ctx.Err() != nil {
			<-sem
			return false
		}
		return true
	}
	return acquire, func() { <-sem }
}

// earliestWake is when the first of the suspended branches wants to run
// again (zero, as soon as possible, wins).
func earliestWake(results []branchResult) time.Time {
	var t time.Time
	first := true
	for i := range results {
		if r := &results[i]; r.ran && r.fail == errSuspended {
			if first || r.until.Before(t) {
				t, first = r.until, false
			}
		}
	}
	return t
}

// runChild runs one branch for parent on this (fresh) Execution, whose
// clock the caller has set: the same program, options, execution input,
// start time and variables, its own arena. A child execution (an
// iteration of a Distributed Map) numbers its events from its own
// ExecutionStarted. The output is valid until c is released.
func (c *Execution) runChild(parent *Execution, ctx context.Context, start int, input []byte, child bool) ([]byte, *Failure) {
	c.prog, c.opts, c.ctx = parent.prog, parent.opts, ctx
	c.maxBytes, c.budget = parent.maxBytes, parent.budget
	c.input, c.start, c.limit = parent.input, parent.start, parent.limit
	c.vars = append(c.vars[:0], parent.vars...)
	c.state, c.enteredEvent = parent.state, parent.enteredEvent
	c.events = parent.events + 1 // the iteration's (or branch's) start
	if child {
		c.events = 1
	}
	return c.runScope(start, input)
}
