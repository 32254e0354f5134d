package jsonata

import "math"

// evalPath evaluates a location path step by step, mapping each step over
// the sequence produced by the previous one.
func (ev *evaluator) evalPath(n *node, input any, e *env) any {
	if v, ok := ev.evalSimplePath(n, input, e); ok {
		return v
	}
	var inputSeq *Array
	if a, ok := input.(*Array); ok && n.steps[0].typ != ntVariable {
		inputSeq = a
	} else {
		// like JavaScript's createSequence(input): one item even when the
		// input is undefined, so a first step such as a function call or
		// constructor still runs
		inputSeq = &Array{Items: []any{input}, sequence: true}
	}
	var resultSeq *Array
	isTuple := false
	var tuples *Array
	for i, step := range n.steps {
		if step.tuple {
			isTuple = true
		}
		if i == 0 && step.consarray {
			resultSeq = asArray(ev.eval(step, inputSeq, e))
		} else if isTuple {
			tuples = ev.evalTupleStep(step, inputSeq, tuples, e)
		} else {
			resultSeq = ev.evalStep(step, inputSeq, e, i == len(n.steps)-1)
		}
		if !isTuple && (resultSeq == nil || len(resultSeq.Items) == 0) {
			break
		}
		if step.focus == "" {
			inputSeq = resultSeq
		}
	}
	var result any
	if isTuple {
		if n.tuple {
			result = tuples
		} else {
			rs := newSeq(len(tuples.Items))
			for _, t := range tuples.Items {
				rs.Items = append(rs.Items, t.(tuple)["@"])
			}
			resultSeq = rs
			result = rs
		}
	} else if resultSeq != nil {
		result = resultSeq
	}
	if n.keepSingletonArray {
		if resultSeq == nil {
			resultSeq = newSeq(0)
		}
		if resultSeq.cons && !resultSeq.sequence {
			resultSeq = &Array{Items: []any{resultSeq}, sequence: true}
		}
		resultSeq.keepSingleton = true
		result = resultSeq
	}
	if n.group != nil {
		if isTuple {
			result = ev.evalGroup(n.group.pairs, n.group.pos, tuples, e)
		} else {
			result = ev.evalGroup(n.group.pairs, n.group.pos, result, e)
		}
	}
	return result
}

// evalSimplePath evaluates a path of plain name steps (optionally after a
// variable) over objects without building sequences: the common
// $states.input.a.b. It reports false, having evaluated nothing that
// matters, when the path or the values met need the general machinery
// (an array before the last step, predicates, bindings, grouping).
func (ev *evaluator) evalSimplePath(n *node, input any, e *env) (any, bool) {
	if n.keepSingletonArray || n.group != nil || n.tuple {
		return nil, false
	}
	v := input
	last := len(n.steps) - 1
	for i, step := range n.steps {
		if step.tuple || step.focus != "" || step.index != "" || step.ancestor != nil ||
			step.predicate != nil || step.group != nil || step.keepArray {
			return nil, false
		}
		// one stage is allowed: a literal index on a name step, a[0]
		var index *node
		if step.stages != nil {
			if len(step.stages) != 1 || step.typ != ntName {
				return nil, false
			}
			index = step.stages[0].filter
			if index == nil || index.typ != ntNumber {
				return nil, false
			}
		}
		switch step.typ {
		case ntVariable:
			if i != 0 {
				return nil, false
			}
			ev.enter(step)
			v = ev.evalVariable(step, v, e)
			ev.depth--
		case ntName:
			o, ok := v.(*Object)
			if !ok {
				return nil, false
			}
			ev.enter(step)
			v = o.get(step.op)
			ev.depth--
			if index != nil && v != nil {
				if a, ok := v.(*Array); ok && a.sequence {
					return nil, false
				}
				v = pickIndex(v, index.num)
			}
		default:
			return nil, false
		}
		if v == nil {
			return nil, true
		}
		if a, ok := v.(*Array); ok && (i < last || a.sequence) {
			return nil, false
		}
	}
	return v, true
}

// pickIndex is evalFilter with a literal number on one step's value: the
// item at that index (negative from the end), a non-array being a
// sequence of one.
func pickIndex(v any, num float64) any {
	idx := int(math.Floor(num))
	a, ok := v.(*Array)
	if !ok {
		if idx == 0 || idx == -1 {
			return v
		}
		return nil
	}
	if idx < 0 {
		idx += len(a.Items)
	}
	if idx < 0 || idx >= len(a.Items) {
		return nil
	}
	return a.Items[idx]
}

