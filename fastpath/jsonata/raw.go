package jsonata

import "github.com/stepd/stepd/fastpath/jsonb"

// Raw evaluation: the expressions state machines mostly hold (paths over
// $states.input and variables, small object and array constructors,
// string concatenation, comparisons, $merge, $string) evaluated straight
// over the compact JSON text of their input, as a JSONPath is, without
// building the value model. A value is a span of the input or of a
// scratch buffer, so an evaluation allocates nothing once the buffers
// have grown, and a member copied unchanged is copied byte for byte.
//
// The raw evaluator never decides anything the full evaluator would
// decide differently: when it meets a case it does not handle (an error,
// a type it does not model, an undefined result) it gives up and the
// caller runs Eval, which yields the result or the error. Inputs must be
// canonical (Canonical): exactly the JSON that AppendJSON would write
// for them, so that a span can stand for the value it encodes.

// RawVar binds a variable of a raw evaluation (Raw.AppendEval) to
// canonical compact JSON. A variable with Members is an object given
// member by member (as a host's $states is: input, result) and may only
// be read through a member step ($states.input).
type RawVar struct {
	Name    string
	JSON    []byte
	Members []RawVar
}

// Raw is an expression compiled for raw evaluation. It is immutable and
// safe for concurrent use.
type Raw struct {
	root  *node
	funcs *Registry
}

// Raw returns e prepared for raw evaluation with the host functions of
// reg (the registry the host passes as Options.Functions), or nil when e
// uses something the raw evaluator does not handle: bindings, lambdas,
// predicates other than a literal index, grouping, sorting, regexes,
// functions other than $string, $merge, $not, $exists and host functions
// with a JSON form.
func (e *Expr) Raw(reg *Registry) *Raw {
	if !rawOK(e.root, reg) {
		return nil
	}
	return &Raw{root: e.root, funcs: reg}
}

// rawOK reports whether the raw evaluator handles n and everything
// below it.
func rawOK(n *node, reg *Registry) bool {
	if n.predicate != nil || n.group != nil || n.keepArray || n.focus != "" || n.index != "" || n.tuple {
		return false
	}
	switch n.typ {
	case ntString, ntNumber, ntValue:
		return true
	case ntVariable:
		return true
	case ntPath:
		return rawPathOK(n)
	case ntBinary:
		switch n.op {
		case "and", "or", "=", "!=", "<", "<=", ">", ">=", "&", "+", "-", "*", "/", "%":
			return rawOK(n.lhs, reg) && rawOK(n.rhs, reg)
		}
		return false
	case ntUnary:
		switch n.op {
		case "-":
			return rawOK(n.expr, reg)
		case "[":
			for _, it := range n.exprs {
				if !rawOK(it, reg) {
					return false
				}
			}
			return !n.consarray
		case "{":
			for i, p := range n.pairs {
				if p[0].typ != ntString || !rawOK(p[1], reg) {
					return false
				}
				for _, q := range n.pairs[:i] {
					if q[0].str == p[0].str {
						return false // D1009 at run time
					}
				}
			}
			return true
		}
		return false
	case ntBlock:
		for _, x := range n.exprs {
			if !rawOK(x, reg) {
				return false
			}
		}
		return len(n.exprs) > 0
	case ntCondition:
		return rawOK(n.condition, reg) && rawOK(n.then, reg) && (n.els == nil || rawOK(n.els, reg))
	case ntFunction:
		if n.procedure.typ != ntVariable {
			return false
		}
		for _, a := range n.args {
			if !rawOK(a, reg) {
				return false
			}
		}
		if reg != nil {
			if b, ok := reg.funcs[n.procedure.op]; ok {
				return b.json != nil
			}
		}
		switch n.procedure.op {
		case "string", "not", "exists", "merge":
			return len(n.args) == 1
		}
	}
	return false
}

