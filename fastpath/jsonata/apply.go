package jsonata

// lambda is a user-defined function value (a closure over the environment
// and context it was defined in). A thunk is a tail call deferred by
// tailCallOptimize so apply can run it in a loop.
type lambda struct {
	params []string
	body   *node
	sig    *signature
	input  any
	env    *env
	thunk  bool
}

// placeholder marks an argument left open by partial application (?).
type placeholder struct{}

// arity is the number of arguments a higher-order function passes to f.
func arity(f any) int {
	switch x := f.(type) {
	case *lambda:
		return len(x.params)
	case *Builtin:
		return x.arity
	case *regexFn:
		return 1
	}
	return 0
}

// evalFunction evaluates a function call node; applyTo is the left side
// of ~>, passed as the first argument when hasApplyTo.
func (ev *evaluator) evalFunction(n *node, input any, e *env, applyTo any, hasApplyTo bool) any {
	proc := ev.eval(n.procedure, input, e)
	if proc == nil && n.procedure.typ == ntPath {
		if _, ok := e.lookup(n.procedure.steps[0].op); ok || ev.funcs.lookup(n.procedure.steps[0].op) != nil {
			throwErr("T1005", n.pos, n.procedure.steps[0].op, nil)
		}
	}
	args := make([]any, 0, len(n.args)+1)
	if hasApplyTo {
		args = append(args, applyTo)
	}
	for _, a := range n.args {
		args = append(args, ev.eval(a, input, e))
	}
	if b, ok := proc.(*Builtin); ok {
		name := n.procedure.op
		if n.procedure.typ == ntPath {
			name = n.procedure.steps[0].op
		}
		defer annotate(n.pos, name)
		return ev.apply(b, args, input, e)
	}
	return ev.apply(proc, args, input, e)
}

// apply calls proc with args, trampolining tail calls.
func (ev *evaluator) apply(proc any, args []any, input any, e *env) any {
	result := ev.applyInner(proc, args, input, e)
	for {
		l, ok := result.(*lambda)
		if !ok || !l.thunk {
			return result
		}
		call := l.body
		next := ev.eval(call.procedure, l.input, l.env)
		targs := make([]any, 0, len(call.args))
		for _, a := range call.args {
			targs = append(targs, ev.eval(a, l.input, l.env))
		}
		result = ev.applyInner(next, targs, input, e)
	}
}

// applyInner validates the arguments against the signature and runs the
// function once.
func (ev *evaluator) applyInner(proc any, args []any, input any, e *env) any {
	switch f := proc.(type) {
	case *lambda:
		if f.sig != nil {
			args = f.sig.validate(args, input)
		}
		return ev.applyLambda(f, args)
	case *Builtin:
		if f.sig != nil {
			args = f.sig.validate(args, input)
		}
		return f.impl(ev, input, e, args)
	case *regexFn:
		var s any
		if len(args) > 0 {
			s = args[0]
		}
		str, ok := s.(string)
		if !ok {
			throwErr("T0410", -1, "", s)
		}
		return f.matchObject(str, 0)
	}
	throwErr("T1006", -1, "", proc)
	return nil
}

// applyLambda binds the parameters in a new frame and evaluates the body.
func (ev *evaluator) applyLambda(f *lambda, args []any) any {
	frame := &env{parent: f.env}
	for i, p := range f.params {
		var v any
		if i < len(args) {
			v = args[i]
		}
		frame.bind(p, v)
	}
	return ev.eval(f.body, f.input, frame)
}

// trimUndefined drops trailing undefined arguments so optional
// parameters of built-ins are treated as absent.
func trimUndefined(args []any) []any {
	for len(args) > 0 && args[len(args)-1] == nil {
		args = args[:len(args)-1]
	}
	return args
}

// evalPartial evaluates f(a, ?, b): a function of the ? arguments.
func (ev *evaluator) evalPartial(n *node, input any, e *env) any {
	args := make([]any, len(n.args))
	for i, a := range n.args {
		if a.typ == ntOperator && a.op == "?" {
			args[i] = placeholder{}
		} else {
			args[i] = ev.eval(a, input, e)
		}
	}
	proc := ev.eval(n.procedure, input, e)
	if proc == nil && n.procedure.typ == ntPath {
		if _, ok := e.lookup(n.procedure.steps[0].op); ok || ev.funcs.lookup(n.procedure.steps[0].op) != nil {
			throwErr("T1007", n.pos, n.procedure.steps[0].op, nil)
		}
	}
	switch f := proc.(type) {
	case *lambda:
		return partialLambda(f, args)
	case *Builtin:
		return partialNative(f, args)
	}
	throwErr("T1008", n.pos, n.procedure.op, nil)
	return nil
}

