package jsonata

import "slices"

// This file is the Pratt parser. It produces a raw tree of *node that
// ast.go then rewrites into the evaluable form (paths as step lists,
// predicates as stages, parent slots resolved), as JSONata's processAST.

// nodeType tells the evaluator what a node is.
type nodeType uint8

const (
	ntPath nodeType = iota + 1
	ntBinary
	ntUnary
	ntName
	ntString
	ntNumber
	ntValue
	ntWildcard
	ntDescendant
	ntParent
	ntCondition
	ntBlock
	ntBind
	ntRegex
	ntFunction
	ntPartial
	ntLambda
	ntVariable
	ntApply
	ntTransform
	ntSort
	ntOperator // raw operator token used as an operand ('and', '?')
	ntEnd
)

// node is one AST node; which fields are used depends on typ.
type node struct {
	typ   nodeType
	op    string  // operator for binary/unary/apply, name for name/variable
	str   string  // string literal value
	num   float64 // number literal
	val   any     // value literal (true, false, Null{})
	boxed any     // str or num as an interface value, set by process
	re    *regexLit
	pos   int
	lhs   *node
	rhs   *node
	expr  *node   // unary operand
	exprs []*node // array constructor items, block expressions
	pairs [][2]*node
	steps []*node

	predicate []*stage // filters on a non-path expression
	stages    []*stage // filters and index bindings on a path step
	group     *groupSpec

	keepArray          bool
	keepSingletonArray bool
	consarray          bool
	tuple              bool
	focus              string
	index              string
	ancestor           *slot
	seekingParent      []*slot
	slot               *slot

	procedure *node
	args      []*node
	params    []string
	body      *node
	sig       *signature
	thunk     bool

	condition, then, els    *node
	pattern, update, delete *node
	terms                   []sortTerm

	rawTerms []rawTerm  // parser-stage order-by terms
	objPairs [][2]*node // parser-stage object pairs for the group-by form
}

// stage is a predicate filter or a #$i index binding on a path step.
type stage struct {
	filter *node
	index  string
	pos    int
}

// groupSpec is the object constructor applied to a path ({...} grouping).
type groupSpec struct {
	pairs [][2]*node
	pos   int
}

// sortTerm is one term of an order-by clause.
type sortTerm struct {
	descending bool
	expr       *node
}

type rawTerm = sortTerm

// slot identifies the ancestor a parent operator % refers to.
type slot struct {
	label string
	level int
	index int
}

// parser holds the state of one parse.
type parser struct {
	lx   lexer
	tok  token
	id   string // "(end)", "(name)", "(literal)", "(regex)" or the operator
	p    *astProcessor
	deep int
	vars []string // variable names read, in order of first appearance
}

// maxParseDepth bounds recursion in the parser so hostile input cannot
// exhaust the stack.
const maxParseDepth = 500

// tokenText is the text JSONata reports as the token of an error.
func (t *token) text() string {
	switch t.kind {
	case tokNumber:
		return formatNum(t.num)
	case tokValue:
		switch v := t.val.(type) {
		case bool:
			if v {
				return "true"
			}
			return "false"
		}
		return "null"
	case tokEnd:
		return "(end)"
	}
	return t.str
}

// advance checks that the current token is id (when id != "") and reads
// the next one; infix says an operand has just been read.
func (p *parser) advance(id string, infix bool) {
	if id != "" && p.id != id {
		code := "S0202"
		if p.id == "(end)" {
			code = "S0203"
		}
		panic(&Error{Code: code, Position: p.tok.pos, Token: p.tok.text(), Value: id})
	}
	p.tok = p.lx.next(infix)
	if p.tok.kind == tokVariable && !slices.Contains(p.vars, p.tok.str) {
		p.vars = append(p.vars, p.tok.str)
	}
	switch p.tok.kind {
	case tokEnd:
		p.id = "(end)"
	case tokName, tokVariable:
		p.id = "(name)"
	case tokOperator:
		p.id = p.tok.str
		if _, ok := lbps[p.id]; !ok || p.id == "!" || p.id == "~" {
			throwErr("S0204", p.tok.pos, p.id, nil)
		}
	case tokString, tokNumber, tokValue:
		p.id = "(literal)"
	case tokRegex:
		p.id = "(regex)"
	}
}

// lbp is the left binding power of the current token.
func (p *parser) lbp() int {
	switch p.id {
	case "(end)", "(name)", "(literal)", "(regex)", ":", ";", ",", ")", "]", "}", "..", "|", "**":
		return 0
	}
	return lbps[p.id]
}

