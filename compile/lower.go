package compile

import (
	"fmt"
	"math"
	"strings"
	"time"

	json "github.com/goccy/go-json"

	"github.com/stepd/stepd/fastpath"
	"github.com/stepd/stepd/fastpath/jsonb"
)

// lowerer turns a validated definition into a fastpath.Program. It assumes
// Validate found no errors; what it still cannot lower it reports as a
// *LowerError naming the JSON pointer.
type lowerer struct {
	prog  *fastpath.Program
	slots map[string]int
	// jsonata is the machine's query language: states that do not say
	// otherwise, in every scope, use JSONata.
	jsonata bool
	vars    []queryVars // see resolveVars
}

// testConfig is what TestState adds to a compilation: the variables its
// request sets, which the definition may read without assigning them.
type testConfig struct {
	vars []string
}

// LowerError is a definition problem found while lowering: something that
// passed validation but that this engine cannot run.
type LowerError struct {
	Pointer string
	Code    string
	Msg     string
}

func (e *LowerError) Error() string { return e.Pointer + ": " + e.Code + ": " + e.Msg }

func lowerFail(ptr, format string, args ...any) *LowerError {
	return &LowerError{Pointer: ptr, Code: "SCHEMA_VALIDATION_FAILED", Msg: fmt.Sprintf(format, args...)}
}

// lower builds the program from the compact definition def.
func lower(def []byte, typ MachineType, test *testConfig) (prog *fastpath.Program, err error) {
	l := &lowerer{prog: &fastpath.Program{Express: typ == Express}, slots: map[string]int{}}
	if test != nil {
		for _, name := range test.vars {
			l.slot(name)
		}
	}
	defer func() {
		if r := recover(); r != nil {
			le, ok := r.(*LowerError)
			if !ok {
				panic(r)
			}
			prog, err = nil, le
		}
	}()
	l.jsonata = stringField(def, "QueryLanguage", "/QueryLanguage") == "JSONata"
	if t := jsonb.ObjectGet(def, "TimeoutSeconds"); t != nil {
		l.prog.Timeout = time.Duration(intValue(t, "/TimeoutSeconds")) * time.Second
	}
	l.prog.Start = l.scope(def, "")
	l.resolveVars()
	l.prog.Seal()
	return l.prog, nil
}

// scope lowers the StartAt/States of obj (at pointer ptr) and returns the
// index of its start state. States of one scope get consecutive indices in
// definition order, so the program reads like the definition.
func (l *lowerer) scope(obj []byte, ptr string) int {
	states := jsonb.ObjectGet(obj, "States")
	startAt := stringField(obj, "StartAt", ptr+"/StartAt")
	names := map[string]int{}
	type pending struct {
		name string
		raw  []byte
		idx  int
	}
	var todo []pending
	var it jsonb.ObjectIter
	it.Reset(states)
	for k, v, ok := it.Next(); ok; k, v, ok = it.Next() {
		name := string(jsonb.AppendUnquoted(nil, k))
		idx := len(l.prog.States)
		l.prog.States = append(l.prog.States, fastpath.State{})
		names[name] = idx
		todo = append(todo, pending{name, v, idx})
	}
	start, ok := names[startAt]
	if !ok {
		panic(lowerFail(ptr+"/StartAt", "Missing 'StartAt' target: %s", startAt))
	}
	for _, p := range todo {
		st := l.state(p.name, p.raw, ptr+"/States/"+escapePointer(p.name), names)
		l.prog.States[p.idx] = st
	}
	return start
}

func (l *lowerer) target(names map[string]int, name, ptr string) int {
	idx, ok := names[name]
	if !ok {
		panic(lowerFail(ptr, "Missing 'Next' target: %s", name))
	}
	return idx
}

var stateKinds = map[string]fastpath.StateKind{
	"Pass": fastpath.StatePass, "Task": fastpath.StateTask, "Choice": fastpath.StateChoice,
	"Wait": fastpath.StateWait, "Succeed": fastpath.StateSucceed, "Fail": fastpath.StateFail,
	"Parallel": fastpath.StateParallel, "Map": fastpath.StateMap,
}

