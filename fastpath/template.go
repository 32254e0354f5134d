package fastpath

import (
	"strings"
	"unsafe"

	"github.com/stepd/stepd/fastpath/jsonb"
)

// Template is a compiled payload template: the JSON value of a Parameters,
// ResultSelector, ItemSelector or Assign field, in which every member whose
// key ends in ".$" takes its value from a path or an intrinsic call. It is
// compiled into a flat list of "append these literal bytes", "append this
// path's value" and "append this call's result" operations, so evaluating it
// is a single pass of appends. A Template is immutable and safe for
// concurrent use.
type Template struct {
	ops []tmplOp
	// literal is the whole value when the template has no dynamic parts.
	literal []byte
}

type tmplOpKind uint8

const (
	opLiteral tmplOpKind = iota
	opPath
	opCall
)

type tmplOp struct {
	kind  tmplOpKind
	lit   []byte
	path  *Path
	call  *Intrinsic
	field string // the "key.$" the value came from, for messages
}

// PathNotFound is returned by Template.Eval when a definite path selects
// nothing. The VM turns it into AWS's States.Runtime message, which quotes
// the state's input.
type PathNotFound struct {
	Path  string
	Field string
}

func (e *PathNotFound) Error() string {
	return "the JSONPath '" + e.Path + "' specified for the field '" + e.Field + "' could not be found"
}

// TemplateError reports a template member that cannot be compiled; Field is
// the member's key, Pointer the JSON pointer of the object holding it
// relative to the template.
type TemplateError struct {
	Field   string
	Pointer string
	Err     error
}

func (e *TemplateError) Error() string {
	return "the value for the field '" + e.Field + "' must be a valid JSONPath or a valid intrinsic function call: " + e.Err.Error()
}

// NewTemplate compiles the compact JSON value raw. Paths and intrinsic calls
// are compiled here, once.
func NewTemplate(raw []byte) (*Template, error) {
	t := &Template{}
	var lit []byte
	var err error
	lit, err = t.compileValue(lit, raw, "")
	if err != nil {
		return nil, err
	}
	if len(t.ops) == 0 {
		t.literal = lit
		return t, nil
	}
	t.flush(lit)
	return t, nil
}

// Literal returns the template's value when it has no dynamic parts.
func (t *Template) Literal() ([]byte, bool) { return t.literal, t.literal != nil }

// Paths returns every path the template reads, intrinsic arguments included.
func (t *Template) Paths() []*Path {
	var ps []*Path
	for i := range t.ops {
		switch op := &t.ops[i]; op.kind {
		case opPath:
			ps = append(ps, op.path)
		case opCall:
			ps = append(ps, op.call.Paths()...)
		}
	}
	return ps
}

func (t *Template) flush(lit []byte) []byte {
	if len(lit) > 0 {
		t.ops = append(t.ops, tmplOp{kind: opLiteral, lit: lit})
	}
	return nil
}

func (t *Template) compileValue(lit, raw []byte, ptr string) ([]byte, error) {
	switch jsonb.KindOf(raw) {
	case jsonb.KindObject:
		lit = append(lit, '{')
		var it jsonb.ObjectIter
		it.Reset(raw)
		n := 0
		for k, v, ok := it.Next(); ok; k, v, ok = it.Next() {
			if n > 0 {
				lit = append(lit, ',')
			}
			n++
			name := string(jsonb.AppendUnquoted(nil, k))
			if !strings.HasSuffix(name, ".$") {
				lit = jsonb.AppendQuotedString(lit, name)
				lit = append(lit, ':')
				var err error
				if lit, err = t.compileValue(lit, v, ptr+"/"+escapePointer(name)); err != nil {
					return nil, err
				}
				continue
			}
			lit = jsonb.AppendQuotedString(lit, strings.TrimSuffix(name, ".$"))
			lit = append(lit, ':')
			op, err := compileDynamic(name, v)
			if err != nil {
				return nil, &TemplateError{Field: name, Pointer: ptr, Err: err}
			}
			lit = t.flush(lit)
			t.ops = append(t.ops, op)
		}
		return append(lit, '}'), nil
	case jsonb.KindArray:
		lit = append(lit, '[')
		var it jsonb.ArrayIter
		it.Reset(raw)
		n := 0
		for v, ok := it.Next(); ok; v, ok = it.Next() {
			if n > 0 {
				lit = append(lit, ',')
			}
			var err error
			if lit, err = t.compileValue(lit, v, ptr+"/"+itoa(n)); err != nil {
				return nil, err
			}
			n++
		}
		return append(lit, ']'), nil
	default:
		return append(lit, raw...), nil
	}
}

