// Package jsonb is stepd's JSON toolkit: a validating compactor, a Kind
// read from a value's first byte, iterators and lookups over compact JSON
// that return spans of their input, the one unescaper, quoting, and
// equality. It allocates nothing unless a doc comment says so, and imports
// nothing of stepd's, so every package (fastpath, jsonata, daemon) can
// use it.
package jsonb

import (
	"errors"
	"strconv"
	"unicode/utf8"
	"unsafe"

	"github.com/stepd/stepd/fastpath/internal/jsontext"
)

// Kind is the JSON type of a value, read from its first byte.
type Kind uint8

// The JSON kinds. KindInvalid is the kind of an empty or malformed value.
const (
	KindInvalid Kind = iota
	KindNull
	KindBool
	KindNumber
	KindString
	KindArray
	KindObject
)

var kindNames = [...]string{"invalid", "null", "boolean", "number", "string", "array", "object"}

// String returns the kind's JSON type name.
func (k Kind) String() string { return kindNames[k] }

// KindOf returns the kind of the compact JSON value v. It only looks at the
// first byte, so it costs nothing; an empty v is KindInvalid.
func KindOf(v []byte) Kind {
	if len(v) == 0 {
		return KindInvalid
	}
	switch v[0] {
	case '{':
		return KindObject
	case '[':
		return KindArray
	case '"':
		return KindString
	case 't', 'f':
		return KindBool
	case 'n':
		return KindNull
	case '-', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9':
		return KindNumber
	}
	return KindInvalid
}

// Literal values, shared and never written to.
var (
	Null        = []byte("null")
	True        = []byte("true")
	False       = []byte("false")
	EmptyObject = []byte("{}")
)

// SyntaxError reports malformed JSON text and the byte offset where it was
// found.
type SyntaxError struct {
	Msg    string
	Offset int
}

func (e *SyntaxError) Error() string {
	return "invalid JSON at offset " + strconv.Itoa(e.Offset) + ": " + e.Msg
}

// ErrTooDeep is returned by Compact when a value nests deeper than allowed.
var ErrTooDeep = errors.New("JSON value nests too deeply")

// MaxDepth is the default nesting limit of Compact: deep enough for any real
// payload, shallow enough that hostile input cannot exhaust the stack.
const MaxDepth = 512

// Compact validates the JSON text src and appends its compact form (all
// insignificant white Space removed, everything else byte for byte, so
// numbers keep their spelling and strings their escapes) to dst. src must
// hold exactly one value. Invalid UTF-8 inside strings is rejected. On error
// dst is returned unchanged along with a *SyntaxError or ErrTooDeep.
func Compact(dst, src []byte, maxDepth int) ([]byte, error) {
	c := compactor{src: src, dst: dst, maxDepth: maxDepth}
	start := len(dst)
	c.ws()
	if err := c.value(0); err != nil {
		return dst[:start], err
	}
	c.ws()
	if c.i != len(src) {
		return dst[:start], &SyntaxError{"unexpected data after the value", c.i}
	}
	return c.dst, nil
}

type compactor struct {
	src      []byte
	dst      []byte
	i        int
	maxDepth int
}

func (c *compactor) ws() {
	for c.i < len(c.src) && Space[c.src[c.i]] {
		c.i++
	}
}

// Space marks JSON's white-space bytes.
var Space = [256]bool{' ': true, '\t': true, '\n': true, '\r': true}

func (c *compactor) fail(msg string) error { return &SyntaxError{msg, c.i} }

// value = object / array / string / number / literal
func (c *compactor) value(depth int) error {
	if c.i >= len(c.src) {
		return c.fail("unexpected end of input")
	}
	switch b := c.src[c.i]; b {
	case '{':
		return c.container(depth+1, '}')
	case '[':
		return c.container(depth+1, ']')
	case '"':
		return c.str()
	case 't':
		return c.literal("true")
	case 'f':
		return c.literal("false")
	case 'n':
		return c.literal("null")
	default:
		if b == '-' || (b >= '0' && b <= '9') {
			return c.number()
		}
		return c.fail("unexpected character " + strconv.QuoteRune(rune(b)))
	}
}

func (c *compactor) literal(lit string) error {
	if len(c.src)-c.i < len(lit) || string(c.src[c.i:c.i+len(lit)]) != lit {
		return c.fail("invalid literal")
	}
	c.dst = append(c.dst, lit...)
	c.i += len(lit)
	return nil
}

