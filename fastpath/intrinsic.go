package fastpath

import (
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/stepd/stepd/fastpath/jsonb"
)

// fnID names one of the States.* intrinsic functions; Eval dispatches on it
// with a switch, so the runtime never looks a name up.
type fnID uint8

const (
	fnFormat fnID = iota
	fnStringToJSON
	fnJSONToString
	fnArray
	fnArrayPartition
	fnArrayContains
	fnArrayRange
	fnArrayGetItem
	fnArrayLength
	fnArrayUnique
	fnBase64Encode
	fnBase64Decode
	fnHash
	fnJSONMerge
	fnMathRandom
	fnMathAdd
	fnStringSplit
	fnUUID
	numFns
)

// fnSpec is what the parser knows of a function: its name as written and how
// many arguments it takes (maxArgs < 0: any number).
type fnSpec struct {
	name             string
	minArgs, maxArgs int
}

var fnSpecs = [numFns]fnSpec{
	fnFormat:         {"States.Format", 1, -1},
	fnStringToJSON:   {"States.StringToJson", 1, 1},
	fnJSONToString:   {"States.JsonToString", 1, 1},
	fnArray:          {"States.Array", 0, -1},
	fnArrayPartition: {"States.ArrayPartition", 2, 2},
	fnArrayContains:  {"States.ArrayContains", 2, 2},
	fnArrayRange:     {"States.ArrayRange", 3, 3},
	fnArrayGetItem:   {"States.ArrayGetItem", 2, 2},
	fnArrayLength:    {"States.ArrayLength", 1, 1},
	fnArrayUnique:    {"States.ArrayUnique", 1, 1},
	fnBase64Encode:   {"States.Base64Encode", 1, 1},
	fnBase64Decode:   {"States.Base64Decode", 1, 1},
	fnHash:           {"States.Hash", 2, 2},
	fnJSONMerge:      {"States.JsonMerge", 3, 3},
	fnMathRandom:     {"States.MathRandom", 2, 3},
	fnMathAdd:        {"States.MathAdd", 2, 2},
	fnStringSplit:    {"States.StringSplit", 2, 2},
	fnUUID:           {"States.UUID", 0, 0},
}

// maxIntrinsicDepth bounds how deeply calls nest. AWS allows up to 10
// intrinsic functions in a field; the bound also keeps Eval's recursion, and
// hostile definitions, shallow.
const maxIntrinsicDepth = 10

type argKind uint8

const (
	argLiteral argKind = iota // a string, number, true, false or null
	argPath                   // $..., $$... or $var...
	argCall                   // a nested intrinsic call
)

// intrinsicArg is one compiled argument.
type intrinsicArg struct {
	kind argKind
	// lit is the literal's compact JSON (a string literal is stored quoted,
	// escaped as AWS escapes).
	lit []byte
	// holes are, for a string literal, the offsets in its decoded text of
	// each unescaped "{}", so States.Format never rescans a literal template.
	holes []int
	path  *Path
	call  *Intrinsic
}

// Intrinsic is a compiled intrinsic function call; immutable, safe for
// concurrent use. Build one with ParseIntrinsic.
type Intrinsic struct {
	fn   fnID
	args []intrinsicArg
	text string // the call as written, for messages and Disassemble
}

// String returns the call as written in the definition.
func (in *Intrinsic) String() string { return in.text }

// IntrinsicError reports intrinsic function text that cannot be compiled: the
// byte offset in Text where the problem was found and what it is.
type IntrinsicError struct {
	Text   string
	Offset int
	Msg    string
}

func (e *IntrinsicError) Error() string {
	return "invalid intrinsic function " + strconv.Quote(e.Text) + " at offset " + strconv.Itoa(e.Offset) + ": " + e.Msg
}

