package jsonata

import (
	"math"
	"strconv"
	"strings"
	"unicode/utf8"
)

func defineStringFuncs() {
	def("string", "<x-b?:s>", func(ev *evaluator, input any, e *env, args []any) any {
		if args[0] == nil {
			return nil
		}
		p, _ := args[1].(bool)
		return toString(args[0], p)
	})
	def("substring", "<s-nn?:s>", fnSubstring)
	def("substringBefore", "<s-s:s>", func(ev *evaluator, input any, e *env, args []any) any {
		s, ok := args[0].(string)
		if !ok {
			return nil
		}
		chars, _ := args[1].(string)
		if i := strings.Index(s, chars); i >= 0 {
			return s[:i]
		}
		return s
	})
	def("substringAfter", "<s-s:s>", func(ev *evaluator, input any, e *env, args []any) any {
		s, ok := args[0].(string)
		if !ok {
			return nil
		}
		chars, _ := args[1].(string)
		if i := strings.Index(s, chars); i >= 0 {
			return s[i+len(chars):]
		}
		return s
	})
	def("lowercase", "<s-:s>", func(ev *evaluator, input any, e *env, args []any) any {
		if s, ok := args[0].(string); ok {
			return strings.ToLower(s)
		}
		return nil
	})
	def("uppercase", "<s-:s>", func(ev *evaluator, input any, e *env, args []any) any {
		if s, ok := args[0].(string); ok {
			return strings.ToUpper(s)
		}
		return nil
	})
	def("length", "<s-:n>", func(ev *evaluator, input any, e *env, args []any) any {
		if s, ok := args[0].(string); ok {
			return float64(utf8.RuneCountInString(s))
		}
		return nil
	})
	def("trim", "<s-:s>", func(ev *evaluator, input any, e *env, args []any) any {
		s, ok := args[0].(string)
		if !ok {
			return nil
		}
		return strings.Trim(collapseSpace(s), " ")
	})
	def("pad", "<s-ns?:s>", fnPad)
	def("contains", "<s-(sf):b>", func(ev *evaluator, input any, e *env, args []any) any {
		s, ok := args[0].(string)
		if !ok {
			return nil
		}
		switch t := args[1].(type) {
		case string:
			return strings.Contains(s, t)
		case *regexFn:
			return t.findAt(s, 0) != nil
		}
		if isFunc(args[1]) {
			_, ok := ev.callMatcher(args[1], []any{s}, e)
			return ok
		}
		throwErr("T0410", -1, "", args[1])
		return nil
	})
	def("split", "<s-(sf)n?:a<s>>", fnSplit)
	def("join", "<a<s>s?:s>", func(ev *evaluator, input any, e *env, args []any) any {
		if args[0] == nil {
			return nil
		}
		sep, _ := args[1].(string)
		items := argArray(args[0])
		parts := make([]string, len(items))
		size := len(sep) * max(len(items)-1, 0)
		for i, it := range items {
			parts[i] = it.(string)
			size += len(parts[i])
		}
		ev.charge(size)
		return strings.Join(parts, sep)
	})
	def("match", "<s-f<s:o>n?:a<o>>", fnMatch)
	def("replace", "<s-(sf)(sf)n?:s>", fnReplace)
}

// collapseSpace replaces runs of space, tab, CR and LF with one space.
func collapseSpace(s string) string {
	var b strings.Builder
	inRun := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == ' ' || c == '\t' || c == '\n' || c == '\r' {
			if !inRun {
				b.WriteByte(' ')
			}
			inRun = true
			continue
		}
		inRun = false
		b.WriteByte(c)
	}
	return b.String()
}

// jsSliceIndex is JavaScript's relative index for slice: truncated,
// negative from the end, clamped to [0, n].
func jsSliceIndex(f float64, n int) int {
	if math.IsNaN(f) {
		return 0
	}
	f = math.Trunc(f)
	if f < 0 {
		f += float64(n)
		if f < 0 {
			return 0
		}
	}
	if f > float64(n) {
		return n
	}
	return int(f)
}

// fnSubstring is $substring(str, start[, length]) over code points.
func fnSubstring(ev *evaluator, input any, e *env, args []any) any {
	s, ok := args[0].(string)
	if !ok {
		return nil
	}
	runes := []rune(s)
	n := len(runes)
	start, _ := args[1].(float64) // undefined acts as 0, as slice(undefined)
	if float64(n)+start < 0 {
		start = 0
	}
	if args[2] != nil {
		length := args[2].(float64)
		if length <= 0 {
			return ""
		}
		var end float64
		if start >= 0 {
			end = start + length
		} else {
			end = float64(n) + start + length
		}
		a, b := jsSliceIndex(start, n), jsSliceIndex(end, n)
		if a >= b {
			return ""
		}
		return string(runes[a:b])
	}
	return string(runes[jsSliceIndex(start, n):])
}

