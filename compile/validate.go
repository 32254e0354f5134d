package compile

import (
	"sort"
	"strconv"
	"strings"

	"github.com/goccy/go-json"

	"github.com/stepd/stepd/fastpath/jsonb"
)

// Validate checks an ASL definition as AWS Step Functions does at
// CreateStateMachine / ValidateStateMachineDefinition for a state machine of
// type typ, and returns every problem found, sorted by location (stable, so
// problems at one place keep the order they were found in). nil means the
// definition is valid. Validate never panics on any input and is safe for
// concurrent use.
func Validate(definition []byte, typ MachineType) []Diagnostic {
	v := validator{typ: typ}
	v.run(definition)
	if len(v.diags) == 0 {
		return nil
	}
	sort.SliceStable(v.diags, func(i, j int) bool { return v.diags[i].Location < v.diags[j].Location })
	return v.diags
}

// validator collects the diagnostics of one definition.
type validator struct {
	typ   MachineType
	diags []Diagnostic
	// names maps every state name of the machine (all scopes) to the
	// location of its first definition, for DUPLICATE_STATE_NAME.
	names map[string]string
	// exprs are the JSONata expressions that compiled, with their
	// locations, and assigned every variable name an Assign sets anywhere
	// in the machine, for the checks that need the whole machine
	// (checkJSONataRefs).
	exprs    []jsonataUse
	assigned map[string]bool
}

// warn records a problem that does not stop the machine from being
// created.
func (v *validator) warn(code, loc, msg string) {
	v.diags = append(v.diags, Diagnostic{Severity: SeverityWarning, Code: code, Message: msg, Location: loc})
}

func (v *validator) add(code, loc, msg string) {
	v.diags = append(v.diags, Diagnostic{Severity: SeverityError, Code: code, Message: msg, Location: loc})
}

func (v *validator) schema(loc, msg string) { v.add(codeSchema, loc, msg) }

// node is a parsed JSON value that keeps object member order and repeated
// keys, which a map would lose.
type node struct {
	kind  jsonb.Kind
	raw   []byte // compact JSON text of the value
	str   string // decoded text when kind is KindString
	keys  []string
	vals  []*node
	elems []*node
}

// get returns the first member named name of an object node, or nil.
func (n *node) get(name string) *node {
	if n == nil || n.kind != jsonb.KindObject {
		return nil
	}
	for i, k := range n.keys {
		if k == name {
			return n.vals[i]
		}
	}
	return nil
}

func (n *node) has(name string) bool { return n.get(name) != nil }

func (n *node) isString() bool { return n != nil && n.kind == jsonb.KindString }
func (n *node) isObject() bool { return n != nil && n.kind == jsonb.KindObject }
func (n *node) isArray() bool  { return n != nil && n.kind == jsonb.KindArray }
func (n *node) isNull() bool   { return n != nil && n.kind == jsonb.KindNull }
func (n *node) isBool() bool   { return n != nil && n.kind == jsonb.KindBool }
func (n *node) isTrue() bool   { return n.isBool() && n.raw[0] == 't' }
func (n *node) isNumber() bool { return n != nil && n.kind == jsonb.KindNumber }

// integer reports the value of an integral number node (1, 1.0, 1e2).
func (n *node) integer() (int64, bool) {
	if !n.isNumber() {
		return 0, false
	}
	if i, err := strconv.ParseInt(string(n.raw), 10, 64); err == nil {
		return i, true
	}
	f, err := strconv.ParseFloat(string(n.raw), 64)
	if err != nil || f != float64(int64(f)) {
		return 0, false
	}
	return int64(f), true
}

func (n *node) float() (float64, bool) {
	if !n.isNumber() {
		return 0, false
	}
	f, err := strconv.ParseFloat(string(n.raw), 64)
	return f, err == nil
}

