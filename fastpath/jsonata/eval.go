package jsonata

import (
	"math"
	"strings"
	"time"
)

// env is one frame of variable bindings. Frames are created per block,
// lambda call and tuple; lookups walk the parent chain and end in the
// evaluator's function table.
type env struct {
	// A frame's first binding is held inline (most frames bind one
	// name: the context, a lambda's parameter, a block's :=); more go
	// into vars. list holds a host's Options.Vars.
	oneName string
	oneVal  any
	hasOne  bool
	vars    map[string]any
	list    []Var
	parent  *env
}

func newEnv(parent *env) *env { return &env{parent: parent} }

func (e *env) bind(name string, v any) {
	switch {
	case !e.hasOne:
		e.oneName, e.oneVal, e.hasOne = name, v, true
		return
	case e.oneName == name:
		e.oneVal = v
		return
	}
	if e.vars == nil {
		e.vars = make(map[string]any, 4)
	}
	e.vars[name] = v
}

func (e *env) lookup(name string) (any, bool) {
	for f := e; f != nil; f = f.parent {
		if f.hasOne && f.oneName == name {
			return f.oneVal, true
		}
		if f.vars != nil {
			if v, ok := f.vars[name]; ok {
				return v, true
			}
		}
		for i := range f.list {
			if f.list[i].Name == name {
				return f.list[i].Value, true
			}
		}
	}
	return nil, false
}

// evaluator is the state of one Eval call: limits, counters and the
// function tables. It is not shared between goroutines.
type evaluator struct {
	depth    int
	maxDepth int
	steps    int
	maxSteps int
	bytes    int
	maxBytes int
	deadline time.Time
	funcs    *Registry
	now      time.Time
	clk      interface{ Now() time.Time }
	root     *env
	// capturedEnv is set when the evaluation made a value that holds an
	// environment (a lambda, a transform), so its frame cannot be reused.
	capturedEnv bool
}

// clock is the time $now and $millis report: read once per evaluation,
// on first use.
func (ev *evaluator) clock() time.Time {
	if ev.now.IsZero() {
		if ev.clk != nil {
			ev.now = ev.clk.Now()
		} else {
			ev.now = time.Now()
		}
	}
	return ev.now
}

// timeCheckEvery is how many node evaluations pass between clock reads;
// reading the clock on every node would dominate small expressions.
const timeCheckEvery = 1024

// enter counts one node evaluation against the depth and step budgets.
func (ev *evaluator) enter(n *node) {
	ev.depth++
	ev.steps++
	if ev.depth > ev.maxDepth {
		throwErr("U1001", n.pos, "", nil)
	}
	if ev.steps&(timeCheckEvery-1) == 0 {
		if ev.maxSteps > 0 && ev.steps > ev.maxSteps {
			throwErr("U1002", n.pos, "", nil)
		}
		if !ev.deadline.IsZero() && time.Now().After(ev.deadline) {
			throwErr("U1001", n.pos, "", "time limit exceeded")
		}
	}
}

// charge counts n bytes about to be created against the memory budget,
// raising U1003 when it would be exceeded.
func (ev *evaluator) charge(n int) {
	ev.bytes += n
	if ev.maxBytes > 0 && (ev.bytes > ev.maxBytes || n < 0) {
		throwErr("U1003", -1, "", nil)
	}
}

// itemBytes is what an array item is charged: what one costs in practice
// (the interface value, the boxed number or string header, the growth of
// the slice), measured at 60 to 90 bytes.
const itemBytes = 64