// compileDynamic compiles the value of a "key.$" member: a path or an
// intrinsic function call.
func compileDynamic(field string, v []byte) (tmplOp, error) {
	if jsonb.KindOf(v) != jsonb.KindString {
		return tmplOp{}, errNotPathString
	}
	text := string(jsonb.AppendUnquoted(nil, v))
	if strings.HasPrefix(text, "$") {
		p, err := ParsePath(text)
		if err != nil {
			return tmplOp{}, err
		}
		return tmplOp{kind: opPath, path: p, field: field}, nil
	}
	call, err := ParseIntrinsic(text)
	if err != nil {
		return tmplOp{}, err
	}
	return tmplOp{kind: opCall, call: call, field: field}, nil
}

type constError string

func (e constError) Error() string { return string(e) }

const errNotPathString = constError("the value must be a string")

// maxTemplateBytes bounds the value a template or an intrinsic function
// builds: 16 times the largest payload. Both repeat values (20,000 fields
// of States.ArrayRange(1, 1000, 1) built 78 MB, and States.Format of 1,000
// copies of a 200 KB string 200 MB, before the payload check).
const maxTemplateBytes = 16 * MaxPayloadBytes

// errTemplateTooLarge is Eval's error for a value over maxTemplateBytes.
var errTemplateTooLarge = constError("the value is larger than " + itoa(maxTemplateBytes>>10) + " KiB")

// Eval appends the template's value to dst and returns it (a span of out).
// Paths resolve through r. A definite path that selects nothing fails with
// *PathNotFound; an intrinsic failure passes through as returned; a value
// growing past maxTemplateBytes stops with errTemplateTooLarge.
func (t *Template) Eval(dst []byte, r Resolver) (val, out []byte, err error) {
	if t.literal != nil {
		return t.literal, dst, nil
	}
	start := len(dst)
	for i := range t.ops {
		op := &t.ops[i]
		switch op.kind {
		case opLiteral:
			dst = append(dst, op.lit...)
		case opPath:
			mark := len(dst)
			var v []byte
			if v, dst = r.Resolve(op.path, dst); v == nil {
				return nil, dst[:start], &PathNotFound{Path: op.path.Text, Field: op.field}
			}
			dst = placeValue(dst, mark, v)
		case opCall:
			mark := len(dst)
			var v []byte
			if v, dst, err = op.call.Eval(dst, r); err != nil {
				return nil, dst[:start], err
			}
			dst = placeValue(dst, mark, v)
		}
		if len(dst)-start > maxTemplateBytes {
			return nil, dst[:start], errTemplateTooLarge
		}
	}
	return dst[start:len(dst):len(dst)], dst, nil
}

// escapePointer escapes a key for a JSON pointer (RFC 6901).
func escapePointer(s string) string {
	if !strings.ContainsAny(s, "~/") {
		return s
	}
	return strings.NewReplacer("~", "~0", "/", "~1").Replace(s)
}

func itoa(n int) string {
	var b [20]byte
	i := len(b)
	if n == 0 {
		return "0"
	}
	for n > 0 {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
	}
	return string(b[i:])
}

// NewExpression compiles a single path or intrinsic call, the value of a
// "key.$" member or of a field such as ErrorPath, as a template whose value
// is the expression's result. field names it in messages.
func NewExpression(field, text string) (*Template, error) {
	op, err := compileDynamic(field, jsonb.AppendQuotedString(nil, text))
	if err != nil {
		return nil, err
	}
	return &Template{ops: []tmplOp{op}}, nil
}

// placeValue makes v the bytes of dst from mark on. Evaluators may return a
// value that is a span of anything (the input, a variable) or one they
// appended to dst, possibly after scratch bytes of their own; placeValue
// moves or copies it so that dst ends with exactly v after mark.
func placeValue(dst []byte, mark int, v []byte) []byte {
	if len(v) > 0 && len(dst) > mark {
		lo := uintptr(unsafe.Pointer(&dst[mark]))
		hi := uintptr(unsafe.Pointer(unsafe.SliceData(dst))) + uintptr(len(dst))
		if p := uintptr(unsafe.Pointer(&v[0])); p >= lo && p < hi {
			n := copy(dst[mark:], v)
			return dst[:mark+n]
		}
	}
	return append(dst[:mark], v...)
}