// build turns compact JSON text into a node tree.
func build(raw []byte) *node {
	n := &node{kind: jsonb.KindOf(raw), raw: raw}
	switch n.kind {
	case jsonb.KindString:
		if err := json.Unmarshal(raw, &n.str); err != nil {
			n.str = string(jsonb.AppendUnquoted(nil, raw))
		}
	case jsonb.KindObject:
		var it jsonb.ObjectIter
		it.Reset(raw)
		for k, val, ok := it.Next(); ok; k, val, ok = it.Next() {
			n.keys = append(n.keys, string(jsonb.AppendUnquoted(nil, k)))
			n.vals = append(n.vals, build(val))
		}
	case jsonb.KindArray:
		var it jsonb.ArrayIter
		it.Reset(raw)
		for e, ok := it.Next(); ok; e, ok = it.Next() {
			n.elems = append(n.elems, build(e))
		}
	}
	return n
}

// ptr appends a member name to a JSON pointer. AWS writes names as they
// are, without RFC 6901 escaping ("/States/a/b" for state "a/b").
func ptr(base, name string) string { return base + "/" + name }

// idx appends an array index the way AWS writes it: "/Branches[0]".
func idx(base string, i int) string { return base + "[" + strconv.Itoa(i) + "]" }

func (v *validator) run(def []byte) {
	if len(strings.TrimSpace(string(def))) == 0 {
		v.add(codeSchema, "", "Definition must be a valid JSON object")
		return
	}
	compact, err := jsonb.Compact(nil, def, jsonb.MaxDepth)
	if err != nil {
		v.jsonError(def, err)
		return
	}
	root := build(compact)
	if !root.isObject() {
		v.add(codeSchema, "", "Definition must be a valid JSON object")
		return
	}
	v.names = map[string]string{}
	v.assigned = map[string]bool{}
	v.machine(root)
	v.checkJSONataRefs()
}

// queryLanguage is the effective query language of a state.
type queryLanguage uint8

const (
	jsonPath queryLanguage = iota
	jsonata
)

// langOf resolves a QueryLanguage field as AWS does: absent inherits, exactly
// "JSONPath" is JSONPath, anything else (even "jsonpath" or 5) is JSONata.
// Bad values are reported at the field.
func (v *validator) langOf(n *node, loc string, inherited queryLanguage) queryLanguage {
	ql := n.get("QueryLanguage")
	if ql == nil {
		return inherited
	}
	switch {
	case !ql.isString():
		v.schema(ptr(loc, "QueryLanguage"), "Expected value of type [STRING]")
	case ql.str == "JSONPath":
		return jsonPath
	case ql.str != "JSONata":
		v.schema(ptr(loc, "QueryLanguage"), "Value should be one of the following: [JSONPath, JSONata]")
	}
	return jsonata
}

var topFields = fieldSet("Comment", "StartAt", "States", "TimeoutSeconds", "Version", "QueryLanguage")

func (v *validator) machine(root *node) {
	var missing []string
	if root.get("States") == nil {
		missing = append(missing, "States")
	}
	if root.get("StartAt") == nil {
		missing = append(missing, "StartAt")
	}
	if len(missing) > 0 {
		v.schema("/", "These fields are required: ["+strings.Join(missing, ", ")+"]")
	}
	v.unsupported(root, "/", topFields)
	lang := v.langOf(root, "", jsonPath)
	if ts := root.get("TimeoutSeconds"); ts != nil {
		v.positiveInt(ts, "/TimeoutSeconds", 1)
	}
	if c := root.get("Comment"); c != nil && !c.isString() {
		v.schema("/Comment", "Expected value of type [STRING]")
	}
	if ver := root.get("Version"); ver != nil && !ver.isString() {
		v.schema("/Version", "Expected value of type [STRING]")
	}
	if len(missing) > 0 {
		// Without both AWS stops at the schema: no graph to check.
		if st := root.get("States"); st.isObject() {
			v.states(st, "/States", lang, lang == jsonata)
		}
		return
	}
	v.scope(root, "", lang, lang == jsonata, true)
}