// fnPad is $pad(str, width[, char]).
func fnPad(ev *evaluator, input any, e *env, args []any) any {
	s, ok := args[0].(string)
	if !ok {
		return nil
	}
	width, ok := args[1].(float64)
	if !ok {
		return s
	}
	char, _ := args[2].(string)
	if char == "" {
		char = " "
	}
	padLen := int(math.Abs(width)) - utf8.RuneCountInString(s)
	if padLen <= 0 {
		return s
	}
	ev.charge(padLen * len(char) * 5) // the repeated string, its runes, the result
	pad := []rune(strings.Repeat(char, padLen))[:padLen]
	if width > 0 {
		return s + string(pad)
	}
	return string(pad) + s
}

// optLimit reads an optional non-negative limit argument; -1 when absent.
func optLimit(v any, code string) int {
	if v == nil {
		return -1
	}
	f := v.(float64)
	if f < 0 {
		throwErr(code, -1, "", f)
	}
	if f > math.MaxInt32 {
		return math.MaxInt32
	}
	return int(f)
}

// fnSplit is $split(str, separator[, limit]).
func fnSplit(ev *evaluator, input any, e *env, args []any) any {
	s, ok := args[0].(string)
	if !ok {
		return nil
	}
	limit := optLimit(args[2], "D3020")
	out := &Array{Items: []any{}}
	if limit == 0 {
		return out
	}
	switch sep := args[1].(type) {
	case string:
		n := strings.Count(s, sep) + 1 // runes+1 for ""
		if limit >= 0 {
			n = min(n, limit)
		}
		ev.charge(n * itemBytes)
		var parts []string
		if sep == "" {
			for _, r := range s {
				parts = append(parts, string(r))
			}
		} else {
			parts = strings.Split(s, sep)
		}
		for _, p := range parts {
			if limit >= 0 && len(out.Items) >= limit {
				break
			}
			out.Items = append(out.Items, p)
		}
	case *regexFn:
		ms := sep.allMatches(s, limit)
		start := 0
		for _, m := range ms {
			out.Items = append(out.Items, s[start:m[0]])
			start = m[1]
		}
		if limit < 0 || len(ms) < limit {
			out.Items = append(out.Items, s[start:])
		}
	default:
		if !isFunc(sep) {
			throwErr("T0410", -1, "", args[1])
		}
		ms := ev.userMatches(sep, s, limit, e)
		rs := []rune(s)
		start := 0
		for _, m := range ms {
			out.Items = append(out.Items, runeSubstring(rs, start, m.start))
			start = m.end
		}
		if limit < 0 || len(ms) < limit {
			out.Items = append(out.Items, runeSubstring(rs, start, len(rs)))
		}
	}
	return out
}

// fnMatch is $match(str, regex[, limit]).
func fnMatch(ev *evaluator, input any, e *env, args []any) any {
	s, ok := args[0].(string)
	if !ok {
		return nil
	}
	limit := optLimit(args[2], "D3040")
	res := newSeq(0)
	if limit == 0 {
		return res
	}
	re, ok := args[1].(*regexFn)
	if !ok {
		if !isFunc(args[1]) {
			throwErr("T0410", -1, "", args[1])
		}
		for _, m := range ev.userMatches(args[1], s, limit, e) {
			o := NewObject(3)
			o.Set("match", m.obj.get("match"))
			o.Set("index", m.obj.get("start"))
			o.Set("groups", m.obj.get("groups"))
			res.Items = append(res.Items, o)
		}
		return res
	}
	for _, m := range re.allMatches(s, limit) {
		o := NewObject(3)
		o.Set("match", s[m[0]:m[1]])
		o.Set("index", float64(runeIndex(s, m[0])))
		groups := &Array{Items: []any{}}
		for i := 2; i+1 < len(m); i += 2 {
			if m[i] < 0 {
				groups.Items = append(groups.Items, "")
			} else {
				groups.Items = append(groups.Items, s[m[i]:m[i+1]])
			}
		}
		o.Set("groups", groups)
		res.Items = append(res.Items, o)
	}
	return res
}

