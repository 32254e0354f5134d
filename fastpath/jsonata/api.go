package jsonata

import (
	"errors"
	"strconv"
	"sync"
	"time"
)

// Expr is a compiled JSONata expression. It is immutable and safe for
// concurrent use by any number of Eval calls.
type Expr struct {
	src  string
	root *node
	vars []string
}

// Compile parses src. A syntax error is returned as *Error with the
// JSONata code (S0xxx) and the byte position.
func Compile(src string) (expr *Expr, err error) {
	defer func() { recoverErr(recover(), &err) }()
	root, vars := parseVars(src)
	return &Expr{src: src, root: root, vars: vars}, nil
}

// String returns the source text.
func (e *Expr) String() string { return e.src }

// Variables returns the names (without the $) of every variable the
// expression mentions, in order of first appearance: free ones, which a
// host binds through Options.Bindings, and ones the expression binds
// itself (:= or function parameters). The caller must not modify it.
func (e *Expr) Variables() []string { return e.vars }

// IsFunction reports whether v is a function value (a lambda, a builtin or
// a regex), which has no JSON form.
func IsFunction(v any) bool { return isFunc(v) }

// Text is the error's message without code or position, starting with a
// capital letter as jsonata-js writes it.
func (e *Error) Text() string {
	if tmpl, ok := syntaxMessages[e.Code]; ok && e.Message == "" {
		return e.expandMessage(tmpl)
	}
	msg := e.Message
	if msg == "" {
		msg = errorMessages[e.Code]
	}
	if msg == "" {
		msg = "JSONata error"
	}
	if c := msg[0]; c >= 'a' && c <= 'z' {
		msg = string(c-'a'+'A') + msg[1:]
	}
	return msg
}

// Builtin is a function value implemented in Go: the standard library,
// functions registered through a Registry, and the functions the evaluator
// creates (transforms, partial applications, function chains).
type Builtin struct {
	// Name is the name it was registered under, used in errors.
	Name  string
	sig   *signature
	arity int
	impl  func(ev *evaluator, input any, e *env, args []any) any
	// json is a host function's JSON form (Function.JSON).
	json func(dst []byte, args [][]byte) ([]byte, bool)
}

// Function describes a host function for NewRegistry.
type Function struct {
	// Signature is a JSONata signature such as "<s-n?:s>" that arguments
	// are validated (and the context value filled in) against before
	// Impl runs; empty means no validation.
	Signature string
	// Impl computes the result. Arguments and the result use the value
	// model of this package (nil is undefined). An error that is an
	// *Error is passed through; any other error becomes an *Error with
	// code "D3137" and the error's text as message.
	Impl func(args []any) (any, error)
	// JSON, when set, lets raw evaluation (Raw) call the function: it
	// gets the arguments of the call as written (however many there
	// are) as canonical compact JSON (nil for undefined)
	// and appends the result's canonical compact JSON to dst (nothing
	// for undefined). ok false leaves the call, and the whole
	// expression, to Eval and Impl; JSON must do so whenever Impl would
	// fail or its result would differ.
	JSON func(dst []byte, args [][]byte) (out []byte, ok bool)
}

// Registry is a set of host functions (for example Step Functions'
// $partition, $uuid, $hash, $parse, $range and $random) made available to
// expressions in addition to the standard library. Host functions shadow
// standard ones of the same name. A Registry is immutable after
// NewRegistry and safe for concurrent use.
type Registry struct {
	funcs map[string]*Builtin
}

// NewRegistry validates the signatures of fns (keyed by name without the
// $) and returns a registry for Options.Functions.
func NewRegistry(fns map[string]Function) (reg *Registry, err error) {
	defer func() { recoverErr(recover(), &err) }()
	reg = &Registry{funcs: make(map[string]*Builtin, len(fns))}
	for name, f := range fns {
		if f.Impl == nil {
			return nil, errors.New("cannot register $" + name + ": Impl is nil")
		}
		b := &Builtin{Name: name, json: f.JSON}
		if f.Signature != "" {
			b.sig = parseSignature(f.Signature, 0)
			b.arity = b.sig.arity()
		}
		impl := f.Impl
		b.impl = func(_ *evaluator, _ any, _ *env, args []any) any {
			v, err := impl(args)
			if err != nil {
				var je *Error
				if errors.As(err, &je) {
					panic(je)
				}
				panic(&Error{Code: "D3137", Position: -1, Token: name, Message: err.Error()})
			}
			return v
		}
		reg.funcs[name] = b
	}
	return reg, nil
}

// lookup finds a host function, then a standard one. A nil registry has
// only the standard library.
func (r *Registry) lookup(name string) *Builtin {
	if r != nil {
		if f, ok := r.funcs[name]; ok {
			return f
		}
	}
	return stdlib[name]
}