// eval evaluates n against input in environment e (JSONata's evaluate).
func (ev *evaluator) eval(n *node, input any, e *env) any {
	ev.enter(n)
	var result any
	switch n.typ {
	case ntPath:
		result = ev.evalPath(n, input, e)
	case ntBinary:
		result = ev.evalBinary(n, input, e)
	case ntUnary:
		result = ev.evalUnary(n, input, e)
	case ntName:
		result = lookupField(input, n.op)
	case ntString:
		if result = n.boxed; result == nil {
			result = n.str
		}
	case ntNumber:
		if result = n.boxed; result == nil {
			result = n.num
		}
	case ntValue:
		result = n.val
	case ntWildcard:
		result = evalWildcard(input)
	case ntDescendant:
		result = evalDescendants(input)
	case ntParent:
		result, _ = e.lookup(n.slot.label)
	case ntCondition:
		c := ev.eval(n.condition, input, e)
		if toBool(c) {
			result = ev.eval(n.then, input, e)
		} else if n.els != nil {
			result = ev.eval(n.els, input, e)
		}
	case ntBlock:
		frame := newEnv(e)
		for _, x := range n.exprs {
			result = ev.eval(x, input, frame)
		}
	case ntBind:
		result = ev.eval(n.rhs, input, e)
		e.bind(n.lhs.op, result)
	case ntRegex:
		result = newRegexFn(n)
	case ntFunction:
		result = ev.evalFunction(n, input, e, nil, false)
	case ntVariable:
		result = ev.evalVariable(n, input, e)
	case ntLambda:
		ev.capturedEnv = true
		result = &lambda{params: n.params, body: n.body, sig: n.sig, input: input, env: e, thunk: n.thunk}
	case ntPartial:
		result = ev.evalPartial(n, input, e)
	case ntApply:
		result = ev.evalApply(n, input, e)
	case ntTransform:
		result = ev.evalTransform(n, e)
	case ntSort:
		result = ev.evalSort(n, input, e)
	default:
		panic("BUG: eval of unexpected node type")
	}
	for _, st := range n.predicate {
		result = ev.evalFilter(st.filter, result, e)
	}
	if n.typ != ntPath && n.group != nil {
		result = ev.evalGroup(n.group.pairs, n.group.pos, result, e)
	}
	ev.depth--
	if a, ok := result.(*Array); ok && a.sequence && !a.tupleStream {
		if n.keepArray {
			a.keepSingleton = true
		}
		switch len(a.Items) {
		case 0:
			result = nil
		case 1:
			if !a.keepSingleton {
				result = a.Items[0]
			}
		}
	}
	return result
}

// evalVariable resolves $ (the context), $$ (the root) and named variables.
func (ev *evaluator) evalVariable(n *node, input any, e *env) any {
	if n.op == "" {
		if a, ok := input.(*Array); ok && a.outerWrapper {
			return a.Items[0]
		}
		return input
	}
	if v, ok := e.lookup(n.op); ok {
		return v
	}
	if f := ev.funcs.lookup(n.op); f != nil {
		return f
	}
	return nil
}

// lookupField is JSONata's fn.lookup: the value of key in an object, or
// the flattened values of key across an array.
func lookupField(input any, key string) any {
	switch x := input.(type) {
	case *Object:
		return x.get(key)
	case *Array:
		res := newSeq(len(x.Items))
		for _, it := range x.Items {
			v := lookupField(it, key)
			if v == nil {
				continue
			}
			if a, ok := v.(*Array); ok {
				res.Items = append(res.Items, a.Items...)
			} else {
				res.Items = append(res.Items, v)
			}
		}
		return res
	}
	return nil
}

// evalWildcard is the * step: the values of all fields, arrays flattened.
func evalWildcard(input any) any {
	results := newSeq(0)
	if a, ok := input.(*Array); ok && a.outerWrapper && len(a.Items) > 0 {
		input = a.Items[0]
	}
	if a, ok := input.(*Array); ok {
		// JavaScript's Object.keys on an array yields its indices
		for _, v := range a.Items {
			if inner, ok := v.(*Array); ok {
				results.Items = flattenInto(results.Items, inner)
				results.sequence = false
			} else {
				results.Items = append(results.Items, v)
			}
		}
	}
	if o, ok := input.(*Object); ok {
		for _, k := range o.keys {
			v := o.get(k)
			if a, ok := v.(*Array); ok {
				results.Items = flattenInto(results.Items, a)
				results.sequence = false
			} else {
				results.Items = append(results.Items, v)
			}
		}
	}
	return results
}

// evalDescendants is the ** step: the input and everything below it.
func evalDescendants(input any) any {
	if input == nil {
		return nil
	}
	res := newSeq(0)
	recurseDescendants(input, res)
	if len(res.Items) == 1 {
		return res.Items[0]
	}
	return res
}

func recurseDescendants(input any, res *Array) {
	switch x := input.(type) {
	case *Array:
		for _, it := range x.Items {
			recurseDescendants(it, res)
		}
		return
	case *Object:
		res.Items = append(res.Items, input)
		for _, k := range x.keys {
			recurseDescendants(x.get(k), res)
		}
		return
	}
	res.Items = append(res.Items, input)
}