// ParseIntrinsic compiles text such as "States.Format('Hello {}', $.name)".
// Arguments are string literals in single quotes (with the escapes \' \{ \}
// and \\ that AWS allows; any other backslash is an error, as AWS rejects
// it), JSON numbers, true, false, null, paths ($..., $$..., $var...,
// compiled with ParsePath) and nested calls, up to 10 levels deep. Function
// names are case-sensitive and must be one of the 18 AWS defines. The
// number and types of arguments are checked by Eval, because AWS reports
// them as run-time errors. Text must be valid UTF-8 (as any text decoded
// from a JSON definition is), so string literals yield valid JSON strings.
// Errors are *IntrinsicError values, or a *PathError for a malformed path
// argument (its Offset then counts from the start of text).
func ParseIntrinsic(text string) (*Intrinsic, error) {
	p := intrinsicParser{s: text}
	for i, r := range text {
		if r == utf8.RuneError && !strings.HasPrefix(text[i:], "\uFFFD") {
			p.i = i
			return nil, p.fail("invalid UTF-8")
		}
	}
	in, err := p.call(0)
	if err != nil {
		return nil, err
	}
	if p.i != len(text) {
		return nil, p.fail("unexpected text after the call")
	}
	in.text = text
	return in, nil
}

type intrinsicParser struct {
	s string
	i int
}

func (p *intrinsicParser) fail(msg string) error {
	return &IntrinsicError{Text: p.s, Offset: p.i, Msg: msg}
}

func (p *intrinsicParser) ws() {
	for p.i < len(p.s) && (p.s[p.i] == ' ' || p.s[p.i] == '\t' || p.s[p.i] == '\n' || p.s[p.i] == '\r') {
		p.i++
	}
}

// call = 'States.' name '(' ws [ arg ws *( ',' ws arg ws ) ] ')'
func (p *intrinsicParser) call(depth int) (*Intrinsic, error) {
	if depth >= maxIntrinsicDepth {
		return nil, p.fail("intrinsic functions nest more than " + strconv.Itoa(maxIntrinsicDepth) + " deep")
	}
	start := p.i
	j := p.i
	for j < len(p.s) && (p.s[j] == '.' || isVarChar(p.s[j])) {
		j++
	}
	name := p.s[start:j]
	if name == "" {
		return nil, p.fail("expected an intrinsic function name")
	}
	fn := numFns
	for id := range fnSpecs {
		if fnSpecs[id].name == name {
			fn = fnID(id)
			break
		}
	}
	if fn == numFns {
		return nil, p.fail("unknown intrinsic function " + strconv.Quote(name))
	}
	p.i = j
	if p.i >= len(p.s) || p.s[p.i] != '(' {
		return nil, p.fail("expected '(' after " + name)
	}
	p.i++
	in := &Intrinsic{fn: fn}
	p.ws()
	if p.i < len(p.s) && p.s[p.i] == ')' {
		p.i++
		return in, nil
	}
	for {
		p.ws()
		a, err := p.arg(depth)
		if err != nil {
			return nil, err
		}
		in.args = append(in.args, a)
		p.ws()
		if p.i >= len(p.s) {
			return nil, p.fail("unterminated argument list of " + name)
		}
		switch p.s[p.i] {
		case ',':
			p.i++
		case ')':
			p.i++
			return in, nil
		default:
			return nil, p.fail("expected ',' or ')' after an argument")
		}
	}
}

// arg = string / number / 'true' / 'false' / 'null' / path / call
func (p *intrinsicParser) arg(depth int) (intrinsicArg, error) {
	if p.i >= len(p.s) {
		return intrinsicArg{}, p.fail("expected an argument")
	}
	switch c := p.s[p.i]; {
	case c == '\'':
		return p.str()
	case c == '$':
		return p.path()
	case c == '-' || c >= '0' && c <= '9':
		end := jsonb.NumberEnd([]byte(p.s), p.i)
		if end < 0 {
			return intrinsicArg{}, p.fail("invalid number")
		}
		lit := []byte(p.s[p.i:end])
		p.i = end
		return intrinsicArg{kind: argLiteral, lit: lit}, p.endOfToken()
	case strings.HasPrefix(p.s[p.i:], "States."):
		in, err := p.call(depth + 1)
		if err != nil {
			return intrinsicArg{}, err
		}
		return intrinsicArg{kind: argCall, call: in}, nil
	default:
		for _, lit := range [...][]byte{jsonb.True, jsonb.False, jsonb.Null} {
			if strings.HasPrefix(p.s[p.i:], string(lit)) {
				p.i += len(lit)
				return intrinsicArg{kind: argLiteral, lit: lit}, p.endOfToken()
			}
		}
		return intrinsicArg{}, p.fail("expected a string, number, true, false, null, path or intrinsic function")
	}
}

