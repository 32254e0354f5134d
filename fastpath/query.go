package fastpath

import (
	"errors"
	"strconv"
	"strings"

	"github.com/stepd/stepd/fastpath/jsonata"

	"github.com/stepd/stepd/fastpath/jsonb"
)

// Query is a compiled value of a JSONata-mode field (Arguments, Output, an
// Assign value, Items, a Choice Condition, ...): a JSON value whose strings
// may be "{% expression %}". Parts without an expression are kept as their
// compact JSON. A Query is immutable and safe for concurrent use.
type Query struct {
	lit   []byte        // the whole value when it holds no expression
	val   any           // lit as a JSONata value (shared, read-only)
	expr  *jsonata.Expr // the value is one expression
	text  string        // the expression's source, for messages
	field string        // where the value is, for messages: "Output/result"
	names []string      // an object's member names...
	elems []*Query      // ...and values, or an array's elements
	array bool
	// raw is expr for raw evaluation, nil when it needs Eval; canon is
	// lit as AppendJSON writes it (inside a template); rawAll is set
	// when every part of the value can be evaluated raw.
	raw    *jsonata.Raw
	canon  []byte
	rawAll bool
}

// IsExpression reports whether s is a "{% expression %}" string (the
// text between the delimiters is the expression).
func IsExpression(s string) bool {
	return len(s) >= 4 && strings.HasPrefix(s, "{%") && strings.HasSuffix(s, "%}")
}

// NewQuery compiles the compact JSON value v of the field named field (a
// JSON-pointer-like name without the leading slash, as AWS names fields in
// its messages). A syntax error in an expression is returned as
// *jsonata.Error.
func NewQuery(v []byte, field string) (*Query, error) {
	q := &Query{field: field}
	switch jsonb.KindOf(v) {
	case jsonb.KindString:
		s := string(jsonb.AppendUnquoted(nil, v))
		if !IsExpression(s) {
			return literalQuery(v, field)
		}
		q.text = strings.TrimSpace(s[2 : len(s)-2])
		e, err := jsonata.Compile(q.text)
		if err != nil {
			return nil, err
		}
		q.expr = e
		q.raw = e.Raw(jsonataFuncs)
		q.rawAll = q.raw != nil
		return q, nil
	case jsonb.KindObject:
		var it jsonb.ObjectIter
		it.Reset(v)
		for k, m, ok := it.Next(); ok; k, m, ok = it.Next() {
			name := string(jsonb.AppendUnquoted(nil, k))
			e, err := NewQuery(m, field+"/"+name)
			if err != nil {
				return nil, err
			}
			q.names = append(q.names, name)
			q.elems = append(q.elems, e)
		}
	case jsonb.KindArray:
		q.array = true
		var it jsonb.ArrayIter
		it.Reset(v)
		i := 0
		for m, ok := it.Next(); ok; m, ok = it.Next() {
			e, err := NewQuery(m, field+"/"+strconv.Itoa(i))
			if err != nil {
				return nil, err
			}
			q.elems = append(q.elems, e)
			i++
		}
	default:
		return literalQuery(v, field)
	}
	for _, e := range q.elems {
		if e.lit == nil {
			q.rawAll = rawTemplate(q)
			return q, nil
		}
	}
	return literalQuery(v, field)
}

func literalQuery(v []byte, field string) (*Query, error) {
	val, err := jsonata.ParseJSON(v)
	if err != nil {
		return nil, err
	}
	return &Query{lit: v, val: val, field: field, canon: jsonata.AppendJSON(nil, val), rawAll: true}, nil
}

// Literal returns the value when it holds no expression.
func (q *Query) Literal() ([]byte, bool) { return q.lit, q.lit != nil }

// Variables returns the names of the variables the expressions in q
// mention, without the $.
func (q *Query) Variables() []string {
	var out []string
	q.walk(func(e *Query) { out = append(out, e.expr.Variables()...) })
	return out
}

// UsesContext reports whether an expression in q may read
// $states.context (it mentions "context", or uses $states other than
// through a member).
func (q *Query) UsesContext() bool {
	uses := false
	q.walk(func(e *Query) {
		uses = uses || strings.Contains(e.text, "context")
	})
	return uses || q.UsesStatesObject()
}

// UsesStatesObject reports whether an expression in q may use the
// $states object itself rather than one of its members, and so may keep
// it in its result.
func (q *Query) UsesStatesObject() bool {
	uses := false
	q.walk(func(e *Query) {
		src := e.text
		for i := strings.Index(src, "$states"); i >= 0 && !uses; {
			rest := strings.TrimLeft(src[i+len("$states"):], " \t\r\n")
			if !strings.HasPrefix(rest, ".") {
				uses = true
			}
			j := strings.Index(src[i+1:], "$states")
			if j < 0 {
				break
			}
			i += 1 + j
		}
	})
	return uses
}

