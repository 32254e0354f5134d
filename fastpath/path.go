package fastpath

import (
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/stepd/stepd/fastpath/jsonb"
)

// PathRoot says what a path starts from.
type PathRoot uint8

// The roots a path can start from.
const (
	RootInput   PathRoot = iota // $
	RootContext                 // $$
	RootVar                     // $name: a variable set by Assign
)

type stepKind uint8

const (
	stepField    stepKind = iota // .name or ['name']
	stepIndex                    // [n]; negative counts from the end
	stepWildcard                 // [*] or .*
	stepSlice                    // [lo:hi:step]
	stepUnion                    // ['a','b'] or [1,2]
	stepScan                     // ..name or ..*
	stepFilter                   // [?(expr)]
)

type pathStep struct {
	kind   stepKind
	name   string // stepField, stepScan ("" with stepScan means ..*)
	index  int    // stepIndex
	lo, hi int    // stepSlice
	hasLo  bool
	hasHi  bool
	stride int
	names  []string // stepUnion of keys
	idxs   []int    // stepUnion of indexes
	filter *filterExpr
}

// Path is a compiled JSONPath, as AWS Step Functions accepts them in
// InputPath, OutputPath, ResultPath, "key.$" fields, intrinsic arguments and
// Choice variables. A Path is immutable and safe for concurrent use.
type Path struct {
	// Text is the path as written in the definition, for messages.
	Text string
	// Root is what the path starts from.
	Root PathRoot
	// Var is the variable name when Root is RootVar.
	Var string
	// VarSlot is the variable's index in the execution's variable table,
	// assigned by the compiler when Root is RootVar.
	VarSlot int

	steps    []pathStep
	definite bool
	// ctx and ctxSteps say which part of the context object a $$ path
	// selects through its first ctxSteps steps, so the VM builds only that.
	ctx      ctxKey
	ctxSteps int
}

// Definite reports whether the path selects at most one value (no
// wildcards, slices, unions, scans or filters). An indefinite path always
// yields an array of what it matched.
func (p *Path) Definite() bool { return p.definite }

// IsRoot reports whether the path is just its root ($, $$ or $name).
func (p *Path) IsRoot() bool { return len(p.steps) == 0 }

// PathError reports a path that cannot be parsed.
type PathError struct {
	Path   string
	Offset int
	Msg    string
}

func (e *PathError) Error() string {
	return "invalid JSONPath " + strconv.Quote(e.Path) + " at offset " + strconv.Itoa(e.Offset) + ": " + e.Msg
}

// ParsePath compiles a JSONPath. It accepts $, $$ and $name roots followed by
// .name, ['name'], [n], [*], .*, [lo:hi:step], unions, ..name scans and
// [?(...)] filters, as the Jayway JsonPath library that AWS uses does.
func ParsePath(text string) (*Path, error) {
	p := &Path{Text: text, definite: true}
	s := text
	if len(s) == 0 || s[0] != '$' {
		return nil, &PathError{text, 0, "a path must start with '$'"}
	}
	if !utf8.ValidString(s) {
		return nil, &PathError{text, 0, "a path must be valid UTF-8"}
	}
	i := 1
	switch {
	case i < len(s) && s[i] == '$':
		p.Root = RootContext
		i++
	case i < len(s) && isVarChar(s[i]):
		j := i
		for j < len(s) && isVarChar(s[j]) {
			j++
		}
		p.Root, p.Var = RootVar, s[i:j]
		i = j
	}
	for i < len(s) {
		var st pathStep
		var err error
		switch s[i] {
		case '.':
			st, i, err = parseDotStep(s, i)
		case '[':
			st, i, err = parseBracketStep(s, i)
		default:
			err = &PathError{text, i, "expected '.' or '['"}
		}
		if err != nil {
			if pe, ok := err.(*PathError); ok {
				pe.Path = text
			}
			return nil, err
		}
		if st.kind != stepField && st.kind != stepIndex {
			p.definite = false
		}
		p.steps = append(p.steps, st)
	}
	if p.Root == RootContext {
		p.ctx, p.ctxSteps = resolveCtxKey(p)
	}
	return p, nil
}

func isVarChar(c byte) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