// rawPathOK reports whether a path is plain member steps, after a
// variable or from the context, each with at most a literal index.
func rawPathOK(n *node) bool {
	if n.keepSingletonArray || n.group != nil || n.tuple || n.seekingParent != nil {
		return false
	}
	for i, st := range n.steps {
		if st.tuple || st.focus != "" || st.index != "" || st.ancestor != nil || st.predicate != nil ||
			st.group != nil || st.keepArray || st.seekingParent != nil {
			return false
		}
		switch {
		case st.typ == ntVariable && i == 0 && st.stages == nil:
		case st.typ == ntName:
			if st.stages != nil && (len(st.stages) != 1 || st.stages[0].filter == nil || st.stages[0].filter.typ != ntNumber) {
				return false
			}
		default:
			return false
		}
	}
	return true
}

// RawEval holds the buffers of raw evaluations: reuse one per goroutine
// (it is not safe for concurrent use). The zero value is ready. Values
// an evaluation computes live in its buffers until the next evaluation.
type RawEval struct {
	// MaxBytes is Options.MaxBytes of the Eval that raw evaluation
	// stands for (0: no limit). Raw evaluation counts at least what Eval
	// would count against it and declines past it, so that Eval meets
	// the limit as it would have.
	MaxBytes int
	charged  int
	scratch  []byte   // strings and containers built during one evaluation
	vals     []rval   // the parts of constructors being built
	args     [][]byte // the arguments of host function calls
	// index and pairs are the members of the large objects paths have
	// looked into, kept until Forget.
	index []rawIndexEntry
	pairs []rawPair
	// merged lists the members of the object the last $merge wrote, at
	// mergedAt in the scratch buffer.
	merged   []mergedMember
	mergedAt *byte
	seq      [][]byte  // the items of path sequences
	members  []rawPair // the members of a $merge
	keys     [][]byte  // object keys, for Canonical
	input    []byte
	vars     []RawVar
	funcs    *Registry
}

type rawPair struct{ key, val []byte }

// rawIndexEntry lists the members of the object at obj (n bytes long) as
// pairs[lo:hi].
type rawIndexEntry struct {
	obj    *byte
	n      int
	lo, hi int
}

// Forget drops what ev remembers of the objects it has read (an index of
// their members). A host that evaluates over memory it rewrites must call
// it first: until then, input and variable bytes seen by AppendEval must
// not change.
func (ev *RawEval) Forget() {
	clear(ev.pairs)
	ev.index, ev.pairs = ev.index[:0], ev.pairs[:0]
}

// rawIndexMin is the size from which an object looked into gets an index
// of its members: below it, scanning for the member costs less.
const rawIndexMin = 128

// rawIndexMax bounds the objects indexed until Forget; more start the
// index over.
const rawIndexMax = 32

// indexed returns the index entry of the object o, nil when it has none.
func (ev *RawEval) indexed(o []byte) *rawIndexEntry {
	for i := range ev.index {
		if x := &ev.index[i]; x.obj == &o[0] && x.n == len(o) {
			return x
		}
	}
	return nil
}

// member returns the value of key in the canonical object o (nil when
// absent), looking large objects up through an index of their members,
// so that paths into a large input do not each skip over all of it.
func (ev *RawEval) member(o []byte, key string) []byte {
	if len(o) < rawIndexMin {
		return objectMember(o, key)
	}
	e := ev.indexed(o)
	if e == nil {
		if len(ev.index) == rawIndexMax {
			ev.Forget()
		}
		lo := len(ev.pairs)
		for i := 1; i < len(o) && o[i] != '}'; {
			ke := skipRaw(o, i)
			ve := skipRaw(o, ke+1)
			ev.pairs = append(ev.pairs, rawPair{o[i:ke], o[ke+1 : ve]})
			i = ve + 1
		}
		ev.index = append(ev.index, rawIndexEntry{obj: &o[0], n: len(o), lo: lo, hi: len(ev.pairs)})
		e = &ev.index[len(ev.index)-1]
	}
	for _, p := range ev.pairs[e.lo:e.hi] {
		if rawKeyIs(p.key, key) {
			return p.val
		}
	}
	return nil
}

