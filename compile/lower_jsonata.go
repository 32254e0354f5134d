package compile

import (
	"fmt"
	"time"

	"github.com/stepd/stepd/fastpath"
	"github.com/stepd/stepd/fastpath/jsonb"
)

// isJSONata reports whether the state raw runs in JSONata: its own
// QueryLanguage, or else the machine's (nested scopes inherit the
// machine's language, not their parent state's).
func (l *lowerer) stateIsJSONata(raw []byte, ptr string) bool {
	if ql, ok := optString(raw, "QueryLanguage", ptr); ok {
		return ql == "JSONata"
	}
	return l.jsonata
}

// queryVars remembers which variables a JSONata state's expressions
// mention; they get their slots once every Assign is known (resolveVars).
type queryVars struct {
	js    *fastpath.JSONata
	names []string
}

// query compiles a JSONata-mode field value; nil when the field is absent.
func (l *lowerer) query(raw []byte, field, ptr string, js *fastpath.JSONata) *fastpath.Query {
	v := jsonb.ObjectGet(raw, field)
	if v == nil {
		return nil
	}
	return l.queryValue(v, field, ptr+"/"+field, js)
}

func (l *lowerer) queryValue(v []byte, field, ptr string, js *fastpath.JSONata) *fastpath.Query {
	q, err := fastpath.NewQuery(v, field)
	if err != nil {
		panic(lowerFail(ptr, "%s", err.Error()))
	}
	if _, lit := q.Literal(); !lit {
		l.vars = append(l.vars, queryVars{js, q.Variables()})
		js.UsesContext = js.UsesContext || q.UsesContext()
		js.UsesStatesObject = js.UsesStatesObject || q.UsesStatesObject()
	}
	return q
}

// exprField compiles a field that is a number or string literal in the
// state (lowered by the caller) or a {% %} expression; nil unless the
// latter.
func (l *lowerer) exprField(raw []byte, field, ptr string, js *fastpath.JSONata) *fastpath.Query {
	v := jsonb.ObjectGet(raw, field)
	if v == nil || jsonb.KindOf(v) != jsonb.KindString {
		return nil
	}
	if !fastpath.IsExpression(stringValue(v, ptr+"/"+field)) {
		return nil
	}
	return l.queryValue(v, field, ptr+"/"+field, js)
}

func (l *lowerer) queryAssign(raw []byte, ptr string, js *fastpath.JSONata) *fastpath.QueryAssign {
	v := jsonb.ObjectGet(raw, "Assign")
	if v == nil {
		return nil
	}
	if jsonb.KindOf(v) != jsonb.KindObject {
		panic(lowerFail(ptr+"/Assign", "an Assign that is one expression is not supported by this version of stepd"))
	}
	a := &fastpath.QueryAssign{}
	var it jsonb.ObjectIter
	it.Reset(v)
	for k, m, ok := it.Next(); ok; k, m, ok = it.Next() {
		name := string(jsonb.AppendUnquoted(nil, k))
		a.Slots = append(a.Slots, l.slot(name))
		a.Values = append(a.Values, l.queryValue(m, "Assign/"+name, ptr+"/Assign/"+escapePointer(name), js))
	}
	return a
}

// queryState lowers the fields of a JSONata state. Next, Retry, Catch,
// Branches and the Map's processor are lowered by state as for JSONPath.
func (l *lowerer) queryState(st *fastpath.State, raw []byte, ptr string, names map[string]int) {
	js := &fastpath.JSONata{}
	st.JSONata = js
	js.Output = l.query(raw, "Output", ptr, js)
	js.Assign = l.queryAssign(raw, ptr, js)
	for i := range st.Catch {
		c := jsonb.ObjectGet(raw, "Catch")
		cr := jsonb.ArrayIndex(c, i)
		cptr := fmt.Sprintf("%s/Catch/%d", ptr, i)
		st.Catch[i].Assign, st.Catch[i].ResultPath = nil, nil
		js.CatchOutputs = append(js.CatchOutputs, l.query(cr, "Output", cptr, js))
		js.CatchAssigns = append(js.CatchAssigns, l.queryAssign(cr, cptr, js))
	}
	switch st.Kind {
	case fastpath.StateTask:
		js.Arguments = l.query(raw, "Arguments", ptr, js)
		js.Timeout = l.exprField(raw, "TimeoutSeconds", ptr, js)
		js.Heartbeat = l.exprField(raw, "HeartbeatSeconds", ptr, js)
	case fastpath.StateParallel:
		js.Arguments = l.query(raw, "Arguments", ptr, js)
	case fastpath.StateMap:
		js.Items = l.query(raw, "Items", ptr, js)
		js.ItemSelector = l.query(raw, "ItemSelector", ptr, js)
		js.MaxConcurrency = l.exprField(raw, "MaxConcurrency", ptr, js)
		js.ToleratedCount = l.exprField(raw, "ToleratedFailureCount", ptr, js)
		js.ToleratedPercent = l.exprField(raw, "ToleratedFailurePercentage", ptr, js)
		l.distributedQueries(js, raw, ptr)
	case fastpath.StateWait:
		js.Seconds = l.exprField(raw, "Seconds", ptr, js)
		js.Timestamp = l.exprField(raw, "Timestamp", ptr, js)
	case fastpath.StateFail:
		js.Error = l.exprField(raw, "Error", ptr, js)
		js.Cause = l.exprField(raw, "Cause", ptr, js)
	case fastpath.StateChoice:
		l.queryChoices(st, js, raw, ptr, names)
	}
}

