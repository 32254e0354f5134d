package fastpath

import (
	"math"
	"strconv"

	"github.com/stepd/stepd/fastpath/jsonb"
)

// runBranch runs a nested scope (a Parallel branch or a Map iteration) in
// its own variable scope: it reads the enclosing variables, and what it
// assigns disappears when it ends.
func (ex *Execution) runBranch(start int, input []byte) ([]byte, *Failure) {
	base := len(ex.varStack)
	ex.varStack = append(ex.varStack, ex.vars...)
	state, entered, enteredEvent, retry := ex.state, ex.entered, ex.enteredEvent, ex.retryCount
	ex.lastExit = ex.lastEvent // the branch's first state follows its start
	out, f := ex.runScope(start, input)
	ex.state, ex.entered, ex.enteredEvent, ex.retryCount = state, entered, enteredEvent, retry
	copy(ex.vars, ex.varStack[base:])
	ex.varStack = ex.varStack[:base]
	return out, f
}

// collectArray appends the JSON array of ex.spans[base:] to the arena and
// pops them.
func (ex *Execution) collectArray(base int) []byte {
	mark := len(ex.arena)
	ex.arena = append(ex.arena, '[')
	for i, v := range ex.spans[base:] {
		if i > 0 {
			ex.arena = append(ex.arena, ',')
		}
		ex.arena = append(ex.arena, v...)
	}
	ex.arena = append(ex.arena, ']')
	ex.popSpans(base)
	return ex.arena[mark:len(ex.arena):len(ex.arena)]
}

// popSpans pops ex.spans down to base.
func (ex *Execution) popSpans(base int) {
	clear(ex.spans[base:])
	ex.spans = ex.spans[:base]
}

func (ex *Execution) runParallel(st *State, eff []byte) ([]byte, *Failure) {
	in := eff
	var f *Failure
	if st.Parameters != nil {
		if in, f = ex.template(st.Parameters, eff); f != nil {
			return nil, f
		}
	}
	if ex.mocking() {
		return ex.test.mockResult()
	}
	return ex.parallel(st, in)
}

// parallel runs st's branches, each on input in, and returns the array of
// their outputs.
func (ex *Execution) parallel(st *State, in []byte) ([]byte, *Failure) {
	ex.events++ // ParallelStateStarted
	ex.emit(EventParallelStateStarted, st, nil)
	base := len(ex.spans)
	for range st.Branches {
		ex.spans = append(ex.spans, in)
	}
	if f := ex.runBranches(st, base, len(st.Branches), branchPolicy{count: -1}); f != nil {
		ex.emitFailure(EventParallelStateFailed, st, f)
		return nil, f
	}
	ex.events++ // ParallelStateSucceeded
	ex.emit(EventParallelStateSucceeded, st, nil)
	return ex.collectArray(base), nil
}

// branchPolicy says how many failed branches a Map tolerates (a Parallel
// tolerates none) and how many branches may run at once.
type branchPolicy struct {
	limit     int // concurrent branches, 0 for no limit
	count     int // tolerated failures, -1 when unset
	percent   float64
	tolerance bool // percent is set
	n         int  // number of branches, for the percentage
	// fails, when not nil, gets the failure of each tolerated failed
	// branch by index.
	fails []*Failure
	// sizes, when not nil, is the number of items of each branch (a
	// batch): a failed batch counts as that many failed items, of n
	// items in all.
	sizes []int
	// run is the Map Run of a Distributed Map, whose settings
	// UpdateMapRun may change while it runs; nil otherwise.
	run *MapRun
}

// failFast reports whether the first failure fails the state.
func (p branchPolicy) failFast() bool {
	if p.run != nil {
		return p.run.failFast()
	}
	return p.count < 0 && !p.tolerance
}

// exceeded reports whether this many failures are more than tolerated.
// A percentage is reckoned only once the number of items is known (n is
// -1 while a streamed Map is still reading them).
func (p branchPolicy) exceeded(failures int) bool {
	if p.run != nil {
		return p.run.exceeded(failures, p.n)
	}
	return (p.count >= 0 && failures > p.count) || (p.tolerance && p.n >= 0 && float64(failures)*100 > p.percent*float64(p.n))
}

