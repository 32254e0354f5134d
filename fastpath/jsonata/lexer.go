package jsonata

import (
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"
)

// tokKind classifies lexer tokens.
type tokKind uint8

const (
	tokEnd tokKind = iota
	tokName
	tokVariable
	tokOperator
	tokString
	tokNumber
	tokValue // true, false, null
	tokRegex
)

// token is one lexeme. pos is the byte offset just past the token, which is
// where JSONata reports errors.
type token struct {
	kind tokKind
	str  string // name, variable name, operator, string literal, regex source
	num  float64
	val  any // for tokValue: true, false or Null{}
	re   *regexLit
	pos  int
}

// regexLit is a /pattern/flags literal.
type regexLit struct {
	pattern  string
	flags    string
	compiled *regexp.Regexp
}

// lbps gives the left binding power of each operator (JSONata's table).
var lbps = map[string]int{
	".": 75, "[": 80, "]": 0, "{": 70, "}": 0, "(": 80, ")": 0, ",": 0,
	"@": 80, "#": 80, ";": 80, ":": 80, "?": 20, "+": 50, "-": 50,
	"*": 60, "/": 60, "%": 60, "|": 20, "=": 40, "<": 40, ">": 40,
	"^": 40, "**": 60, "..": 20, ":=": 10, "!=": 40, "<=": 40, ">=": 40,
	"~>": 40, "and": 30, "or": 25, "in": 40, "&": 50, "!": 0, "~": 0,
}

// isOpChar reports whether c is a single-character operator, which also
// ends a name.
func isOpChar(c byte) bool {
	switch c {
	case '.', '[', ']', '{', '}', '(', ')', ',', '@', '#', ';', ':', '?',
		'+', '-', '*', '/', '%', '|', '=', '<', '>', '^', '&', '!', '~':
		return true
	}
	return false
}

func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v'
}

// lexer scans JSONata source on demand; the parser tells it whether a '/'
// in the next position starts a regex (prefix position) or is division.
type lexer struct {
	src string
	pos int
}

// next returns the next token. infix=true means an operand has just been
// read, so '/' is the division operator.
func (l *lexer) next(infix bool) token {
	src := l.src
	for {
		for l.pos < len(src) && isSpace(src[l.pos]) {
			l.pos++
		}
		if l.pos+1 < len(src) && src[l.pos] == '/' && src[l.pos+1] == '*' {
			start := l.pos
			end := strings.Index(src[l.pos+2:], "*/")
			if end < 0 {
				throwErr("S0106", start, "", nil)
			}
			l.pos += end + 4
			continue
		}
		break
	}
	if l.pos >= len(src) {
		return token{kind: tokEnd, pos: l.pos}
	}
	c := src[l.pos]
	if !infix && c == '/' {
		l.pos++
		return l.regex()
	}
	if l.pos+1 < len(src) {
		two := src[l.pos : l.pos+2]
		switch two {
		case "..", ":=", "!=", ">=", "<=", "**", "~>":
			l.pos += 2
			return token{kind: tokOperator, str: two, pos: l.pos}
		}
	}
	if isOpChar(c) {
		l.pos++
		return token{kind: tokOperator, str: src[l.pos-1 : l.pos], pos: l.pos}
	}
	if c == '"' || c == '\'' {
		return l.stringLit(c)
	}
	if c >= '0' && c <= '9' {
		end := scanNumber(src, l.pos)
		f, err := strconv.ParseFloat(src[l.pos:end], 64)
		if err != nil {
			throwErr("S0102", l.pos, src[l.pos:end], nil)
		}
		l.pos = end
		return token{kind: tokNumber, num: f, pos: l.pos}
	}
	if c == '`' {
		end := strings.IndexByte(src[l.pos+1:], '`')
		if end < 0 {
			throwErr("S0105", len(src), "", nil)
		}
		name := src[l.pos+1 : l.pos+1+end]
		l.pos += end + 2
		return token{kind: tokName, str: name, pos: l.pos}
	}
	i := l.pos
	for i < len(src) && !isSpace(src[i]) && !isOpChar(src[i]) {
		i++
	}
	if c == '$' {
		name := src[l.pos+1 : i]
		l.pos = i
		return token{kind: tokVariable, str: name, pos: l.pos}
	}
	name := src[l.pos:i]
	l.pos = i
	switch name {
	case "or", "in", "and":
		return token{kind: tokOperator, str: name, pos: l.pos}
	case "true":
		return token{kind: tokValue, val: true, pos: l.pos}
	case "false":
		return token{kind: tokValue, val: false, pos: l.pos}
	case "null":
		return token{kind: tokValue, val: Null{}, pos: l.pos}
	}
	return token{kind: tokName, str: name, pos: l.pos}
}

