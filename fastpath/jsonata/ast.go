package jsonata

import "strconv"

// astProcessor rewrites the raw parse tree into the form the evaluator
// runs: location paths become step lists, predicates become stages,
// focus/index bindings mark tuple steps, and each parent operator %
// gets a slot naming the ancestor it binds to.
type astProcessor struct {
	ancestorLabel int
	ancestorIndex int
	ancestry      []*node
}

// seekParent walks back from n to find the step that the parent slot
// refers to, marking it to bind its context as the ancestor.
func (a *astProcessor) seekParent(n *node, s *slot) *slot {
	switch n.typ {
	case ntName, ntWildcard:
		s.level--
		if s.level == 0 {
			if n.ancestor == nil {
				n.ancestor = s
			} else {
				a.ancestry[s.index].slot.label = n.ancestor.label
				n.ancestor = s
			}
			n.tuple = true
		}
	case ntParent:
		s.level++
	case ntBlock:
		if len(n.exprs) > 0 {
			n.tuple = true
			s = a.seekParent(n.exprs[len(n.exprs)-1], s)
		}
	case ntPath:
		n.tuple = true
		i := len(n.steps) - 1
		s = a.seekParent(n.steps[i], s)
		i--
		for s.level > 0 && i >= 0 {
			s = a.seekParent(n.steps[i], s)
			i--
		}
	default:
		throwErr("S0217", n.pos, "", nil)
	}
	return s
}

// pushAncestry propagates unresolved parent slots from value up to result.
func pushAncestry(result, value *node) {
	if value.seekingParent == nil && value.typ != ntParent {
		return
	}
	slots := value.seekingParent
	if value.typ == ntParent {
		slots = append(slots, value.slot)
	}
	result.seekingParent = append(result.seekingParent, slots...)
}

// resolveAncestry binds the parent slots sought by the last step of path
// to earlier steps, leaving unresolved ones on the path itself.
func (a *astProcessor) resolveAncestry(path *node) {
	last := path.steps[len(path.steps)-1]
	slots := append([]*slot(nil), last.seekingParent...)
	if last.typ == ntParent {
		slots = append(slots, last.slot)
	}
	for _, s := range slots {
		i := len(path.steps) - 2
		for s.level > 0 {
			if i < 0 {
				path.seekingParent = append(path.seekingParent, s)
				break
			}
			step := path.steps[i]
			i--
			for i >= 0 && step.focus != "" && path.steps[i].focus != "" {
				step = path.steps[i]
				i--
			}
			s = a.seekParent(step, s)
		}
	}
}