var errToleranceExceeded = &Failure{Name: ErrExceedToleratedFailureThreshold, Cause: "The specified tolerated failure threshold was exceeded"}

// branchStart is where branch i of a Parallel or Map state starts.
func branchStart(st *State, i int) int {
	if st.Kind == StateParallel {
		return st.Branches[i]
	}
	return st.Processor
}

// branchFeed gives runInline and runConcurrently the inputs of their
// branches one at a time and takes how each one ended: spanFeed has them
// all in ex.spans already, itemFeed reads them from a Map's ItemReader as
// the branches go.
type branchFeed interface {
	// next returns the input of branch i and how many items it counts
	// for when it fails (a batch counts as its items); ok is false after
	// the last branch. The input stays valid until done(i) returns.
	next(i int) (in []byte, items int, ok bool, f *Failure)
	// done takes the end of branch i, which ran on in: its output out
	// (valid only during the call) or its failure f, which the policy
	// tolerated. A failure done returns fails the state. Concurrent
	// branches call it under a lock, one at a time.
	done(i int, in, out []byte, f *Failure) *Failure
	// end is called once every branch has ended and none failed the
	// state.
	end() *Failure
}

// spanFeed is the branchFeed of the n branches whose inputs are
// ex.spans[base:]: each output replaces its input (null for a tolerated
// failure).
type spanFeed struct {
	ex      *Execution
	base, n int
	sizes   []int      // the items of each branch (a batch), nil for one each
	fails   []*Failure // gets each tolerated failure by index, when not nil
	// kept holds the outputs of concurrent branches, which live in their
	// own arenas, until end copies them into ex's arena in branch order;
	// nil for branches run inline, whose outputs are in ex's arena.
	kept *keptResults
}

func (s *spanFeed) next(i int) ([]byte, int, bool, *Failure) {
	if i >= s.n {
		return nil, 0, false, nil
	}
	items := 1
	if s.sizes != nil {
		items = s.sizes[i]
	}
	return s.ex.spans[s.base+i], items, true, nil
}

func (s *spanFeed) done(i int, _, out []byte, f *Failure) *Failure {
	if f != nil {
		if s.fails != nil {
			s.fails[i] = f
		}
		out = jsonb.Null
	}
	if s.kept == nil {
		s.ex.spans[s.base+i] = out
		return nil
	}
	if f != nil {
		return nil // null, placed by end
	}
	s.kept.add(i, out)
	if s.kept.size() > 16*s.ex.maxBytes {
		return s.ex.dataLimit() // far more than the state's result may be
	}
	return nil
}

func (s *spanFeed) end() *Failure {
	if s.kept == nil {
		return nil
	}
	ex := s.ex
	for i := 0; i < s.n; i++ {
		out := jsonb.Null
		if i < len(s.kept.at) && s.kept.at[i][1] > 0 {
			mark := len(ex.arena)
			ex.arena = append(ex.arena, s.kept.buf[s.kept.at[i][0]:s.kept.at[i][1]]...)
			out = ex.arena[mark:len(ex.arena):len(ex.arena)]
		}
		ex.spans[s.base+i] = out
	}
	return nil
}

// newSpanFeed returns the spanFeed of st's n branches whose inputs are
// ex.spans[base:], one that freeSpanFeed gave back when there is one, so
// that running branches allocates nothing once the Execution is warm.
func (ex *Execution) newSpanFeed(st *State, base, n int, pol branchPolicy) *spanFeed {
	var feed *spanFeed
	if k := len(ex.spanFeeds); k > 0 {
		feed = ex.spanFeeds[k-1]
		ex.spanFeeds = ex.spanFeeds[:k-1]
	} else {
		feed = new(spanFeed)
	}
	kept := feed.kept
	*feed = spanFeed{ex: ex, base: base, n: n, sizes: pol.sizes, fails: pol.fails}
	if st.Concurrent {
		if kept == nil {
			kept = new(keptResults)
		}
		kept.buf, kept.at = kept.buf[:0], kept.at[:0]
		feed.kept = kept
	}
	return feed
}