// endOfToken checks that a number or keyword is followed by a separator, so
// that "1x" or "truex" are not read as 1 and true.
func (p *intrinsicParser) endOfToken() error {
	if p.i < len(p.s) {
		switch p.s[p.i] {
		case ',', ')', ' ', '\t', '\n', '\r':
		default:
			return p.fail("unexpected character " + strconv.QuoteRune(rune(p.s[p.i])))
		}
	}
	return nil
}

// str = "'" *( char / '\' ( "'" / '{' / '}' / '\' ) ) "'"
//
// The decoded text is stored as a JSON string; an unescaped "{}" is recorded
// as a States.Format placeholder.
func (p *intrinsicParser) str() (intrinsicArg, error) {
	start := p.i
	p.i++
	var text []byte
	var holes []int
	escapedOpen := -1 // offset in text of the last '{' that came from \{
	for p.i < len(p.s) {
		c := p.s[p.i]
		switch c {
		case '\'':
			p.i++
			return intrinsicArg{kind: argLiteral, lit: jsonb.AppendQuoted(nil, text), holes: holes}, p.endOfToken()
		case '\\':
			if p.i+1 >= len(p.s) {
				p.i = len(p.s)
				return intrinsicArg{}, p.fail("unterminated string literal")
			}
			switch e := p.s[p.i+1]; e {
			case '\'', '}', '\\':
				text = append(text, e)
			case '{':
				escapedOpen = len(text)
				text = append(text, e)
			default:
				return intrinsicArg{}, p.fail("invalid escape " + strconv.Quote(p.s[p.i:p.i+2]) + " in a string literal")
			}
			p.i += 2
		case '}':
			if n := len(text); n > 0 && text[n-1] == '{' && escapedOpen != n-1 {
				holes = append(holes, n-1)
			}
			text = append(text, c)
			p.i++
		default:
			text = append(text, c)
			p.i++
		}
	}
	p.i = start
	return intrinsicArg{}, p.fail("unterminated string literal")
}

// path reads a path argument up to the ',' or ')' (or white space) that ends
// it outside brackets and quotes, and compiles it.
func (p *intrinsicParser) path() (intrinsicArg, error) {
	start := p.i
	depth := 0
	var quote byte
	j := p.i
scan:
	for ; j < len(p.s); j++ {
		c := p.s[j]
		switch {
		case quote != 0:
			if c == '\\' {
				j++
			} else if c == quote {
				quote = 0
			}
		case c == '\'' || c == '"':
			if depth > 0 {
				quote = c
			}
		case c == '[':
			depth++
		case c == ']':
			depth--
		case depth <= 0 && (c == ',' || c == ')' || c == ' ' || c == '\t' || c == '\n' || c == '\r'):
			break scan
		}
	}
	if depth > 0 || quote != 0 {
		// Checked here, not left to ParsePath: it indexes past the end of
		// a path that stops inside a bracket union such as $['a',.
		p.i = start
		return intrinsicArg{}, p.fail("unterminated '[' in a path")
	}
	pth, err := ParsePath(p.s[start:j])
	if err != nil {
		if pe, ok := err.(*PathError); ok {
			return intrinsicArg{}, &PathError{Path: p.s, Offset: start + pe.Offset, Msg: pe.Msg}
		}
		return intrinsicArg{}, err
	}
	p.i = j
	return intrinsicArg{kind: argPath, path: pth}, nil
}

// Paths returns every path argument of the call, nested calls included, in
// the order they are written, so the compiler can give variable paths their
// slots. The slice is new; the Paths are the Intrinsic's own (the compiler
// may set VarSlot on them before the Intrinsic is shared).
func (in *Intrinsic) Paths() []*Path {
	return in.appendPaths(nil)
}

func (in *Intrinsic) appendPaths(dst []*Path) []*Path {
	for i := range in.args {
		switch a := &in.args[i]; a.kind {
		case argPath:
			dst = append(dst, a.path)
		case argCall:
			dst = a.call.appendPaths(dst)
		}
	}
	return dst
}

// inlineArgs is how many argument values Eval keeps on the stack; calls with
// more (only States.Array and States.Format can have them) spill to the heap.
const inlineArgs = 8

