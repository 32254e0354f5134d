package fastpath

import (
	"strings"

	"github.com/stepd/stepd/fastpath/jsonb"
)

// filterExpr is a compiled JSONPath filter, [?(...)]: a disjunction of
// conjunctions of comparisons between @-relative paths and literals.
type filterExpr struct {
	any [][]filterTerm // OR of ANDs
}

type filterOp uint8

const (
	opExists filterOp = iota
	opEq
	opNe
	opLt
	opLe
	opGt
	opGe
)

// filterOperand is either an @-relative definite path or a literal.
type filterOperand struct {
	steps   []pathStep
	literal []byte // compact JSON; nil when the operand is a path
}

type filterTerm struct {
	op          filterOp
	left, right filterOperand
}

// filter = term *( ( '&&' / '||' ) term ); term = operand [ op operand ]
func parseFilter(s string, i int) (*filterExpr, int, error) {
	f := &filterExpr{}
	var and []filterTerm
	for {
		t, j, err := parseFilterTerm(s, i)
		if err != nil {
			return nil, j, err
		}
		and = append(and, t)
		j = skipSpaces(s, j)
		switch {
		case strings.HasPrefix(s[j:], "&&"):
			i = j + 2
		case strings.HasPrefix(s[j:], "||"):
			f.any = append(f.any, and)
			and = nil
			i = j + 2
		default:
			f.any = append(f.any, and)
			return f, j, nil
		}
	}
}

func parseFilterTerm(s string, i int) (filterTerm, int, error) {
	var t filterTerm
	left, j, err := parseFilterOperand(s, skipSpaces(s, i))
	if err != nil {
		return t, j, err
	}
	t.left = left
	j = skipSpaces(s, j)
	ops := [...]struct {
		text string
		op   filterOp
	}{{"==", opEq}, {"!=", opNe}, {"<=", opLe}, {">=", opGe}, {"<", opLt}, {">", opGt}}
	for _, o := range ops {
		if strings.HasPrefix(s[j:], o.text) {
			right, k, err := parseFilterOperand(s, skipSpaces(s, j+len(o.text)))
			if err != nil {
				return t, k, err
			}
			t.op, t.right = o.op, right
			return t, k, nil
		}
	}
	if left.literal != nil {
		return t, j, &PathError{s, j, "a filter needs a comparison"}
	}
	return t, j, nil
}

func parseFilterOperand(s string, i int) (filterOperand, int, error) {
	if i >= len(s) {
		return filterOperand{}, i, &PathError{s, i, "unterminated filter"}
	}
	switch c := s[i]; {
	case c == '@':
		j := i + 1
		var steps []pathStep
		for j < len(s) && (s[j] == '.' || s[j] == '[') {
			var st pathStep
			var err error
			if s[j] == '.' {
				st, j, err = parseDotStep(s, j)
			} else {
				st, j, err = parseBracketStep(s, j)
			}
			if err != nil {
				return filterOperand{}, j, err
			}
			if st.kind != stepField && st.kind != stepIndex {
				return filterOperand{}, j, &PathError{s, j, "filter paths must be definite"}
			}
			steps = append(steps, st)
		}
		return filterOperand{steps: steps}, j, nil
	case c == '\'' || c == '"':
		str, j, err := parseQuoted(s, i)
		if err != nil {
			return filterOperand{}, j, err
		}
		return filterOperand{literal: jsonb.AppendQuotedString(nil, str)}, j, nil
	default:
		j := i
		for j < len(s) && strings.IndexByte(" )&|=!<>", s[j]) < 0 {
			j++
		}
		lit, err := jsonb.Compact(nil, []byte(s[i:j]), 1)
		if err != nil || j == i {
			return filterOperand{}, i, &PathError{s, i, "invalid literal in a filter"}
		}
		return filterOperand{literal: lit}, j, nil
	}
}

func (f *filterExpr) match(v []byte) bool {
	for _, and := range f.any {
		ok := true
		for i := range and {
			if !and[i].match(v) {
				ok = false
				break
			}
		}
		if ok {
			return true
		}
	}
	return false
}

func (o *filterOperand) value(v []byte) []byte {
	if o.literal != nil {
		return o.literal
	}
	return getSteps(v, o.steps)
}

func (t *filterTerm) match(v []byte) bool {
	l := t.left.value(v)
	if t.op == opExists {
		return l != nil
	}
	r := t.right.value(v)
	if l == nil || r == nil {
		return t.op == opNe && (l == nil) != (r == nil)
	}
	switch t.op {
	case opEq:
		return jsonb.Equal(l, r)
	case opNe:
		return !jsonb.Equal(l, r)
	}
	c, ok := compareOrdered(l, r)
	if !ok {
		return false
	}
	switch t.op {
	case opLt:
		return c < 0
	case opLe:
		return c <= 0
	case opGt:
		return c > 0
	default:
		return c >= 0
	}
}

// compareOrdered compares two numbers or two strings.
func compareOrdered(a, b []byte) (int, bool) {
	ka, kb := jsonb.KindOf(a), jsonb.KindOf(b)
	if ka != kb {
		return 0, false
	}
	switch ka {
	case jsonb.KindNumber:
		fa, _ := jsonb.ParseNumber(a)
		fb, _ := jsonb.ParseNumber(b)
		switch {
		case fa < fb:
			return -1, true
		case fa > fb:
			return 1, true
		}
		return 0, true
	case jsonb.KindString:
		return strings.Compare(jsonb.BytesString(a), jsonb.BytesString(b)), true
	}
	return 0, false
}