func (l *lowerer) state(name string, raw []byte, ptr string, names map[string]int) fastpath.State {
	typ := stringField(raw, "Type", ptr+"/Type")
	kind, ok := stateKinds[typ]
	if !ok {
		panic(lowerFail(ptr+"/Type", "Unknown state type: %s", typ))
	}
	st := fastpath.State{Kind: kind, Name: name, Next: fastpath.NoState, Default: fastpath.NoState}
	if next := stringField(raw, "Next", ptr+"/Next"); next != "" {
		st.Next = l.target(names, next, ptr+"/Next")
	}
	if l.stateIsJSONata(raw, ptr) {
		st.Retry = l.retriers(raw, ptr)
		st.Catch = l.catchers(raw, ptr, names)
		l.queryNumbers(&st, raw, ptr)
		switch kind {
		case fastpath.StateTask:
			st.Task = task(raw, name, ptr)
		case fastpath.StateParallel:
			l.branches(&st, raw, ptr)
		case fastpath.StateMap:
			l.mapProcessor(&st, raw, ptr)
		}
		l.queryState(&st, raw, ptr, names)
		return st
	}
	st.InputPath, st.InputPathNull = l.optPath(raw, "InputPath", ptr)
	st.OutputPath, st.OutputPathNull = l.optPath(raw, "OutputPath", ptr)
	st.ResultPath, st.ResultPathNull = l.optPath(raw, "ResultPath", ptr)
	st.Parameters = l.optTemplate(raw, "Parameters", ptr)
	st.ResultSelector = l.optTemplate(raw, "ResultSelector", ptr)
	st.Assign = l.assign(raw, ptr)
	st.Retry = l.retriers(raw, ptr)
	st.Catch = l.catchers(raw, ptr, names)

	switch kind {
	case fastpath.StatePass:
		if r := jsonb.ObjectGet(raw, "Result"); r != nil {
			st.Result = r
		}
	case fastpath.StateTask:
		st.Task = task(raw, name, ptr)
		if v := jsonb.ObjectGet(raw, "TimeoutSeconds"); v != nil {
			st.TaskTimeout = time.Duration(intValue(v, ptr+"/TimeoutSeconds")) * time.Second
		}
		st.TimeoutPath = l.pathField(raw, "TimeoutSecondsPath", ptr)
		if v := jsonb.ObjectGet(raw, "HeartbeatSeconds"); v != nil {
			st.Heartbeat = time.Duration(intValue(v, ptr+"/HeartbeatSeconds")) * time.Second
		}
		st.HeartbeatPath = l.pathField(raw, "HeartbeatSecondsPath", ptr)
	case fastpath.StateChoice:
		l.choices(&st, raw, ptr, names)
	case fastpath.StateWait:
		l.wait(&st, raw, ptr)
	case fastpath.StateFail:
		st.Error, st.HasError = optString(raw, "Error", ptr)
		st.Cause, st.HasCause = optString(raw, "Cause", ptr)
		st.ErrorPath = l.expression(raw, "ErrorPath", ptr)
		st.CausePath = l.expression(raw, "CausePath", ptr)
	case fastpath.StateParallel:
		l.branches(&st, raw, ptr)
	case fastpath.StateMap:
		l.mapState(&st, raw, ptr)
	}
	return st
}

func (l *lowerer) branches(st *fastpath.State, raw []byte, ptr string) {
	var it jsonb.ArrayIter
	it.Reset(jsonb.ObjectGet(raw, "Branches"))
	i := 0
	for b, ok := it.Next(); ok; b, ok = it.Next() {
		st.Branches = append(st.Branches, l.scope(b, fmt.Sprintf("%s/Branches/%d", ptr, i)))
		i++
	}
}

// mapProcessor lowers the Map's item processor scope.
func (l *lowerer) mapProcessor(st *fastpath.State, raw []byte, ptr string) {
	proc, procPtr := jsonb.ObjectGet(raw, "ItemProcessor"), ptr+"/ItemProcessor"
	if proc == nil {
		proc, procPtr = jsonb.ObjectGet(raw, "Iterator"), ptr+"/Iterator"
	}
	if proc == nil {
		panic(lowerFail(ptr, "These fields are required: [ItemProcessor]"))
	}
	if cfg := jsonb.ObjectGet(proc, "ProcessorConfig"); cfg != nil {
		st.Distributed = stringField(cfg, "Mode", procPtr+"/ProcessorConfig") == "DISTRIBUTED"
		st.ChildExpress = stringField(cfg, "ExecutionType", procPtr+"/ProcessorConfig") == "EXPRESS"
	}
	if r := jsonb.ObjectGet(raw, "ItemReader"); r != nil {
		st.Reader = readerSpec(r, ptr+"/ItemReader")
	}
	// Never ignore a field: a Map that batches or exports its results
	// and ran as a plain Map would answer something else than AWS.
	if w := jsonb.ObjectGet(raw, "ResultWriter"); w != nil {
		st.Writer = writerSpec(w, ptr+"/ResultWriter")
	}
	st.Label = stringField(raw, "Label", ptr)
	if b := jsonb.ObjectGet(raw, "ItemBatcher"); b != nil {
		st.Batcher = batcherLimits(b, ptr+"/ItemBatcher")
	}
	st.Processor = l.scope(proc, procPtr)
}