// isNumeric reports whether v is a number, raising D1001 for infinities.
func isNumeric(v any) (float64, bool) {
	f, ok := v.(float64)
	if !ok || math.IsNaN(f) {
		return 0, false
	}
	if math.IsInf(f, 0) {
		throwErr("D1001", -1, "", f)
	}
	return f, true
}

// evalBinary evaluates the arithmetic, comparison, boolean, concatenation,
// range and inclusion operators.
func (ev *evaluator) evalBinary(n *node, input any, e *env) any {
	if n.op == "&" && isPlainConcat(n.lhs) {
		return ev.evalConcat(n, input, e)
	}
	lhs := ev.eval(n.lhs, input, e)
	op := n.op
	switch op {
	case "and":
		return toBool(lhs) && toBool(ev.eval(n.rhs, input, e))
	case "or":
		return toBool(lhs) || toBool(ev.eval(n.rhs, input, e))
	}
	rhs := ev.eval(n.rhs, input, e)
	switch op {
	case "+", "-", "*", "/", "%":
		l, lok := isNumeric(lhs)
		if lhs != nil && !lok {
			throwErr("T2001", n.pos, op, lhs)
		}
		r, rok := isNumeric(rhs)
		if rhs != nil && !rok {
			throwErr("T2002", n.pos, op, rhs)
		}
		if lhs == nil || rhs == nil {
			return nil
		}
		switch op {
		case "+":
			return l + r
		case "-":
			return l - r
		case "*":
			return l * r
		case "/":
			return l / r
		default:
			return math.Mod(l, r)
		}
	case "=", "!=":
		if lhs == nil || rhs == nil {
			return false
		}
		return deepEqual(lhs, rhs) == (op == "=")
	case "<", "<=", ">", ">=":
		return compareValues(lhs, rhs, op, n.pos)
	case "&":
		l, r := stringOrEmpty(lhs), stringOrEmpty(rhs)
		ev.charge(len(l) + len(r))
		return l + r
	case "..":
		return ev.evalRange(lhs, rhs, n.pos)
	case "in":
		if lhs == nil || rhs == nil {
			return false
		}
		items := []any{rhs}
		if a, ok := rhs.(*Array); ok {
			items = a.Items
		}
		for _, it := range items {
			if strictEqual(it, lhs) {
				return true
			}
		}
		return false
	}
	panic("BUG: unknown binary operator " + op)
}

// annotate fills in the position and token of an error raised without
// them (by a built-in); used with defer around built-in calls only, since
// every deferred recover re-panics and a defer per recursion level would
// make unwinding a deep error quadratic.
func annotate(pos int, token string) {
	if r := recover(); r != nil {
		if e, ok := r.(*Error); ok {
			if e.Position < 0 {
				e.Position = pos
			}
			if e.Token == "" {
				e.Token = token
			}
		}
		panic(r)
	}
}

// strictEqual is JavaScript ===: by value for scalars, identity otherwise.
func strictEqual(a, b any) bool {
	switch x := a.(type) {
	case *Array:
		y, ok := b.(*Array)
		return ok && x == y
	case *Object:
		y, ok := b.(*Object)
		return ok && x == y
	case float64, string, bool, Null:
		return a == b
	}
	return false
}

// stringOrEmpty is the & operand conversion: undefined becomes "".
// arrayWithRoom is an array and room for its first items, allocated
// together.
type arrayWithRoom struct {
	a     Array
	items [4]any
}

// isPlainConcat reports whether n is an & whose value is its operands
// concatenated (no predicate, grouping or array flag on it).
func isPlainConcat(n *node) bool {
	return n.typ == ntBinary && n.op == "&" && n.predicate == nil && n.group == nil && !n.keepArray
}

// evalConcat evaluates a chain a & b & c ... (left-nested) into one
// string, without the intermediate strings.
func (ev *evaluator) evalConcat(n *node, input any, e *env) any {
	var lb [16]*node
	leaves := append(lb[:0], n.rhs)
	x := n.lhs
	for isPlainConcat(x) {
		leaves = append(leaves, x.rhs)
		x = x.lhs
	}
	leaves = append(leaves, x)
	// leaves are last to first; the innermost & evaluates both operands
	// before converting them, the others convert each right operand as
	// they go, as nested evaluation would
	var sb [16]string
	parts := sb[:0]
	last := len(leaves) - 1
	size := 0
	for i := last; i >= 0; i-- {
		var s string
		if i == last {
			a := ev.eval(leaves[last], input, e)
			b := ev.eval(leaves[last-1], input, e)
			s = stringOrEmpty(a)
			t := stringOrEmpty(b)
			parts = append(parts, s)
			size += len(s)
			s = t
			i--
		} else {
			s = stringOrEmpty(ev.eval(leaves[i], input, e))
		}
		parts = append(parts, s)
		size += len(s)
	}
	for i := 0; i < last-1; i++ {
		ev.steps++ // the inner & nodes, as nested evaluation counts them
	}
	ev.charge(size)
	var b strings.Builder
	b.Grow(size)
	for _, s := range parts {
		b.WriteString(s)
	}
	return b.String()
}