// process is JSONata's processAST.
func (a *astProcessor) process(expr *node) *node {
	var result *node
	switch expr.typ {
	case ntBinary:
		result = a.processBinary(expr)
	case ntUnary:
		result = &node{typ: ntUnary, op: expr.op, pos: expr.pos}
		switch expr.op {
		case "[":
			for _, item := range expr.exprs {
				v := a.process(item)
				pushAncestry(result, v)
				result.exprs = append(result.exprs, v)
			}
		case "{":
			for _, pair := range expr.objPairs {
				k := a.process(pair[0])
				pushAncestry(result, k)
				v := a.process(pair[1])
				pushAncestry(result, v)
				result.pairs = append(result.pairs, [2]*node{k, v})
			}
		default:
			result.expr = a.process(expr.expr)
			if expr.op == "-" && result.expr.typ == ntNumber {
				result = result.expr
				result.num = -result.num
			} else {
				pushAncestry(result, result.expr)
			}
		}
	case ntFunction, ntPartial:
		result = &node{typ: expr.typ, pos: expr.pos}
		for _, arg := range expr.args {
			v := a.process(arg)
			pushAncestry(result, v)
			result.args = append(result.args, v)
		}
		result.procedure = a.process(expr.procedure)
	case ntLambda:
		result = &node{typ: ntLambda, params: expr.params, sig: expr.sig, pos: expr.pos}
		result.body = tailCallOptimize(a.process(expr.body))
	case ntCondition:
		result = &node{typ: ntCondition, pos: expr.pos}
		result.condition = a.process(expr.condition)
		pushAncestry(result, result.condition)
		result.then = a.process(expr.then)
		pushAncestry(result, result.then)
		if expr.els != nil {
			result.els = a.process(expr.els)
			pushAncestry(result, result.els)
		}
	case ntTransform:
		result = &node{typ: ntTransform, pos: expr.pos}
		result.pattern = a.process(expr.pattern)
		result.update = a.process(expr.update)
		if expr.delete != nil {
			result.delete = a.process(expr.delete)
		}
	case ntBlock:
		result = &node{typ: ntBlock, pos: expr.pos}
		for _, item := range expr.exprs {
			part := a.process(item)
			pushAncestry(result, part)
			if part.consarray || (part.typ == ntPath && part.steps[0].consarray) {
				result.consarray = true
			}
			result.exprs = append(result.exprs, part)
		}
	case ntName:
		result = &node{typ: ntPath, steps: []*node{expr}, pos: expr.pos}
		if expr.keepArray {
			result.keepSingletonArray = true
		}
	case ntParent:
		result = &node{typ: ntParent, pos: expr.pos, slot: &slot{label: "!" + strconv.Itoa(a.ancestorLabel), level: 1, index: a.ancestorIndex}}
		a.ancestorLabel++
		a.ancestorIndex++
		a.ancestry = append(a.ancestry, result)
	case ntString, ntNumber, ntValue, ntWildcard, ntDescendant, ntVariable, ntRegex:
		result = expr
	case ntOperator:
		switch expr.op {
		case "and", "or", "in":
			expr.typ = ntName
			result = a.process(expr)
		case "?":
			result = expr
		default:
			throwErr("S0201", expr.pos, expr.op, nil)
		}
	default:
		throwErr("S0206", expr.pos, expr.op, nil)
	}
	if expr.keepArray {
		result.keepArray = true
	}
	switch result.typ {
	case ntString:
		result.boxed = result.str
	case ntNumber:
		result.boxed = result.num
	}
	return result
}