// task lowers a Task state's Resource.
func task(raw []byte, name, ptr string) *fastpath.Task {
	res := stringField(raw, "Resource", ptr)
	return &fastpath.Task{Resource: res, State: name, Pointer: ptr + "/Resource", Callback: fastpath.CallbackOf(res)}
}

func (l *lowerer) mapState(st *fastpath.State, raw []byte, ptr string) {
	l.mapProcessor(st, raw, ptr)
	st.ItemsPath = l.pathField(raw, "ItemsPath", ptr)
	st.ItemSelector = l.optTemplate(raw, "ItemSelector", ptr)
	if st.ItemSelector == nil {
		st.ItemSelector, st.Parameters = st.Parameters, nil
	}
	if v := jsonb.ObjectGet(raw, "MaxConcurrency"); v != nil {
		st.MaxConcurrency = int(intValue(v, ptr+"/MaxConcurrency"))
	}
	st.MaxConcurrencyPath = l.pathField(raw, "MaxConcurrencyPath", ptr)
	if v := jsonb.ObjectGet(raw, "ToleratedFailurePercentage"); v != nil {
		st.ToleratedPercent, st.HasToleratedPercent = numberValue(v, ptr+"/ToleratedFailurePercentage"), true
	}
	st.ToleratedPercentPath = l.pathField(raw, "ToleratedFailurePercentagePath", ptr)
	if v := jsonb.ObjectGet(raw, "ToleratedFailureCount"); v != nil {
		st.ToleratedCount, st.HasToleratedCount = int(intValue(v, ptr+"/ToleratedFailureCount")), true
	}
	st.ToleratedCountPath = l.pathField(raw, "ToleratedFailureCountPath", ptr)
	l.distributedPaths(st, raw, ptr)
}

func (l *lowerer) wait(st *fastpath.State, raw []byte, ptr string) {
	if v := jsonb.ObjectGet(raw, "Seconds"); v != nil {
		st.WaitSeconds = intValue(v, ptr+"/Seconds")
	}
	if ts, ok := optString(raw, "Timestamp", ptr); ok {
		ns, ok := fastpath.ParseTimestamp([]byte(ts))
		if !ok {
			panic(lowerFail(ptr+"/Timestamp", "String does not match RFC3339 timestamp"))
		}
		st.WaitTimestamp, st.WaitHasTimestamp = ns, true
	}
	st.WaitSecondsPath = l.pathField(raw, "SecondsPath", ptr)
	st.WaitTimestampPath = l.pathField(raw, "TimestampPath", ptr)
}

func (l *lowerer) choices(st *fastpath.State, raw []byte, ptr string, names map[string]int) {
	l.eachChoice(st, raw, ptr, names, func(r []byte, rptr string, next int) {
		rule := l.rule(r, rptr)
		rule.Next = next
		st.Choices = append(st.Choices, rule)
		st.ChoiceAssigns = append(st.ChoiceAssigns, l.assign(r, rptr))
	})
}

// eachChoice lowers a Choice state's Default and calls rule for each of
// its Choices with the rule, its JSON pointer and its Next state, in
// either query language.
func (l *lowerer) eachChoice(st *fastpath.State, raw []byte, ptr string, names map[string]int, rule func(r []byte, rptr string, next int)) {
	if d := stringField(raw, "Default", ptr+"/Default"); d != "" {
		st.Default = l.target(names, d, ptr+"/Default")
	}
	var it jsonb.ArrayIter
	it.Reset(jsonb.ObjectGet(raw, "Choices"))
	i := 0
	for r, ok := it.Next(); ok; r, ok = it.Next() {
		rptr := fmt.Sprintf("%s/Choices/%d", ptr, i)
		rule(r, rptr, l.target(names, stringField(r, "Next", rptr+"/Next"), rptr+"/Next"))
		i++
	}
}

// choiceMeta are the fields of a Choice rule that are not its operator.
var choiceMeta = map[string]bool{"Variable": true, "Next": true, "Assign": true, "Comment": true}