// AppendEval evaluates r with input as the context ($, nil for none) and
// vars as the variables, all canonical compact JSON (see Canonical), and
// appends the compact JSON of the result to dst, as AppendJSON would
// write the result of Eval. ok is false, with dst unchanged, when the
// result is undefined or the evaluation met something the raw evaluator
// leaves to Eval (an error among them); the caller then evaluates with
// Eval. The result may copy spans of input and vars.
func (r *Raw) AppendEval(dst []byte, ev *RawEval, input []byte, vars []RawVar) (out []byte, ok bool) {
	ev.scratch, ev.seq, ev.members, ev.vals, ev.args = ev.scratch[:0], ev.seq[:0], ev.members[:0], ev.vals[:0], ev.args[:0]
	ev.input, ev.vars, ev.funcs, ev.charged = input, vars, r.funcs, 0
	ev.merged = ev.merged[:0]
	v, ok := ev.eval(r.root)
	if ok && v.k != rUndef {
		out, ok = ev.appendValue(dst, v)
	}
	ev.input, ev.vars = nil, nil
	if !ok || v.k == rUndef {
		return dst, false
	}
	ev.indexResult(v, out[len(dst):])
	return out, true
}

// indexResult indexes the members of res, the result just written, when
// it is the object the last $merge built: they are known without a scan,
// and the next state of a machine usually reads its input through them.
func (ev *RawEval) indexResult(v rval, res []byte) {
	if len(res) < rawIndexMin || len(ev.merged) == 0 || v.k != rJSON || ev.mergedAt != &v.b[0] || len(v.b) != len(res) {
		return
	}
	if ev.indexed(res) != nil {
		return
	}
	if len(ev.index) == rawIndexMax {
		ev.Forget()
	}
	lo := len(ev.pairs)
	for _, m := range ev.merged {
		ev.pairs = append(ev.pairs, rawPair{res[m.k0:m.k1], res[m.k1+1 : m.v1]})
	}
	ev.index = append(ev.index, rawIndexEntry{obj: &res[0], n: len(res), lo: lo, hi: len(ev.pairs)})
}

// mergedMember is where a member of the last $merge result is, relative
// to the result: its key at [k0, k1), its value after the colon up to v1.
type mergedMember struct{ k0, k1, v1 int32 }

type rkind uint8

// The kinds of raw values.
const (
	rUndef rkind = iota
	rJSON        // b is canonical compact JSON
	rStr         // b is the text of a string
	rNum         // n
	rBool        // t
	rSeq         // a sequence: ev.seq[lo:hi], each canonical JSON
	rVars        // an object given member by member: vars
)

type rval struct {
	k rkind
	t bool
	// lo and hi are a sequence's items in ev.seq; lo is the variable
	// in ev.vars of an rVars
	lo, hi int32
	n      float64
	b      []byte
}

// seqOf returns the items of the sequence v.
func (ev *RawEval) seqOf(v rval) [][]byte { return ev.seq[v.lo:v.hi] }

var rawUndef = rval{}

func (ev *RawEval) eval(n *node) (rval, bool) {
	switch n.typ {
	case ntString:
		return rval{k: rStr, b: stringBytes(n.str)}, true
	case ntNumber:
		return rval{k: rNum, n: n.num}, true
	case ntValue:
		switch x := n.val.(type) {
		case bool:
			return rval{k: rBool, t: x}, true
		case Null:
			return rval{k: rJSON, b: jsonNull}, true
		}
		return rawUndef, false
	case ntVariable:
		return ev.variable(n.op)
	case ntPath:
		return ev.path(n)
	case ntBinary:
		return ev.binary(n)
	case ntUnary:
		switch n.op {
		case "-":
			v, ok := ev.eval(n.expr)
			if !ok || v.k == rUndef {
				return v, ok
			}
			f, ok := ev.number(v)
			return rval{k: rNum, n: -f}, ok
		case "[":
			return ev.array(n)
		case "{":
			return ev.object(n)
		}
	case ntBlock:
		var v rval
		for _, x := range n.exprs {
			var ok bool
			if v, ok = ev.eval(x); !ok {
				return v, false
			}
		}
		return v, true
	case ntCondition:
		c, ok := ev.eval(n.condition)
		if !ok {
			return c, false
		}
		t, ok := ev.truthy(c)
		switch {
		case !ok:
			return rawUndef, false
		case t:
			return ev.eval(n.then)
		case n.els != nil:
			return ev.eval(n.els)
		}
		return rawUndef, true
	case ntFunction:
		return ev.function(n)
	}
	return rawUndef, false
}