// processBinary handles the binary operators, most of which restructure
// paths rather than staying binary nodes.
func (a *astProcessor) processBinary(expr *node) *node {
	var result *node
	switch expr.op {
	case ".":
		lstep := a.process(expr.lhs)
		if lstep.typ == ntPath {
			result = lstep
		} else {
			result = &node{typ: ntPath, steps: []*node{lstep}, pos: expr.pos}
		}
		if lstep.typ == ntParent {
			result.seekingParent = []*slot{lstep.slot}
		}
		rest := a.process(expr.rhs)
		if rest.typ == ntPath {
			result.steps = append(result.steps, rest.steps...)
		} else {
			if rest.predicate != nil {
				rest.stages = rest.predicate
				rest.predicate = nil
			}
			result.steps = append(result.steps, rest)
		}
		for _, step := range result.steps {
			switch step.typ {
			case ntNumber, ntValue:
				throwErr("S0213", step.pos, "", nil)
			case ntString:
				step.typ = ntName
				step.op = step.str
			}
			if step.keepArray {
				result.keepSingletonArray = true
			}
		}
		if first := result.steps[0]; first.typ == ntUnary && first.op == "[" {
			first.consarray = true
		}
		if last := result.steps[len(result.steps)-1]; last.typ == ntUnary && last.op == "[" {
			last.consarray = true
		}
		a.resolveAncestry(result)
	case "[":
		result = a.process(expr.lhs)
		step := result
		isPath := result.typ == ntPath
		if isPath {
			step = result.steps[len(result.steps)-1]
		}
		if step.group != nil {
			throwErr("S0209", expr.pos, "", nil)
		}
		pred := a.process(expr.rhs)
		if pred.seekingParent != nil {
			for _, s := range pred.seekingParent {
				if s.level == 1 {
					a.seekParent(step, s)
				} else {
					s.level--
				}
			}
			pushAncestry(step, pred)
		}
		st := &stage{filter: pred, pos: expr.pos}
		if isPath {
			step.stages = append(step.stages, st)
		} else {
			step.predicate = append(step.predicate, st)
		}
	case "{":
		result = a.process(expr.lhs)
		if result.group != nil {
			throwErr("S0210", expr.pos, "", nil)
		}
		g := &groupSpec{pos: expr.pos}
		for _, pair := range expr.objPairs {
			g.pairs = append(g.pairs, [2]*node{a.process(pair[0]), a.process(pair[1])})
		}
		result.group = g
	case "^":
		result = a.process(expr.lhs)
		if result.typ != ntPath {
			result = &node{typ: ntPath, steps: []*node{result}, pos: expr.pos}
		}
		sortStep := &node{typ: ntSort, pos: expr.pos}
		for _, t := range expr.rawTerms {
			e := a.process(t.expr)
			pushAncestry(sortStep, e)
			sortStep.terms = append(sortStep.terms, sortTerm{descending: t.descending, expr: e})
		}
		result.steps = append(result.steps, sortStep)
		a.resolveAncestry(result)
	case ":=":
		result = &node{typ: ntBind, op: ":=", pos: expr.pos}
		result.lhs = a.process(expr.lhs)
		result.rhs = a.process(expr.rhs)
		pushAncestry(result, result.rhs)
	case "@":
		result = a.process(expr.lhs)
		step := result
		if result.typ == ntPath {
			step = result.steps[len(result.steps)-1]
		}
		if step.stages != nil || step.predicate != nil {
			throwErr("S0215", expr.pos, "", nil)
		}
		if step.typ == ntSort {
			throwErr("S0216", expr.pos, "", nil)
		}
		if expr.keepArray {
			step.keepArray = true
		}
		step.focus = expr.rhs.op
		step.tuple = true
	case "#":
		result = a.process(expr.lhs)
		step := result
		if result.typ == ntPath {
			step = result.steps[len(result.steps)-1]
		} else {
			result = &node{typ: ntPath, steps: []*node{result}, pos: expr.pos}
			if step.predicate != nil {
				step.stages = step.predicate
				step.predicate = nil
			}
		}
		if step.stages == nil {
			step.index = expr.rhs.op
		} else {
			step.stages = append(step.stages, &stage{index: expr.rhs.op, pos: expr.pos})
		}
		step.tuple = true
	case "~>":
		result = &node{typ: ntApply, op: "~>", pos: expr.pos}
		result.lhs = a.process(expr.lhs)
		result.rhs = a.process(expr.rhs)
		result.keepArray = result.lhs.keepArray || result.rhs.keepArray
	default:
		result = &node{typ: ntBinary, op: expr.op, pos: expr.pos}
		result.lhs = a.process(expr.lhs)
		result.rhs = a.process(expr.rhs)
		pushAncestry(result, result.lhs)
		pushAncestry(result, result.rhs)
	}
	return result
}

// tailCallOptimize wraps a lambda body's tail calls in thunks so that
// apply can run them in a loop instead of recursing.
func tailCallOptimize(expr *node) *node {
	switch {
	case expr.typ == ntFunction && expr.predicate == nil:
		return &node{typ: ntLambda, thunk: true, pos: expr.pos, body: expr}
	case expr.typ == ntCondition:
		expr.then = tailCallOptimize(expr.then)
		if expr.els != nil {
			expr.els = tailCallOptimize(expr.els)
		}
	case expr.typ == ntBlock:
		if n := len(expr.exprs); n > 0 {
			expr.exprs[n-1] = tailCallOptimize(expr.exprs[n-1])
		}
	}
	return expr
}
