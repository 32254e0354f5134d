package jsonata

import (
	"regexp"
	"strings"
)

// signature is a parsed function signature such as "<s-nn?:s>". As in
// JSONata, validation builds a one-letter type string for the supplied
// arguments and matches it against a regular expression derived from the
// signature.
type signature struct {
	def    string
	params []sigParam
	re     *regexp.Regexp
	// fast is set when every parameter is a class of symbols with at
	// most a ? or + quantifier (all built-in signatures): validate then
	// matches the supplied symbols without the regular expression.
	fast bool
}

type sigParam struct {
	regex     string
	typ       string
	array     bool
	context   bool
	contextRe *regexp.Regexp
	subtype   string
	optional  bool
	set       uint32 // symbols allowed ('a'..'z' as bits), for fast matching
	quant     byte   // 0, '?' or '+', for fast matching
}

// compileFast derives set and quant from each parameter's regex; it
// reports false if some regex is not of the form class[?+].
func (s *signature) compileFast() bool {
	for i := range s.params {
		p := &s.params[i]
		r := p.regex
		if n := len(r); n > 0 && (r[n-1] == '?' || r[n-1] == '+') {
			p.quant = r[n-1]
			r = r[:n-1]
		}
		if len(r) >= 2 && r[0] == '[' && r[len(r)-1] == ']' {
			r = r[1 : len(r)-1]
		} else if len(r) != 1 {
			return false
		}
		if r == "" {
			return false
		}
		for j := 0; j < len(r); j++ {
			c := r[j]
			if c < 'a' || c > 'z' {
				return false
			}
			p.set |= 1 << (c - 'a')
		}
	}
	return len(s.params) <= 32
}

// matchFast matches supplied against the parameters as the regular
// expression would (greedy, leftmost-first), recording how many symbols
// each parameter takes in counts.
func (s *signature) matchFast(supplied []byte, pi, pos int, counts []int) bool {
	if pi == len(s.params) {
		return pos == len(supplied)
	}
	p := &s.params[pi]
	max := 0
	for pos+max < len(supplied) && supplied[pos+max] >= 'a' && supplied[pos+max] <= 'z' &&
		p.set&(1<<(supplied[pos+max]-'a')) != 0 {
		max++
		if p.quant != '+' {
			break
		}
	}
	min := 1
	if p.quant == '?' {
		min = 0
	}
	for c := max; c >= min; c-- {
		counts[pi] = c
		if s.matchFast(supplied, pi+1, pos+c, counts) {
			return true
		}
	}
	return false
}

// parseSignature parses sig; pos is where it starts in the source (for
// error positions).
func parseSignature(sig string, pos int) *signature {
	s := &signature{def: sig}
	var param sigParam
	prev := -1
	next := func() {
		s.params = append(s.params, param)
		prev = len(s.params) - 1
		param = sigParam{}
	}
	closing := func(start int, open, close byte) int {
		depth := 1
		p := start
		for p < len(sig)-1 {
			p++
			if sig[p] == close {
				depth--
				if depth == 0 {
					break
				}
			} else if sig[p] == open {
				depth++
			}
		}
		return p
	}
	for p := 1; p < len(sig); p++ {
		c := sig[p]
		if c == ':' {
			break
		}
		switch c {
		case 's', 'n', 'b', 'l', 'o':
			param.regex = "[" + string(c) + "m]"
			param.typ = string(c)
			next()
		case 'a':
			param.regex = "[asnblfom]"
			param.typ = "a"
			param.array = true
			next()
		case 'f':
			param.regex = "f"
			param.typ = "f"
			next()
		case 'j':
			param.regex = "[asnblom]"
			param.typ = "j"
			next()
		case 'x':
			param.regex = "[asnblfom]"
			param.typ = "x"
			next()
		case '-':
			if prev >= 0 {
				pp := &s.params[prev]
				pp.context = true
				pp.contextRe = regexp.MustCompile("^" + pp.regex + "$")
				pp.regex += "?"
			}
		case '?', '+':
			if prev >= 0 {
				s.params[prev].regex += string(c)
				if c == '?' {
					s.params[prev].optional = true
				}
			}
		case '(':
			end := closing(p, '(', ')')
			choice := sig[p+1 : end]
			if strings.Contains(choice, "<") {
				throwErr("S0402", pos+p, choice, nil)
			}
			param.regex = "[" + choice + "m]"
			param.typ = "(" + choice + ")"
			p = end
			next()
		case '<':
			if prev >= 0 && (s.params[prev].typ == "a" || s.params[prev].typ == "f") {
				end := closing(p, '<', '>')
				s.params[prev].subtype = sig[p+1 : end]
				p = end
			} else {
				throwErr("S0401", pos+p, sig[p:], nil)
			}
		}
	}
	var b strings.Builder
	b.WriteString("^")
	for _, p := range s.params {
		b.WriteString("(" + p.regex + ")")
	}
	b.WriteString("$")
	re, err := regexp.Compile(b.String())
	if err != nil {
		throwErr("S0401", pos, sig, nil)
	}
	s.re = re
	s.fast = s.compileFast()
	return s
}