// expression parses an expression whose operators bind tighter than rbp.
//
//	expression := nud { led }
func (p *parser) expression(rbp int) *node {
	p.deep++
	if p.deep > maxParseDepth {
		throwErr("S0201", p.tok.pos, "", "expression nested too deeply")
	}
	t, id := p.tok, p.id
	p.advance("", true)
	left := p.nud(t, id)
	for rbp < p.lbp() {
		t, id = p.tok, p.id
		p.advance("", false)
		left = p.led(t, id, left)
	}
	p.deep--
	return left
}

// leafNode converts a name/literal/regex token into a node.
func leafNode(t token) *node {
	n := &node{pos: t.pos}
	switch t.kind {
	case tokName:
		n.typ, n.op = ntName, t.str
	case tokVariable:
		n.typ, n.op = ntVariable, t.str
	case tokString:
		n.typ, n.str = ntString, t.str
	case tokNumber:
		n.typ, n.num = ntNumber, t.num
	case tokValue:
		n.typ, n.val = ntValue, t.val
	case tokRegex:
		n.typ, n.re = ntRegex, t.re
	case tokOperator:
		n.typ, n.op = ntOperator, t.str
	}
	return n
}

// nud parses a token in prefix position.
func (p *parser) nud(t token, id string) *node {
	switch id {
	case "(name)", "(literal)", "(regex)", "and", "or", "in":
		return leafNode(t)
	case "-":
		return &node{typ: ntUnary, op: "-", pos: t.pos, expr: p.expression(70)}
	case "*":
		return &node{typ: ntWildcard, op: "*", pos: t.pos}
	case "**":
		return &node{typ: ntDescendant, op: "**", pos: t.pos}
	case "%":
		return &node{typ: ntParent, op: "%", pos: t.pos}
	case "(":
		// block := '(' [ expr { ';' expr } ] ')'
		n := &node{typ: ntBlock, pos: t.pos}
		for p.id != ")" {
			n.exprs = append(n.exprs, p.expression(0))
			if p.id != ";" {
				break
			}
			p.advance(";", false)
		}
		p.advance(")", true)
		return n
	case "[":
		// array := '[' [ item { ',' item } ] ']' ; item := expr [ '..' expr ]
		n := &node{typ: ntUnary, op: "[", pos: t.pos}
		if p.id != "]" {
			for {
				item := p.expression(0)
				if p.id == ".." {
					r := &node{typ: ntBinary, op: "..", pos: p.tok.pos, lhs: item}
					p.advance("..", false)
					r.rhs = p.expression(0)
					item = r
				}
				n.exprs = append(n.exprs, item)
				if p.id != "," {
					break
				}
				p.advance(",", false)
			}
		}
		p.advance("]", true)
		return n
	case "{":
		n := &node{typ: ntUnary, op: "{", pos: t.pos}
		n.objPairs = p.objectPairs()
		return n
	case "|":
		// transform := '|' pattern '|' update [ ',' delete ] '|'
		n := &node{typ: ntTransform, pos: t.pos}
		n.pattern = p.expression(0)
		p.advance("|", false)
		n.update = p.expression(0)
		if p.id == "," {
			p.advance(",", false)
			n.delete = p.expression(0)
		}
		p.advance("|", false)
		return n
	}
	if t.kind == tokEnd {
		throwErr("S0207", t.pos, "(end)", nil)
	}
	throwErr("S0211", t.pos, t.text(), nil)
	return nil
}

// objectPairs parses the body of an object constructor after '{'.
//
//	object := '{' [ expr ':' expr { ',' expr ':' expr } ] '}'
func (p *parser) objectPairs() [][2]*node {
	var pairs [][2]*node
	if p.id != "}" {
		for {
			k := p.expression(0)
			p.advance(":", false)
			v := p.expression(0)
			pairs = append(pairs, [2]*node{k, v})
			if p.id != "," {
				break
			}
			p.advance(",", false)
		}
	}
	p.advance("}", true)
	return pairs
}