// freeSpanFeed gives feed back for the next newSpanFeed.
func (ex *Execution) freeSpanFeed(feed *spanFeed) {
	kept := feed.kept
	if kept != nil && cap(kept.buf) > 64<<10 {
		kept = nil // do not keep one large Map's outputs for ever
	}
	*feed = spanFeed{kept: kept}
	ex.spanFeeds = append(ex.spanFeeds, feed)
}

// runBranches runs the n branches whose inputs are ex.spans[base:] and
// replaces each input with the branch's output (null for a tolerated
// failure). On failure the spans are popped.
func (ex *Execution) runBranches(st *State, base, n int, pol branchPolicy) *Failure {
	feed := ex.newSpanFeed(st, base, n, pol)
	f := ex.runFeed(st, feed, pol)
	ex.freeSpanFeed(feed)
	if f != nil {
		ex.popSpans(base)
	}
	return f
}

// runFeed runs the branches feed gives. Branches that only compute run
// one after another here; those that wait or call tasks run concurrently
// (see runConcurrently).
func (ex *Execution) runFeed(st *State, feed branchFeed, pol branchPolicy) *Failure {
	if st.Concurrent {
		return ex.runConcurrently(st, feed, pol)
	}
	return ex.runInline(st, feed, pol)
}

func (ex *Execution) runInline(st *State, feed branchFeed, pol branchPolicy) *Failure {
	failures, total := 0, 0
	var counts mapRunDelta
	var scope string // of the STANDARD children of a durable execution, as runConcurrently names them
	if st.Distributed {
		defer pol.run.add(&counts)
		if ex.rec != nil && !pol.run.Express {
			scope = ex.scope + strconv.Itoa(ex.nextKey().Seq) + "."
		}
	}
	for i := 0; ; i++ {
		in, items, ok, f := feed.next(i)
		if f != nil {
			return f
		}
		if !ok {
			break
		}
		total += items
		var out []byte
		if st.Distributed {
			counts.started(items)
			out, f = ex.runChildInline(st.Processor, pol.run, i, in, scope)
			if counts.ended(items, f); counts.done == inlineBatch {
				pol.run.add(&counts)
			}
		} else {
			ex.events++ // MapIterationStarted (a Parallel branch has no event)
			ex.emitIteration(EventMapIterationStarted, st, i, nil)
			out, f = ex.runBranch(branchStart(st, i), in)
			ex.events++ // MapIterationSucceeded or MapIterationFailed
			ex.emitIterationEnd(st, i, f)
		}
		if f != nil {
			if interrupted(f) || pol.failFast() {
				return f
			}
			if failures += items; pol.exceeded(failures) {
				return errToleranceExceeded
			}
		}
		if f := feed.done(i, in, out, f); f != nil {
			return f
		}
	}
	if pol.n < 0 {
		pol.n = total
	}
	if pol.exceeded(failures) {
		return errToleranceExceeded
	}
	return feed.end()
}

// runChildInline runs iteration i of a Distributed Map: a child
// execution of run. Its events belong to its own history, numbered from
// its ExecutionStarted, not to its parent's, which shows the Map Run
// instead; its states count against its own limit of transitions, not
// its parent's. scope, when not "", is the prefix of the key scopes of
// the STANDARD children of a durable execution: the child records there
// (its scope is scope+"i/"), with its history (see beginChild).
func (ex *Execution) runChildInline(start int, run *MapRun, i int, input []byte, scope string) ([]byte, *Failure) {
	events, sink, budget := ex.events, ex.sink, ex.budget
	ex.events, ex.sink, ex.budget = 1, nil, ex.transitionLimit()
	parentScope, seq, last, lastExit := ex.scope, ex.seq, ex.lastEvent, ex.lastExit
	if scope != "" {
		ex.scope, ex.seq, ex.sink = scope+strconv.Itoa(i)+"/", 0, discardEvents{}
	}
	saved := ex.beginChild(run, i, input)
	out, f := ex.runBranch(start, input)
	ex.endChild(i, out, f, saved)
	ex.events, ex.sink, ex.budget = events, sink, budget
	ex.scope, ex.seq, ex.lastEvent, ex.lastExit = parentScope, seq, last, lastExit
	return out, f
}