// mustSig parses a built-in signature (a bug if it fails).
func mustSig(sig string) *signature {
	return parseSignature(sig, 0)
}

// sigSymbol is the one-letter type of v used in signature matching.
func sigSymbol(v any) byte {
	switch v.(type) {
	case nil:
		return 'm'
	case string:
		return 's'
	case float64:
		return 'n'
	case bool:
		return 'b'
	case Null:
		return 'l'
	case *Array:
		return 'a'
	case *Object:
		return 'o'
	}
	if isFunc(v) {
		return 'f'
	}
	return 'o'
}

var arraySignatureMapping = map[string]string{
	"a": "arrays", "b": "booleans", "f": "functions", "n": "numbers", "o": "objects", "s": "strings",
}

// validate checks args against the signature and returns the argument
// list the function receives (context filled in, singletons wrapped for
// array parameters).
func (s *signature) validate(args []any, context any) []any {
	var sb [16]byte
	supplied := sb[:0]
	for _, a := range args {
		supplied = append(supplied, sigSymbol(a))
	}
	var cb [8]int
	var counts []int
	var m []string
	if s.fast {
		if len(s.params) <= len(cb) {
			counts = cb[:len(s.params)]
		} else {
			counts = make([]int, len(s.params))
		}
		if !s.matchFast(supplied, 0, 0, counts) {
			s.throwValidation(args, string(supplied))
		}
	} else {
		m = s.re.FindStringSubmatch(string(supplied))
		if m == nil {
			s.throwValidation(args, string(supplied))
		}
	}
	// out stays nil while the arguments pass through unchanged (the
	// common case), so args itself is returned without a copy
	var out []any
	n := 0
	emit := func(v any, verbatim bool) {
		if out == nil {
			if verbatim && n < len(args) {
				n++
				return
			}
			out = make([]any, n, len(s.params)+n)
			copy(out, args[:n])
		}
		out = append(out, v)
	}
	argIndex := 0
	pos := 0
	for i, p := range s.params {
		var match []byte
		if m != nil {
			match = []byte(m[i+1])
		} else {
			match = supplied[pos : pos+counts[i]]
			pos += counts[i]
		}
		if len(match) == 0 {
			if p.context && p.contextRe != nil {
				if p.contextRe.MatchString(string(sigSymbol(context))) {
					emit(context, false)
				} else {
					throwErr("T0411", -1, "", context)
				}
			} else {
				var arg any
				if argIndex < len(args) {
					arg = args[argIndex]
				}
				emit(arg, argIndex < len(args) && argIndex == n)
				argIndex++
			}
			continue
		}
		for j := 0; j < len(match); j++ {
			single := match[j]
			arg := args[argIndex]
			verbatim := argIndex == n
			if p.typ == "a" {
				if single == 'm' {
					arg = nil
				} else {
					ok := true
					if p.subtype != "" {
						if single != 'a' && string(match) != p.subtype {
							ok = false
						} else if single == 'a' {
							items := arg.(*Array).Items
							if len(items) > 0 {
								it := sigSymbol(items[0])
								if it != p.subtype[0] {
									ok = false
								} else {
									for _, v := range items {
										if sigSymbol(v) != it {
											ok = false
											break
										}
									}
								}
							}
						}
					}
					if !ok {
						panic(&Error{Code: "T0412", Position: -1, Value: arg, Message: "argument " + itoa(argIndex+1) + " of function must be an array of " + arraySignatureMapping[p.subtype]})
					}
					if single != 'a' {
						arg = &Array{Items: []any{arg}}
						verbatim = false
					}
				}
			}
			emit(arg, verbatim)
			argIndex++
		}
	}
	if out == nil {
		return args[:n]
	}
	return out
}

// throwValidation raises T0410 naming the first argument that does not fit.
func (s *signature) throwValidation(args []any, supplied string) {
	partial := "^"
	goodTo := 0
	for _, p := range s.params {
		partial += p.regex
		re, err := regexp.Compile(partial)
		if err != nil {
			break
		}
		loc := re.FindStringIndex(supplied)
		if loc == nil {
			break
		}
		goodTo = loc[1]
	}
	var bad any
	if goodTo < len(args) {
		bad = args[goodTo]
	}
	panic(&Error{Code: "T0410", Position: -1, Value: bad, Message: "argument " + itoa(goodTo+1) + " of function does not match function signature"})
}

// arity is the number of parameters a higher-order function should pass.
func (s *signature) arity() int {
	n := 0
	for _, p := range s.params {
		if !p.optional {
			n++
		}
	}
	return n
}