// dotStep = '.' name / '.*' / '..' ( name / '*' / bracketStep )
func parseDotStep(s string, i int) (pathStep, int, error) {
	i++
	if i < len(s) && s[i] == '.' {
		i++
		if i < len(s) && s[i] == '*' {
			return pathStep{kind: stepScan}, i + 1, nil
		}
		if i < len(s) && s[i] == '[' {
			st, j, err := parseBracketStep(s, i)
			if err != nil || st.kind != stepField {
				return st, j, &PathError{s, i, "unsupported deep scan"}
			}
			return pathStep{kind: stepScan, name: st.name}, j, nil
		}
		j := nameEnd(s, i)
		if j == i {
			return pathStep{}, i, &PathError{s, i, "expected a name after '..'"}
		}
		return pathStep{kind: stepScan, name: s[i:j]}, j, nil
	}
	if i < len(s) && s[i] == '*' {
		return pathStep{kind: stepWildcard}, i + 1, nil
	}
	j := nameEnd(s, i)
	if j == i {
		return pathStep{}, i, &PathError{s, i, "expected a name after '.'"}
	}
	return pathStep{kind: stepField, name: s[i:j]}, j, nil
}

func nameEnd(s string, i int) int {
	for i < len(s) && s[i] != '.' && s[i] != '[' && s[i] != ' ' {
		i++
	}
	return i
}

// bracketStep = '[' ( '*' / quoted *( ',' quoted ) / int *( ',' int ) /
// [int] ':' [int] [ ':' int ] / '?(' filter ')' ) ']'
func parseBracketStep(s string, i int) (pathStep, int, error) {
	start := i
	i++
	i = skipSpaces(s, i)
	if i >= len(s) {
		return pathStep{}, i, &PathError{s, start, "unterminated '['"}
	}
	switch c := s[i]; {
	case c == '*':
		i = skipSpaces(s, i+1)
		if i >= len(s) || s[i] != ']' {
			return pathStep{}, i, &PathError{s, i, "expected ']'"}
		}
		return pathStep{kind: stepWildcard}, i + 1, nil
	case c == '\'' || c == '"':
		var names []string
		for {
			if i >= len(s) || (s[i] != '\'' && s[i] != '"') {
				return pathStep{}, i, &PathError{s, i, "expected a quoted name"}
			}
			name, j, err := parseQuoted(s, i)
			if err != nil {
				return pathStep{}, j, err
			}
			names = append(names, name)
			i = skipSpaces(s, j)
			if i < len(s) && s[i] == ',' {
				i = skipSpaces(s, i+1)
				continue
			}
			break
		}
		if i >= len(s) || s[i] != ']' {
			return pathStep{}, i, &PathError{s, i, "expected ']'"}
		}
		if len(names) == 1 {
			return pathStep{kind: stepField, name: names[0]}, i + 1, nil
		}
		return pathStep{kind: stepUnion, names: names}, i + 1, nil
	case c == '?':
		if i+1 >= len(s) || s[i+1] != '(' {
			return pathStep{}, i, &PathError{s, i, "expected '(' after '?'"}
		}
		f, j, err := parseFilter(s, i+2)
		if err != nil {
			return pathStep{}, j, err
		}
		j = skipSpaces(s, j)
		if j >= len(s) || s[j] != ')' {
			return pathStep{}, j, &PathError{s, j, "expected ')' to close the filter"}
		}
		j = skipSpaces(s, j+1)
		if j >= len(s) || s[j] != ']' {
			return pathStep{}, j, &PathError{s, j, "expected ']'"}
		}
		return pathStep{kind: stepFilter, filter: f}, j + 1, nil
	default:
		return parseIndexStep(s, i)
	}
}

