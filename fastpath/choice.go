package fastpath

import (
	"strconv"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/stepd/stepd/fastpath/jsonb"
)

// choiceFamily says what a ChoiceRule does: combine other rules, or compare
// the Variable's value in one of the ways ASL defines.
type choiceFamily uint8

const (
	famAnd choiceFamily = iota
	famOr
	famNot
	famString    // String{Equals,LessThan,...}[Path]
	famNumeric   // Numeric{Equals,LessThan,...}[Path]
	famTimestamp // Timestamp{Equals,LessThan,...}[Path]
	famBoolean   // BooleanEquals[Path]
	famMatches   // StringMatches
	famIsPresent
	famIsNull
	famIsBoolean
	famIsNumeric
	famIsString
	famIsTimestamp
)

// relation is the ordering test of a String, Numeric or Timestamp comparison.
type relation uint8

const (
	relEquals relation = iota
	relLessThan
	relLessThanEquals
	relGreaterThan
	relGreaterThanEquals
)

// holds reports whether a three-way comparison result c satisfies rel.
func (rel relation) holds(c int) bool {
	switch rel {
	case relEquals:
		return c == 0
	case relLessThan:
		return c < 0
	case relLessThanEquals:
		return c <= 0
	case relGreaterThan:
		return c > 0
	}
	return c >= 0
}

// choiceOperator describes one ASL comparison operator field.
type choiceOperator struct {
	fam  choiceFamily
	rel  relation
	path bool // the value is a path to the second operand
}

// choiceOperators maps every ASL comparison operator name to its meaning.
var choiceOperators = buildChoiceOperators()

func buildChoiceOperators() map[string]choiceOperator {
	ops := map[string]choiceOperator{
		"BooleanEquals":     {fam: famBoolean},
		"BooleanEqualsPath": {fam: famBoolean, path: true},
		"StringMatches":     {fam: famMatches},
		"IsPresent":         {fam: famIsPresent},
		"IsNull":            {fam: famIsNull},
		"IsBoolean":         {fam: famIsBoolean},
		"IsNumeric":         {fam: famIsNumeric},
		"IsString":          {fam: famIsString},
		"IsTimestamp":       {fam: famIsTimestamp},
	}
	families := []struct {
		name string
		fam  choiceFamily
	}{{"String", famString}, {"Numeric", famNumeric}, {"Timestamp", famTimestamp}}
	relations := []struct {
		name string
		rel  relation
	}{
		{"Equals", relEquals},
		{"LessThan", relLessThan},
		{"LessThanEquals", relLessThanEquals},
		{"GreaterThan", relGreaterThan},
		{"GreaterThanEquals", relGreaterThanEquals},
	}
	for _, f := range families {
		for _, r := range relations {
			ops[f.name+r.name] = choiceOperator{fam: f.fam, rel: r.rel}
			ops[f.name+r.name+"Path"] = choiceOperator{fam: f.fam, rel: r.rel, path: true}
		}
	}
	return ops
}

// ChoiceRule is a compiled Choice rule: a comparison of a Variable with a
// constant or with a second path, or an And/Or/Not of rules. Every constant
// is parsed when the rule is built, so Eval only scans the resolved values.
// A ChoiceRule is immutable after construction (apart from Next, which the
// compiler sets before use) and safe for concurrent use.
type ChoiceRule struct {
	// Next is the index of the state a top-level rule leads to, set by the
	// compiler. Nested rules leave it zero.
	Next int

	fam      choiceFamily
	rel      relation
	variable *Path
	operand  *Path         // *Path operators: the second operand
	rules    []*ChoiceRule // And, Or; Not has exactly one

	str     []byte    // String*: the constant, compact JSON string
	pattern []int32   // StringMatches: UTF-16 units, wildcardUnit for '*'
	num     float64   // Numeric*
	ts      timestamp // Timestamp*
	want    bool      // BooleanEquals and Is*: the expected value

	// operator and value are the comparison as written, for Disassemble.
	operator string
	value    []byte

	// The failures Eval reports when a path selects nothing, built once so
	// the error path allocates nothing either.
	missingVariable *Failure
	missingOperand  *Failure
}

// wildcardUnit marks a '*' wildcard in a StringMatches pattern; real UTF-16
// units are never negative.
const wildcardUnit = -1