var (
	jsonNull  = []byte("null")
	jsonTrue  = []byte("true")
	jsonFalse = []byte("false")
)

// variable is $name, $ (the context) or $$ (the root, the same here).
func (ev *RawEval) variable(name string) (rval, bool) {
	if name == "" || name == "$" {
		if ev.input == nil {
			return rawUndef, true
		}
		return rval{k: rJSON, b: ev.input}, true
	}
	for i := range ev.vars {
		if v := &ev.vars[i]; v.Name == name {
			if v.Members != nil {
				return rval{k: rVars, lo: int32(i)}, true
			}
			return rval{k: rJSON, b: v.JSON}, true
		}
	}
	if ev.funcs.lookup(name) != nil {
		return rawUndef, false // a function value
	}
	return rawUndef, true
}

// path evaluates a location path of member steps as evalPath does: each
// step maps over the sequence the previous one produced, arrays met are
// flattened into it, and a single array at the last step stays whole.
func (ev *RawEval) path(n *node) (rval, bool) {
	steps := n.steps
	lo := len(ev.seq)
	if first := steps[0]; first.typ == ntVariable {
		v, ok := ev.variable(first.op)
		if !ok || v.k == rUndef {
			return v, ok
		}
		steps = steps[1:]
		if v.k == rVars {
			// only a member step reads an object given by members
			if len(steps) == 0 {
				return rawUndef, false
			}
			var m []byte
			members := ev.vars[v.lo].Members
			for i := range members {
				if members[i].Name == steps[0].op {
					m = members[i].JSON
				}
			}
			if m != nil && steps[0].stages != nil {
				m = pickRaw(m, steps[0].stages[0].filter.num)
			}
			if m == nil {
				return rawUndef, true
			}
			v, steps = rval{k: rJSON, b: m}, steps[1:]
		}
		if len(steps) == 0 {
			return v, true
		}
		if m := v.b; m[0] == '[' {
			ev.pushItems(m)
		} else {
			ev.seq = append(ev.seq, m)
		}
	} else {
		if ev.input == nil {
			return rawUndef, true
		}
		if ev.input[0] == '[' {
			return rawUndef, false // the input array is wrapped as a sequence
		}
		ev.seq = append(ev.seq, ev.input)
	}
	// one object at a time, the common case, builds no sequence
	for len(ev.seq) == lo+1 && len(steps) > 0 && ev.seq[lo][0] == '{' {
		if !ev.charge(itemBytes) {
			return rawUndef, false
		}
		st := steps[0]
		m := ev.member(ev.seq[lo], st.op)
		if m != nil && st.stages != nil {
			m = pickRaw(m, st.stages[0].filter.num)
		}
		if m == nil {
			ev.seq = ev.seq[:lo]
			return rawUndef, true
		}
		steps = steps[1:]
		if m[0] != '[' {
			ev.seq[lo] = m
			continue
		}
		ev.seq = ev.seq[:lo]
		if len(steps) == 0 {
			return rval{k: rJSON, b: m}, true
		}
		ev.pushItems(m)
	}
	for i, st := range steps {
		mid := len(ev.seq)
		if !ev.charge((mid - lo) * itemBytes) {
			return rawUndef, false
		}
		for _, it := range ev.seq[lo:mid] {
			switch it[0] {
			case '[':
				return rawUndef, false // nested arrays: leave them to Eval
			case '{':
			default:
				continue
			}
			m := ev.member(it, st.op)
			if m != nil && st.stages != nil {
				m = pickRaw(m, st.stages[0].filter.num)
			}
			if m != nil {
				ev.seq = append(ev.seq, m)
			}
		}
		res := ev.seq[mid:]
		if i == len(steps)-1 && len(res) == 1 && res[0][0] == '[' {
			m := res[0]
			ev.seq = ev.seq[:lo]
			return rval{k: rJSON, b: m}, true
		}
		end := len(ev.seq)
		for j := mid; j < end; j++ {
			if m := ev.seq[j]; m[0] == '[' {
				ev.pushItems(m)
			} else {
				ev.seq = append(ev.seq, m)
			}
		}
		ev.seq = append(ev.seq[:lo], ev.seq[end:]...)
		if len(ev.seq) == lo {
			return rawUndef, true
		}
	}
	if !ev.charge((len(ev.seq) - lo) * itemBytes) {
		return rawUndef, false
	}
	switch len(ev.seq) - lo {
	case 0:
		return rawUndef, true
	case 1:
		m := ev.seq[lo]
		ev.seq = ev.seq[:lo]
		return rval{k: rJSON, b: m}, true
	}
	return rval{k: rSeq, lo: int32(lo), hi: int32(len(ev.seq))}, true
}