func (l *lowerer) queryChoices(st *fastpath.State, js *fastpath.JSONata, raw []byte, ptr string, names map[string]int) {
	l.eachChoice(st, raw, ptr, names, func(r []byte, rptr string, next int) {
		cond := l.query(r, "Condition", rptr, js)
		if cond == nil {
			panic(lowerFail(rptr, "These fields are required: [Condition]"))
		}
		js.Conditions = append(js.Conditions, cond)
		js.RuleNexts = append(js.RuleNexts, next)
		js.RuleOutputs = append(js.RuleOutputs, l.query(r, "Output", rptr, js))
		js.RuleAssigns = append(js.RuleAssigns, l.queryAssign(r, rptr, js))
	})
}

// queryNumbers lowers the numeric fields of a JSONata state that are
// plain numbers (expressions are lowered by queryState).
func (l *lowerer) queryNumbers(st *fastpath.State, raw []byte, ptr string) {
	num := func(field string) ([]byte, bool) {
		v := jsonb.ObjectGet(raw, field)
		return v, v != nil && jsonb.KindOf(v) == jsonb.KindNumber
	}
	if v, ok := num("TimeoutSeconds"); ok && st.Kind == fastpath.StateTask {
		st.TaskTimeout = time.Duration(intValue(v, ptr+"/TimeoutSeconds")) * time.Second
	}
	if v, ok := num("HeartbeatSeconds"); ok && st.Kind == fastpath.StateTask {
		st.Heartbeat = time.Duration(intValue(v, ptr+"/HeartbeatSeconds")) * time.Second
	}
	if st.Kind == fastpath.StateWait {
		if v, ok := num("Seconds"); ok {
			st.WaitSeconds = intValue(v, ptr+"/Seconds")
		}
		if ts, ok := optString(raw, "Timestamp", ptr); ok && !fastpath.IsExpression(ts) {
			ns, ok := fastpath.ParseTimestamp([]byte(ts))
			if !ok {
				panic(lowerFail(ptr+"/Timestamp", "String does not match RFC3339 timestamp"))
			}
			st.WaitTimestamp, st.WaitHasTimestamp = ns, true
		}
	}
	if st.Kind == fastpath.StateFail {
		if s, ok := optString(raw, "Error", ptr); ok && !fastpath.IsExpression(s) {
			st.Error, st.HasError = s, true
		}
		if s, ok := optString(raw, "Cause", ptr); ok && !fastpath.IsExpression(s) {
			st.Cause, st.HasCause = s, true
		}
	}
	if st.Kind == fastpath.StateMap {
		if v, ok := num("MaxConcurrency"); ok {
			st.MaxConcurrency = int(intValue(v, ptr+"/MaxConcurrency"))
		}
		if v, ok := num("ToleratedFailurePercentage"); ok {
			st.ToleratedPercent, st.HasToleratedPercent = numberValue(v, ptr+"/ToleratedFailurePercentage"), true
		}
		if v, ok := num("ToleratedFailureCount"); ok {
			st.ToleratedCount, st.HasToleratedCount = int(intValue(v, ptr+"/ToleratedFailureCount")), true
		}
	}
}

// resolveVars gives each JSONata state the slots of the variables its
// expressions mention. Names that no Assign sets (JSONata's own bindings,
// function names) get none.
func (l *lowerer) resolveVars() {
	for _, qv := range l.vars {
		js := qv.js
	names:
		for _, name := range qv.names {
			slot, ok := l.slots[name]
			if !ok || name == "states" {
				continue
			}
			for _, s := range js.VarSlots {
				if s == slot {
					continue names
				}
			}
			js.VarSlots = append(js.VarSlots, slot)
			js.VarNames = append(js.VarNames, name)
		}
	}
}