func parseIndexStep(s string, i int) (pathStep, int, error) {
	var nums [3]int
	var has [3]bool
	part, colons := 0, 0
	var idxs []int
	for {
		i = skipSpaces(s, i)
		if i < len(s) && (s[i] == '-' || s[i] >= '0' && s[i] <= '9') {
			j := i + 1
			for j < len(s) && s[j] >= '0' && s[j] <= '9' {
				j++
			}
			n, err := strconv.Atoi(s[i:j])
			if err != nil {
				return pathStep{}, i, &PathError{s, i, "invalid array index"}
			}
			nums[part], has[part] = n, true
			i = skipSpaces(s, j)
		}
		if i >= len(s) {
			return pathStep{}, i, &PathError{s, i, "unterminated '['"}
		}
		switch s[i] {
		case ':':
			if len(idxs) > 0 || colons == 2 {
				return pathStep{}, i, &PathError{s, i, "unexpected ':'"}
			}
			colons++
			part++
			i++
		case ',':
			if colons > 0 || !has[0] {
				return pathStep{}, i, &PathError{s, i, "unexpected ','"}
			}
			idxs = append(idxs, nums[0])
			has[0] = false
			i++
		case ']':
			if colons > 0 {
				st := pathStep{kind: stepSlice, lo: nums[0], hasLo: has[0], hi: nums[1], hasHi: has[1], stride: 1}
				if has[2] {
					if nums[2] <= 0 {
						return pathStep{}, i, &PathError{s, i, "slice step must be positive"}
					}
					st.stride = nums[2]
				}
				return st, i + 1, nil
			}
			if !has[0] {
				return pathStep{}, i, &PathError{s, i, "expected an index"}
			}
			if len(idxs) > 0 {
				return pathStep{kind: stepUnion, idxs: append(idxs, nums[0])}, i + 1, nil
			}
			return pathStep{kind: stepIndex, index: nums[0]}, i + 1, nil
		default:
			return pathStep{}, i, &PathError{s, i, "unexpected character in '[...]'"}
		}
	}
}

func skipSpaces(s string, i int) int {
	for i < len(s) && s[i] == ' ' {
		i++
	}
	return i
}

// parseQuoted reads a '...' or "..." string starting at s[i]. As in Jayway,
// a backslash escapes only the closing quote character; any other backslash
// is kept as written.
func parseQuoted(s string, i int) (string, int, error) {
	q := s[i]
	var b strings.Builder
	for j := i + 1; j < len(s); j++ {
		c := s[j]
		switch {
		case c == q:
			return b.String(), j + 1, nil
		case c == '\\' && j+1 < len(s) && s[j+1] == q:
			j++
			b.WriteByte(q)
		default:
			b.WriteByte(c)
		}
	}
	return "", len(s), &PathError{s, i, "unterminated string"}
}

// NotFoundMessage explains, as Jayway (and so AWS) words it, why the
// definite path p finds nothing in root: "Missing property in path
// $['a']" when a step before the last finds nothing, "No results for
// path: $['a']['b']" when only the last one does. An indefinite path
// finds nothing only when its root is missing, or when its matches are too
// large, which it says.
func (p *Path) NotFoundMessage(root []byte) string {
	switch {
	case !p.definite && root != nil: // it found too much (see maxPathMatches)
		return "The matches of the path exceed " + strconv.Itoa(maxPathMatches>>10) + " KiB"
	case !p.definite: // its root (a variable) is not set
		return "No results for path: " + string(p.AppendNormalized(nil))
	}
	v := root
	for i := range p.steps {
		if v = getSteps(v, p.steps[i:i+1]); v == nil && i < len(p.steps)-1 {
			return "Missing property in path " + string(p.appendNormalized(nil, i+1))
		}
		if v == nil {
			break
		}
	}
	return "No results for path: " + string(p.AppendNormalized(nil))
}

// Get evaluates a definite path against root and returns the selected value,
// a span of root, or nil when nothing is there. It allocates nothing. For an
// indefinite path use Eval.
func (p *Path) Get(root []byte) []byte {
	return getSteps(root, p.steps)
}

func getSteps(v []byte, steps []pathStep) []byte {
	for i := range steps {
		st := &steps[i]
		switch st.kind {
		case stepField:
			if jsonb.KindOf(v) != jsonb.KindObject {
				return nil
			}
			v = jsonb.ObjectGet(v, st.name)
		case stepIndex:
			if jsonb.KindOf(v) != jsonb.KindArray {
				return nil
			}
			idx := st.index
			if idx < 0 {
				idx += jsonb.ArrayLen(v)
				if idx < 0 {
					return nil
				}
			}
			v = jsonb.ArrayIndex(v, idx)
		default:
			panic("BUG: getSteps on an indefinite step")
		}
		if v == nil {
			return nil
		}
	}
	return v
}