// NewComparison compiles one comparison. variable is the rule's compiled
// Variable path; operator is the ASL field name (StringEquals,
// NumericLessThanPath, IsPresent, StringMatches, TimestampGreaterThanEquals,
// BooleanEqualsPath, IsNull, IsNumeric, IsString, IsBoolean, IsTimestamp, and
// the rest of the String*, Numeric*, Timestamp* and Boolean* families); value
// is the field's compact JSON value as written in the definition: a constant,
// or for *Path operators a JSON string holding a path, compiled with
// ParsePath. The error, returned when the operator is unknown or the value has
// the wrong type for it, says what is wrong without saying where; the compiler
// adds the location.
func NewComparison(variable *Path, operator string, value []byte) (*ChoiceRule, error) {
	op, ok := choiceOperators[operator]
	if !ok {
		return nil, &choiceError{"unknown Choice comparison operator " + strconv.Quote(operator)}
	}
	if variable == nil {
		return nil, &choiceError{"the comparison " + operator + " has no Variable"}
	}
	if _, err := jsonb.Compact(nil, value, jsonb.MaxDepth); err != nil {
		return nil, &choiceError{"the value of " + operator + " is not valid JSON: " + err.Error()}
	}
	r := &ChoiceRule{fam: op.fam, rel: op.rel, variable: variable, operator: operator, value: value}
	r.missingVariable = missingPathFailure(variable)
	if op.path {
		if jsonb.KindOf(value) != jsonb.KindString {
			return nil, &choiceError{"the value of " + operator + " must be a string holding a JSONPath, not " + kindArticle(value)}
		}
		p, err := ParsePath(string(jsonb.AppendUnquoted(nil, value)))
		if err != nil {
			return nil, &choiceError{"the value of " + operator + " must be a valid JSONPath: " + err.Error()}
		}
		r.operand = p
		r.missingOperand = missingPathFailure(p)
		return r, nil
	}
	want := jsonb.KindString
	switch op.fam {
	case famNumeric:
		want = jsonb.KindNumber
	case famBoolean, famIsPresent, famIsNull, famIsBoolean, famIsNumeric, famIsString, famIsTimestamp:
		want = jsonb.KindBool
	}
	if jsonb.KindOf(value) != want {
		return nil, &choiceError{"the value of " + operator + " must be a " + want.String() + ", not " + kindArticle(value)}
	}
	switch op.fam {
	case famString:
		r.str = append([]byte(nil), value...)
	case famMatches:
		r.pattern = compilePattern(value)
	case famNumeric:
		r.num = numberValue(value)
	case famTimestamp:
		if r.ts, ok = jsonTimestamp(value); !ok {
			return nil, &choiceError{"the value of " + operator + " does not match RFC3339 timestamp: " + string(value)}
		}
	default:
		r.want = value[0] == 't'
	}
	return r, nil
}

// choiceError is a definition problem found while building a rule.
type choiceError struct{ msg string }

func (e *choiceError) Error() string { return e.msg }

// kindArticle names the JSON type of v with an article, for messages.
func kindArticle(v []byte) string {
	switch k := jsonb.KindOf(v); k {
	case jsonb.KindInvalid:
		return "invalid JSON"
	case jsonb.KindArray, jsonb.KindObject:
		return "an " + k.String()
	case jsonb.KindNull:
		return "null"
	default:
		return "a " + k.String()
	}
}

// missingPathFailure is the States.Runtime failure AWS raises when a path of
// a comparison (other than IsPresent's Variable) selects nothing.
func missingPathFailure(p *Path) *Failure {
	return &Failure{
		Name:  ErrRuntime,
		Cause: "Invalid path '" + p.Text + "': The choice state's condition path references an invalid value.",
	}
}

// NewAnd returns a rule that holds when every one of rules holds. Rules are
// evaluated in order and evaluation stops at the first that does not hold,
// so an IsPresent test can guard a comparison after it. The compiler ensures
// rules is not empty.
func NewAnd(rules []*ChoiceRule) *ChoiceRule { return &ChoiceRule{fam: famAnd, rules: rules} }

// NewOr returns a rule that holds when any of rules holds, evaluating them in
// order up to the first that holds.
func NewOr(rules []*ChoiceRule) *ChoiceRule { return &ChoiceRule{fam: famOr, rules: rules} }

// NewNot returns a rule that holds when rule does not.
func NewNot(rule *ChoiceRule) *ChoiceRule {
	return &ChoiceRule{fam: famNot, rules: []*ChoiceRule{rule}}
}

