package jsonata

import (
	"fmt"
	"math"
	"strconv"
	"sync"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/stepd/stepd/fastpath/internal/jsontext"
)

// ParseJSON decodes one JSON document into the value model (object key
// order kept, numbers as float64). Bad input gives an error naming the byte
// offset; trailing non-space bytes are an error. A lone UTF-16 surrogate
// escape is kept as its WTF-8 bytes so that $encodeUrl can reject it as
// JavaScript does. The result does not alias data.
func ParseJSON(data []byte) (any, error) {
	d := decoderPool.Get().(*jsonDecoder)
	// one string holds the text; unescaped strings are slices of it
	d.data, d.src, d.pos = data, string(data), 0
	v, err := d.parse()
	d.data, d.src = nil, ""
	decoderPool.Put(d)
	return v, err
}

// decoderPool keeps decoders with their member stacks grown.
var decoderPool = sync.Pool{New: func() any { return new(jsonDecoder) }}

func (d *jsonDecoder) parse() (any, error) {
	d.skipSpace()
	v, err := d.value(0)
	if err != nil {
		clear(d.vals[:cap(d.vals)])
		d.keys, d.vals = d.keys[:0], d.vals[:0]
		return nil, err
	}
	d.skipSpace()
	if d.pos != len(d.data) {
		return nil, d.errorf("unexpected %q after the JSON value", d.data[d.pos])
	}
	return v, nil
}

// maxJSONDepth bounds nesting so hostile input cannot exhaust the stack.
const maxJSONDepth = 10000

type jsonDecoder struct {
	data []byte
	src  string // data as a string
	pos  int
	// members and items of the containers being decoded, so each
	// container is allocated once at its final size
	keys []string
	vals []any
	// objs and arrs are slabs the small containers are carved from, so
	// a document of many small objects costs a few allocations, not one
	// per container. A slab lives as long as any container cut from it.
	objs []SmallObject
	arrs []arrayWithRoom
}

// slabSize is how many small containers one slab allocation holds.
const slabSize = 8

// newObject returns an empty object with room for n keys.
func (d *jsonDecoder) newObject(n int) *Object {
	if n > smallObjectCap {
		return NewObject(n)
	}
	if len(d.objs) == 0 {
		d.objs = make([]SmallObject, slabSize)
	}
	o := d.objs[0].Init()
	d.objs = d.objs[1:]
	return o
}

// newArray returns an array holding a copy of items.
func (d *jsonDecoder) newArray(items []any) *Array {
	if len(items) > len(arrayWithRoom{}.items) {
		return &Array{Items: append([]any(nil), items...)}
	}
	if len(d.arrs) == 0 {
		d.arrs = make([]arrayWithRoom, slabSize)
	}
	r := &d.arrs[0]
	d.arrs = d.arrs[1:]
	r.a.Items = append(r.items[:0], items...)
	return &r.a
}

// boxedInts holds small whole numbers as interface values, so decoding
// them does not allocate.
var boxedInts = func() (b [1024]any) {
	for i := range b {
		b[i] = float64(i)
	}
	return b
}()

func (d *jsonDecoder) errorf(format string, args ...any) error {
	return fmt.Errorf("cannot parse JSON at offset %d: %s", d.pos, fmt.Sprintf(format, args...))
}

func (d *jsonDecoder) skipSpace() {
	for d.pos < len(d.data) {
		switch d.data[d.pos] {
		case ' ', '\t', '\n', '\r':
			d.pos++
		default:
			return
		}
	}
}