// runIterations runs the n iterations of a Map state whose inputs are
// ex.spans[base:] (see runBranches). A Distributed Map's iterations are
// the child executions of a Map Run, which it returns (nil for an inline
// Map). On failure the spans are popped.
func (ex *Execution) runIterations(st *State, base, n int, pol branchPolicy) (*MapRun, *Failure) {
	feed := ex.newSpanFeed(st, base, n, pol)
	run, f := ex.runMapRun(st, feed, pol, n)
	ex.freeSpanFeed(feed)
	if f != nil {
		ex.popSpans(base)
	}
	return run, f
}

// runMapRun runs the iterations feed gives (see runFeed): children of
// them holding pol.n items, or -1 for a streamed Map, which counts them
// as it reads them. A Distributed Map's iterations are the child
// executions of a Map Run, which it returns (nil for an inline Map); they
// show in its history as MapRunStarted, then MapRunSucceeded or
// MapRunFailed.
func (ex *Execution) runMapRun(st *State, feed branchFeed, pol branchPolicy, children int) (*MapRun, *Failure) {
	if !st.Distributed {
		return nil, ex.runFeed(st, feed, pol)
	}
	run := ex.mapRunStarted(st, max(children, 0), max(pol.n, 0), &pol)
	if s, ok := feed.(mapRunFeed); ok {
		s.startRun(run)
	}
	f := ex.runFeed(st, feed, pol)
	ex.endMapRun(st, run, f)
	return run, f
}

// mapRunFeed is a branchFeed that learns its Map Run once it starts: one
// that counts the run's items as it reads them and names its exported
// results after it.
type mapRunFeed interface {
	startRun(run *MapRun)
}

// readerFailed ends a Distributed Map whose ItemReader failed, and its
// Map Run of no items, recording them as AWS does (dmap case map_item_reader_json_no_json_list_object):
// MapStateStarted (already there), MapRunStarted, MapRunFailed,
// MapStateFailed.
func (ex *Execution) readerFailed(st *State, pol branchPolicy, f *Failure) *Failure {
	ex.endMapRun(st, ex.mapRunStarted(st, 0, 0, &pol), f)
	ex.emitFailure(EventMapStateFailed, st, f)
	return f
}

func (ex *Execution) runMap(st *State, eff []byte) ([]byte, *Failure) {
	items, f := ex.mapItems(st, eff)
	if f != nil {
		return nil, f
	}
	if st.Distributed {
		ex.mapStarted(st, items)
	}
	limit, f := ex.maxConcurrency(st, eff)
	if f != nil {
		return nil, f
	}
	pol := branchPolicy{n: jsonb.ArrayLen(items), limit: limit}
	if pol.percent, pol.tolerance, pol.count, f = ex.tolerance(st, eff); f != nil {
		return nil, f
	}
	var lim *batchLimits
	if st.Batcher != nil {
		lim = new(batchLimits)
		if *lim, f = ex.batchLimits(st, eff); f != nil {
			return nil, f
		}
	}
	export, f := ex.writerParams(st, eff)
	if f != nil {
		return nil, f
	}
	var sel *itemSelector
	if st.ItemSelector != nil {
		sel = &itemSelector{tmpl: st.ItemSelector, dollar: eff}
	}
	if ex.mocking() {
		return ex.mockedMap(st, items, sel, pol)
	}
	if st.Reader != nil {
		stream, maxItems, f := ex.mapReaderItems(st, eff)
		if f != nil {
			return nil, ex.readerFailed(st, pol, f)
		}
		return ex.mapStream(st, stream, maxItems, sel, lim, pol, export)
	}
	if !st.Distributed {
		ex.mapStarted(st, items)
	}
	base, n, f := ex.mapInputs(st, items, sel, lim)
	if f != nil {
		return nil, f
	}
	lim.count(&pol, n)
	return ex.mapBranches(st, base, n, pol, export)
}