// object = '{' [ member *( ',' member ) ] '}'; member = string ':' value
// array  = '[' [ value *( ',' value ) ] ']'
func (c *compactor) container(depth int, close byte) error {
	if depth > c.maxDepth {
		return ErrTooDeep
	}
	c.dst = append(c.dst, c.src[c.i])
	c.i++
	c.ws()
	if c.i < len(c.src) && c.src[c.i] == close {
		c.i++
		c.dst = append(c.dst, close)
		return nil
	}
	for {
		c.ws()
		if close == '}' {
			if err := c.key(); err != nil {
				return err
			}
		}
		if err := c.value(depth); err != nil {
			return err
		}
		c.ws()
		if c.i >= len(c.src) {
			return c.fail("unexpected end of input in " + containerName[close])
		}
		switch c.src[c.i] {
		case ',':
			c.i++
			c.dst = append(c.dst, ',')
		case close:
			c.i++
			c.dst = append(c.dst, close)
			return nil
		default:
			return c.fail("expected ',' or '" + string(close) + "' in " + containerName[close])
		}
	}
}

var containerName = map[byte]string{'}': "an object", ']': "an array"}

// key reads an object member's key and colon.
func (c *compactor) key() error {
	if c.i >= len(c.src) || c.src[c.i] != '"' {
		return c.fail("expected a string key")
	}
	if err := c.str(); err != nil {
		return err
	}
	c.ws()
	if c.i >= len(c.src) || c.src[c.i] != ':' {
		return c.fail("expected ':' after an object key")
	}
	c.i++
	c.dst = append(c.dst, ':')
	c.ws()
	return nil
}

// str = '"' *( unescaped / '\' escape ) '"'
func (c *compactor) str() error {
	start := c.i
	c.i++
	for c.i < len(c.src) {
		b := c.src[c.i]
		if plainString[b] {
			c.i++
			continue
		}
		switch {
		case b == '"':
			c.i++
			c.dst = append(c.dst, c.src[start:c.i]...)
			return nil
		case b == '\\':
			if c.i+1 >= len(c.src) {
				return c.fail("unexpected end of input in a string")
			}
			switch c.src[c.i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				c.i += 2
			case 'u':
				if c.i+6 > len(c.src) || !isHex4(c.src[c.i+2:c.i+6]) {
					return c.fail("invalid \\u escape")
				}
				c.i += 6
			default:
				return c.fail("invalid escape character")
			}
		case b < 0x20:
			return c.fail("control character in a string")
		case b < utf8.RuneSelf:
			c.i++
		default:
			r, n := utf8.DecodeRune(c.src[c.i:])
			if r == utf8.RuneError && n == 1 {
				return c.fail("invalid UTF-8 in a string")
			}
			c.i += n
		}
	}
	return c.fail("unterminated string")
}

func isHex4(b []byte) bool {
	for _, c := range b[:4] {
		if hexVal(c) < 0 {
			return false
		}
	}
	return true
}

func hexVal(c byte) int {
	switch {
	case c >= '0' && c <= '9':
		return int(c - '0')
	case c >= 'a' && c <= 'f':
		return int(c-'a') + 10
	case c >= 'A' && c <= 'F':
		return int(c-'A') + 10
	}
	return -1
}

// number = [ '-' ] int [ frac ] [ exp ]
func (c *compactor) number() error {
	start := c.i
	n := NumberEnd(c.src, c.i)
	if n < 0 {
		return c.fail("invalid number")
	}
	c.i = n
	c.dst = append(c.dst, c.src[start:n]...)
	return nil
}

