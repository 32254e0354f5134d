package jsonata

import (
	"regexp"
	"unicode/utf8"
)

// regexFn is the function value of a regex literal. Applied to a string it
// returns the first match as {match, start, end, groups, next}; $match,
// $replace, $split and $contains use it directly.
type regexFn struct {
	re  *regexp.Regexp
	src string
	pos int
}

// compileRegex translates a JavaScript regex literal to Go's RE2 syntax
// (flags i and m map to (?i) and (?m)); constructs RE2 lacks, such as
// look-arounds and back-references, are reported as S0302 at compile time.
func compileRegex(lit *regexLit, pos int) *regexp.Regexp {
	prefix := ""
	if lit.flags != "" {
		prefix = "(?" + lit.flags + ")"
	}
	re, err := regexp.Compile(prefix + lit.pattern)
	if err != nil {
		panic(&Error{Code: "S0302", Position: pos, Token: lit.pattern, Message: "unsupported regular expression: " + err.Error()})
	}
	return re
}

func newRegexFn(n *node) *regexFn {
	return &regexFn{re: n.re.compiled, src: n.re.pattern, pos: n.pos}
}

// runeIndex converts a byte offset in s to a code point index.
func runeIndex(s string, b int) int {
	return utf8.RuneCountInString(s[:b])
}

// findAt returns the submatch byte offsets of the first match at or
// after byte offset from.
func (r *regexFn) findAt(s string, from int) []int {
	if from > len(s) {
		return nil
	}
	loc := r.re.FindStringSubmatchIndex(s[from:])
	if loc == nil {
		return nil
	}
	for i := range loc {
		if loc[i] >= 0 {
			loc[i] += from
		}
	}
	return loc
}

// matchObject builds the JSONata match object for the first match at or
// after byte offset from, or undefined.
func (r *regexFn) matchObject(s string, from int) any {
	loc := r.findAt(s, from)
	if loc == nil {
		return nil
	}
	o := NewObject(5)
	o.Set("match", s[loc[0]:loc[1]])
	o.Set("start", float64(runeIndex(s, loc[0])))
	o.Set("end", float64(runeIndex(s, loc[1])))
	groups := &Array{Items: []any{}}
	for i := 2; i+1 < len(loc); i += 2 {
		if loc[i] < 0 {
			groups.Items = append(groups.Items, "")
		} else {
			groups.Items = append(groups.Items, s[loc[i]:loc[i+1]])
		}
	}
	o.Set("groups", groups)
	end := loc[1]
	o.Set("next", &Builtin{Name: "next", impl: func(ev *evaluator, input any, e *env, args []any) any {
		if end >= len(s) {
			return nil
		}
		nx := r.matchObject(s, end)
		if no, ok := nx.(*Object); ok && no.get("match") == "" {
			throwErr("D1004", r.pos, r.src, nil)
		}
		return nx
	}})
	return o
}

// allMatches returns the byte offsets of all non-overlapping matches,
// raising D1004 for a pattern that matches the empty string.
func (r *regexFn) allMatches(s string, limit int) [][]int {
	var out [][]int
	from := 0
	for limit < 0 || len(out) < limit {
		loc := r.findAt(s, from)
		if loc == nil {
			break
		}
		if loc[0] == loc[1] {
			throwErr("D1004", r.pos, r.src, nil)
		}
		out = append(out, loc)
		from = loc[1]
		if from >= len(s) {
			break
		}
	}
	return out
}