// Paths returns every path in the rule tree, Variables and *Path operands,
// depth first in definition order, so the compiler can assign variable
// slots. The slice is new; the paths are the rule's own.
func (r *ChoiceRule) Paths() []*Path {
	return r.appendPaths(nil)
}

func (r *ChoiceRule) appendPaths(dst []*Path) []*Path {
	for _, c := range r.rules {
		dst = c.appendPaths(dst)
	}
	if r.variable != nil {
		dst = append(dst, r.variable)
	}
	if r.operand != nil {
		dst = append(dst, r.operand)
	}
	return dst
}

// Eval decides the rule against the execution's data. Paths resolve through
// res; scratch is a reusable buffer that indefinite paths append to, returned
// possibly grown (the caller owns it and may reuse it once it is done with
// the values). Eval allocates nothing.
//
// As on AWS, a value of the wrong type for the operator makes a comparison
// false, not an error; strings compare by UTF-16 code units as Java's
// String.compareTo does; numbers compare as float64. A Variable that selects
// nothing (for every operator except IsPresent), or a *Path operand that
// selects nothing, is a States.Runtime *Failure whose Cause is AWS's bare
// message; the VM prefixes it with the state. The *Failure is shared by every
// evaluation of the rule and must not be modified.
func (r *ChoiceRule) Eval(res Resolver, scratch []byte) (ok bool, out []byte, err error) {
	switch r.fam {
	case famAnd:
		for _, c := range r.rules {
			if ok, scratch, err = c.Eval(res, scratch); err != nil || !ok {
				return false, scratch, err
			}
		}
		return true, scratch, nil
	case famOr:
		for _, c := range r.rules {
			if ok, scratch, err = c.Eval(res, scratch); err != nil || ok {
				return ok, scratch, err
			}
		}
		return false, scratch, nil
	case famNot:
		ok, scratch, err = r.rules[0].Eval(res, scratch)
		return !ok && err == nil, scratch, err
	}
	var val, other []byte
	val, scratch = res.Resolve(r.variable, scratch)
	if r.fam == famIsPresent {
		return (val != nil) == r.want, scratch, nil
	}
	if val == nil {
		return false, scratch, r.missingVariable
	}
	if r.operand != nil {
		if other, scratch = res.Resolve(r.operand, scratch); other == nil {
			return false, scratch, r.missingOperand
		}
	}
	return r.compare(val, other), scratch, nil
}

// compare decides a comparison once its values are resolved; other is the
// second operand of a *Path operator, nil for a constant.
func (r *ChoiceRule) compare(val, other []byte) bool {
	k := jsonb.KindOf(val)
	switch r.fam {
	case famString:
		if other == nil {
			other = r.str
		}
		if k != jsonb.KindString || jsonb.KindOf(other) != jsonb.KindString {
			return false
		}
		if r.rel == relEquals {
			return stringsEqual(val, other)
		}
		return r.rel.holds(compareStrings(val, other))
	case famNumeric:
		b := r.num
		if other != nil {
			if jsonb.KindOf(other) != jsonb.KindNumber {
				return false
			}
			b = numberValue(other)
		}
		if k != jsonb.KindNumber {
			return false
		}
		a := numberValue(val)
		c := 0
		if a < b {
			c = -1
		} else if a > b {
			c = 1
		}
		return r.rel.holds(c)
	case famTimestamp:
		b := r.ts
		if other != nil {
			var ok bool
			if b, ok = jsonTimestamp(other); !ok {
				return false
			}
		}
		a, ok := jsonTimestamp(val)
		return ok && r.rel.holds(a.compare(b))
	case famBoolean:
		want := r.want
		if other != nil {
			if jsonb.KindOf(other) != jsonb.KindBool {
				return false
			}
			want = other[0] == 't'
		}
		return k == jsonb.KindBool && (val[0] == 't') == want
	case famMatches:
		return k == jsonb.KindString && matchPattern(r.pattern, val)
	case famIsNull:
		return (k == jsonb.KindNull) == r.want
	case famIsBoolean:
		return (k == jsonb.KindBool) == r.want
	case famIsNumeric:
		return (k == jsonb.KindNumber) == r.want
	case famIsString:
		return (k == jsonb.KindString) == r.want
	case famIsTimestamp:
		_, ok := jsonTimestamp(val)
		return ok == r.want
	}
	panic("BUG: ChoiceRule.compare on family " + strconv.Itoa(int(r.fam)))
}

