package jsonata

// Ref is a variable that an expression reads but never binds itself
// (with :=, as a function parameter or with @$ / #$): a host binding
// such as $states, a variable assigned elsewhere, a library function, or
// a mistake. Name is without the $; Pos is the byte offset of its first
// use; Call is true when every use is as a called function ($name(...)).
type Ref struct {
	Name string
	Pos  int
	Call bool
}

// FreeRefs returns the expression's free variables in order of first
// use. The binding check is by name over the whole expression, not by
// scope: a name bound anywhere in the expression is not free anywhere,
// so FreeRefs never reports a variable that may be bound.
func (e *Expr) FreeRefs() []Ref {
	bound := map[string]bool{"": true, "$": true} // $ and $$
	var refs []Ref
	at := map[string]int{}
	var walk func(n *node, callee bool)
	walkStages := func(ss []*stage) {
		for _, s := range ss {
			if s.index != "" {
				bound[s.index] = true
			}
			walk(s.filter, false)
		}
	}
	walk = func(n *node, callee bool) {
		if n == nil {
			return
		}
		switch n.typ {
		case ntVariable:
			if i, ok := at[n.op]; ok {
				refs[i].Call = refs[i].Call && callee
			} else {
				at[n.op] = len(refs)
				refs = append(refs, Ref{Name: n.op, Pos: n.pos, Call: callee})
			}
		case ntBind:
			if n.lhs != nil && n.lhs.typ == ntVariable {
				bound[n.lhs.op] = true
			}
		case ntLambda:
			for _, p := range n.params {
				bound[p] = true
			}
		}
		if n.focus != "" {
			bound[n.focus] = true
		}
		if n.index != "" {
			bound[n.index] = true
		}
		walk(n.lhs, false)
		walk(n.rhs, false)
		walk(n.expr, false)
		walk(n.procedure, n.typ == ntFunction || n.typ == ntPartial)
		walk(n.body, false)
		walk(n.condition, false)
		walk(n.then, false)
		walk(n.els, false)
		walk(n.pattern, false)
		walk(n.update, false)
		walk(n.delete, false)
		for _, c := range n.exprs {
			walk(c, false)
		}
		for _, c := range n.steps {
			walk(c, false)
		}
		for _, c := range n.args {
			walk(c, false)
		}
		for _, p := range n.pairs {
			walk(p[0], false)
			walk(p[1], false)
		}
		if n.group != nil {
			for _, p := range n.group.pairs {
				walk(p[0], false)
				walk(p[1], false)
			}
		}
		for _, t := range n.terms {
			walk(t.expr, false)
		}
		walkStages(n.predicate)
		walkStages(n.stages)
	}
	walk(e.root, false)
	out := refs[:0]
	for _, r := range refs {
		if !bound[r.Name] {
			out = append(out, r)
		}
	}
	return out
}

// IsStandardFunction reports whether name (without the $) is a function
// of the JSONata 2.0.6 standard library.
func IsStandardFunction(name string) bool {
	_, ok := stdlib[name]
	return ok
}
