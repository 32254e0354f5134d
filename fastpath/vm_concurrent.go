package fastpath

import (
	"context"
	"sync"
)

// Seal computes what the VM derives from the states once they are all in
// place: which Parallel and Map states run their branches concurrently. The
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
		}
	}
}

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

// branchResult is what one concurrently run branch left behind.
type branchResult struct {
	child *Execution // holds out until released
	out   []byte
	fail  *Failure
}

// runConcurrently runs the n branches whose inputs are ex.spans[base:] on
// their own goroutines, at most pol.limit at a time, each in a child
// Execution with its own arena and a copy of the variables. It waits for
// all of them, then copies the outputs into ex's arena in branch order. A
// failure that the policy does not tolerate cancels the branches still
// running and fails the state with the first such failure.
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
	results := make([]branchResult, n)
	sem := make(chan struct{}, limit)
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		failures int
		first    *Failure
	)
	for i := 0; i < n; i++ {
		sem <- struct{}{}
		if ctx.Err() != nil {
			<-sem
			break
		}
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			defer func() { <-sem }()
			c := AcquireExecution()
			c.sink, c.mask, c.concurrent = ex.sink, ex.mask, true
			c.clock = ex.clock
			if bc, ok := ex.clock.(branchClock); ok {
				c.clock = bc.fork()
			}
			c.emitIteration(EventMapIterationStarted, st, i, nil)
			out, f := c.runChild(ex, ctx, branchStart(st, i), ex.spans[base+i])
			c.emitIterationEnd(st, i, f)
			results[i] = branchResult{child: c, out: out, fail: f}
			if f == nil || (f == errAborted && ctx.Err() != nil) {
				return
			}
			mu.Lock()
			defer mu.Unlock()
			failures++
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
	before, budget := ex.events, ex.budget
	for i := range results {
		if c := results[i].child; c != nil {
			// Each branch counted its events on from before+1 (its
			// iteration's start); add them and its end, failed or not.
			ex.events += c.events - before + 1
			ex.budget -= budget - c.budget // its states count against the whole execution
			if joinClock {
				bc.join(c.clock)
			}
		}
	}
	defer func() {
		for i := range results {
			if c := results[i].child; c != nil {
				ReleaseExecution(c)
			}
		}
	}()
	if ex.ctx.Err() != nil {
		return errAborted
	}
	switch {
	case first == errTimedOut:
		return errTimedOut
	case first != nil && pol.failFast():
		return first
	case pol.exceeded(failures):
		return errToleranceExceeded
	}
	for i := range results {
		r := &results[i]
		out := jsonNull
		if r.fail == nil {
			mark := len(ex.arena)
			ex.arena = append(ex.arena, r.out...)
			out = ex.arena[mark:len(ex.arena):len(ex.arena)]
		}
		ex.spans[base+i] = out
	}
	return nil
}

// runChild runs one branch for parent on this (fresh) Execution, whose
// clock the caller has set: the same program, options, execution input,
// start time and variables, its own arena. The output is valid until c is released.
func (c *Execution) runChild(parent *Execution, ctx context.Context, start int, input []byte) ([]byte, *Failure) {
	c.prog, c.opts, c.ctx = parent.prog, parent.opts, ctx
	c.maxBytes, c.budget = parent.maxBytes, parent.budget
	c.input, c.start, c.limit = parent.input, parent.start, parent.limit
	c.vars = append(c.vars[:0], parent.vars...)
	c.state, c.enteredEvent = parent.state, parent.enteredEvent
	c.events = parent.events + 1 // the iteration's (or branch's) start
	return c.runScope(start, input)
}