// charge counts n bytes against MaxBytes, reporting false past it.
func (ev *RawEval) charge(n int) bool {
	ev.charged += n
	return ev.MaxBytes <= 0 || ev.charged <= ev.MaxBytes
}

// pushItems appends the items of the compact array a to the sequence.
func (ev *RawEval) pushItems(a []byte) {
	for i := 1; i < len(a) && a[i] != ']'; {
		j := skipRaw(a, i)
		ev.seq = append(ev.seq, a[i:j])
		i = j + 1
	}
}

// pickRaw is a literal index on a member's value (see pickIndex).
func pickRaw(v []byte, num float64) []byte {
	idx := int(floor(num))
	if v[0] != '[' {
		if idx == 0 || idx == -1 {
			return v
		}
		return nil
	}
	if idx < 0 {
		idx += rawLen(v)
	}
	if idx < 0 {
		return nil
	}
	for i := 1; i < len(v) && v[i] != ']'; {
		j := skipRaw(v, i)
		if idx == 0 {
			return v[i:j]
		}
		idx--
		i = j + 1
	}
	return nil
}

// rawLen counts the items of the compact array a.
func rawLen(a []byte) int {
	n := 0
	for i := 1; i < len(a) && a[i] != ']'; i = skipRaw(a, i) + 1 {
		n++
	}
	return n
}

// objectMember returns the value of key in the canonical object o (whose
// keys are distinct and escaped only as AppendJSON escapes), nil when
// absent.
func objectMember(o []byte, key string) []byte {
	for i := 1; i < len(o) && o[i] != '}'; {
		ke := skipRaw(o, i)
		ve := skipRaw(o, ke+1)
		if rawKeyIs(o[i:ke], key) {
			return o[ke+1 : ve]
		}
		i = ve + 1
	}
	return nil
}

// rawKeyIs reports whether the canonical JSON string k encodes key.
func rawKeyIs(k []byte, key string) bool {
	body := k[1 : len(k)-1]
	if len(body) == len(key) {
		return string(body) == key
	}
	if len(body) < len(key) || !hasBackslash(body) {
		return false
	}
	var buf [64]byte
	return string(jsonb.AppendUnescaped(buf[:0], body)) == key
}

func hasBackslash(b []byte) bool {
	for _, c := range b {
		if c == '\\' {
			return true
		}
	}
	return false
}