// led parses a token in infix position with left as its left operand.
func (p *parser) led(t token, id string, left *node) *node {
	bp := lbps[id]
	switch id {
	case ".", "+", "-", "*", "/", "%", "=", "<", ">", "!=", "<=", ">=", "&", "and", "or", "in", "~>":
		return &node{typ: ntBinary, op: id, pos: t.pos, lhs: left, rhs: p.expression(bp)}
	case "(":
		return p.call(t, left)
	case "[":
		if p.id == "]" {
			// empty predicate: keep singleton arrays
			step := left
			for step != nil && step.typ == ntBinary && step.op == "[" {
				step = step.lhs
			}
			step.keepArray = true
			p.advance("]", false)
			return left
		}
		n := &node{typ: ntBinary, op: "[", pos: t.pos, lhs: left, rhs: p.expression(0)}
		p.advance("]", true)
		return n
	case "^":
		// order := expr '^' '(' [ '<' | '>' ] expr { ',' ... } ')'
		p.advance("(", false)
		n := &node{typ: ntBinary, op: "^", pos: t.pos, lhs: left}
		for {
			term := rawTerm{}
			if p.id == "<" {
				p.advance("<", false)
			} else if p.id == ">" {
				term.descending = true
				p.advance(">", false)
			}
			term.expr = p.expression(0)
			n.rawTerms = append(n.rawTerms, term)
			if p.id != "," {
				break
			}
			p.advance(",", false)
		}
		p.advance(")", false)
		return n
	case "{":
		n := &node{typ: ntBinary, op: "{", pos: t.pos, lhs: left}
		n.objPairs = p.objectPairs()
		return n
	case ":=":
		if left.typ != ntVariable {
			throwErr("S0212", left.pos, left.op, nil)
		}
		return &node{typ: ntBinary, op: ":=", pos: t.pos, lhs: left, rhs: p.expression(bp - 1)}
	case "@", "#":
		n := &node{typ: ntBinary, op: id, pos: t.pos, lhs: left, rhs: p.expression(bp)}
		if n.rhs.typ != ntVariable {
			throwErr("S0214", n.rhs.pos, id, nil)
		}
		return n
	case "?":
		n := &node{typ: ntCondition, pos: t.pos, condition: left, then: p.expression(0)}
		if p.id == ":" {
			p.advance(":", false)
			n.els = p.expression(0)
		}
		return n
	}
	throwErr("S0201", t.pos, t.text(), nil)
	return nil
}

// call parses a function call, partial application or lambda definition
// after '('.
//
//	call   := expr '(' [ arg { ',' arg } ] ')' ; arg := expr | '?'
//	lambda := ('function' | 'λ') '(' [ $v { ',' $v } ] ')' [ '<' sig '>' ] '{' expr '}'
func (p *parser) call(t token, left *node) *node {
	n := &node{typ: ntFunction, pos: t.pos, procedure: left}
	if p.id != ")" {
		for {
			if p.tok.kind == tokOperator && p.id == "?" {
				n.typ = ntPartial
				n.args = append(n.args, &node{typ: ntOperator, op: "?", pos: p.tok.pos})
				p.advance("?", false)
			} else {
				n.args = append(n.args, p.expression(0))
			}
			if p.id != "," {
				break
			}
			p.advance(",", false)
		}
	}
	p.advance(")", true)
	if left.typ == ntName && (left.op == "function" || left.op == "λ") {
		for i, a := range n.args {
			if a.typ != ntVariable {
				throwErr("S0208", a.pos, a.op, float64(i+1))
			}
			n.params = append(n.params, a.op)
		}
		n.typ = ntLambda
		if p.id == "<" {
			sigPos := p.tok.pos
			depth := 1
			sig := "<"
			for depth > 0 && p.id != "{" && p.id != "(end)" {
				p.advance("", false)
				if p.id == ">" {
					depth--
				} else if p.id == "<" {
					depth++
				}
				sig += p.tok.text()
			}
			p.advance(">", false)
			n.sig = parseSignature(sig, sigPos)
		}
		p.advance("{", false)
		n.body = p.expression(0)
		p.advance("}", false)
	}
	return n
}

// parseVars parses src and also returns the names of the variables it
// mentions (bound or free).
func parseVars(src string) (*node, []string) {
	p := &parser{lx: lexer{src: src}, p: &astProcessor{}}
	p.advance("", false)
	expr := p.expression(0)
	if p.id != "(end)" {
		throwErr("S0201", p.tok.pos, p.tok.text(), nil)
	}
	expr = p.p.process(expr)
	if expr.typ == ntParent || expr.seekingParent != nil {
		throwErr("S0217", expr.pos, "parent", nil)
	}
	return expr, p.vars
}
