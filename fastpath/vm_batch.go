package fastpath

import (
	"math"
	"strconv"
)

// ItemBatcher is a Map state's compiled ItemBatcher: it groups the items
// into batches, and each iteration gets one batch as its input,
// {"Items":[…]} or {"BatchInput":…,"Items":[…]}. A limit is its literal
// value, or its …Path (JSONPath) or the JSONata fields BatchMaxItems and
// BatchMaxBytes when those are set; 0 means unset.
type ItemBatcher struct {
	MaxItems     int
	MaxItemsPath *Path
	MaxBytes     int
	MaxBytesPath *Path
	// Input is the BatchInput template (JSONPath), nil when absent; a
	// JSONata BatchInput is JSONata.BatchInput.
	Input *Template
}

// batchLimits are an ItemBatcher's resolved limits and BatchInput, and
// the sizes of the batches made with them.
type batchLimits struct {
	items int    // at most this many items a batch, 0 for no limit
	bytes int    // at most this many bytes a batch input
	input []byte // the BatchInput value, nil when absent
	sizes []int  // the number of items of each batch made
}

// count sets the item counts of pol, the policy of the n iterations of a
// Map: with batches (lim not nil), a failed iteration is as many failed
// items as its batch holds, and tolerance is reckoned over all the items
// (AWS counts a Map Run's failures in items).
func (lim *batchLimits) count(pol *branchPolicy, n int) {
	pol.n = n
	if lim == nil {
		return
	}
	pol.n, pol.sizes = 0, lim.sizes
	for _, k := range lim.sizes {
		pol.n += k
	}
}

// batchLimits resolves st's ItemBatcher against the effective input eff
// (JSONPath states).
func (ex *Execution) batchLimits(st *State, eff []byte) (batchLimits, *Failure) {
	b := st.Batcher
	lim := batchLimits{items: b.MaxItems, bytes: b.MaxBytes}
	var f *Failure
	if b.MaxItemsPath != nil {
		if lim.items, f = ex.batchPathLimit(b.MaxItemsPath, eff, "MaxItemsPerBatch"); f != nil {
			return lim, f
		}
	}
	if b.MaxBytesPath != nil {
		if lim.bytes, f = ex.batchPathLimit(b.MaxBytesPath, eff, "MaxInputBytesPerBatch"); f != nil {
			return lim, f
		}
	}
	if b.Input != nil {
		if lim.input, f = ex.template(b.Input, eff); f != nil {
			return lim, f
		}
	}
	return lim, nil
}

// queryBatchLimits resolves st's ItemBatcher in a JSONata state.
func (ex *Execution) queryBatchLimits(st *State, env *queryEnv) (batchLimits, *Failure) {
	js := st.JSONata
	lim := batchLimits{items: st.Batcher.MaxItems, bytes: st.Batcher.MaxBytes}
	for _, e := range [...]struct {
		q     *Query
		dst   *int
		field string
	}{{js.BatchMaxItems, &lim.items, "MaxItemsPerBatch"}, {js.BatchMaxBytes, &lim.bytes, "MaxInputBytesPerBatch"}} {
		if e.q == nil {
			continue
		}
		n, f := ex.queryNumber(e.q, env, true)
		if f != nil {
			return lim, f
		}
		if n < 0 {
			return lim, ex.stateError(ErrQueryEvaluationError, e.field+" cannot be negative.")
		}
		*e.dst = int(min(n, math.MaxInt32))
	}
	if js.BatchInput != nil {
		var f *Failure
		if lim.input, f = ex.evalQuery(js.BatchInput, env); f != nil {
			return lim, f
		}
	}
	return lim, nil
}

// batchPathLimit reads a MaxItemsPerBatchPath or MaxInputBytesPerBatchPath:
// a non-negative integer, which AWS also accepts spelled as a string.
func (ex *Execution) batchPathLimit(p *Path, eff []byte, field string) (int, *Failure) {
	v, f := ex.pathValue(p, eff)
	if f != nil {
		return 0, f
	}
	n, ok := numericField(v)
	if !ok || n != math.Trunc(n) {
		return 0, ex.stateError(ErrRuntime, "The "+field+"Path field refers to value \""+displayValue(v)+"\" which is not a valid integer: "+p.Text)
	}
	if n < 0 {
		return 0, ex.stateError(ErrRuntime, field+" cannot be negative.")
	}
	return int(min(n, math.MaxInt32)), nil
}

// maxBytes is the most bytes a batch input may have: MaxInputBytesPerBatch
// when it is set, and never more than MaxPayloadBytes, the most a child
// execution takes.
func (lim *batchLimits) maxBytes() int {
	if lim.bytes > 0 {
		return min(lim.bytes, MaxPayloadBytes)
	}
	return MaxPayloadBytes
}

// appendStart appends the start of a batch input, up to its first item.
func (lim *batchLimits) appendStart(dst []byte) []byte {
	if lim.input != nil {
		dst = append(dst, `{"BatchInput":`...)
		dst = append(dst, lim.input...)
		return append(dst, `,"Items":[`...)
	}
	return append(dst, `{"Items":[`...)
}

// batchSize is the size of a batch input of size bytes so far, holding
// count items, once an item of item bytes joins it and it is closed.
func batchSize(size, item, count int) int {
	size += item + len("]}")
	if count > 0 {
		size++ // the comma
	}
	return size
}

// appendBatchItem appends an item to a batch holding count items.
func appendBatchItem(dst, item []byte, count int) []byte {
	if count > 0 {
		dst = append(dst, ',')
	}
	return append(dst, item...)
}

// batchTooLarge is the failure for item i, which does not fit in a batch
// of its own.
func (ex *Execution) batchTooLarge(i, maxBytes int) *Failure {
	return ex.stateError(ErrRuntime, "The item at index "+strconv.Itoa(i)+" does not fit in a batch of at most "+strconv.Itoa(maxBytes)+" bytes (MaxInputBytesPerBatch)")
}

// batch regroups the n item inputs at ex.spans[base:] into batch inputs
// and returns how many batches there are. A batch holds at most lim.items
// items, and its input is at most lim.maxBytes() bytes. An item that does
// not fit in a batch of its own fails the state. On failure the spans
// are popped.
func (ex *Execution) batch(base, n int, lim *batchLimits) (int, *Failure) {
	maxBytes := lim.maxBytes()
	batches := 0
	for i := 0; i < n; batches++ {
		mark := len(ex.arena)
		ex.arena = lim.appendStart(ex.arena)
		count := 0
		for ; i < n && (lim.items == 0 || count < lim.items); count++ {
			item := ex.spans[base+i]
			if batchSize(len(ex.arena)-mark, len(item), count) > maxBytes {
				if count > 0 {
					break
				}
				ex.popSpans(base)
				return 0, ex.batchTooLarge(i, maxBytes)
			}
			ex.arena = appendBatchItem(ex.arena, item, count)
			i++
		}
		ex.arena = append(ex.arena, "]}"...)
		ex.spans[base+batches] = ex.arena[mark:len(ex.arena):len(ex.arena)]
		lim.sizes = append(lim.sizes, count)
	}
	ex.popSpans(base + batches)
	if f := ex.checkArena(); f != nil {
		ex.popSpans(base)
		return 0, f
	}
	return batches, nil
}
