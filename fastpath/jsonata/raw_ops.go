package jsonata

import (
	"math"
	"strconv"
	"unsafe"

	"github.com/stepd/stepd/fastpath/jsonb"
)

// binary evaluates the operators evalBinary does, on scalars.
func (ev *RawEval) binary(n *node) (rval, bool) {
	if n.op == "&" {
		return ev.concat(n)
	}
	l, ok := ev.eval(n.lhs)
	if !ok {
		return l, false
	}
	switch n.op {
	case "and", "or":
		t, ok := ev.truthy(l)
		if !ok {
			return rawUndef, false
		}
		if t == (n.op == "or") {
			return rval{k: rBool, t: t}, true
		}
		r, ok := ev.eval(n.rhs)
		if !ok {
			return r, false
		}
		t, ok = ev.truthy(r)
		return rval{k: rBool, t: t}, ok
	}
	r, ok := ev.eval(n.rhs)
	if !ok {
		return r, false
	}
	switch n.op {
	case "=", "!=":
		if l.k == rUndef || r.k == rUndef {
			return rval{k: rBool}, true
		}
		eq, ok := ev.equal(l, r)
		return rval{k: rBool, t: eq == (n.op == "=")}, ok
	case "<", "<=", ">", ">=":
		return ev.compare(n.op, l, r)
	}
	// arithmetic: numbers or undefined, anything else is an error
	var a, b float64
	if l.k != rUndef {
		if a, ok = ev.number(l); !ok {
			return rawUndef, false
		}
	}
	if r.k != rUndef {
		if b, ok = ev.number(r); !ok {
			return rawUndef, false
		}
	}
	if l.k == rUndef || r.k == rUndef {
		return rawUndef, true
	}
	var x float64
	switch n.op {
	case "+":
		x = a + b
	case "-":
		x = a - b
	case "*":
		x = a * b
	case "/":
		x = a / b
	default:
		x = math.Mod(a, b)
	}
	return rval{k: rNum, n: x}, !isInfOrNaN(x)
}

// scalar classifies v for comparison: 's' string (text in b), 'n' number
// (f), 'b' boolean, 'z' null, 0 for anything else.
func (ev *RawEval) scalar(v rval) (kind byte, b []byte, f float64, ok bool) {
	switch v.k {
	case rStr:
		return 's', v.b, 0, true
	case rNum:
		return 'n', nil, v.n, true
	case rBool:
		if v.t {
			return 'b', jsonTrue, 0, true
		}
		return 'b', jsonFalse, 0, true
	case rJSON:
		switch c := v.b[0]; {
		case c == '"':
			return 's', ev.text(v.b), 0, true
		case c == 't' || c == 'f':
			return 'b', v.b, 0, true
		case c == 'n':
			return 'z', nil, 0, true
		case c == '-' || (c >= '0' && c <= '9'):
			f, ok := parseRawNumber(v.b)
			return 'n', nil, f, ok
		}
	}
	return 0, nil, 0, false
}

// equal is = on two defined values; containers are left to Eval.
func (ev *RawEval) equal(l, r rval) (bool, bool) {
	lk, lb, lf, ok1 := ev.scalar(l)
	rk, rb, rf, ok2 := ev.scalar(r)
	if !ok1 || !ok2 || lk == 0 || rk == 0 {
		return false, false
	}
	if lk != rk {
		return false, true
	}
	if lk == 'n' {
		return lf == rf, true
	}
	return string(lb) == string(rb), true
}

// compare is < <= > >= (compareValues): two numbers or two strings;
// undefined on either side gives undefined.
func (ev *RawEval) compare(op string, l, r rval) (rval, bool) {
	var lk, rk byte
	var lb, rb []byte
	var lf, rf float64
	ok := true
	if l.k != rUndef {
		lk, lb, lf, ok = ev.scalar(l)
		if !ok || (lk != 's' && lk != 'n') {
			return rawUndef, false
		}
	}
	if r.k != rUndef {
		rk, rb, rf, ok = ev.scalar(r)
		if !ok || (rk != 's' && rk != 'n') {
			return rawUndef, false
		}
	}
	if l.k == rUndef || r.k == rUndef {
		return rawUndef, true
	}
	if lk != rk {
		return rawUndef, false
	}
	var c int
	if lk == 's' {
		switch a, b := string(lb), string(rb); {
		case a < b:
			c = -1
		case a > b:
			c = 1
		}
	} else if c, ok = compareNumbers(lf, rf); !ok {
		return rval{k: rBool}, true // NaN
	}
	t := compareResult(op, c)
	return rval{k: rBool, t: t}, true
}