// scope checks one StartAt/States container: the top level, a Parallel
// branch or a Map's ItemProcessor/Iterator. States in a scope may only name
// states of the same scope as their Next.
func (v *validator) scope(n *node, loc string, lang queryLanguage, topJSONata, top bool) {
	startAt, states := n.get("StartAt"), n.get("States")
	if !startAt.isString() {
		v.schema(ptr(loc, "StartAt"), "Expected value of type [STRING]")
	}
	if !states.isObject() {
		v.schema(ptr(loc, "States"), "Expected value of type [OBJECT]")
		return
	}
	v.states(states, ptr(loc, "States"), lang, topJSONata)

	// Transitions and reachability.
	index := map[string]int{}
	for i, name := range states.keys {
		if _, dup := index[name]; !dup {
			index[name] = i
		}
	}
	target := func(name *node, at string) (int, bool) {
		if !name.isString() {
			return 0, false
		}
		i, ok := index[name.str]
		if !ok {
			v.add(codeMissingTarget, at, "Missing 'Next' target: "+name.str)
		}
		return i, ok
	}
	edges := make([][]int, len(states.keys))
	terminal := false
	for i, name := range states.keys {
		st := states.vals[i]
		if !st.isObject() {
			continue
		}
		sloc := ptr(ptr(loc, "States"), name)
		if t, ok := target(st.get("Next"), ptr(sloc, "Next")); ok {
			edges[i] = append(edges[i], t)
		}
		if end := st.get("End"); end.isTrue() {
			terminal = true
		}
		typ := st.get("Type")
		if typ.isString() && (typ.str == "Succeed" || typ.str == "Fail") {
			terminal = true
		}
		if typ.isString() && typ.str == "Choice" {
			if t, ok := target(st.get("Default"), ptr(sloc, "Default")); ok {
				edges[i] = append(edges[i], t)
			}
			if ch := st.get("Choices"); ch.isArray() {
				for j, r := range ch.elems {
					if t, ok := target(r.get("Next"), ptr(idx(ptr(sloc, "Choices"), j), "Next")); ok {
						edges[i] = append(edges[i], t)
					}
				}
			}
		}
		if c := st.get("Catch"); c.isArray() {
			for j, r := range c.elems {
				if t, ok := target(r.get("Next"), ptr(idx(ptr(sloc, "Catch"), j), "Next")); ok {
					edges[i] = append(edges[i], t)
				}
			}
		}
	}
	start, ok := 0, false
	if startAt.isString() {
		start, ok = target(startAt, ptr(loc, "StartAt"))
	}
	if top && !terminal {
		v.add(codeMissingEnd, "", "Workflow has no terminal state")
		return
	}
	seen := make([]bool, len(states.keys))
	if ok {
		stack := []int{start}
		seen[start] = true
		for len(stack) > 0 {
			s := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			for _, t := range edges[s] {
				if !seen[t] {
					seen[t] = true
					stack = append(stack, t)
				}
			}
		}
	}
	for i, name := range states.keys {
		if !seen[i] && index[name] == i {
			v.add(codeMissingTarget, ptr(ptr(loc, "States"), name), "State \""+name+"\" is not reachable.")
		}
	}
}

// states checks each state of a States object.
func (v *validator) states(states *node, loc string, lang queryLanguage, topJSONata bool) {
	if len(states.keys) == 0 {
		// Unconfirmed wording: AWS's schema requires at least one state.
		v.schema(loc, "The field 'States' should be non-empty")
	}
	seen := map[string]bool{}
	for i, name := range states.keys {
		sloc := ptr(loc, name)
		if seen[name] {
			v.add(codeDuplicateState, sloc, "Duplicate State name: "+name)
			continue
		}
		seen[name] = true
		// State names are unique across the whole machine, nested scopes
		// included (ASL spec); the later one is reported.
		if _, dup := v.names[name]; dup {
			v.add(codeDuplicateState, sloc, "Duplicate State name: "+name)
		} else {
			v.names[name] = sloc
		}
		if len(name) > 80 {
			// Unconfirmed wording; AWS lists the code INVALID_STATE_NAME for this.
			v.add(codeInvalidStateName, sloc, "State name must be at most 80 characters long")
		}
		v.state(states.vals[i], sloc, lang, topJSONata)
	}
}

// unsupported reports every member of obj whose name is not in allowed.
func (v *validator) unsupported(obj *node, loc string, allowed map[string]bool) {
	for _, k := range obj.keys {
		if !allowed[k] {
			v.schema(loc, "Field '"+k+"' is not supported")
		}
	}
}

func fieldSet(names ...string) map[string]bool {
	m := make(map[string]bool, len(names))
	for _, n := range names {
		m[n] = true
	}
	return m
}