// fnReplace is $replace(str, pattern, replacement[, limit]).
func fnReplace(ev *evaluator, input any, e *env, args []any) any {
	s, ok := args[0].(string)
	if !ok {
		return nil
	}
	if args[1] == "" {
		throwErr("D3010", -1, "", args[1])
	}
	limit := optLimit(args[3], "D3011")
	if limit == 0 {
		return s
	}
	switch pat := args[1].(type) {
	case string:
		rep, ok := args[2].(string)
		if !ok {
			throwErr("T0410", -1, "", args[2])
		}
		n := strings.Count(s, pat)
		if limit >= 0 {
			n = min(n, limit)
		}
		ev.charge(max(0, len(s)+n*(len(rep)-len(pat))))
		return strings.Replace(s, pat, rep, n)
	case *regexFn:
		ms := pat.allMatches(s, limit)
		if len(ms) == 0 {
			return s
		}
		var b strings.Builder
		pos := 0
		for _, m := range ms {
			ev.charge(m[0] - pos)
			b.WriteString(s[pos:m[0]])
			switch rep := args[2].(type) {
			case string:
				r := expandReplacement(rep, s, m)
				ev.charge(len(r))
				b.WriteString(r)
			default:
				if !isFunc(rep) {
					throwErr("T0410", -1, "", rep)
				}
				mo := pat.matchObject(s, m[0])
				r := ev.apply(rep, []any{mo}, nil, e)
				str, ok := r.(string)
				if !ok {
					throwErr("D3012", -1, "", r)
				}
				ev.charge(len(str))
				b.WriteString(str)
			}
			pos = m[1]
		}
		b.WriteString(s[pos:])
		return b.String()
	}
	if isFunc(args[1]) {
		return replaceUser(ev, s, args[1], args[2], limit, e)
	}
	throwErr("T0410", -1, "", args[1])
	return nil
}

// replaceUser is $replace with a custom matcher function as pattern.
func replaceUser(ev *evaluator, s string, pat, rep any, limit int, e *env) any {
	ms := ev.userMatches(pat, s, limit, e)
	if len(ms) == 0 {
		return s
	}
	rs := []rune(s)
	var b strings.Builder
	pos := 0
	for _, m := range ms {
		b.WriteString(runeSubstring(rs, pos, m.start))
		var str string
		switch r := rep.(type) {
		case string:
			str = expandUserReplacement(r, m)
		default:
			if !isFunc(rep) {
				throwErr("T0410", -1, "", rep)
			}
			out, ok := ev.apply(rep, []any{m.obj}, nil, e).(string)
			if !ok {
				throwErr("D3012", -1, "", out)
			}
			str = out
		}
		b.WriteString(str)
		pos = m.start + len([]rune(m.match))
	}
	b.WriteString(runeSubstring(rs, pos, len(rs)))
	return b.String()
}

// expandUserReplacement expands $n in a replacement string against the
// match and groups a custom matcher returned.
func expandUserReplacement(rep string, m userMatch) string {
	text := m.match
	loc := []int{0, len(text)}
	if g, ok := m.obj.get("groups").(*Array); ok {
		for _, it := range g.Items {
			gs, _ := it.(string)
			loc = append(loc, len(text), len(text)+len(gs))
			text += gs
		}
	}
	return expandReplacement(rep, text, loc)
}

// expandReplacement substitutes $0, $1.. and $$ in a $replace
// replacement string, as JSONata does (the longest group number that
// exists wins; a $ not followed by a digit stays literal).
func expandReplacement(rep, s string, m []int) string {
	ngroups := len(m)/2 - 1
	group := func(i int) string {
		if i < 0 || 2*i+1 >= len(m) || m[2*i] < 0 {
			return ""
		}
		return s[m[2*i]:m[2*i+1]]
	}
	var b strings.Builder
	pos := 0
	for {
		idx := strings.IndexByte(rep[pos:], '$')
		if idx < 0 || pos >= len(rep) {
			break
		}
		idx += pos
		b.WriteString(rep[pos:idx])
		pos = idx + 1
		if pos < len(rep) && rep[pos] == '$' {
			b.WriteByte('$')
			pos++
			continue
		}
		if pos < len(rep) && rep[pos] == '0' {
			b.WriteString(group(0))
			pos++
			continue
		}
		maxDigits := 1
		if ngroups > 0 {
			maxDigits = int(math.Floor(math.Log10(float64(ngroups)))) + 1
		}
		digits := leadingDigits(rep[pos:min(pos+maxDigits, len(rep))])
		n, err := strconv.Atoi(digits)
		if maxDigits > 1 && err == nil && n > ngroups {
			digits = leadingDigits(rep[pos:min(pos+maxDigits-1, len(rep))])
			n, err = strconv.Atoi(digits)
		}
		if err != nil {
			b.WriteByte('$')
			continue
		}
		if ngroups > 0 {
			b.WriteString(group(n))
		}
		pos += len(strconv.Itoa(n))
	}
	b.WriteString(rep[pos:])
	return b.String()
}

func leadingDigits(s string) string {
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	return s[:i]
}