// truthy is toBool.
func (ev *RawEval) truthy(v rval) (bool, bool) {
	switch v.k {
	case rUndef:
		return false, true
	case rBool:
		return v.t, true
	case rStr:
		return len(v.b) > 0, true
	case rNum:
		return v.n != 0 && !math.IsNaN(v.n), true
	case rJSON:
		return rawTruthy(v.b)
	case rSeq:
		items := ev.seqOf(v)
		if len(items) == 1 {
			return rawTruthy(items[0])
		}
		for _, m := range items {
			if t, ok := rawTruthy(m); !ok || t {
				return t, ok
			}
		}
		return false, true
	}
	return false, false
}

// rawTruthy is toBool on canonical JSON.
func rawTruthy(b []byte) (bool, bool) {
	switch c := b[0]; {
	case c == '"':
		return len(b) > 2, true
	case c == 't':
		return true, true
	case c == 'f', c == 'n':
		return false, true
	case c == '{':
		return b[1] != '}', true
	case c == '[':
		n := rawLen(b)
		for i := 1; i < len(b) && b[i] != ']'; {
			j := skipRaw(b, i)
			t, ok := rawTruthy(b[i:j])
			if !ok || t || n == 1 {
				return t, ok
			}
			i = j + 1
		}
		return false, true
	}
	f, ok := parseRawNumber(b)
	return f != 0, ok
}

// number returns a numeric value; anything else is left to Eval.
func (ev *RawEval) number(v rval) (float64, bool) {
	switch v.k {
	case rNum:
		return v.n, true
	case rJSON:
		if c := v.b[0]; c == '-' || (c >= '0' && c <= '9') {
			return parseRawNumber(v.b)
		}
	}
	return 0, false
}

// concat is a & b: both sides as strings (undefined as ""), written to
// the scratch buffer once both are converted.
func (ev *RawEval) concat(n *node) (rval, bool) {
	mark := len(ev.vals)
	ok := ev.concatLeaves(n)
	if ok {
		// convert each leaf, then join the texts at the end of scratch
		for i := mark; i < len(ev.vals) && ok; i++ {
			ev.vals[i], ok = ev.toText(ev.vals[i])
		}
	}
	if !ok {
		ev.vals = ev.vals[:mark]
		return rawUndef, false
	}
	size := 0
	for _, v := range ev.vals[mark:] {
		size += len(v.b)
	}
	if !ev.charge(size) {
		ev.vals = ev.vals[:mark]
		return rawUndef, false
	}
	start := len(ev.scratch)
	for _, v := range ev.vals[mark:] {
		ev.scratch = append(ev.scratch, v.b...)
	}
	ev.vals = ev.vals[:mark]
	return ev.scratchValue(rStr, start), true
}

// concatLeaves evaluates the operands of a chain of & into ev.vals, left
// to right.
func (ev *RawEval) concatLeaves(n *node) bool {
	if isPlainConcat(n) {
		return ev.concatLeaves(n.lhs) && ev.concatLeaves(n.rhs)
	}
	v, ok := ev.eval(n)
	ev.vals = append(ev.vals, v)
	return ok
}

// toText converts v as stringOrEmpty does, to an rStr.
func (ev *RawEval) toText(v rval) (rval, bool) {
	switch v.k {
	case rUndef:
		return rval{k: rStr}, true
	case rStr:
		return v, true
	case rNum:
		if isInfOrNaN(v.n) {
			return rawUndef, false
		}
		start := len(ev.scratch)
		ev.scratch = appendNumber(ev.scratch, round15(v.n))
		return ev.scratchValue(rStr, start), true
	case rBool:
		if v.t {
			return rval{k: rStr, b: jsonTrue}, true
		}
		return rval{k: rStr, b: jsonFalse}, true
	case rJSON:
		switch c := v.b[0]; {
		case c == '"':
			return rval{k: rStr, b: ev.text(v.b)}, true
		case c == 't' || c == 'f' || c == 'n':
			return rval{k: rStr, b: v.b}, true
		}
	}
	start := len(ev.scratch)
	if v.k == rSeq {
		ev.scratch = append(ev.scratch, '[')
		for i, m := range ev.seqOf(v) {
			if i > 0 {
				ev.scratch = append(ev.scratch, ',')
			}
			ev.scratch = ev.append15(ev.scratch, m)
		}
		ev.scratch = append(ev.scratch, ']')
	} else if v.k == rJSON {
		ev.scratch = ev.append15(ev.scratch, v.b)
	} else {
		return rawUndef, false
	}
	return ev.scratchValue(rStr, start), true
}