// array is the array constructor: undefined items are dropped, arrays
// produced by an item other than a nested constructor are flattened. The
// items are evaluated before the array is written, since a nested
// constructor writes to the scratch buffer too.
func (ev *RawEval) array(n *node) (rval, bool) {
	mark := len(ev.vals)
	for _, it := range n.exprs {
		if !ev.push(it, mark) {
			return rawUndef, false
		}
	}
	start := len(ev.scratch)
	ev.scratch = append(ev.scratch, '[')
	first, ok := true, true
	for i, v := range ev.vals[mark:] {
		it := n.exprs[i]
		splice := !(it.typ == ntUnary && it.op == "[")
		switch {
		case v.k == rUndef:
			continue
		case splice && v.k == rSeq:
			for _, m := range ev.seqOf(v) {
				ev.scratch = appendComma(ev.scratch, &first)
				ev.scratch = append(ev.scratch, m...)
			}
			continue
		case splice && v.k == rJSON && v.b[0] == '[':
			for i := 1; i < len(v.b) && v.b[i] != ']'; {
				j := skipRaw(v.b, i)
				ev.scratch = appendComma(ev.scratch, &first)
				ev.scratch = append(ev.scratch, v.b[i:j]...)
				i = j + 1
			}
			continue
		}
		ev.scratch = appendComma(ev.scratch, &first)
		if ev.scratch, ok = ev.appendValue(ev.scratch, v); !ok {
			break
		}
	}
	return ev.built(mark, start, ']', ok)
}

// push evaluates x onto ev.vals; on failure it drops ev.vals[mark:].
func (ev *RawEval) push(x *node, mark int) bool {
	v, ok := ev.eval(x)
	if !ok {
		ev.vals = ev.vals[:mark]
		return false
	}
	ev.vals = append(ev.vals, v)
	return true
}

func appendComma(b []byte, first *bool) []byte {
	if *first {
		*first = false
		return b
	}
	return append(b, ',')
}

// object is the object constructor with literal, distinct keys over a
// single context item: undefined values leave their key out.
func (ev *RawEval) object(n *node) (rval, bool) {
	mark := len(ev.vals)
	for _, p := range n.pairs {
		if !ev.push(p[1], mark) {
			return rawUndef, false
		}
	}
	start := len(ev.scratch)
	ev.scratch = append(ev.scratch, '{')
	first, ok := true, true
	for i, v := range ev.vals[mark:] {
		if v.k == rUndef {
			continue
		}
		ev.scratch = appendComma(ev.scratch, &first)
		ev.scratch = appendQuoted(ev.scratch, n.pairs[i][0].str)
		ev.scratch = append(ev.scratch, ':')
		if ev.scratch, ok = ev.appendValue(ev.scratch, v); !ok {
			break
		}
	}
	return ev.built(mark, start, '}', ok)
}

// built ends a constructor: its parts ev.vals[mark:] are dropped and, when
// ok, the JSON from start on closed with end is its value.
func (ev *RawEval) built(mark, start int, end byte, ok bool) (rval, bool) {
	ev.vals = ev.vals[:mark]
	if !ok {
		return rawUndef, false
	}
	ev.scratch = append(ev.scratch, end)
	return ev.scratchValue(rJSON, start), true
}

// scratchValue is the value of kind k written to the scratch buffer from
// start on.
func (ev *RawEval) scratchValue(k rkind, start int) rval {
	return rval{k: k, b: ev.scratch[start:len(ev.scratch):len(ev.scratch)]}
}

// appendValue appends v as canonical compact JSON.
func (ev *RawEval) appendValue(dst []byte, v rval) ([]byte, bool) {
	switch v.k {
	case rJSON:
		return append(dst, v.b...), true
	case rStr:
		return appendQuoted(dst, bytesString(v.b)), true
	case rNum:
		if isInfOrNaN(v.n) {
			return dst, false
		}
		return appendNumber(dst, v.n), true
	case rBool:
		if v.t {
			return append(dst, jsonTrue...), true
		}
		return append(dst, jsonFalse...), true
	case rSeq:
		dst = append(dst, '[')
		for i, m := range ev.seqOf(v) {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = append(dst, m...)
		}
		return append(dst, ']'), true
	}
	return dst, false
}
