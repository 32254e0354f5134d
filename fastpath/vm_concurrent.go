package fastpath

import (
	"context"
	"strconv"
	"sync"
	"time"
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

// runConcurrently runs the branches feed gives on their own goroutines,
// at most pol.limit at a time, each in a child Execution with its own
// arena and a copy of the variables. A branch that ends hands its output
// to feed.done (which copies what it keeps) and returns its Execution to
// the pool at once, so finished branches hold only what the feed kept.
// A failure that the policy does not tolerate, or one of the feed,
// cancels the branches still running and fails the state with the first
// such failure.
//
// ex must not be used by anything else while the branches run: they read
// its fields and its arena (their inputs, its variables); feed.next may
// only use the arena past what the branches read.
func (ex *Execution) runConcurrently(st *State, feed branchFeed, pol branchPolicy) *Failure {
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
	} else if limit <= 0 {
		limit = len(st.Branches)
	}
	ex.startTime() // children share the start time and deadline
	var scope string
	if ex.rec != nil {
		// The branches record in scopes of their own, named after this
		// place in ex's scope.
		scope = ex.scope + strconv.Itoa(ex.nextKey().Seq) + "."
	}
	bc, joinClock := ex.clock.(branchClock)
	var joined branchClock // the latest of the branches' clocks
	if joinClock {
		joined = bc.fork().(branchClock)
	}
	sl := newSlots(ctx, limit, pol.run)
	var (
		wg        sync.WaitGroup
		mu        sync.Mutex // guards what follows, and calls of feed.done
		failures  int
		total     int // items handed out
		events    int // events the branches added, their ends included
		steps     int // transitions they made
		suspended bool
		until     time.Time // when the first suspended branch wants to resume
		first     *Failure
		stop      *Failure // a failure of the feed
	)
	for i := 0; sl.acquire(); i++ {
		in, items, ok, f := feed.next(i)
		if f != nil || !ok {
			sl.release(false)
			mu.Lock()
			if f != nil && stop == nil {
				stop = f
				cancel()
			}
			if pol.n < 0 {
				pol.n = total
			}
			mu.Unlock()
			break
		}
		total += items
		wg.Add(1)
		go func(i int, in []byte, items int) {
			defer wg.Done()
			parked := false
			defer func() { sl.release(parked) }()
			c := AcquireExecution()
			defer ReleaseExecution(c)
			c.sink, c.mask, c.concurrent = ex.sink, ex.mask, true
			if st.Distributed {
				c.sink = nil // a child execution: its events are not its parent's
			}
			c.clock = ex.clock
			if joinClock {
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
				counts.started(items)
				pol.run.add(&counts)
				saved = c.beginChild(pol.run, i, in)
			}
			out, f := c.runChild(ex, ctx, branchStart(st, i), in, st.Distributed)
			if st.Distributed {
				c.endChild(i, out, f, saved)
				counts.ended(items, f)
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
			// start); its states count against the whole execution (a
			// child execution's against its own).
			if !st.Distributed {
				events += c.events - ex.events + 1
				steps += ex.budget - c.budget
			}
			if joinClock {
				joined.join(c.clock)
			}
			fail := func(f *Failure) {
				if stop == nil {
					stop = f
					cancel()
				}
			}
			switch {
			case f == errSuspended:
				if !suspended || c.until.Before(until) { // zero, as soon as possible, wins
					until = c.until
				}
				// The others go on until they end or park too; a parked
				// child of a Distributed Map keeps its slot.
				suspended, parked = true, st.Distributed
				return
			case f == nil:
				if df := feed.done(i, in, out, nil); df != nil {
					fail(df)
				}
				return
			case f == errAborted && ctx.Err() != nil:
				return
			}
			failures += items
			if first == nil {
				first = f
			}
			if f == errTimedOut || pol.failFast() || pol.exceeded(failures) {
				cancel()
				return
			}
			if df := feed.done(i, in, nil, f); df != nil {
				fail(df)
			}
		}(i, in, items)
	}
	wg.Wait()
	ex.events += events
	ex.budget -= steps
	if joinClock {
		bc.join(joined)
	}
	if ex.ctx.Err() != nil {
		return errAborted
	}
	switch {
	case stop != nil:
		return stop
	case first == errTimedOut:
		return errTimedOut
	case first != nil && pol.failFast():
		return first
	case pol.exceeded(failures):
		return errToleranceExceeded
	case suspended:
		ex.until = until
		return errSuspended
	}
	return feed.end()
}

// slots bounds how many branches of a Parallel or Map state run at once.
// A child of a Distributed Map that parks (a durable wait) keeps its
// slot: once every slot is held by a parked child no other starts, and
// the state suspends until they wake, so that MaxConcurrency holds across
// long waits too. (The branches of a Parallel or inline Map that park
// give their slot back, and all of them start before the state suspends.)
type slots struct {
	ctx context.Context
	// run, when not nil, is the Map Run whose MaxConcurrency (which
	// UpdateMapRun changes) is the limit, and whose wake channel is
	// signalled by its updates; limit is the fixed one otherwise.
	run   *MapRun
	limit int
	wake  chan struct{} // cap 1: a slot freed, a branch parked, the limit changed

	mu           sync.Mutex
	held, parked int
}

func newSlots(ctx context.Context, limit int, run *MapRun) *slots {
	s := &slots{ctx: ctx, run: run, limit: limit}
	if run != nil {
		s.wake = run.wake
	} else {
		s.wake = make(chan struct{}, 1)
	}
	return s
}

// acquire waits for a free slot and takes it; false, holding none, once
// ctx ended or every slot is held by a parked branch. Only the state's
// goroutine calls it.
func (s *slots) acquire() bool {
	for s.ctx.Err() == nil {
		limit := s.limit
		if s.run != nil {
			limit = s.run.maxConcurrency()
		}
		s.mu.Lock()
		free, allParked := s.held < limit, s.parked >= s.held
		if free {
			s.held++
		}
		s.mu.Unlock()
		switch {
		case free:
			return true
		case allParked:
			return false
		}
		select {
		case <-s.wake:
		case <-s.ctx.Done():
		}
	}
	return false
}

// release gives back a branch's slot when it ends, or counts it as
// parked (holding its slot) when it suspended.
func (s *slots) release(parked bool) {
	s.mu.Lock()
	if parked {
		s.parked++
	} else {
		s.held--
	}
	s.mu.Unlock()
	select {
	case s.wake <- struct{}{}:
	default:
	}
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
		c.events, c.budget = 1, parent.transitionLimit()
	}
	return c.runScope(start, input)
}
