package jsonata

// userMatch is one result of a custom matcher: a JSONata function other
// than a regex that, applied to a string, returns an object
// {match, start, end, groups, next} as a regex does ($match, $split,
// $replace and $contains accept either).
type userMatch struct {
	obj        *Object
	match      string
	start, end int // code point offsets
	next       any
}

// callMatcher applies a custom matcher (or its next function, with no
// arguments) and checks the shape of its result: undefined means no
// more matches; a truthy value that has none of start, groups and next
// raises T1010 as jsonata-js does.
func (ev *evaluator) callMatcher(f any, args []any, e *env) (userMatch, bool) {
	if f == nil {
		return userMatch{}, false
	}
	r := ev.apply(f, args, nil, e)
	if r == nil {
		return userMatch{}, false
	}
	o, _ := r.(*Object)
	if o == nil {
		if jsTruthy(r) {
			throwErr("T1010", -1, "", nil)
		}
		return userMatch{}, false
	}
	start, okStart := o.get("start").(float64)
	groups, okGroups := o.get("groups").(*Array)
	_ = groups
	next := o.get("next")
	if !okStart && !okGroups && !isFunc(next) {
		throwErr("T1010", -1, "", nil)
	}
	m := userMatch{obj: o, start: int(start), next: next}
	m.match, _ = o.get("match").(string)
	if end, ok := o.get("end").(float64); ok {
		m.end = int(end)
	}
	return m, true
}

// userMatches collects up to limit (-1: all) matches of a custom matcher
// in s, following each result's next function.
func (ev *evaluator) userMatches(f any, s string, limit int, e *env) []userMatch {
	var out []userMatch
	m, ok := ev.callMatcher(f, []any{s}, e)
	for ok && (limit < 0 || len(out) < limit) {
		out = append(out, m)
		if !isFunc(m.next) {
			break
		}
		m, ok = ev.callMatcher(m.next, nil, e)
	}
	return out
}

// runeSubstring is JavaScript's substring on code point offsets.
func runeSubstring(rs []rune, a, b int) string {
	a, b = max(0, min(a, len(rs))), max(0, min(b, len(rs)))
	if a > b {
		a, b = b, a
	}
	return string(rs[a:b])
}