func (l *lowerer) rule(r []byte, ptr string) *fastpath.ChoiceRule {
	if v := jsonb.ObjectGet(r, "Not"); v != nil {
		return fastpath.NewNot(l.rule(v, ptr+"/Not"))
	}
	for _, op := range []string{"And", "Or"} {
		v := jsonb.ObjectGet(r, op)
		if v == nil {
			continue
		}
		var rules []*fastpath.ChoiceRule
		var it jsonb.ArrayIter
		it.Reset(v)
		i := 0
		for c, ok := it.Next(); ok; c, ok = it.Next() {
			rules = append(rules, l.rule(c, fmt.Sprintf("%s/%s/%d", ptr, op, i)))
			i++
		}
		if op == "And" {
			return fastpath.NewAnd(rules)
		}
		return fastpath.NewOr(rules)
	}
	variable := l.pathField(r, "Variable", ptr)
	var it jsonb.ObjectIter
	it.Reset(r)
	for k, v, ok := it.Next(); ok; k, v, ok = it.Next() {
		op := string(jsonb.AppendUnquoted(nil, k))
		if choiceMeta[op] {
			continue
		}
		rule, err := fastpath.NewComparison(variable, op, v)
		if err != nil {
			panic(lowerFail(ptr+"/"+op, "%s", err.Error()))
		}
		l.bind(rule.Paths())
		return rule
	}
	panic(lowerFail(ptr, "a Choice rule needs a comparison operator, And, Or or Not"))
}

func (l *lowerer) retriers(raw []byte, ptr string) []fastpath.Retrier {
	var out []fastpath.Retrier
	var it jsonb.ArrayIter
	it.Reset(jsonb.ObjectGet(raw, "Retry"))
	i := 0
	for r, ok := it.Next(); ok; r, ok = it.Next() {
		rptr := fmt.Sprintf("%s/Retry/%d", ptr, i)
		rt := fastpath.Retrier{Errors: errorSet(r, rptr), Interval: time.Second, MaxAttempts: 3, BackoffRate: 2}
		if v := jsonb.ObjectGet(r, "IntervalSeconds"); v != nil {
			rt.Interval = time.Duration(intValue(v, rptr+"/IntervalSeconds")) * time.Second
		}
		if v := jsonb.ObjectGet(r, "MaxAttempts"); v != nil {
			rt.MaxAttempts = int(intValue(v, rptr+"/MaxAttempts"))
		}
		if v := jsonb.ObjectGet(r, "BackoffRate"); v != nil {
			rt.BackoffRate = numberValue(v, rptr+"/BackoffRate")
		}
		if v := jsonb.ObjectGet(r, "MaxDelaySeconds"); v != nil {
			rt.MaxDelay = time.Duration(intValue(v, rptr+"/MaxDelaySeconds")) * time.Second
		}
		rt.FullJitter = stringField(r, "JitterStrategy", rptr+"/JitterStrategy") == "FULL"
		out = append(out, rt)
		i++
	}
	return out
}

func (l *lowerer) catchers(raw []byte, ptr string, names map[string]int) []fastpath.Catcher {
	var out []fastpath.Catcher
	var it jsonb.ArrayIter
	it.Reset(jsonb.ObjectGet(raw, "Catch"))
	i := 0
	for c, ok := it.Next(); ok; c, ok = it.Next() {
		cptr := fmt.Sprintf("%s/Catch/%d", ptr, i)
		ct := fastpath.Catcher{Errors: errorSet(c, cptr)}
		ct.Next = l.target(names, stringField(c, "Next", cptr+"/Next"), cptr+"/Next")
		ct.ResultPath, ct.ResultPathNull = l.optPath(c, "ResultPath", cptr)
		ct.Assign = l.assign(c, cptr)
		out = append(out, ct)
		i++
	}
	return out
}

func errorSet(raw []byte, ptr string) fastpath.ErrorSet {
	var s fastpath.ErrorSet
	var it jsonb.ArrayIter
	it.Reset(jsonb.ObjectGet(raw, "ErrorEquals"))
	for v, ok := it.Next(); ok; v, ok = it.Next() {
		name := stringValue(v, ptr+"/ErrorEquals")
		if name == fastpath.ErrALL {
			s.All = true
			continue
		}
		s.Names = append(s.Names, name)
	}
	return s
}