// numberValue returns the compact JSON number v as a float64. A number too
// large for float64 becomes ±Inf, as a Java double does, rather than failing.
func numberValue(v []byte) float64 {
	f, _ := strconv.ParseFloat(jsonb.BytesString(v), 64)
	return f
}

// unitIter yields the UTF-16 code units of the text of a compact JSON string
// without decoding it into a buffer: the sequence Java holds after parsing
// the JSON, so comparisons agree with String.compareTo and equals. A \u
// escape yields its unit as is, even a lone surrogate.
type unitIter struct {
	b       []byte // the string's body, without quotes
	i       int
	pending int32 // the low surrogate still to yield, or -1
}

func newUnitIter(s []byte) unitIter {
	return unitIter{b: s[1 : len(s)-1], pending: -1}
}

// next returns the next unit, or -1 at the end.
func (it *unitIter) next() int32 {
	if it.pending >= 0 {
		u := it.pending
		it.pending = -1
		return u
	}
	if it.i >= len(it.b) {
		return -1
	}
	c := it.b[it.i]
	if c == '\\' && it.i+1 < len(it.b) {
		e := it.b[it.i+1]
		it.i += 2
		switch e {
		case 'b':
			return '\b'
		case 'f':
			return '\f'
		case 'n':
			return '\n'
		case 'r':
			return '\r'
		case 't':
			return '\t'
		case 'u':
			if it.i+4 > len(it.b) {
				it.i = len(it.b)
				return -1
			}
			u := int32(jsonb.Hex4(it.b[it.i:]))
			it.i += 4
			return u
		}
		return int32(e)
	}
	if c < utf8.RuneSelf {
		it.i++
		return int32(c)
	}
	r, n := utf8.DecodeRune(it.b[it.i:])
	it.i += n
	if r >= 0x10000 {
		hi, lo := utf16.EncodeRune(r)
		it.pending = lo
		return hi
	}
	return r
}

// stringsEqual reports whether two compact JSON strings have the same text.
func stringsEqual(a, b []byte) bool {
	if string(a) == string(b) {
		return true
	}
	if !jsonb.HasByte(a, '\\') && !jsonb.HasByte(b, '\\') {
		return false // unescaped valid UTF-8 spells each text one way
	}
	return compareStrings(a, b) == 0
}

// compareStrings compares the texts of two compact JSON strings by UTF-16
// code units, as Java's String.compareTo does: -1, 0 or +1.
func compareStrings(a, b []byte) int {
	ia, ib := newUnitIter(a), newUnitIter(b)
	for {
		ua, ub := ia.next(), ib.next()
		switch {
		case ua < ub:
			return -1
		case ua > ub:
			return 1
		case ua < 0:
			return 0
		}
	}
}

// compilePattern turns a StringMatches constant (a compact JSON string) into
// UTF-16 units with wildcardUnit for each unescaped '*'. In the decoded text,
// '\*' is a literal '*' and '\\' a literal '\'; a backslash before anything
// else is itself literal. Nothing but '*' is special.
func compilePattern(s []byte) []int32 {
	var units []int32
	it := newUnitIter(s)
	for u := it.next(); u >= 0; u = it.next() {
		switch u {
		case '*':
			units = append(units, wildcardUnit)
		case '\\':
			next := it
			switch e := next.next(); e {
			case '*', '\\':
				units = append(units, e)
				it = next
			default:
				units = append(units, u)
			}
		default:
			units = append(units, u)
		}
	}
	return units
}

// matchPattern reports whether the text of the compact JSON string s matches
// the compiled pattern as a whole. It backtracks only to the last wildcard,
// so it runs in O(len(pattern) * len(s)) and allocates nothing.
func matchPattern(pattern []int32, s []byte) bool {
	it := newUnitIter(s)
	p := 0
	star := -1        // index of the last wildcard seen
	var mark unitIter // where the text resumes when that wildcard takes one more unit
	for {
		save := it
		u := it.next()
		if u < 0 {
			break
		}
		switch {
		case p < len(pattern) && pattern[p] == wildcardUnit:
			star, mark = p, save
			p++
			it = save
		case p < len(pattern) && pattern[p] == u:
			p++
		case star >= 0:
			mark.next()
			it = mark
			p = star + 1
		default:
			return false
		}
	}
	for p < len(pattern) && pattern[p] == wildcardUnit {
		p++
	}
	return p == len(pattern)
}