// Options controls one evaluation. The zero value (or nil) means no extra
// bindings or functions and the default limits.
type Options struct {
	// Bindings are top-level variables keyed by name without the $, for
	// example {"states": ...} to make $states available.
	Bindings map[string]any
	// Vars are more top-level variables, looked up before Bindings; a
	// short slice the host can reuse costs less than a map per call.
	Vars []Var
	// Functions are host functions in addition to the standard library.
	Functions *Registry
	// MaxDepth bounds the nesting of node evaluations (default
	// DefaultMaxDepth); exceeding it raises U1001 instead of exhausting
	// the goroutine stack.
	MaxDepth int
	// MaxSteps bounds the number of node evaluations (0: unlimited);
	// exceeding it raises U1002.
	MaxSteps int
	// MaxBytes bounds the memory the expressions that can multiply their
	// input may create: ranges, $split and $append (64 bytes an item),
	// string concatenation, $pad, $join and $replace (0: unlimited).
	// Exceeding it raises U1003 before the memory is taken.
	MaxBytes int
	// Timeout bounds the wall-clock time (0: unlimited); exceeding it
	// raises U1001, as the JSONata test harness does.
	Timeout time.Duration
	// Now fixes the time $now and $millis report (zero: Clock, or the
	// system clock, read when first needed). All calls in one evaluation
	// see the same time.
	Now time.Time
	// Clock is read for $now and $millis when Now is zero (nil: the
	// system clock).
	Clock interface{ Now() time.Time }
}

// Var is a top-level variable for Options.Vars: Name without the $.
type Var struct {
	Name  string
	Value any
}

// evalFrame is what one Eval needs: the evaluator and its two outermost
// environments, in one allocation. Frames are reused (framePool) unless
// the evaluation made a function value, which may hold the frame's
// environments for as long as the result lives.
type evalFrame struct {
	ev             evaluator
	root, bindings env
}

var framePool = sync.Pool{New: func() any { return new(evalFrame) }}

// release returns fr to the pool when nothing made during the evaluation
// can still refer to it. The frame is not cleared: the next Eval
// overwrites all of it, and the pool drops what it holds at every GC.
func (fr *evalFrame) release() {
	if !fr.ev.capturedEnv {
		framePool.Put(fr)
	}
}

// DefaultMaxDepth is deep enough for any realistic expression (the
// conformance suite needs a few hundred) while keeping the Go stack well
// under its limit.
const DefaultMaxDepth = 10000

// Eval evaluates the expression against input (nil means no input at
// all, Null{} is JSON null). The result is nil when the expression yields
// nothing (undefined). The result may share arrays and objects with input
// and bindings. Errors are *Error.
func (e *Expr) Eval(input any, opts *Options) (result any, err error) {
	if opts == nil {
		opts = &Options{}
	}
	fr := framePool.Get().(*evalFrame)
	fr.ev = evaluator{maxDepth: opts.MaxDepth, maxSteps: opts.MaxSteps, maxBytes: opts.MaxBytes, funcs: opts.Functions, now: opts.Now, clk: opts.Clock}
	ev := &fr.ev
	if ev.maxDepth <= 0 {
		ev.maxDepth = DefaultMaxDepth
	}
	if opts.Timeout > 0 {
		ev.deadline = time.Now().Add(opts.Timeout)
	}
	// The bindings are read through a parent frame rather than copied;
	// top-level := binds into root, never into the caller's map.
	fr.bindings = env{vars: opts.Bindings, list: opts.Vars}
	fr.root = env{oneName: "$", oneVal: input, hasOne: true, parent: &fr.bindings}
	root := &fr.root
	ev.root = root
	if a, ok := input.(*Array); ok && !a.sequence {
		input = &Array{Items: []any{a}, sequence: true, outerWrapper: true}
	}
	defer func() {
		fr.release()
		recoverErr(recover(), &err)
	}()
	result = ev.eval(e.root, input, root)
	return unwrapResult(result), nil
}

// unwrapResult strips the evaluator's internal marks from a result: a
// tuple stream or singleton sequence left over becomes its plain value.
func unwrapResult(v any) any {
	a, ok := v.(*Array)
	if !ok {
		return v
	}
	if a.tupleStream {
		out := &Array{Items: make([]any, len(a.Items))}
		for i, t := range a.Items {
			out.Items[i] = t.(tuple)["@"]
		}
		return out
	}
	return a
}

// EvalJSON parses input as JSON (empty means no input), evaluates, and
// appends the result as compact JSON to dst. An undefined result appends
// nothing and returns ok=false.
func (e *Expr) EvalJSON(dst, input []byte, opts *Options) (out []byte, ok bool, err error) {
	var in any
	if len(input) > 0 {
		in, err = ParseJSON(input)
		if err != nil {
			return dst, false, err
		}
	}
	v, err := e.Eval(in, opts)
	if err != nil || v == nil {
		return dst, false, err
	}
	return AppendJSON(dst, v), true, nil
}

func itoa(i int) string { return strconv.Itoa(i) }

// Plain reports whether v holds nothing but JSON values (no sequences,
// constructor marks, undefined members or functions), so that it reads
// exactly like its JSON parsed again and is never modified by evaluation.
func Plain(v any) bool {
	switch x := v.(type) {
	case Null, float64, string, bool:
		return true
	case *Array:
		if x.sequence || x.tupleStream || x.keepSingleton || x.cons || x.outerWrapper {
			return false
		}
		for _, it := range x.Items {
			if !Plain(it) {
				return false
			}
		}
		return true
	case *Object:
		for _, it := range x.vals {
			if !Plain(it) {
				return false
			}
		}
		return true
	}
	return false
}
