package compile

import (
	"github.com/stepd/stepd/fastpath"
	"github.com/stepd/stepd/fastpath/jsonb"
)

// TestStateName is the name of a state that TestState tests on its own:
// AWS runs it as the only state of a machine and names it so in the
// context object ($$.State.Name).
const TestStateName = "StateName"

// CompileForTest compiles a whole state machine for TestState: as Compile
// does, except that a Map state's ItemReader is accepted, since the test
// supplies the items (a mock, or mapItemReaderData), and that the
// variables vars exist (with slots in Program.VarNames) though nothing
// assigns them, since the test sets them.
func CompileForTest(definition []byte, typ MachineType, vars []string) (*fastpath.Program, error) {
	return compileDefinition(definition, typ, &testConfig{vars: vars})
}

// CompileState compiles one state's definition (a JSON object, as
// TestState takes it) for TestState. The state becomes TestStateName in a
// machine of its own, beside a Succeed state for each state it names as
// Next, Default or a rule's or Catcher's Next, so that its transitions
// validate; it returns the program and the state's index. Diagnostics
// locate problems under /States/StateName, as AWS's do. vars are as for
// CompileForTest.
func CompileState(state []byte, typ MachineType, vars []string) (*fastpath.Program, int, error) {
	def := []byte(`{"StartAt":"` + TestStateName + `","States":{"` + TestStateName + `":`)
	def = append(def, state...)
	if compact, err := jsonb.Compact(nil, state, jsonb.MaxDepth); err == nil && jsonb.KindOf(compact) == jsonb.KindObject {
		for _, name := range transitionTargets(compact) {
			def = append(def, ',')
			def = jsonb.AppendQuotedString(def, name)
			def = append(def, `:{"Type":"Succeed"}`...)
		}
	}
	def = append(def, "}}"...)
	prog, err := CompileForTest(def, typ, vars)
	if err != nil {
		return nil, 0, err
	}
	idx, _ := prog.StateIndex(TestStateName)
	return prog, idx, nil
}

// transitionTargets lists, once each, the state names other than
// TestStateName that the compact state object st transitions to.
func transitionTargets(st []byte) []string {
	var names []string
	add := func(v []byte) {
		if jsonb.KindOf(v) != jsonb.KindString {
			return
		}
		name := string(jsonb.AppendUnquoted(nil, v))
		if name == TestStateName {
			return
		}
		for _, n := range names {
			if n == name {
				return
			}
		}
		names = append(names, name)
	}
	add(jsonb.ObjectGet(st, "Next"))
	add(jsonb.ObjectGet(st, "Default"))
	for _, list := range []string{"Choices", "Catch"} {
		var it jsonb.ArrayIter
		it.Reset(jsonb.ObjectGet(st, list))
		for v, ok := it.Next(); ok; v, ok = it.Next() {
			if jsonb.KindOf(v) == jsonb.KindObject {
				add(jsonb.ObjectGet(v, "Next"))
			}
		}
	}
	return names
}