// partialLambda binds the non-placeholder arguments of f.
func partialLambda(f *lambda, args []any) *lambda {
	frame := newEnv(f.env)
	var unbound []string
	for i, p := range f.params {
		var a any
		if i < len(args) {
			a = args[i]
		}
		if _, ok := a.(placeholder); ok {
			unbound = append(unbound, p)
		} else {
			frame.bind(p, a)
		}
	}
	return &lambda{params: unbound, body: f.body, input: f.input, env: frame}
}

// partialNative binds the non-placeholder arguments of a built-in; the
// result takes the placeholder arguments in order.
func partialNative(f *Builtin, args []any) *Builtin {
	open := 0
	for _, a := range args {
		if _, ok := a.(placeholder); ok {
			open++
		}
	}
	return &Builtin{Name: f.Name, arity: open, impl: func(ev *evaluator, input any, e *env, call []any) any {
		full := make([]any, len(args))
		j := 0
		for i, a := range args {
			if _, ok := a.(placeholder); ok {
				if j < len(call) {
					full[i] = call[j]
				}
				j++
			} else {
				full[i] = a
			}
		}
		return ev.applyInner(f, trimUndefined(full), input, e)
	}}
}

// evalApply is the ~> operator: x ~> f(a) calls f(x, a); f ~> g composes.
func (ev *evaluator) evalApply(n *node, input any, e *env) any {
	lhs := ev.eval(n.lhs, input, e)
	if n.rhs.typ == ntFunction {
		return ev.evalFunction(n.rhs, input, e, lhs, true)
	}
	fn := ev.eval(n.rhs, input, e)
	if !isFunc(fn) {
		throwErr("T2006", n.pos, "", fn)
	}
	if isFunc(lhs) {
		f, g := lhs, fn
		return &Builtin{Name: "chain", arity: 1, impl: func(ev *evaluator, input any, e *env, args []any) any {
			return ev.apply(g, []any{ev.apply(f, args, input, e)}, input, e)
		}}
	}
	return ev.apply(fn, []any{lhs}, input, e)
}

// transformSig is the signature of the function a transform yields.
var transformSig = mustSig("<(oa):o>")

// evalTransform is | pattern | update [, delete] |: a function that
// deep-copies its argument and updates the objects the pattern selects.
func (ev *evaluator) evalTransform(n *node, e *env) any {
	ev.capturedEnv = true
	return &Builtin{Name: "transform", sig: transformSig, arity: 1, impl: func(ev *evaluator, input any, _ *env, args []any) any {
		obj := args[0]
		if obj == nil {
			return nil
		}
		clone, ok := e.lookup("clone")
		var result any
		if ok {
			if !isFunc(clone) {
				throwErr("T2013", n.pos, "", nil)
			}
			result = ev.apply(clone, []any{obj}, nil, e)
		} else {
			result = deepClone(obj)
		}
		matches := ev.eval(n.pattern, result, e)
		if matches == nil {
			return result
		}
		ms := []any{matches}
		if a, ok := matches.(*Array); ok {
			ms = a.Items
		}
		for _, m := range ms {
			update := ev.eval(n.update, m, e)
			if update != nil {
				uo, ok := update.(*Object)
				if !ok {
					throwErr("T2011", n.update.pos, "", update)
				}
				if mo, ok := m.(*Object); ok {
					for _, k := range uo.keys {
						mo.Set(k, uo.get(k))
					}
				}
			}
			if n.delete != nil {
				dels := ev.eval(n.delete, m, e)
				if dels == nil {
					continue
				}
				names := []any{dels}
				if a, ok := dels.(*Array); ok {
					names = a.Items
				}
				for _, d := range names {
					if _, ok := d.(string); !ok {
						throwErr("T2012", n.delete.pos, "", dels)
					}
				}
				if mo, ok := m.(*Object); ok {
					for _, d := range names {
						mo.Delete(d.(string))
					}
				}
			}
		}
		return result
	}}
}