func (q *Query) walk(fn func(*Query)) {
	if q == nil || q.lit != nil {
		return
	}
	if q.expr != nil {
		fn(q)
		return
	}
	for _, e := range q.elems {
		e.walk(fn)
	}
}

// QueryAssign is a compiled JSONata-mode Assign: each variable slot gets
// the value of a query, all evaluated before any is set.
type QueryAssign struct {
	Slots  []int
	Values []*Query
}

// JSONata holds the fields of a state whose query language is JSONata. A
// State with a non-nil JSONata runs through the JSONata evaluator; its
// JSONPath fields are unused. Nil queries are absent fields.
type JSONata struct {
	Arguments    *Query // Task and Parallel
	Output       *Query
	Assign       *QueryAssign
	Items        *Query // Map
	ItemSelector *Query
	// MaxConcurrency, ToleratedCount and ToleratedPercent are set when
	// the Map field is an expression (a number lowers to the State field).
	MaxConcurrency, ToleratedCount, ToleratedPercent *Query
	// BatchMaxItems and BatchMaxBytes are the ItemBatcher's limits when
	// expressions, BatchInput its BatchInput.
	BatchMaxItems, BatchMaxBytes, BatchInput *Query
	// ReaderArguments and ReaderMaxItems are the ItemReader's Arguments
	// and its ReaderConfig.MaxItems when an expression.
	ReaderArguments, ReaderMaxItems *Query
	// WriterArguments is the ResultWriter's Arguments.
	WriterArguments    *Query
	Timeout, Heartbeat *Query // Task, when expressions
	Seconds, Timestamp *Query // Wait, when expressions
	Error, Cause       *Query // Fail, when expressions

	// Choice: per rule its Condition, Next, Output and Assign (nil when
	// absent).
	Conditions  []*Query
	RuleNexts   []int
	RuleOutputs []*Query
	RuleAssigns []*QueryAssign

	// Catch: per catcher its Output and Assign.
	CatchOutputs []*Query
	CatchAssigns []*QueryAssign

	// VarSlots and VarNames are the variables the expressions may read.
	VarSlots []int
	VarNames []string
	// UsesContext is set when an expression may read $states.context.
	UsesContext bool
	// UsesStatesObject is set when an expression may keep the $states
	// object itself in a result: such a state gets a $states of its own
	// instead of one reused from state to state.
	UsesStatesObject bool
}

// jsonataFuncs are the functions Step Functions adds to JSONata.
var jsonataFuncs = mustRegistry(awsFunctions())

func mustRegistry(fns map[string]jsonata.Function) *jsonata.Registry {
	r, err := jsonata.NewRegistry(fns)
	if err != nil {
		panic("BUG: " + err.Error())
	}
	return r
}

// queryEnv is what the expressions of one JSONata state run see: $states
// and the variables. It lives for one entry of the state; the execution
// keeps a stack of them (states nest through inline branches) and reuses
// them from state to state.
type queryEnv struct {
	states *jsonata.Object
	input  any
	opts   jsonata.Options
	// boxed is set once states, input and opts hold the values; until
	// then only the JSON below is known (see boxQueryEnv).
	boxed bool
	js    *JSONata
	raw   rawQueryEnv
	// varBuf backs opts.Vars for a state that reads few variables, so
	// that the bindings cost no allocation of their own.
	varBuf [queryEnvVars]jsonata.Var
	// statesRoom holds $states (input, result, errorOutput, context).
	statesRoom jsonata.SmallObject
}

// queryEnvVars covers $states and the variables a typical state reads.
const queryEnvVars = 6

// newQueryEnv starts the environment of st's expressions with raw as
// $states.input. The values are built only when an expression needs Eval
// (boxQueryEnv); raw evaluation reads the JSON.
func (ex *Execution) newQueryEnv(st *State, raw []byte) (*queryEnv, *Failure) {
	js := st.JSONata
	if ex.qdepth == len(ex.qenvs) {
		ex.qenvs = append(ex.qenvs, new(queryEnv))
	}
	env := ex.qenvs[ex.qdepth]
	env.reset(js, raw)
	if js.UsesContext {
		if f := ex.boxQueryEnv(env); f != nil {
			return nil, f
		}
		if f := ex.setQueryContext(env); f != nil {
			return nil, f
		}
	}
	ex.qdepth++
	return env, nil
}