// Eval runs the call and appends its compact-JSON result to dst; val is that
// result, a span of out. Path arguments are resolved through r. Eval uses
// the space after len(dst) as scratch and leaves out = dst[:len(dst)+len(val)],
// so the caller owns val for as long as it owns the arena; on error out is
// dst unchanged in length. Errors are *Failure values with AWS's error name
// (States.Runtime) and the bare cause; the VM adds the state's prefix.
// Eval allocates only when dst must grow, except for States.ArrayUnique (a
// map of the elements seen) and the Failure of an error.
func (in *Intrinsic) Eval(dst []byte, r Resolver) (val, out []byte, err error) {
	start := len(dst)
	var buf [inlineArgs][]byte
	vals := buf[:0]
	for i := range in.args {
		a := &in.args[i]
		var v []byte
		switch a.kind {
		case argLiteral:
			v = a.lit
		case argPath:
			v, dst = r.Resolve(a.path, dst)
			if v == nil {
				return nil, dst[:start], pathNotFound(a.path)
			}
		case argCall:
			v, dst, err = a.call.Eval(dst, r)
			if err != nil {
				return nil, dst[:start], err
			}
		}
		vals = append(vals, v)
	}
	spec := &fnSpecs[in.fn]
	if len(vals) < spec.minArgs || spec.maxArgs >= 0 && len(vals) > spec.maxArgs {
		return nil, dst[:start], invalidArgs(in.fn)
	}
	// States.Array and States.Format repeat their arguments, and nested
	// calls can grow each other's results: stop past maxTemplateBytes.
	total := 0
	for _, v := range vals {
		total += len(v)
	}
	if total > maxTemplateBytes {
		return nil, dst[:start], errTemplateTooLarge
	}
	from := len(dst)
	dst, from, err = in.apply(dst, from, vals, r)
	if err != nil {
		return nil, dst[:start], err
	}
	if len(dst)-from > maxTemplateBytes {
		return nil, dst[:start], errTemplateTooLarge
	}
	n := copy(dst[start:], dst[from:])
	dst = dst[:start+n]
	return dst[start:], dst, nil
}

// apply appends the function's result to dst, after any scratch it needs,
// and returns where the result starts.
func (in *Intrinsic) apply(dst []byte, from int, v [][]byte, r Resolver) ([]byte, int, error) {
	switch in.fn {
	case fnFormat:
		return in.format(dst, v)
	case fnStringToJSON:
		return stringToJSON(dst, v[0])
	case fnJSONToString:
		return jsonb.AppendQuoted(dst, v[0]), from, nil
	case fnArray:
		dst = append(dst, '[')
		for i, x := range v {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = append(dst, x...)
		}
		return append(dst, ']'), from, nil
	case fnArrayPartition:
		return arrayPartition(dst, v[0], v[1])
	case fnArrayContains:
		return arrayContains(dst, v[0], v[1])
	case fnArrayRange:
		return arrayRange(dst, v[0], v[1], v[2])
	case fnArrayGetItem:
		return arrayGetItem(dst, v[0], v[1])
	case fnArrayLength:
		if jsonb.KindOf(v[0]) != jsonb.KindArray {
			return dst, from, invalidArgs(fnArrayLength)
		}
		return strconv.AppendInt(dst, int64(jsonb.ArrayLen(v[0])), 10), from, nil
	case fnArrayUnique:
		return arrayUnique(dst, v[0])
	case fnBase64Encode:
		return base64Encode(dst, v[0])
	case fnBase64Decode:
		return base64Decode(dst, v[0])
	case fnHash:
		return hashOf(dst, v[0], v[1])
	case fnJSONMerge:
		return jsonMerge(dst, v[0], v[1], v[2])
	case fnMathRandom:
		return mathRandom(dst, v, r)
	case fnMathAdd:
		return mathAdd(dst, v[0], v[1])
	case fnStringSplit:
		return stringSplit(dst, v[0], v[1])
	case fnUUID:
		return appendUUID(dst, r), from, nil
	}
	panic("BUG: intrinsic function " + strconv.Itoa(int(in.fn)) + " has no implementation")
}

// invalidArgs is AWS's States.Runtime failure for arguments of the wrong
// number, type or range.
func invalidArgs(fn fnID) error {
	return &Failure{Name: ErrRuntime, Cause: "Invalid arguments in " + fnSpecs[fn].name}
}

// pathNotFound is the failure for a definite path argument that selects
// nothing.
func pathNotFound(p *Path) error {
	return &Failure{Name: ErrRuntime, Cause: "The JsonPath argument for the field '" + p.Text + "' could not be found in the input"}
}