// Eval evaluates the path against root. A definite path returns a span of
// root (or nil when not found) and dst unchanged. An indefinite path appends
// the JSON array of its matches (possibly empty) to dst and returns that
// array, a span of the returned dst; it is nil only when the matches
// exceed maxPathMatches bytes. Eval allocates only when dst must grow.
func (p *Path) Eval(dst, root []byte) (val, out []byte) {
	return EvalSteps(p, dst, root, 0)
}

// maxPathMatches bounds the JSON an indefinite path collects: 16 times the
// largest payload. Recursive descent and unions repeat values (`$..*` over
// 500 nested arrays holding a 200 KB string is 100 MB of matches); past the
// bound the path matches nothing, so the state fails with States.Runtime
// instead of taking the memory.
const maxPathMatches = 16 * MaxPayloadBytes

// EvalSteps is Eval starting at step `from`, for callers that resolved the
// first steps themselves (the context object). An indefinite path whose
// matches exceed maxPathMatches bytes returns nil, as one that matches
// nothing at all would if it were definite.
func EvalSteps(p *Path, dst, root []byte, from int) (val, out []byte) {
	steps := p.steps[from:]
	if p.definite {
		return getSteps(root, steps), dst
	}
	start := len(dst)
	dst = append(dst, '[')
	dst, _ = collect(dst, root, steps, false, start+maxPathMatches)
	if len(dst)-start > maxPathMatches {
		return nil, dst[:start]
	}
	if len(dst) > start+1 {
		dst[len(dst)-1] = ']' // replace the trailing comma
	} else {
		dst = append(dst, ']')
	}
	return dst[start:], dst
}

// Step reports the field name of step i when it is a field step, for
// resolving the context object's first levels.
func (p *Path) Step(i int) (name string, ok bool) {
	if i >= len(p.steps) || p.steps[i].kind != stepField {
		return "", false
	}
	return p.steps[i].name, true
}

// NumSteps is the number of steps after the root.
func (p *Path) NumSteps() int { return len(p.steps) }

// collect appends each match of steps over v followed by a comma, and
// stops once dst is longer than limit.
func collect(dst, v []byte, steps []pathStep, any bool, limit int) ([]byte, bool) {
	if len(dst) > limit {
		return dst, any
	}
	if len(steps) == 0 {
		dst = append(dst, v...)
		return append(dst, ','), true
	}
	st := &steps[0]
	rest := steps[1:]
	switch st.kind {
	case stepField:
		if c := fieldOf(v, st.name); c != nil {
			return collect(dst, c, rest, any, limit)
		}
	case stepIndex:
		if jsonb.KindOf(v) == jsonb.KindArray {
			idx := st.index
			if idx < 0 {
				idx += jsonb.ArrayLen(v)
			}
			if c := jsonb.ArrayIndex(v, idx); idx >= 0 && c != nil {
				return collect(dst, c, rest, any, limit)
			}
		}
	case stepWildcard:
		switch jsonb.KindOf(v) {
		case jsonb.KindArray:
			var it jsonb.ArrayIter
			it.Reset(v)
			for c, ok := it.Next(); ok; c, ok = it.Next() {
				dst, any = collect(dst, c, rest, any, limit)
			}
		case jsonb.KindObject:
			var it jsonb.ObjectIter
			it.Reset(v)
			for _, c, ok := it.Next(); ok; _, c, ok = it.Next() {
				dst, any = collect(dst, c, rest, any, limit)
			}
		}
	case stepSlice:
		if jsonb.KindOf(v) == jsonb.KindArray {
			n := jsonb.ArrayLen(v)
			lo, hi := sliceBounds(st, n)
			var it jsonb.ArrayIter
			it.Reset(v)
			i := 0
			for c, ok := it.Next(); ok && i < hi; c, ok = it.Next() {
				if i >= lo && (i-lo)%st.stride == 0 {
					dst, any = collect(dst, c, rest, any, limit)
				}
				i++
			}
		}
	case stepUnion:
		if st.names != nil {
			for _, name := range st.names {
				if len(dst) > limit {
					break
				}
				if c := fieldOf(v, name); c != nil {
					dst, any = collect(dst, c, rest, any, limit)
				}
			}
		} else if jsonb.KindOf(v) == jsonb.KindArray {
			n := jsonb.ArrayLen(v)
			for _, idx := range st.idxs {
				if len(dst) > limit {
					break
				}
				if idx < 0 {
					idx += n
				}
				if c := jsonb.ArrayIndex(v, idx); idx >= 0 && c != nil {
					dst, any = collect(dst, c, rest, any, limit)
				}
			}
		}
	case stepScan:
		dst, any = scan(dst, v, st.name, rest, any, limit)
	case stepFilter:
		switch jsonb.KindOf(v) {
		case jsonb.KindArray:
			var it jsonb.ArrayIter
			it.Reset(v)
			for c, ok := it.Next(); ok; c, ok = it.Next() {
				if st.filter.match(c) {
					dst, any = collect(dst, c, rest, any, limit)
				}
			}
		case jsonb.KindObject:
			if st.filter.match(v) {
				dst, any = collect(dst, v, rest, any, limit)
			}
		}
	}
	return dst, any
}

