package fastpath

import (
	"github.com/stepd/stepd/fastpath/jsonata"
	"github.com/stepd/stepd/fastpath/jsonb"
)

// rawQueryEnv is the JSON a JSONata state's expressions read: $states
// member by member and the variables, as spans of the arena. Raw
// evaluation (jsonata.Raw) reads them without building values.
type rawQueryEnv struct {
	input, result []byte
	// errOut is $states.errorOutput in a Catcher, with the name and
	// cause it was written from.
	errOut            []byte
	errName, errCause string
	// vars backs the variables for jsonata.Raw: $states, then the
	// state's variables that are set.
	vars    []jsonata.RawVar
	varBuf  [queryEnvVars]jsonata.RawVar
	members [3]jsonata.RawVar
	// ok is cleared when a value is not canonical JSON or $states has a
	// member raw evaluation is not given (context): every expression
	// then runs through Eval.
	ok, checked bool
}

// reset starts env for a state's expressions with input as $states.input.
func (env *queryEnv) reset(js *JSONata, input []byte) {
	raw := &env.raw
	raw.input, raw.result, raw.errOut = input, nil, nil
	raw.ok, raw.checked = !js.UsesContext, false
	env.boxed, env.js, env.states, env.input = false, js, nil, nil
}

// setResult binds $states.result.
func (ex *Execution) setQueryResult(env *queryEnv, result []byte) *Failure {
	env.raw.result, env.raw.checked = result, false
	if !env.boxed {
		return nil
	}
	v, f := ex.queryValue(result)
	if f != nil {
		return f
	}
	env.states.Set("result", v)
	return nil
}

// setQueryError binds $states.errorOutput for a Catcher (errOut is its
// JSON) and unbinds $states.result.
func (ex *Execution) setQueryError(env *queryEnv, errOut []byte, f *Failure) {
	raw := &env.raw
	raw.result, raw.errOut, raw.errName, raw.errCause, raw.checked = nil, errOut, f.Name, f.Cause, false
	if !env.boxed {
		return
	}
	eo := jsonata.NewObject(2)
	eo.Set("Error", f.Name)
	eo.Set("Cause", f.Cause)
	env.states.Delete("result")
	env.states.Set("errorOutput", eo)
}

// rawVars checks that the JSON env binds is canonical and returns the
// bindings for raw evaluation; ok is false when raw evaluation cannot
// run in env.
func (ex *Execution) rawVars(env *queryEnv) ([]jsonata.RawVar, bool) {
	raw := &env.raw
	if !raw.ok || raw.checked {
		return raw.vars, raw.ok
	}
	raw.checked = true
	m := raw.members[:0]
	m = append(m, jsonata.RawVar{Name: "input", JSON: raw.input})
	if raw.result != nil {
		m = append(m, jsonata.RawVar{Name: "result", JSON: raw.result})
	}
	if raw.errOut != nil {
		m = append(m, jsonata.RawVar{Name: "errorOutput", JSON: raw.errOut})
	}
	raw.vars = append(raw.varBuf[:0], jsonata.RawVar{Name: "states", Members: m})
	for _, v := range m {
		if !ex.canonical(v.JSON) {
			raw.ok = false
			return nil, false
		}
	}
	js := env.js
	for i, slot := range js.VarSlots {
		v := ex.vars[slot]
		if v == nil {
			continue
		}
		if !ex.canonical(v) {
			raw.ok = false
			return nil, false
		}
		raw.vars = append(raw.vars, jsonata.RawVar{Name: js.VarNames[i], JSON: v})
	}
	return raw.vars, true
}

// canonical reports whether the arena value b is canonical JSON,
// remembering the answer.
func (ex *Execution) canonical(b []byte) bool {
	if len(b) == 0 {
		return false
	}
	qc := ex.cache()
	e := qc.entry(b)
	if e.canon == canonUnknown {
		e.canon = canonNo
		if qc.raw.Canonical(b) {
			e.canon = canonYes
		}
	}
	return e.canon == canonYes
}

// evalRaw evaluates q straight over the JSON of env into the arena, when
// every part of q can be (ok false otherwise, the arena unchanged).
func (ex *Execution) evalRaw(q *Query, env *queryEnv) ([]byte, bool) {
	if !q.rawAll {
		return nil, false
	}
	vars, ok := ex.rawVars(env)
	if !ok {
		return nil, false
	}
	qc := ex.cache()
	qc.raw.MaxBytes = ex.queryMaxBytes()
	mark := len(ex.arena)
	ex.arena, ok = ex.appendRaw(ex.arena, q, &qc.raw, env.raw.input, vars)
	if !ok {
		ex.arena = ex.arena[:mark]
		return nil, false
	}
	out := ex.arena[mark:len(ex.arena):len(ex.arena)]
	qc.entry(out).canon = canonYes
	return out, true
}

// appendRaw appends the canonical JSON of q: its literal parts as
// AppendJSON writes them, its expressions evaluated raw.
func (ex *Execution) appendRaw(dst []byte, q *Query, ev *jsonata.RawEval, input []byte, vars []jsonata.RawVar) ([]byte, bool) {
	switch {
	case q.lit != nil:
		return append(dst, q.canon...), true
	case q.raw != nil:
		return q.raw.AppendEval(dst, ev, input, vars)
	}
	open, end := byte('{'), byte('}')
	if q.array {
		open, end = '[', ']'
	}
	dst = append(dst, open)
	for i, e := range q.elems {
		if i > 0 {
			dst = append(dst, ',')
		}
		if !q.array {
			dst = jsonb.AppendQuotedString(dst, q.names[i])
			dst = append(dst, ':')
		}
		var ok bool
		if dst, ok = ex.appendRaw(dst, e, ev, input, vars); !ok {
			return dst, false
		}
	}
	return append(dst, end), true
}

// rawTemplate reports whether every part of the object or array q can be
// evaluated raw (an object's names must differ, as the JSON it writes
// has them once).
func rawTemplate(q *Query) bool {
	for i, e := range q.elems {
		if !e.rawAll {
			return false
		}
		if !q.array {
			for _, n := range q.names[:i] {
				if n == q.names[i] {
					return false
				}
			}
		}
	}
	return true
}