func stringOrEmpty(v any) string {
	if v == nil {
		return ""
	}
	return toString(v, false)
}

func compareValues(lhs, rhs any, op string, pos int) any {
	lt, rt := sigSymbol(lhs), sigSymbol(rhs)
	lc := lt == 'm' || lt == 's' || lt == 'n'
	rc := rt == 'm' || rt == 's' || rt == 'n'
	if !lc || !rc {
		bad := lhs
		if lc {
			bad = rhs
		}
		throwErr("T2010", pos, op, bad)
	}
	if lhs == nil || rhs == nil {
		return nil
	}
	if lt != rt {
		throwErr("T2009", pos, op, lhs)
	}
	var c int
	if lt == 's' {
		a, b := lhs.(string), rhs.(string)
		switch {
		case a < b:
			c = -1
		case a > b:
			c = 1
		}
		if c == 0 {
			// JavaScript compares UTF-16 units; equal strings compare equal
			c = 0
		}
	} else {
		var ok bool
		if c, ok = compareNumbers(lhs.(float64), rhs.(float64)); !ok {
			return false // NaN
		}
	}
	return compareResult(op, c)
}

// compareNumbers orders a and b (-1, 0, 1); ok is false for NaN.
func compareNumbers(a, b float64) (c int, ok bool) {
	switch {
	case a < b:
		return -1, true
	case a > b:
		return 1, true
	}
	return 0, a == b
}

// compareResult is the outcome of the comparison op for the order c.
func compareResult(op string, c int) bool {
	switch op {
	case "<":
		return c < 0
	case "<=":
		return c <= 0
	case ">":
		return c > 0
	}
	return c >= 0
}

// maxRange is JSONata's limit on the size of a range (D2014).
const maxRange = 10_000_000

func (ev *evaluator) evalRange(lhs, rhs any, pos int) any {
	l, lok := lhs.(float64)
	if lhs != nil && (!lok || l != math.Trunc(l)) {
		throwErr("T2003", pos, "..", lhs)
	}
	r, rok := rhs.(float64)
	if rhs != nil && (!rok || r != math.Trunc(r)) {
		throwErr("T2004", pos, "..", rhs)
	}
	if lhs == nil || rhs == nil || l > r {
		return nil
	}
	size := r - l + 1
	if size > maxRange {
		throwErr("D2014", pos, "..", size)
	}
	ev.charge(int(size) * itemBytes)
	res := newSeq(int(size))
	for i := 0; i < int(size); i++ {
		res.Items = append(res.Items, l+float64(i))
	}
	return res
}

// evalUnary handles negation and the array and object constructors.
func (ev *evaluator) evalUnary(n *node, input any, e *env) any {
	switch n.op {
	case "-":
		v := ev.eval(n.expr, input, e)
		if v == nil {
			return nil
		}
		if f, ok := isNumeric(v); ok {
			return -f
		}
		throwErr("D1002", n.pos, "-", v)
	case "[":
		var res *Array
		if len(n.exprs) <= 4 {
			r := &arrayWithRoom{}
			r.a.Items = r.items[:0]
			res = &r.a
		} else {
			res = &Array{Items: make([]any, 0, len(n.exprs))}
		}
		for _, item := range n.exprs {
			v := ev.eval(item, input, e)
			if v == nil {
				continue
			}
			if item.typ == ntUnary && item.op == "[" {
				res.Items = append(res.Items, v)
			} else if a, ok := v.(*Array); ok {
				res.Items = append(res.Items, a.Items...)
			} else {
				res.Items = append(res.Items, v)
			}
		}
		if n.consarray {
			res.cons = true
		}
		return res
	case "{":
		return ev.evalGroup(n.pairs, n.pos, input, e)
	}
	panic("BUG: unknown unary operator " + n.op)
}