func (d *jsonDecoder) value(depth int) (any, error) {
	if depth > maxJSONDepth {
		return nil, d.errorf("nesting deeper than %d", maxJSONDepth)
	}
	if d.pos >= len(d.data) {
		return nil, d.errorf("unexpected end of input")
	}
	switch c := d.data[d.pos]; {
	case c == '{':
		d.pos++
		d.skipSpace()
		if d.pos < len(d.data) && d.data[d.pos] == '}' {
			d.pos++
			return d.newObject(0), nil
		}
		mark, vmark := len(d.keys), len(d.vals)
		for {
			d.skipSpace()
			if d.pos >= len(d.data) || d.data[d.pos] != '"' {
				return nil, d.errorf("expected a string key")
			}
			k, err := d.str()
			if err != nil {
				return nil, err
			}
			d.skipSpace()
			if d.pos >= len(d.data) || d.data[d.pos] != ':' {
				return nil, d.errorf("expected ':'")
			}
			d.pos++
			d.skipSpace()
			v, err := d.value(depth + 1)
			if err != nil {
				return nil, err
			}
			d.keys = append(d.keys, k)
			d.vals = append(d.vals, v)
			d.skipSpace()
			if d.pos < len(d.data) && d.data[d.pos] == ',' {
				d.pos++
				continue
			}
			if d.pos < len(d.data) && d.data[d.pos] == '}' {
				d.pos++
				n := len(d.keys) - mark
				obj := d.newObject(n)
				for i := 0; i < n; i++ {
					obj.Set(d.keys[mark+i], d.vals[vmark+i])
				}
				clear(d.vals[vmark:])
				d.keys, d.vals = d.keys[:mark], d.vals[:vmark]
				return obj, nil
			}
			return nil, d.errorf("expected ',' or '}'")
		}
	case c == '[':
		d.pos++
		d.skipSpace()
		if d.pos < len(d.data) && d.data[d.pos] == ']' {
			d.pos++
			return &Array{Items: []any{}}, nil
		}
		mark := len(d.vals)
		for {
			d.skipSpace()
			v, err := d.value(depth + 1)
			if err != nil {
				return nil, err
			}
			d.vals = append(d.vals, v)
			d.skipSpace()
			if d.pos < len(d.data) && d.data[d.pos] == ',' {
				d.pos++
				continue
			}
			if d.pos < len(d.data) && d.data[d.pos] == ']' {
				d.pos++
				arr := d.newArray(d.vals[mark:])
				clear(d.vals[mark:])
				d.vals = d.vals[:mark]
				return arr, nil
			}
			return nil, d.errorf("expected ',' or ']'")
		}
	case c == '"':
		return d.str()
	case c == 't' || c == 'f' || c == 'n':
		for _, lit := range [...]struct {
			s string
			v any
		}{{"true", true}, {"false", false}, {"null", Null{}}} {
			if len(d.data)-d.pos >= len(lit.s) && string(d.data[d.pos:d.pos+len(lit.s)]) == lit.s {
				d.pos += len(lit.s)
				return lit.v, nil
			}
		}
		return nil, d.errorf("invalid literal")
	case c == '-' || (c >= '0' && c <= '9'):
		start := d.pos
		if c == '-' {
			d.pos++
		}
		digits := func() int {
			n := 0
			for d.pos < len(d.data) && d.data[d.pos] >= '0' && d.data[d.pos] <= '9' {
				d.pos++
				n++
			}
			return n
		}
		if digits() == 0 {
			return nil, d.errorf("invalid number")
		}
		if d.pos-start <= 15 && (d.pos == len(d.data) || (d.data[d.pos] != '.' && d.data[d.pos] != 'e' && d.data[d.pos] != 'E')) {
			// a whole number exactly representable: no ParseFloat
			n := int64(0)
			for _, c := range d.data[start:d.pos] {
				if c != '-' {
					n = n*10 + int64(c-'0')
				}
			}
			if c == '-' {
				if n == 0 {
					return math.Copysign(0, -1), nil
				}
				n = -n
			} else if n < int64(len(boxedInts)) {
				return boxedInts[n], nil
			}
			return float64(n), nil
		}
		if d.pos < len(d.data) && d.data[d.pos] == '.' {
			d.pos++
			if digits() == 0 {
				return nil, d.errorf("invalid number")
			}
		}
		if d.pos < len(d.data) && (d.data[d.pos] == 'e' || d.data[d.pos] == 'E') {
			d.pos++
			if d.pos < len(d.data) && (d.data[d.pos] == '+' || d.data[d.pos] == '-') {
				d.pos++
			}
			if digits() == 0 {
				return nil, d.errorf("invalid number")
			}
		}
		f, err := strconv.ParseFloat(string(d.data[start:d.pos]), 64)
		if err != nil && !math.IsInf(f, 0) {
			return nil, d.errorf("invalid number")
		}
		return f, nil
	}
	return nil, d.errorf("unexpected %q", d.data[d.pos])
}