// mapItems is the array a JSONPath Map state iterates over: what Items or
// ItemsPath selects from its effective input eff, or eff itself; nil for
// a Map with an ItemReader, whose items are read after the checks AWS
// makes first (and to which ItemsPath does not apply: dmap case
// …with_items_path).
func (ex *Execution) mapItems(st *State, eff []byte) ([]byte, *Failure) {
	if ex.test != nil && ex.test.t.Items != nil {
		return ex.test.t.Items, nil
	}
	if st.Reader != nil {
		return nil, nil
	}
	items := eff
	var f *Failure
	switch {
	case st.Items != nil:
		if items, f = ex.template(st.Items, eff); f != nil {
			return nil, f
		}
	case st.ItemsPath != nil:
		if items, f = ex.pathValue(st.ItemsPath, eff); f != nil {
			return nil, f
		}
	}
	if jsonb.KindOf(items) != jsonb.KindArray {
		if ex.test != nil {
			return nil, notArray(st)
		}
		return nil, ex.stateError(ErrRuntime, "Item path "+itemsPathText(st)+" must point to a JSON array, but was "+jsonb.KindOf(items).String())
	}
	return items, nil
}

// itemSelector is a Map state's ItemSelector in either query language:
// a template over dollar, or a JSONata query in env.
type itemSelector struct {
	tmpl   *Template
	dollar []byte
	query  *Query
	env    *queryEnv
}

// mapStarted records MapStateStarted: for a Distributed Map before its
// checks of MaxConcurrency, tolerated failures and the like, as AWS
// records it (map_state_tolerated_failure_count_path[-1]); for an inline
// Map after them.
func (ex *Execution) mapStarted(st *State, items []byte) {
	if st.Reader != nil {
		items = nil // not read yet: AWS gives no length either
	}
	ex.events++ // MapStateStarted
	ex.emitMapStarted(st, items)
}

// mapInputs pushes each iteration's input of a Map state (the item, or
// what sel makes of it, or a batch of those when lim is not nil: the
// ItemBatcher's limits) onto ex.spans and returns where they start and
// how many there are. On failure nothing stays pushed.
func (ex *Execution) mapInputs(st *State, items []byte, sel *itemSelector, lim *batchLimits) (base, n int, f *Failure) {
	base = len(ex.spans)
	var it jsonb.ArrayIter
	it.Reset(items)
	for item, ok := it.Next(); ok; item, ok = it.Next() {
		in := item
		if sel != nil {
			if in, f = ex.selectItem(st, sel, n, item); f != nil {
				ex.popSpans(base)
				return base, 0, f
			}
		}
		ex.spans = append(ex.spans, in)
		n++
	}
	if lim != nil {
		n, f = ex.batch(base, n, lim)
	}
	return base, n, f
}

// selectItem evaluates sel for item i, with the context object's Map.Item
// (and, in JSONata, $states.context) set to it.
func (ex *Execution) selectItem(st *State, sel *itemSelector, i int, item []byte) (out []byte, f *Failure) {
	savedActive, savedIndex, savedItem := ex.mapActive, ex.mapIndex, ex.mapItem
	ex.mapActive, ex.mapIndex, ex.mapItem = true, i, item
	switch {
	case sel.query == nil:
		out, f = ex.template(sel.tmpl, sel.dollar)
	case st.JSONata.UsesContext:
		if f = ex.setQueryContext(sel.env); f == nil {
			out, f = ex.evalQuery(sel.query, sel.env)
		}
	default:
		out, f = ex.evalQuery(sel.query, sel.env)
	}
	ex.mapActive, ex.mapIndex, ex.mapItem = savedActive, savedIndex, savedItem
	return out, f
}

// mapBranches runs the n iterations of a Map state whose inputs are
// ex.spans[base:] and returns the array of their outputs.
// export holds the evaluated parameters of the ResultWriter's export to
// S3, nil when there is none.
func (ex *Execution) mapBranches(st *State, base, n int, pol branchPolicy, export []byte) ([]byte, *Failure) {
	if st.Writer != nil {
		return ex.mapResults(st, base, n, pol, export)
	}
	if _, f := ex.runIterations(st, base, n, pol); f != nil {
		ex.emitFailure(EventMapStateFailed, st, f)
		return nil, f
	}
	ex.events++ // MapStateSucceeded
	ex.emit(EventMapStateSucceeded, st, nil)
	return ex.collectArray(base), nil
}