// append15 appends the canonical JSON b with its numbers rounded to 15
// significant digits, as $string writes JSON.
func (ev *RawEval) append15(dst, b []byte) []byte {
	for i := 0; i < len(b); {
		c := b[i]
		switch {
		case c == '"':
			j := jsonb.SkipValue(b, i)
			dst = append(dst, b[i:j]...)
			i = j
		case c == '-' || (c >= '0' && c <= '9'):
			j := jsonb.SkipValue(b, i)
			if shortInt(b[i:j]) {
				dst = append(dst, b[i:j]...)
			} else {
				f, _ := parseRawNumber(b[i:j])
				dst = appendNumber(dst, round15(f))
			}
			i = j
		default:
			dst = append(dst, c)
			i++
		}
	}
	return dst
}

// text returns the text of the canonical JSON string s: a span of s when
// it holds no escape, else decoded into the scratch buffer.
func (ev *RawEval) text(s []byte) []byte {
	body := s[1 : len(s)-1]
	if !hasBackslash(body) {
		return body
	}
	start := len(ev.scratch)
	ev.scratch = jsonb.AppendUnescaped(ev.scratch, body)
	return ev.scratch[start:len(ev.scratch):len(ev.scratch)]
}

// function calls $string, $not, $exists, $merge or a host function with
// a JSON form; a variable of the same name is left to Eval.
func (ev *RawEval) function(n *node) (rval, bool) {
	name := n.procedure.op
	for i := range ev.vars {
		if ev.vars[i].Name == name {
			return rawUndef, false
		}
	}
	if ev.funcs != nil {
		if b, ok := ev.funcs.funcs[name]; ok {
			return ev.hostFunction(b, n.args)
		}
	}
	if name == "merge" {
		return ev.merge(n.args[0])
	}
	v, ok := ev.eval(n.args[0])
	if !ok {
		return v, false
	}
	switch name {
	case "exists":
		return rval{k: rBool, t: v.k != rUndef}, true
	case "not":
		if v.k == rUndef {
			return v, true
		}
		t, ok := ev.truthy(v)
		return rval{k: rBool, t: !t}, ok
	case "string":
		if v.k == rUndef {
			return v, true
		}
		return ev.toText(v)
	}
	return rawUndef, false
}

// hostFunction calls the JSON form of a host function with its
// arguments as canonical JSON (nil for undefined).
func (ev *RawEval) hostFunction(b *Builtin, args []*node) (rval, bool) {
	mark := len(ev.vals)
	for _, a := range args {
		if !ev.push(a, mark) {
			return rawUndef, false
		}
	}
	amark := len(ev.args)
	ok := true
	for _, v := range ev.vals[mark:] {
		var arg []byte
		if v.k != rUndef {
			start := len(ev.scratch)
			if ev.scratch, ok = ev.appendValue(ev.scratch, v); !ok {
				break
			}
			arg = ev.scratch[start:len(ev.scratch):len(ev.scratch)]
		}
		ev.args = append(ev.args, arg)
	}
	ev.vals = ev.vals[:mark]
	start := len(ev.scratch)
	if ok {
		ev.scratch, ok = b.json(ev.scratch, ev.args[amark:])
	}
	ev.args = ev.args[:amark]
	if !ok {
		return rawUndef, false
	}
	if len(ev.scratch) == start {
		return rawUndef, true
	}
	return ev.scratchValue(rJSON, start), true
}