// str decodes a JSON string starting at the opening quote.
func (d *jsonDecoder) str() (string, error) {
	d.pos++
	start := d.pos
	for d.pos < len(d.data) {
		c := d.data[d.pos]
		if c == '"' {
			var s string
			if len(d.src) == len(d.data) {
				s = d.src[start:d.pos]
			} else {
				s = string(d.data[start:d.pos])
			}
			d.pos++
			return s, nil
		}
		if c == '\\' {
			break
		}
		if c < 0x20 {
			return "", d.errorf("control character in string")
		}
		d.pos++
	}
	buf := append([]byte(nil), d.data[start:d.pos]...)
	for d.pos < len(d.data) {
		c := d.data[d.pos]
		switch {
		case c == '"':
			d.pos++
			return string(buf), nil
		case c == '\\':
			if d.pos+1 >= len(d.data) {
				return "", d.errorf("unterminated escape")
			}
			e := d.data[d.pos+1]
			d.pos += 2
			switch e {
			case '"', '\\', '/':
				buf = append(buf, e)
			case 'b':
				buf = append(buf, '\b')
			case 'f':
				buf = append(buf, '\f')
			case 'n':
				buf = append(buf, '\n')
			case 'r':
				buf = append(buf, '\r')
			case 't':
				buf = append(buf, '\t')
			case 'u':
				r, ok := hex4(d.data[d.pos:])
				if !ok {
					return "", d.errorf("invalid \\u escape")
				}
				d.pos += 4
				buf = appendUTF16Unit(buf, r, d.data[d.pos:], &d.pos)
			default:
				return "", d.errorf("invalid escape \\%c", e)
			}
		case c < 0x20:
			return "", d.errorf("control character in string")
		default:
			buf = append(buf, c)
			d.pos++
		}
	}
	return "", d.errorf("unterminated string")
}

// hex4 decodes four hex digits.
func hex4(b []byte) (rune, bool) {
	if len(b) < 4 {
		return 0, false
	}
	var r rune
	for _, c := range b[:4] {
		r <<= 4
		switch {
		case c >= '0' && c <= '9':
			r |= rune(c - '0')
		case c >= 'a' && c <= 'f':
			r |= rune(c - 'a' + 10)
		case c >= 'A' && c <= 'F':
			r |= rune(c - 'A' + 10)
		default:
			return 0, false
		}
	}
	return r, true
}

// appendUTF16Unit appends the code unit r, pairing it with a following
// \uXXXX low surrogate in rest when r is a high surrogate (advancing *pos),
// and keeping a lone surrogate as WTF-8 bytes.
func appendUTF16Unit(buf []byte, r rune, rest []byte, pos *int) []byte {
	if utf16.IsSurrogate(r) && r < 0xDC00 && len(rest) >= 6 && rest[0] == '\\' && rest[1] == 'u' {
		if r2, ok := hex4(rest[2:]); ok && r2 >= 0xDC00 && r2 <= 0xDFFF {
			*pos += 6
			return utf8.AppendRune(buf, utf16.DecodeRune(r, r2))
		}
	}
	if utf16.IsSurrogate(r) {
		return append(buf, 0xED, byte(0x80|(r>>6)&0x3F), byte(0x80|r&0x3F))
	}
	return utf8.AppendRune(buf, r)
}

// AppendJSON appends v as compact JSON to dst and returns the extended
// slice, formatting numbers as JavaScript's JSON.stringify does (integers
// without a fraction, exponent form from 1e21). Undefined (nil) appends
// nothing; undefined object members and functions are skipped, and
// undefined array items become null, as in JavaScript.
func AppendJSON(dst []byte, v any) []byte {
	return appendJSON(dst, v, false)
}