// boxQueryEnv builds $states and the variables as values for Eval.
func (ex *Execution) boxQueryEnv(env *queryEnv) *Failure {
	if env.boxed {
		return nil
	}
	js := env.js
	in, f := ex.queryValue(env.raw.input)
	if f != nil {
		return f
	}
	if js.UsesStatesObject {
		env.states = new(jsonata.SmallObject).Init()
	} else {
		env.statesRoom = jsonata.SmallObject{}
		env.states = env.statesRoom.Init()
	}
	env.input = in
	env.states.Set("input", in)
	if env.raw.result != nil {
		v, f := ex.queryValue(env.raw.result)
		if f != nil {
			return f
		}
		env.states.Set("result", v)
	}
	if env.raw.errOut != nil {
		eo := jsonata.NewObject(2)
		eo.Set("Error", env.raw.errName)
		eo.Set("Cause", env.raw.errCause)
		env.states.Set("errorOutput", eo)
	}
	env.opts.Vars = append(env.varBuf[:0], jsonata.Var{Name: "states", Value: env.states})
	env.opts.Functions = ex.queryFuncs()
	env.opts.MaxSteps, env.opts.MaxBytes = ex.opts.QueryMaxSteps, ex.queryMaxBytes()
	if env.opts.MaxSteps <= 0 {
		env.opts.MaxSteps = DefaultQueryMaxSteps
	}
	for i, slot := range js.VarSlots {
		v := ex.vars[slot]
		if v == nil {
			continue
		}
		val, f := ex.queryValue(v)
		if f != nil {
			return f
		}
		env.opts.Vars = append(env.opts.Vars, jsonata.Var{Name: js.VarNames[i], Value: val})
	}
	env.boxed = true
	return nil
}

// queryMaxBytes is the memory budget of one expression (Options.QueryMaxBytes).
func (ex *Execution) queryMaxBytes() int {
	if ex.opts.QueryMaxBytes > 0 {
		return ex.opts.QueryMaxBytes
	}
	return DefaultQueryMaxBytes
}

// releaseQueryEnv ends the innermost queryEnv from newQueryEnv.
func (ex *Execution) releaseQueryEnv() { ex.qdepth-- }

// setQueryContext (re)builds $states.context as the context object is now.
func (ex *Execution) setQueryContext(env *queryEnv) *Failure {
	mark := len(ex.arena)
	ex.arena, _ = ex.appendContext(ex.arena, ctxWhole)
	v, err := jsonata.ParseJSON(ex.arena[mark:])
	ex.arena = ex.arena[:mark]
	if err != nil {
		return ex.stateError(ErrRuntime, err.Error())
	}
	env.states.Set("context", v)
	return nil
}

// queryCache remembers what is known of recent JSON values in the arena
// (by address and length): their JSONata values and whether they are
// canonical (see jsonata.RawEval.Canonical). A state's input is usually
// the output the previous JSONata state just wrote, or a value an
// earlier state parsed. Arena bytes are never rewritten while the cache
// holds them (truncate and Reset clear it). It also holds the buffers of
// raw evaluation, which reset keeps.
type queryCache struct {
	entries [queryCacheSize]queryCacheEntry
	next    int
	raw     jsonata.RawEval
}

type queryCacheEntry struct {
	b     []byte
	v     any // nil until parsed
	canon int8
}

// The canon states of a queryCacheEntry.
const (
	canonUnknown int8 = iota
	canonYes
	canonNo
)

// queryCacheSize covers a state's input, its result and the outputs of a
// few branches.
const queryCacheSize = 8

// reset forgets the entries (the arena is about to be rewritten).
func (c *queryCache) reset() {
	c.entries, c.next = [queryCacheSize]queryCacheEntry{}, 0
	c.raw.Forget()
}

// entry returns the entry of b, adding one when b is not known.
func (c *queryCache) entry(b []byte) *queryCacheEntry {
	for i := range c.entries {
		e := &c.entries[i]
		if len(e.b) == len(b) && &e.b[0] == &b[0] {
			return e
		}
	}
	e := &c.entries[c.next]
	*e = queryCacheEntry{b: b}
	c.next = (c.next + 1) % queryCacheSize
	return e
}

// cache returns the cache, made on first use.
func (ex *Execution) cache() *queryCache {
	if ex.qc == nil {
		ex.qc = &queryCache{}
	}
	return ex.qc
}