// merge is $merge over an object or an array of objects: later keys
// replace earlier ones in place. When the argument is an array
// constructor, its items are merged as they come, without writing the
// array first.
func (ev *RawEval) merge(arg *node) (rval, bool) {
	mark := len(ev.members)
	ok := true
	if arg.typ == ntUnary && arg.op == "[" && !arg.consarray {
		vmark := len(ev.vals)
		for _, it := range arg.exprs {
			if !ev.push(it, vmark) {
				return rawUndef, false
			}
		}
		for i, v := range ev.vals[vmark:] {
			if it := arg.exprs[i]; it.typ == ntUnary && it.op == "[" && v.k != rUndef {
				ok = false // an array, kept whole: T0412
			}
			if ok = ok && ev.mergeValue(v, mark); !ok {
				break
			}
		}
		ev.vals = ev.vals[:vmark]
	} else {
		v, vok := ev.eval(arg)
		if !vok || v.k == rUndef {
			return v, vok
		}
		ok = ev.mergeValue(v, mark)
	}
	if !ok {
		ev.members = ev.members[:mark]
		return rawUndef, false
	}
	start := len(ev.scratch)
	ev.scratch = append(ev.scratch, '{')
	ev.merged = ev.merged[:0]
	for i, m := range ev.members[mark:] {
		if i > 0 {
			ev.scratch = append(ev.scratch, ',')
		}
		k0 := len(ev.scratch) - start
		ev.scratch = append(ev.scratch, m.key...)
		ev.scratch = append(ev.scratch, ':')
		ev.scratch = append(ev.scratch, m.val...)
		ev.merged = append(ev.merged, mergedMember{int32(k0), int32(k0 + len(m.key)), int32(len(ev.scratch) - start)})
	}
	ev.scratch = append(ev.scratch, '}')
	ev.members = ev.members[:mark]
	v := ev.scratchValue(rJSON, start)
	ev.mergedAt = &v.b[0]
	return v, true
}

// mergeValue adds the objects of v (an object, or an array or sequence
// of them) to the members of the $merge that started at mark.
func (ev *RawEval) mergeValue(v rval, mark int) bool {
	switch {
	case v.k == rUndef:
		return true
	case v.k == rSeq:
		for _, m := range ev.seqOf(v) {
			if !ev.mergeObject(m, mark) {
				return false
			}
		}
		return true
	case v.k == rJSON && v.b[0] == '[':
		for i := 1; i < len(v.b) && v.b[i] != ']'; {
			j := skipRaw(v.b, i)
			if !ev.mergeObject(v.b[i:j], mark) {
				return false
			}
			i = j + 1
		}
		return true
	case v.k == rJSON:
		return ev.mergeObject(v.b, mark)
	}
	return false
}

// mergeObject adds the members of o; false when o is not an object.
func (ev *RawEval) mergeObject(o []byte, mark int) bool {
	if o[0] != '{' {
		return false // T0412
	}
	first := len(ev.members) == mark
	if e := ev.indexed(o); e != nil && first {
		ev.members = append(ev.members, ev.pairs[e.lo:e.hi]...)
		return true
	}
	for i := 1; i < len(o) && o[i] != '}'; {
		ke := skipRaw(o, i)
		ve := skipRaw(o, ke+1)
		k, val := o[i:ke], o[ke+1:ve]
		i = ve + 1
		if !first && ev.replaceMember(mark, k, val) {
			continue
		}
		ev.members = append(ev.members, rawPair{k, val})
	}
	return true
}

// replaceMember sets the value of the member k merged so far, reporting
// whether there was one (a canonical key has one spelling).
func (ev *RawEval) replaceMember(mark int, k, val []byte) bool {
	for j := range ev.members[mark:] {
		if m := &ev.members[mark+j]; string(m.key) == string(k) {
			m.val = val
			return true
		}
	}
	return false
}

// skipRaw returns the end of the compact JSON value at b[i].
func skipRaw(b []byte, i int) int { return jsonb.SkipValue(b, i) }

// shortInt reports whether the number text b is a whole number of at
// most 15 digits without sign of zero, which every formatting writes as
// it is.
func shortInt(b []byte) bool {
	if b[0] == '-' {
		b = b[1:]
		if len(b) == 1 && b[0] == '0' {
			return false
		}
	}
	if len(b) == 0 || len(b) > 15 || (b[0] == '0' && len(b) > 1) {
		return false
	}
	for _, c := range b {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// parseRawNumber returns the value of a JSON number.
func parseRawNumber(b []byte) (float64, bool) {
	if shortInt(b) {
		neg := b[0] == '-'
		if neg {
			b = b[1:]
		}
		n := int64(0)
		for _, c := range b {
			n = n*10 + int64(c-'0')
		}
		if neg {
			n = -n
		}
		return float64(n), true
	}
	f, err := strconv.ParseFloat(bytesString(b), 64)
	return f, err == nil
}

func isInfOrNaN(f float64) bool { return math.IsInf(f, 0) || math.IsNaN(f) }

func floor(f float64) float64 { return math.Floor(f) }

// bytesString views b as a string without copying; b must not change
// while the string is in use.
func bytesString(b []byte) string { return unsafe.String(unsafe.SliceData(b), len(b)) }

// stringBytes views s as bytes without copying; the bytes must not be
// modified.
func stringBytes(s string) []byte { return unsafe.Slice(unsafe.StringData(s), len(s)) }