// appendJSON writes v; prec15 rounds numbers to 15 significant digits as
// $string does.
func appendJSON(dst []byte, v any, prec15 bool) []byte {
	switch x := v.(type) {
	case nil:
		return dst
	case Null:
		return append(dst, "null"...)
	case bool:
		if x {
			return append(dst, "true"...)
		}
		return append(dst, "false"...)
	case float64:
		if prec15 && math.IsInf(x, 0) {
			throwErr("D1001", -1, "", x)
		}
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return append(dst, "null"...)
		}
		if prec15 {
			x = round15(x)
		}
		return appendNumber(dst, x)
	case string:
		return appendQuoted(dst, x)
	case *Array:
		dst = append(dst, '[')
		for i, it := range x.Items {
			if i > 0 {
				dst = append(dst, ',')
			}
			if it == nil {
				dst = append(dst, "null"...)
				continue
			}
			if isFunc(it) {
				dst = append(dst, `""`...)
				continue
			}
			dst = appendJSON(dst, it, prec15)
		}
		return append(dst, ']')
	case *Object:
		dst = append(dst, '{')
		first := true
		for i, k := range x.keys {
			val := x.vals[i]
			if val == nil {
				continue
			}
			if !first {
				dst = append(dst, ',')
			}
			first = false
			dst = appendQuoted(dst, k)
			dst = append(dst, ':')
			if isFunc(val) {
				dst = append(dst, `""`...)
				continue
			}
			dst = appendJSON(dst, val, prec15)
		}
		return append(dst, '}')
	}
	if isFunc(v) {
		return append(dst, `""`...)
	}
	panic(fmt.Sprintf("BUG: AppendJSON of unsupported type %T", v))
}

// round15 rounds to 15 significant digits (JavaScript toPrecision(15)).
func round15(x float64) float64 {
	f, _ := strconv.ParseFloat(strconv.FormatFloat(x, 'g', 15, 64), 64)
	return f
}

// appendQuoted appends s as a JSON string literal, escaping as
// JSON.stringify does (no HTML escaping).
func appendQuoted(dst []byte, s string) []byte { return jsontext.AppendQuoted(dst, s) }

// appendNumber formats f as JavaScript's Number.prototype.toString does:
// shortest round-trip digits, fixed notation for exponents in [-7, 21),
// otherwise d.ddde+XX.
func appendNumber(dst []byte, f float64) []byte {
	if f == 0 {
		return append(dst, '0')
	}
	if f == math.Trunc(f) && math.Abs(f) < 1<<53 {
		return strconv.AppendInt(dst, int64(f), 10)
	}
	if f == math.Trunc(f) && math.Abs(f) < 1e21 {
		return strconv.AppendFloat(dst, f, 'f', -1, 64)
	}
	var tmp [32]byte
	e := strconv.AppendFloat(tmp[:0], f, 'e', -1, 64)
	neg := e[0] == '-'
	if neg {
		e = e[1:]
	}
	// e is d[.ddd]e±XX
	ei := 0
	for e[ei] != 'e' {
		ei++
	}
	mant := e[:ei]
	exp, _ := strconv.Atoi(string(e[ei+1:]))
	digits := make([]byte, 0, 20)
	for _, c := range mant {
		if c != '.' {
			digits = append(digits, c)
		}
	}
	if neg {
		dst = append(dst, '-')
	}
	n := exp + 1 // position of the decimal point
	switch {
	case n > 21 || n < -5:
		dst = append(dst, digits[0])
		if len(digits) > 1 {
			dst = append(dst, '.')
			dst = append(dst, digits[1:]...)
		}
		dst = append(dst, 'e')
		if exp >= 0 {
			dst = append(dst, '+')
		}
		return strconv.AppendInt(dst, int64(exp), 10)
	case n <= 0:
		dst = append(dst, '0', '.')
		for i := 0; i < -n; i++ {
			dst = append(dst, '0')
		}
		return append(dst, digits...)
	case n >= len(digits):
		dst = append(dst, digits...)
		for i := len(digits); i < n; i++ {
			dst = append(dst, '0')
		}
		return dst
	default:
		dst = append(dst, digits[:n]...)
		dst = append(dst, '.')
		return append(dst, digits[n:]...)
	}
}

// formatNum returns the JavaScript string form of f.
func formatNum(f float64) string {
	var b [32]byte
	return string(appendNumber(b[:0], f))
}