// emitMapStarted records MapStateStarted with the number of items.
func (ex *Execution) emitMapStarted(st *State, items []byte) {
	if ex.sink != nil {
		ex.record(EventMapStateStarted, ex.events, st, nil, nil, jsonb.ArrayLen(items))
	}
}

// emitIterationEnd records how iteration i of a Map state ended.
func (ex *Execution) emitIterationEnd(st *State, i int, f *Failure) {
	switch {
	case f == errSuspended: // it has not ended
	case f == nil:
		ex.emitIteration(EventMapIterationSucceeded, st, i, nil)
	default:
		ex.emitIteration(EventMapIterationFailed, st, i, f)
	}
}

func itemsPathText(st *State) string {
	if st.ItemsPath == nil {
		return "$"
	}
	return st.ItemsPath.Text
}

// maxConcurrency resolves MaxConcurrency or MaxConcurrencyPath: how many
// iterations may run at once, 0 for no limit.
func (ex *Execution) maxConcurrency(st *State, eff []byte) (int, *Failure) {
	if st.MaxConcurrencyPath == nil {
		return st.MaxConcurrency, nil
	}
	v, f := ex.pathValue(st.MaxConcurrencyPath, eff)
	if f != nil {
		return 0, f
	}
	n, ok := numericField(v)
	if !ok || n != math.Trunc(n) {
		return 0, ex.stateError(ErrRuntime, "The MaxConcurrencyPath field refers to value \""+displayValue(v)+"\" which is not a valid integer: "+st.MaxConcurrencyPath.Text)
	}
	if n < 0 {
		return 0, ex.stateError(ErrRuntime, "MaxConcurrency cannot be negative.")
	}
	return int(min(n, math.MaxInt32)), nil
}

// tolerance resolves the Map's tolerated failures: the percentage and
// whether it is set, and the count (-1 when unset).
func (ex *Execution) tolerance(st *State, eff []byte) (float64, bool, int, *Failure) {
	percent, hasPercent := st.ToleratedPercent, st.HasToleratedPercent
	if st.ToleratedPercentPath != nil {
		v, f := ex.pathValue(st.ToleratedPercentPath, eff)
		if f != nil {
			return 0, false, 0, f
		}
		n, ok := numericField(v)
		if !ok {
			return 0, false, 0, ex.stateError(ErrRuntime, "The ToleratedFailurePercentagePath field refers to value \""+displayValue(v)+"\" which is not a valid float: "+st.ToleratedPercentPath.Text)
		}
		percent, hasPercent = n, true
	}
	if hasPercent && (percent < 0 || percent > 100) {
		return 0, false, 0, ex.stateError(ErrRuntime, "ToleratedFailurePercentage must be between 0 and 100.")
	}
	count := -1
	if st.HasToleratedCount {
		count = st.ToleratedCount
	}
	if st.ToleratedCountPath != nil {
		v, f := ex.pathValue(st.ToleratedCountPath, eff)
		if f != nil {
			return 0, false, 0, f
		}
		n, ok := numericField(v)
		if !ok || n != math.Trunc(n) {
			return 0, false, 0, ex.stateError(ErrRuntime, "The ToleratedFailureCountPath field refers to value \""+displayValue(v)+"\" which is not a valid integer: "+st.ToleratedCountPath.Text)
		}
		count = int(n)
	}
	if st.HasToleratedCount || st.ToleratedCountPath != nil {
		if count < 0 {
			return 0, false, 0, ex.stateError(ErrRuntime, "ToleratedFailureCount cannot be negative.")
		}
	}
	return percent, hasPercent, count, nil
}

// numericField reads a number that AWS also accepts spelled as a string.
func numericField(v []byte) (float64, bool) {
	switch jsonb.KindOf(v) {
	case jsonb.KindNumber:
		return jsonb.ParseNumber(v)
	case jsonb.KindString:
		return jsonb.ParseNumber(v[1 : len(v)-1])
	}
	return 0, false
}