// NumberEnd returns where the JSON number starting at b[i] ends, or -1 if the
// bytes there are not a valid number.
func NumberEnd(b []byte, i int) int {
	if i < len(b) && b[i] == '-' {
		i++
	}
	if i >= len(b) {
		return -1
	}
	if b[i] == '0' {
		i++
	} else if b[i] >= '1' && b[i] <= '9' {
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
	} else {
		return -1
	}
	if i < len(b) && b[i] == '.' {
		i++
		d := i
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
		if i == d {
			return -1
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		d := i
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
		if i == d {
			return -1
		}
	}
	return i
}

// structural marks the bytes that matter when skipping over a container.
var structural = [256]byte{'"': 1, '{': 1, '[': 1, '}': 1, ']': 1}

// plainString marks the bytes a string may hold without a closer look:
// everything but the quote, the backslash, control characters and non-ASCII.
var plainString = func() (t [256]bool) {
	for c := 0x20; c < 0x80; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// SkipValue returns the offset just past the compact JSON value starting at
// b[i]. b must be valid compact JSON (as produced by Compact); on anything
// else the result is unspecified but stays within len(b).
func SkipValue(b []byte, i int) int {
	if i >= len(b) {
		return len(b)
	}
	switch b[i] {
	case '"':
		return skipString(b, i)
	case '{', '[':
		depth := 0
		for i < len(b) {
			c := b[i]
			if structural[c] == 0 {
				i++
				continue
			}
			switch c {
			case '"':
				i = skipString(b, i)
				continue
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return i + 1
				}
			}
			i++
		}
		return len(b)
	case 't', 'n':
		return min(i+4, len(b))
	case 'f':
		return min(i+5, len(b))
	default:
		for i < len(b) {
			switch b[i] {
			case ',', '}', ']', ':':
				return i
			}
			i++
		}
		return i
	}
}

// skipString returns the offset just past the JSON string whose opening quote
// is at b[i].
func skipString(b []byte, i int) int {
	for i++; i < len(b); i++ {
		switch b[i] {
		case '"':
			return i + 1
		case '\\':
			i++
		}
	}
	return len(b)
}

// ObjectIter walks the members of a compact JSON object without allocating.
// The zero value is an exhausted iterator; Reset starts it over an object.
type ObjectIter struct {
	b []byte
	i int
}

// Offset is where the iterator's next member starts in its object.
func (it *ObjectIter) Offset() int { return it.i }

// ResetAt points the iterator at obj with its next member at offset i:
// an Offset of an iterator over an object whose bytes from there on are
// the same.
func (it *ObjectIter) ResetAt(obj []byte, i int) { it.b, it.i = obj, i }

// Reset points the iterator at the compact object obj. If obj is not an
// object, Next reports no members.
func (it *ObjectIter) Reset(obj []byte) {
	it.b = obj
	it.i = 1
	if KindOf(obj) != KindObject || len(obj) < 2 || obj[1] == '}' {
		it.i = len(obj)
	}
}

// Next returns the next member: key is the raw key including its quotes and
// escapes, val the value. Both are spans of the object.
func (it *ObjectIter) Next() (key, val []byte, ok bool) {
	if it.i >= len(it.b) {
		return nil, nil, false
	}
	ks := it.i
	ke := skipString(it.b, ks)
	vs := ke + 1
	ve := SkipValue(it.b, vs)
	it.i = ve + 1 // past ',' or the closing '}'
	return it.b[ks:ke], it.b[vs:ve], true
}

// ArrayIter walks the elements of a compact JSON array without allocating.
type ArrayIter struct {
	b []byte
	i int
}

// Reset points the iterator at the compact array arr. If arr is not an
// array, Next reports no elements.
func (it *ArrayIter) Reset(arr []byte) {
	it.b = arr
	it.i = 1
	if KindOf(arr) != KindArray || len(arr) < 2 || arr[1] == ']' {
		it.i = len(arr)
	}
}

// Next returns the next element, a span of the array.
func (it *ArrayIter) Next() ([]byte, bool) {
	if it.i >= len(it.b) {
		return nil, false
	}
	s := it.i
	e := SkipValue(it.b, s)
	it.i = e + 1
	return it.b[s:e], true
}

// ArrayLen counts the elements of the compact array arr (0 if arr is not an
// array).
func ArrayLen(arr []byte) int {
	var it ArrayIter
	it.Reset(arr)
	n := 0
	for _, ok := it.Next(); ok; _, ok = it.Next() {
		n++
	}
	return n
}

// ArrayIndex returns element i of the compact array arr, or nil if there is
// no such element.
func ArrayIndex(arr []byte, i int) []byte {
	var it ArrayIter
	it.Reset(arr)
	for v, ok := it.Next(); ok; v, ok = it.Next() {
		if i == 0 {
			return v
		}
		i--
	}
	return nil
}

// ObjectGet returns the value of the member named name in the compact object
// obj, or nil if there is none. Escaped keys are compared by their decoded
// text. When a key repeats, the first one wins.
func ObjectGet(obj []byte, name string) []byte {
	var it ObjectIter
	it.Reset(obj)
	for k, v, ok := it.Next(); ok; k, v, ok = it.Next() {
		if KeyEquals(k, name) {
			return v
		}
	}
	return nil
}

// KeyEquals reports whether the raw JSON string key (with quotes, possibly
// escaped) decodes to name. It does not allocate.
func KeyEquals(key []byte, name string) bool {
	if len(key) < 2 {
		return false
	}
	body := key[1 : len(key)-1]
	// An escape makes the raw key longer than its text, so a raw key as
	// long as name matches only byte for byte, and a shorter one never.
	if len(body) <= len(name) {
		return string(body) == name
	}
	if len(name) > 0 && body[0] != name[0] && body[0] != '\\' {
		return false // the first character is plain and differs
	}
	if !HasByte(body, '\\') {
		return false
	}
	var buf [64]byte
	dec := AppendUnescaped(buf[:0], body)
	return string(dec) == name
}

// HasByte reports whether b contains c.
func HasByte(b []byte, c byte) bool {
	for _, x := range b {
		if x == c {
			return true
		}
	}
	return false
}

// AppendUnquoted appends the decoded text of the compact JSON string s
// (quotes included) to dst.
func AppendUnquoted(dst, s []byte) []byte {
	if len(s) < 2 {
		return dst
	}
	return AppendUnescaped(dst, s[1:len(s)-1])
}

// AppendUnescaped decodes the body of a valid JSON string.
func AppendUnescaped(dst, body []byte) []byte {
	for i := 0; i < len(body); i++ {
		c := body[i]
		if c != '\\' || i+1 >= len(body) {
			dst = append(dst, c)
			continue
		}
		i++
		switch body[i] {
		case 'b':
			dst = append(dst, '\b')
		case 'f':
			dst = append(dst, '\f')
		case 'n':
			dst = append(dst, '\n')
		case 'r':
			dst = append(dst, '\r')
		case 't':
			dst = append(dst, '\t')
		case 'u':
			if i+5 > len(body) {
				return dst
			}
			r := rune(Hex4(body[i+1:]))
			i += 4
			if r >= 0xD800 && r < 0xDC00 && i+6 < len(body) && body[i+1] == '\\' && body[i+2] == 'u' {
				r2 := rune(Hex4(body[i+3:]))
				if r2 >= 0xDC00 && r2 < 0xE000 {
					r = (r-0xD800)<<10 + (r2 - 0xDC00) + 0x10000
					i += 6
				}
			}
			dst = utf8.AppendRune(dst, r)
		default:
			dst = append(dst, body[i])
		}
	}
	return dst
}

// Hex4 is the value of the four hex digits of a \u escape.
func Hex4(b []byte) int {
	return hexVal(b[0])<<12 | hexVal(b[1])<<8 | hexVal(b[2])<<4 | hexVal(b[3])
}

// AppendQuoted appends s as a JSON string to dst, escaping as AWS does
// (quote, backslash and control characters; nothing else).
func AppendQuoted(dst []byte, s []byte) []byte { return jsontext.AppendQuoted(dst, s) }

// AppendQuotedString is AppendQuoted for a string.
func AppendQuotedString(dst []byte, s string) []byte { return jsontext.AppendQuoted(dst, s) }

// ParseNumber returns the value of the compact JSON number v as a float64.
func ParseNumber(v []byte) (float64, bool) {
	f, err := strconv.ParseFloat(BytesString(v), 64)
	return f, err == nil
}

// BytesString views b as a string without copying. The caller must not
// keep the string past b's lifetime or modify b while it is in use.
func BytesString(b []byte) string {
	return unsafe.String(unsafe.SliceData(b), len(b))
}

// Equal reports whether two compact JSON values are equal as JSON: objects
// compare without regard to member order and numbers by value.
func Equal(a, b []byte) bool {
	if string(a) == string(b) {
		return true
	}
	ka, kb := KindOf(a), KindOf(b)
	if ka != kb {
		return false
	}
	switch ka {
	case KindNumber:
		fa, _ := ParseNumber(a)
		fb, _ := ParseNumber(b)
		return fa == fb
	case KindString:
		if string(a) == string(b) {
			return true
		}
		if !HasByte(a, '\\') && !HasByte(b, '\\') {
			return false
		}
		var ba, bb [128]byte
		return string(AppendUnquoted(ba[:0], a)) == string(AppendUnquoted(bb[:0], b))
	case KindArray:
		var ia, ib ArrayIter
		ia.Reset(a)
		ib.Reset(b)
		for {
			va, oka := ia.Next()
			vb, okb := ib.Next()
			if oka != okb {
				return false
			}
			if !oka {
				return true
			}
			if !Equal(va, vb) {
				return false
			}
		}
	case KindObject:
		var ia ObjectIter
		ia.Reset(a)
		na := 0
		for k, v, ok := ia.Next(); ok; k, v, ok = ia.Next() {
			na++
			var kbuf [64]byte
			other := ObjectGet(b, BytesString(AppendUnquoted(kbuf[:0], k)))
			if other == nil || !Equal(v, other) {
				return false
			}
		}
		var ib ObjectIter
		ib.Reset(b)
		nb := 0
		for _, _, ok := ib.Next(); ok; _, _, ok = ib.Next() {
			nb++
		}
		return na == nb
	default:
		return string(a) == string(b)
	}
}