// asArray returns v as an array, wrapping a non-array in a sequence.
func asArray(v any) *Array {
	if v == nil {
		return nil
	}
	if a, ok := v.(*Array); ok {
		return a
	}
	return seqOf(v)
}

// evalStep maps one step over the input sequence and flattens the results.
func (ev *evaluator) evalStep(step *node, input *Array, e *env, last bool) *Array {
	if step.typ == ntSort {
		res := asArray(ev.evalSort(step, input, e))
		if step.stages != nil {
			res = ev.evalStages(step.stages, res, e)
		}
		return res
	}
	var rb [8]any
	results := rb[:0]
	for _, item := range input.Items {
		res := ev.eval(step, item, e)
		for _, st := range step.stages {
			res = ev.evalFilter(st.filter, res, e)
		}
		if res != nil {
			results = append(results, res)
		}
	}
	if last && len(results) == 1 {
		if a, ok := results[0].(*Array); ok && !a.sequence {
			return a
		}
	}
	size := 0
	for _, r := range results {
		if a, ok := r.(*Array); ok && !a.cons {
			size += len(a.Items)
		} else {
			size++
		}
	}
	ev.charge(size * itemBytes)
	out := newSeq(size)
	for _, r := range results {
		if a, ok := r.(*Array); ok && !a.cons {
			out.Items = append(out.Items, a.Items...)
		} else {
			out.Items = append(out.Items, r)
		}
	}
	return out
}

// evalStages applies the predicate filters and #$i bindings of a step.
func (ev *evaluator) evalStages(stages []*stage, input *Array, e *env) *Array {
	res := input
	for _, st := range stages {
		if st.filter != nil {
			res = asArrayKeep(ev.evalFilter(st.filter, res, e))
		} else {
			for i, t := range res.Items {
				t.(tuple)[st.index] = float64(i)
			}
		}
	}
	return res
}

func asArrayKeep(v any) *Array {
	if a, ok := v.(*Array); ok {
		return a
	}
	return seqOf(v)
}

// frameFromTuple binds a tuple's variables in a new frame.
func frameFromTuple(e *env, t tuple) *env {
	f := &env{parent: e}
	for k, v := range t {
		f.bind(k, v)
	}
	return f
}

// evalTupleStep evaluates a step of a path that binds focus, index or
// ancestor variables, producing a tuple stream.
func (ev *evaluator) evalTupleStep(step *node, input *Array, tuples *Array, e *env) *Array {
	if step.typ == ntSort {
		var res *Array
		if tuples != nil {
			res = asArray(ev.evalSort(step, tuples, e))
		} else {
			sorted := asArray(ev.evalSort(step, input, e))
			res = &Array{sequence: true, tupleStream: true}
			if sorted != nil {
				for i, v := range sorted.Items {
					t := tuple{"@": v}
					if step.index != "" {
						t[step.index] = float64(i)
					}
					res.Items = append(res.Items, t)
				}
			}
		}
		if res == nil {
			res = &Array{sequence: true, tupleStream: true}
		}
		if step.stages != nil {
			res = ev.evalStages(step.stages, res, e)
		}
		return res
	}
	result := &Array{sequence: true, tupleStream: true}
	if tuples == nil {
		tuples = &Array{tupleStream: true}
		if input != nil {
			for _, it := range input.Items {
				tuples.Items = append(tuples.Items, tuple{"@": it})
			}
		}
	}
	for _, ti := range tuples.Items {
		t := ti.(tuple)
		stepEnv := frameFromTuple(e, t)
		res := ev.eval(step, t["@"], stepEnv)
		if res == nil {
			continue
		}
		arr, isArr := res.(*Array)
		if !isArr {
			arr = &Array{Items: []any{res}}
		}
		ev.charge(len(arr.Items) * len(t) * itemBytes) // a tuple per item, as large as t
		for bb, item := range arr.Items {
			nt := make(tuple, len(t)+2)
			for k, v := range t {
				nt[k] = v
			}
			if arr.tupleStream {
				for k, v := range item.(tuple) {
					nt[k] = v
				}
			} else {
				if step.focus != "" {
					nt[step.focus] = item
					nt["@"] = t["@"]
				} else {
					nt["@"] = item
				}
				if step.index != "" {
					nt[step.index] = float64(bb)
				}
				if step.ancestor != nil {
					nt[step.ancestor.label] = t["@"]
				}
			}
			result.Items = append(result.Items, nt)
		}
	}
	if step.stages != nil {
		result = ev.evalStages(step.stages, result, e)
	}
	return result
}