// scanNumber returns the end of the JSON-style number starting at i:
// (0|[1-9][0-9]*)(\.[0-9]+)?([Ee][-+]?[0-9]+)?
func scanNumber(s string, i int) int {
	digits := func(j int) int {
		for j < len(s) && s[j] >= '0' && s[j] <= '9' {
			j++
		}
		return j
	}
	if s[i] == '0' {
		i++
	} else {
		i = digits(i)
	}
	if i+1 < len(s) && s[i] == '.' && s[i+1] >= '0' && s[i+1] <= '9' {
		i = digits(i + 1)
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		j := i + 1
		if j < len(s) && (s[j] == '+' || s[j] == '-') {
			j++
		}
		if j < len(s) && s[j] >= '0' && s[j] <= '9' {
			i = digits(j)
		}
	}
	return i
}

// stringLit scans a quoted string literal with JSON escapes.
func (l *lexer) stringLit(quote byte) token {
	src := l.src
	l.pos++
	var buf []byte
	for l.pos < len(src) {
		c := src[l.pos]
		if c == '\\' {
			l.pos++
			if l.pos >= len(src) {
				break
			}
			e := src[l.pos]
			switch e {
			case '"', '\\', '/', '\'':
				buf = append(buf, e)
			case 'b':
				buf = append(buf, '\b')
			case 'f':
				buf = append(buf, '\f')
			case 'n':
				buf = append(buf, '\n')
			case 'r':
				buf = append(buf, '\r')
			case 't':
				buf = append(buf, '\t')
			case 'u':
				r, ok := hex4([]byte(src[l.pos+1 : min(l.pos+5, len(src))]))
				if !ok {
					throwErr("S0104", l.pos, "", nil)
				}
				l.pos += 4
				next := l.pos + 1
				rest := []byte(src[next:min(next+6, len(src))])
				buf = appendUTF16Unit(buf, r, rest, &next)
				l.pos = next - 1
			default:
				throwErr("S0103", l.pos, string(e), nil)
			}
			l.pos++
			continue
		}
		if c == quote {
			l.pos++
			return token{kind: tokString, str: string(buf), pos: l.pos}
		}
		_, size := utf8.DecodeRuneInString(src[l.pos:])
		buf = append(buf, src[l.pos:l.pos+size]...)
		l.pos += size
	}
	throwErr("S0101", l.pos, "", nil)
	return token{}
}

// regex scans /pattern/flags after the opening slash, honouring escapes
// and character classes.
func (l *lexer) regex() token {
	src := l.src
	start := l.pos
	inClass := false
	for l.pos < len(src) {
		c := src[l.pos]
		switch {
		case c == '\\':
			l.pos += 2
			continue
		case c == '[':
			inClass = true
		case c == ']':
			inClass = false
		case c == '/' && !inClass:
			pattern := src[start:l.pos]
			if pattern == "" {
				throwErr("S0301", l.pos, "", nil)
			}
			l.pos++
			fs := l.pos
			for l.pos < len(src) && (src[l.pos] == 'i' || src[l.pos] == 'm') {
				l.pos++
			}
			lit := &regexLit{pattern: pattern, flags: src[fs:l.pos]}
			lit.compiled = compileRegex(lit, l.pos)
			return token{kind: tokRegex, re: lit, pos: l.pos}
		}
		l.pos++
	}
	throwErr("S0302", l.pos, "", nil)
	return token{}
}