func fieldOf(v []byte, name string) []byte {
	if jsonb.KindOf(v) != jsonb.KindObject {
		return nil
	}
	return jsonb.ObjectGet(v, name)
}

// scan implements ..name (name == "" means ..*): the matches in v and in
// every value nested in v, depth first, parents before children.
func scan(dst, v []byte, name string, rest []pathStep, any bool, limit int) ([]byte, bool) {
	if len(dst) > limit {
		return dst, any
	}
	switch jsonb.KindOf(v) {
	case jsonb.KindObject:
		var it jsonb.ObjectIter
		it.Reset(v)
		for k, c, ok := it.Next(); ok; k, c, ok = it.Next() {
			if name == "" || jsonb.KeyEquals(k, name) {
				dst, any = collect(dst, c, rest, any, limit)
			}
		}
		it.Reset(v)
		for _, c, ok := it.Next(); ok; _, c, ok = it.Next() {
			dst, any = scan(dst, c, name, rest, any, limit)
		}
	case jsonb.KindArray:
		var it jsonb.ArrayIter
		it.Reset(v)
		for c, ok := it.Next(); ok; c, ok = it.Next() {
			if name == "" {
				dst, any = collect(dst, c, rest, any, limit)
			}
			dst, any = scan(dst, c, name, rest, any, limit)
		}
	}
	return dst, any
}

func sliceBounds(st *pathStep, n int) (lo, hi int) {
	lo, hi = 0, n
	if st.hasLo {
		lo = st.lo
		if lo < 0 {
			lo = max(lo+n, 0)
		}
	}
	if st.hasHi {
		hi = st.hi
		if hi < 0 {
			hi += n
		}
		hi = min(hi, n)
	}
	return lo, hi
}

// AppendNormalized appends the path in Jayway's normalized form
// ($['a'][0]), the form AWS quotes in "Invalid path" messages.
func (p *Path) AppendNormalized(dst []byte) []byte {
	return p.appendNormalized(dst, len(p.steps))
}

// appendNormalized appends the normalized form of the root and the first
// n steps.
func (p *Path) appendNormalized(dst []byte, n int) []byte {
	switch p.Root {
	case RootContext:
		dst = append(dst, "$$"...)
	case RootVar:
		dst = append(dst, '$')
		dst = append(dst, p.Var...)
	default:
		dst = append(dst, '$')
	}
	for i := range p.steps[:n] {
		st := &p.steps[i]
		switch st.kind {
		case stepField:
			dst = append(dst, "['"...)
			dst = append(dst, st.name...)
			dst = append(dst, "']"...)
		case stepIndex:
			dst = append(dst, '[')
			dst = strconv.AppendInt(dst, int64(st.index), 10)
			dst = append(dst, ']')
		case stepWildcard:
			dst = append(dst, "[*]"...)
		default:
			return append(dst, p.Text[min(len(p.Text), 1):]...)
		}
	}
	return dst
}