// evalFilter applies a predicate: a number selects by index (negative
// from the end), anything else keeps the items for which it is truthy.
func (ev *evaluator) evalFilter(pred *node, input any, e *env) any {
	results := newSeq(0)
	arr, ok := input.(*Array)
	if ok && arr.tupleStream {
		results.tupleStream = true
	}
	if !ok {
		arr = seqOf(input)
	}
	if pred.typ == ntNumber {
		idx := int(math.Floor(pred.num))
		if idx < 0 {
			idx += len(arr.Items)
		}
		if idx >= 0 && idx < len(arr.Items) {
			item := arr.Items[idx]
			if a, ok := item.(*Array); ok {
				return a
			}
			results.Items = append(results.Items, item)
		}
		return results
	}
	for i, item := range arr.Items {
		ctx, fenv := item, e
		if arr.tupleStream {
			t := item.(tuple)
			ctx = t["@"]
			fenv = frameFromTuple(e, t)
		}
		res := ev.eval(pred, ctx, fenv)
		if f, ok := isNumeric(res); ok {
			res = &Array{Items: []any{f}}
		}
		if a, ok := res.(*Array); ok && isArrayOfNumbers(a) && len(a.Items) > 0 {
			for _, v := range a.Items {
				ii := int(math.Floor(v.(float64)))
				if ii < 0 {
					ii += len(arr.Items)
				}
				if ii == i {
					results.Items = append(results.Items, item)
				}
			}
		} else if toBool(res) {
			results.Items = append(results.Items, item)
		}
	}
	return results
}

func isArrayOfNumbers(a *Array) bool {
	for _, v := range a.Items {
		if _, ok := isNumeric(v); !ok {
			return false
		}
	}
	return true
}

// evalSort is the ^( ) order-by step: a stable merge sort on the terms.
func (ev *evaluator) evalSort(n *node, input any, e *env) any {
	arr := asArray(input)
	if arr == nil {
		return nil
	}
	isTuple := arr.tupleStream
	key := func(item any, term *sortTerm) any {
		if isTuple {
			t := item.(tuple)
			return ev.eval(term.expr, t["@"], frameFromTuple(e, t))
		}
		return ev.eval(term.expr, item, e)
	}
	greater := func(a, b any) bool {
		comp := 0
		for i := 0; comp == 0 && i < len(n.terms); i++ {
			term := &n.terms[i]
			aa, bb := key(a, term), key(b, term)
			if aa == nil {
				if bb != nil {
					comp = 1
				}
				continue
			}
			if bb == nil {
				comp = -1
				continue
			}
			at, bt := sigSymbol(aa), sigSymbol(bb)
			if !(at == 's' || at == 'n') || !(bt == 's' || bt == 'n') {
				bad := aa
				if at == 's' || at == 'n' {
					bad = bb
				}
				throwErr("T2008", n.pos, "", bad)
			}
			if at != bt {
				throwErr("T2007", n.pos, "", aa)
			}
			if deepEqual(aa, bb) {
				continue
			}
			if lessScalar(aa, bb) {
				comp = -1
			} else {
				comp = 1
			}
			if term.descending {
				comp = -comp
			}
		}
		return comp == 1
	}
	sorted := mergeSort(arr.Items, greater)
	res := &Array{Items: sorted, sequence: true, tupleStream: isTuple}
	return res
}

// lessScalar compares two numbers or two strings.
func lessScalar(a, b any) bool {
	if x, ok := a.(float64); ok {
		return x < b.(float64)
	}
	return a.(string) < b.(string)
}

// mergeSort is JSONata's stable sort: greater(a, b) reports that a must
// come after b.
func mergeSort(items []any, greater func(a, b any) bool) []any {
	if len(items) <= 1 {
		return append([]any(nil), items...)
	}
	mid := len(items) / 2
	l := mergeSort(items[:mid], greater)
	r := mergeSort(items[mid:], greater)
	out := make([]any, 0, len(items))
	i, j := 0, 0
	for i < len(l) && j < len(r) {
		if greater(l[i], r[j]) {
			out = append(out, r[j])
			j++
		} else {
			out = append(out, l[i])
			i++
		}
	}
	out = append(out, l[i:]...)
	return append(out, r[j:]...)
}

// groupEntry collects the items that produced one key.
type groupEntry struct {
	data      any
	exprIndex int
	owned     bool // data is an array this group built, appended to in place
}

// add appends item to the group's data as $append would, in place once
// the group owns an array: appending by copying made a group of n items
// cost n²/2 copies.
func (ge *groupEntry) add(item any) {
	if !ge.owned {
		ge.owned = ge.data != nil && item != nil // appendValues builds a new array
		ge.data = appendValues(ge.data, item)
		return
	}
	a := ge.data.(*Array)
	if y, ok := item.(*Array); ok {
		a.Items = append(a.Items, y.Items...)
	} else {
		a.Items = append(a.Items, item)
	}
}