// assign lowers an Assign field; nil when there is none.
func (l *lowerer) assign(raw []byte, ptr string) *fastpath.Assign {
	v := jsonb.ObjectGet(raw, "Assign")
	if v == nil {
		return nil
	}
	a := &fastpath.Assign{}
	var it jsonb.ObjectIter
	it.Reset(v)
	for k, m, ok := it.Next(); ok; k, m, ok = it.Next() {
		key := string(jsonb.AppendUnquoted(nil, k))
		var t *fastpath.Template
		var err error
		if name, dynamic := strings.CutSuffix(key, ".$"); dynamic {
			key = name
			t, err = fastpath.NewExpression(key+".$", stringValue(m, ptr+"/Assign/"+escapePointer(key+".$")))
		} else {
			t, err = fastpath.NewTemplate(m)
		}
		if err != nil {
			panic(lowerFail(ptr+"/Assign", "%s", err.Error()))
		}
		l.bind(t.Paths())
		a.Slots = append(a.Slots, l.slot(key))
		a.Values = append(a.Values, t)
	}
	return a
}

// slot returns the variable's index, creating it on first use.
func (l *lowerer) slot(name string) int {
	if s, ok := l.slots[name]; ok {
		return s
	}
	s := len(l.prog.VarNames)
	l.slots[name] = s
	l.prog.VarNames = append(l.prog.VarNames, name)
	return s
}

// bind gives every variable path its slot.
func (l *lowerer) bind(paths []*fastpath.Path) {
	for _, p := range paths {
		if p.Root == fastpath.RootVar {
			p.VarSlot = l.slot(p.Var)
		}
	}
}

func (l *lowerer) optTemplate(raw []byte, field, ptr string) *fastpath.Template {
	v := jsonb.ObjectGet(raw, field)
	if v == nil {
		return nil
	}
	t, err := fastpath.NewTemplate(v)
	if err != nil {
		panic(lowerFail(ptr+"/"+field, "%s", err.Error()))
	}
	l.bind(t.Paths())
	return t
}

func (l *lowerer) expression(raw []byte, field, ptr string) *fastpath.Template {
	text, ok := optString(raw, field, ptr)
	if !ok {
		return nil
	}
	t, err := fastpath.NewExpression(field, text)
	if err != nil {
		panic(lowerFail(ptr+"/"+field, "%s", err.Error()))
	}
	l.bind(t.Paths())
	return t
}

// optPath lowers a path field that may also be null.
func (l *lowerer) optPath(raw []byte, field, ptr string) (*fastpath.Path, bool) {
	v := jsonb.ObjectGet(raw, field)
	if v == nil {
		return nil, false
	}
	if jsonb.KindOf(v) == jsonb.KindNull {
		return nil, true
	}
	return l.path(stringValue(v, ptr+"/"+field), ptr+"/"+field), false
}

func (l *lowerer) pathField(raw []byte, field, ptr string) *fastpath.Path {
	text, ok := optString(raw, field, ptr)
	if !ok {
		return nil
	}
	return l.path(text, ptr+"/"+field)
}

func (l *lowerer) path(text, ptr string) *fastpath.Path {
	p, err := fastpath.ParsePath(text)
	if err != nil {
		panic(lowerFail(ptr, "%s", err.Error()))
	}
	l.bind([]*fastpath.Path{p})
	return p
}

func stringField(raw []byte, field, ptr string) string {
	s, _ := optString(raw, field, ptr)
	return s
}

func optString(raw []byte, field, ptr string) (string, bool) {
	v := jsonb.ObjectGet(raw, field)
	if v == nil {
		return "", false
	}
	return stringValue(v, ptr+"/"+field), true
}

func stringValue(v []byte, ptr string) string {
	var s string
	if err := json.Unmarshal(v, &s); err != nil {
		panic(lowerFail(ptr, "expected a string"))
	}
	return s
}

func numberValue(v []byte, ptr string) float64 {
	f, ok := jsonb.ParseNumber(v)
	if !ok || jsonb.KindOf(v) != jsonb.KindNumber {
		panic(lowerFail(ptr, "expected a number"))
	}
	return f
}

func intValue(v []byte, ptr string) int64 {
	f := numberValue(v, ptr)
	if f != math.Trunc(f) || math.Abs(f) > 1<<53 {
		panic(lowerFail(ptr, "expected an integer"))
	}
	return int64(f)
}

// escapePointer escapes a key for a JSON pointer (RFC 6901).
func escapePointer(s string) string {
	return strings.NewReplacer("~", "~0", "/", "~1").Replace(s)
}