// queryValue converts compact JSON from the arena to a JSONata value.
func (ex *Execution) queryValue(b []byte) (any, *Failure) {
	var e *queryCacheEntry
	if len(b) > 0 {
		if e = ex.cache().entry(b); e.v != nil {
			return e.v, nil
		}
	}
	v, err := jsonata.ParseJSON(b)
	if err != nil {
		return nil, ex.stateError(ErrRuntime, err.Error())
	}
	if e != nil {
		e.v = v
	}
	return v, nil
}

// evalQuery evaluates q into the arena and returns its compact JSON. The
// value is remembered with its JSON (see queryValue).
func (ex *Execution) evalQuery(q *Query, env *queryEnv) ([]byte, *Failure) {
	if q.lit != nil {
		return q.lit, nil
	}
	if out, ok := ex.evalRaw(q, env); ok {
		return out, nil
	}
	v, f := ex.queryResult(q, env)
	if f != nil {
		return nil, f
	}
	mark := len(ex.arena)
	ex.arena = jsonata.AppendJSON(ex.arena, v)
	out := ex.arena[mark:len(ex.arena):len(ex.arena)]
	if len(out) > 0 {
		e := ex.cache().entry(out)
		e.canon = canonYes
		if jsonata.Plain(v) { // a sequence would not read like its JSON
			e.v = v
		}
	}
	return out, nil
}

// queryResult evaluates q to a JSONata value: literal parts are shared,
// objects and arrays with expressions are built anew.
func (ex *Execution) queryResult(q *Query, env *queryEnv) (any, *Failure) {
	switch {
	case q.lit != nil:
		return q.val, nil
	case q.expr != nil:
		return ex.evalExpr(q, env)
	case q.array:
		items := make([]any, len(q.elems))
		for i, e := range q.elems {
			v, f := ex.queryResult(e, env)
			if f != nil {
				return nil, f
			}
			items[i] = v
		}
		return jsonata.NewArray(items), nil
	}
	o := jsonata.NewObject(len(q.elems))
	for i, e := range q.elems {
		v, f := ex.queryResult(e, env)
		if f != nil {
			return nil, f
		}
		o.Set(q.names[i], v)
	}
	return o, nil
}

// evalExpr evaluates an expression leaf to a JSON-representable value.
func (ex *Execution) evalExpr(q *Query, env *queryEnv) (any, *Failure) {
	if f := ex.boxQueryEnv(env); f != nil {
		return nil, f
	}
	env.opts.Clock = ex.clock
	v, err := q.expr.Eval(env.input, &env.opts)
	if err != nil {
		msg := err.Error()
		var je *jsonata.Error
		if errors.As(err, &je) {
			msg = je.Code + ": " + je.Text()
		}
		return nil, ex.queryError(q, "threw an error during evaluation. "+msg)
	}
	switch {
	case v == nil:
		return nil, ex.queryError(q, "returned nothing (undefined).")
	case jsonata.IsFunction(v):
		return nil, ex.queryError(q, "returned an unsupported result type.")
	}
	return v, nil
}

func (ex *Execution) queryError(q *Query, msg string) *Failure {
	return ex.stateError(ErrQueryEvaluationError, "The JSONata expression '"+q.text+"' specified for the field '"+q.field+"' "+msg)
}

// queryTypeError reports a result of the wrong JSON type.
func (ex *Execution) queryTypeError(q *Query, want string, v []byte) *Failure {
	return ex.queryError(q, "returned an unexpected result type. Expected '"+want+"', but was '"+jsonb.KindOf(v).String()+"' for value: "+string(v))
}

// evalQueryAssign evaluates every value of a into ex.assigned; commit
// them with commitAssigned(a.Slots).
func (ex *Execution) evalQueryAssign(a *QueryAssign, env *queryEnv) *Failure {
	ex.assigned = ex.assigned[:0]
	for _, q := range a.Values {
		v, f := ex.evalQuery(q, env)
		if f != nil {
			return f
		}
		ex.assigned = append(ex.assigned, v)
	}
	return nil
}

// queryNumber evaluates a numeric field (MaxConcurrency, Seconds, ...).
func (ex *Execution) queryNumber(q *Query, env *queryEnv, integer bool) (float64, *Failure) {
	v, f := ex.evalQuery(q, env)
	if f != nil {
		return 0, f
	}
	n, ok := jsonb.ParseNumber(v)
	want := "number"
	if integer {
		want = "integer"
	}
	if jsonb.KindOf(v) != jsonb.KindNumber || !ok || (integer && n != float64(int64(n))) {
		return 0, ex.queryTypeError(q, want, v)
	}
	return n, nil
}