// evalGroup is the object constructor: each pair's key expression is
// evaluated per input item, items are grouped by key, and the value
// expression is evaluated once per group.
func (ev *evaluator) evalGroup(pairs [][2]*node, pos int, input any, e *env) any {
	g := groupSpec{pairs: pairs, pos: pos}
	arr, isArr := input.(*Array)
	if !isArr && len(pairs) <= maxSimpleGroup {
		return ev.evalGroupOne(&g, input, e)
	}
	result := NewObject(len(g.pairs))
	reduce := isArr && arr.tupleStream
	var items []any
	if isArr {
		items = arr.Items
	} else if input != nil {
		items = []any{input}
	}
	if len(items) == 0 {
		items = []any{nil}
	}
	groups := make(map[string]*groupEntry)
	var order []string
	for _, item := range items {
		ienv, ctx := e, item
		if t, ok := item.(tuple); reduce && ok {
			ienv = frameFromTuple(e, t)
			ctx = t["@"]
		}
		for pi, pair := range g.pairs {
			k := ev.eval(pair[0], ctx, ienv)
			if k == nil {
				continue
			}
			key, ok := k.(string)
			if !ok {
				throwErr("T1003", g.pos, "", k)
			}
			if ge, ok := groups[key]; ok {
				if ge.exprIndex != pi {
					throwErr("D1009", g.pos, "", key)
				}
				ge.add(item)
			} else {
				groups[key] = &groupEntry{data: item, exprIndex: pi}
				order = append(order, key)
			}
		}
	}
	for _, key := range order {
		ge := groups[key]
		ctx, genv := ge.data, e
		if reduce {
			t := reduceTupleStream(ge.data)
			ctx = t["@"]
			delete(t, "@")
			genv = frameFromTuple(e, t)
		}
		v := ev.eval(g.pairs[ge.exprIndex][1], ctx, genv)
		if v != nil {
			result.Set(key, v)
		}
	}
	return result
}

// maxSimpleGroup is the most pairs evalGroupOne handles.
const maxSimpleGroup = 16

// evalGroupOne is evalGroup over a single input item (an object
// constructor evaluated once): no grouping map, each key's value is
// evaluated with the item as context.
func (ev *evaluator) evalGroupOne(g *groupSpec, item any, e *env) any {
	var kb [maxSimpleGroup]string
	var ib [maxSimpleGroup]int
	keys, idx := kb[:0], ib[:0]
	for pi, pair := range g.pairs {
		k := ev.eval(pair[0], item, e)
		if k == nil {
			continue
		}
		key, ok := k.(string)
		if !ok {
			throwErr("T1003", g.pos, "", k)
		}
		for _, seen := range keys {
			if seen == key {
				// a single item reaches a key twice only from two pairs
				throwErr("D1009", g.pos, "", key)
			}
		}
		keys = append(keys, key)
		idx = append(idx, pi)
	}
	result := NewObject(len(keys))
	for i, key := range keys {
		v := ev.eval(g.pairs[idx[i]][1], item, e)
		if v != nil {
			result.keys = append(result.keys, key)
			result.vals = append(result.vals, v)
		}
	}
	if len(result.keys) > smallObject {
		result.reindex()
	}
	return result
}

// reduceTupleStream merges the tuples of one group, appending the values
// of each variable.
func reduceTupleStream(v any) tuple {
	arr, ok := v.(*Array)
	if !ok || len(arr.Items) == 0 {
		t, _ := v.(tuple)
		out := make(tuple, len(t))
		for k, x := range t {
			out[k] = x
		}
		return out
	}
	out := tuple{}
	first, _ := arr.Items[0].(tuple)
	for k, x := range first {
		out[k] = x
	}
	for _, ti := range arr.Items[1:] {
		t, _ := ti.(tuple)
		for k, x := range t {
			out[k] = appendValues(out[k], x)
		}
	}
	return out
}

// appendValues is $append: concatenates, wrapping non-arrays.
func appendValues(a, b any) any {
	if a == nil {
		return b
	}
	if b == nil {
		return a
	}
	out := &Array{}
	if x, ok := a.(*Array); ok {
		out.Items = append(out.Items, x.Items...)
	} else {
		out.Items = append(out.Items, a)
	}
	if y, ok := b.(*Array); ok {
		out.Items = append(out.Items, y.Items...)
	} else {
		out.Items = append(out.Items, b)
	}
	return out
}
