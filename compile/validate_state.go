package compile

import "strings"

// Fields each state type accepts, in either query language. A field outside
// its type's set is "Field 'X' is not supported"; a field of the set that
// belongs to the other query language gets the QueryLanguage message.
var stateFields = map[string]map[string]bool{
	"Pass": fieldSet("Type", "Comment", "QueryLanguage", "Next", "End", "InputPath", "OutputPath",
		"ResultPath", "Parameters", "Result", "Assign", "Output"),
	"Task": fieldSet("Type", "Comment", "QueryLanguage", "Next", "End", "InputPath", "OutputPath",
		"ResultPath", "Parameters", "ResultSelector", "Resource", "TimeoutSeconds", "TimeoutSecondsPath",
		"HeartbeatSeconds", "HeartbeatSecondsPath", "Retry", "Catch", "Credentials", "Assign",
		"Arguments", "Output"),
	"Choice": fieldSet("Type", "Comment", "QueryLanguage", "Choices", "Default", "InputPath",
		"OutputPath", "Assign", "Output"),
	"Wait": fieldSet("Type", "Comment", "QueryLanguage", "Next", "End", "InputPath", "OutputPath",
		"Seconds", "SecondsPath", "Timestamp", "TimestampPath", "Assign", "Output"),
	"Succeed": fieldSet("Type", "Comment", "QueryLanguage", "InputPath", "OutputPath", "Output"),
	"Fail": fieldSet("Type", "Comment", "QueryLanguage", "Error", "ErrorPath", "Cause",
		"CausePath"),
	"Parallel": fieldSet("Type", "Comment", "QueryLanguage", "Next", "End", "InputPath",
		"OutputPath", "ResultPath", "Parameters", "ResultSelector", "Branches", "Retry", "Catch",
		"Assign", "Arguments", "Output"),
	"Map": fieldSet("Type", "Comment", "QueryLanguage", "Next", "End", "InputPath", "OutputPath",
		"ResultPath", "Parameters", "ResultSelector", "ItemsPath", "Items", "ItemSelector",
		"ItemProcessor", "Iterator", "MaxConcurrency", "MaxConcurrencyPath", "ItemReader",
		"ResultWriter", "ItemBatcher", "ToleratedFailurePercentage", "ToleratedFailurePercentagePath",
		"ToleratedFailureCount", "ToleratedFailureCountPath", "Label", "Retry", "Catch", "Assign",
		"Arguments", "Output"),
}

// stateTypes lists the types in AWS's enum order for the message.
const stateTypes = "[Pass, Task, Choice, Wait, Succeed, Fail, Parallel, Map]"

// jsonPathOnly and jsonataOnly are the fields of one query language.
var (
	jsonPathOnly = fieldSet("InputPath", "OutputPath", "ResultPath", "Parameters", "ResultSelector",
		"Result", "ItemsPath", "TimeoutSecondsPath", "HeartbeatSecondsPath", "SecondsPath",
		"TimestampPath", "ErrorPath", "CausePath", "MaxConcurrencyPath", "ToleratedFailurePercentagePath",
		"ToleratedFailureCountPath")
	jsonataOnly = fieldSet("Arguments", "Output", "Items")
)

func (v *validator) state(st *node, loc string, parent queryLanguage, topJSONata bool) {
	if !st.isObject() {
		v.schema(loc, "Expected value of type [OBJECT]")
		return
	}
	typ := st.get("Type")
	if typ == nil {
		v.schema(loc, "These fields are required: [Type]")
		return
	}
	if !typ.isString() {
		v.schema(ptr(loc, "Type"), "Expected value of type [STRING]")
		return
	}
	allowed, ok := stateFields[typ.str]
	if !ok {
		v.schema(ptr(loc, "Type"), "Value should be one of the following: "+stateTypes)
		return
	}
	lang := v.langOf(st, loc, parent)
	downgraded := false
	if ql := st.get("QueryLanguage"); topJSONata && ql.isString() && ql.str == "JSONPath" {
		v.schema(loc, "'QueryLanguage' can not be 'JSONPath' if set to 'JSONata' for whole state machine")
		downgraded = true
	}
	for _, k := range st.keys {
		switch {
		case !allowed[k]:
			v.schema(loc, "Field '"+k+"' is not supported")
		case downgraded:
		case lang == jsonPath && jsonataOnly[k]:
			v.schema(loc, "The QueryLanguage is set to 'JSONPath', but field '"+k+"' is only supported for the 'JSONata' QueryLanguage")
		case lang == jsonata && jsonPathOnly[k]:
			v.schema(loc, "The QueryLanguage is set to 'JSONata', but field '"+k+"' is only supported for the 'JSONPath' QueryLanguage")
		}
	}
	if c := st.get("Comment"); c != nil && !c.isString() {
		v.schema(ptr(loc, "Comment"), "Expected value of type [STRING]")
	}

	// Transitions: Choice, Succeed and Fail have none of their own.
	switch typ.str {
	case "Choice", "Succeed", "Fail":
	default:
		v.transition(st, loc)
	}

	// Fields common to several types.
	for _, f := range []string{"InputPath", "OutputPath"} {
		if p := st.get(f); p != nil && lang == jsonPath {
			v.pathField(p, ptr(loc, f), f, true, false)
		}
	}
	if p := st.get("ResultPath"); p != nil && lang == jsonPath {
		v.pathField(p, ptr(loc, "ResultPath"), "ResultPath", true, true)
	}
	for _, f := range []string{"Parameters", "ResultSelector", "ItemSelector"} {
		if p := st.get(f); p != nil && lang == jsonPath {
			if !p.isObject() {
				v.schema(ptr(loc, f), "Expected value of type [OBJECT]")
			} else {
				v.template(p, ptr(loc, f))
			}
		}
	}
	if a := st.get("Assign"); a != nil {
		v.assign(a, ptr(loc, "Assign"), lang)
	}
	if lang == jsonata {
		for _, f := range []string{"Arguments", "Output", "ItemSelector"} {
			if a := st.get(f); a != nil {
				v.jsonataValue(a, ptr(loc, f))
			}
		}
	}

	switch typ.str {
	case "Task":
		v.task(st, loc, lang)
	case "Choice":
		v.choice(st, loc, lang)
	case "Wait":
		v.wait(st, loc, lang)
	case "Fail":
		v.fail(st, loc, lang)
	case "Parallel":
		v.parallel(st, loc, lang, topJSONata)
	case "Map":
		v.mapState(st, loc, lang, topJSONata)
	}
	if r := st.get("Retry"); r != nil && allowed["Retry"] {
		v.retry(r, ptr(loc, "Retry"))
	}
	if c := st.get("Catch"); c != nil && allowed["Catch"] {
		v.catch(c, ptr(loc, "Catch"), lang)
	}
}

// transition checks that a non-terminal state has exactly one of Next and
// End: true. The wordings are unconfirmed: AWS's schema reports these as
// SCHEMA_VALIDATION_FAILED at the state.
func (v *validator) transition(st *node, loc string) {
	next, end := st.get("Next"), st.get("End")
	if next != nil && !next.isString() {
		v.schema(ptr(loc, "Next"), "Expected value of type [STRING]")
	}
	if end != nil && !end.isBool() {
		v.schema(ptr(loc, "End"), "Expected value of type [BOOLEAN]")
	}
	isEnd := end.isTrue()
	switch {
	case next != nil && isEnd:
		v.schema(loc, "Only one of 'Next' or 'End' may be set")
	case next == nil && !isEnd:
		v.schema(loc, "These fields are required: [Next] or 'End' must be true")
	}
}

func (v *validator) task(st *node, loc string, lang queryLanguage) {
	res := st.get("Resource")
	switch {
	case res == nil:
		v.schema(loc, "These fields are required: [Resource]")
	case !res.isString():
		v.schema(ptr(loc, "Resource"), "Expected value of type [STRING]")
	default:
		v.resource(res.str, ptr(loc, "Resource"))
	}
	v.secondsPair(st, loc, "TimeoutSeconds", lang, 1)
	v.secondsPair(st, loc, "HeartbeatSeconds", lang, 1)
	if c := st.get("Credentials"); c != nil {
		cl := ptr(loc, "Credentials")
		switch {
		case !c.isObject():
			v.schema(cl, "Expected value of type [OBJECT]")
		case !c.has("RoleArn") && !c.has("RoleArn.$"):
			v.schema(cl, "The field 'RoleArn' is required but was missing")
		default:
			if lang == jsonPath {
				v.template(c, cl)
			}
			// stepd calls every service with the node's own credentials:
			// running the Task without the role it names would look right
			// and act as someone else.
			v.schema(cl, "Field 'Credentials' is not supported by stepd: it does not assume the role in 'RoleArn'; remove it to call with the node's own credentials")
		}
	}
}

// secondsPair checks X and XPath (TimeoutSeconds, HeartbeatSeconds): at
// most one of them, X a positive integer (or a JSONata expression), XPath a
// valid path.
func (v *validator) secondsPair(st *node, loc, f string, lang queryLanguage, min int64) {
	n, p := st.get(f), st.get(f+"Path")
	if n != nil && p != nil {
		// Unconfirmed wording.
		v.schema(loc, "Only one of '"+f+"' or '"+f+"Path' may be set")
	}
	if n != nil {
		if lang == jsonata && isJSONata(n) {
			v.jsonataString(n.str, ptr(loc, f))
		} else {
			v.positiveInt(n, ptr(loc, f), min)
		}
	}
	if p != nil && lang == jsonPath {
		v.pathField(p, ptr(loc, f+"Path"), f+"Path", false, false)
	}
}

// positiveInt checks an integer field against its minimum; AWS words range
// errors "Minimum value is N".
func (v *validator) positiveInt(n *node, loc string, min int64) {
	i, ok := n.integer()
	if !ok {
		v.schema(loc, "Expected value of type [INTEGER]")
		return
	}
	if i < min {
		v.schema(loc, "Minimum value is "+itoa(min))
	}
	if i > 99999999 {
		v.schema(loc, "Maximum value is 99999999")
	}
}

func (v *validator) wait(st *node, loc string, lang queryLanguage) {
	count := 0
	for _, f := range []string{"Seconds", "Timestamp", "SecondsPath", "TimestampPath"} {
		if st.has(f) {
			count++
		}
	}
	if count != 1 {
		// Unconfirmed wording.
		v.schema(loc, "Exactly one of these fields is required: [Seconds, Timestamp, SecondsPath, TimestampPath]")
	}
	if s := st.get("Seconds"); s != nil {
		if lang == jsonata && isJSONata(s) {
			v.jsonataString(s.str, ptr(loc, "Seconds"))
		} else {
			v.positiveInt(s, ptr(loc, "Seconds"), 0)
		}
	}
	if t := st.get("Timestamp"); t != nil {
		switch {
		case lang == jsonata && isJSONata(t):
			v.jsonataString(t.str, ptr(loc, "Timestamp"))
		case !t.isString():
			v.schema(ptr(loc, "Timestamp"), "Expected value of type [STRING]")
		case !validTimestamp(t.str):
			v.schema(ptr(loc, "Timestamp"), "String does not match RFC3339 timestamp")
		}
	}
	if lang == jsonPath {
		for _, f := range []string{"SecondsPath", "TimestampPath"} {
			if p := st.get(f); p != nil {
				v.pathField(p, ptr(loc, f), f, false, false)
			}
		}
	}
}

func (v *validator) fail(st *node, loc string, lang queryLanguage) {
	for _, f := range []string{"Error", "Cause"} {
		n, p := st.get(f), st.get(f+"Path")
		if n != nil && p != nil {
			// Unconfirmed wording.
			v.schema(loc, "Only one of '"+f+"' or '"+f+"Path' may be set")
		}
		if n != nil && !n.isString() {
			v.schema(ptr(loc, f), "Expected value of type [STRING]")
		} else if n != nil && lang == jsonata && isJSONata(n) {
			v.jsonataString(n.str, ptr(loc, f))
		}
		if p != nil && lang == jsonPath {
			if p.isString() && strings.HasPrefix(p.str, "States.") {
				if !validIntrinsic(p.str) {
					v.schema(ptr(loc, f+"Path"), "The value for the field '"+f+"Path' must be a valid JSONPath or a valid intrinsic function call")
				}
			} else {
				v.pathField(p, ptr(loc, f+"Path"), f+"Path", false, false)
			}
		}
	}
}

func (v *validator) parallel(st *node, loc string, lang queryLanguage, topJSONata bool) {
	b := st.get("Branches")
	bl := ptr(loc, "Branches")
	switch {
	case b == nil:
		v.schema(loc, "These fields are required: [Branches]")
		return
	case !b.isArray():
		v.schema(bl, "Expected value of type [ARRAY]")
		return
	case len(b.elems) == 0:
		// Unconfirmed wording.
		v.schema(bl, "The field 'Branches' should be non-empty")
	}
	for i, br := range b.elems {
		v.subMachine(br, idx(bl, i), lang, topJSONata, false)
	}
}

var (
	branchFields    = fieldSet("StartAt", "States", "Comment")
	processorFields = fieldSet("StartAt", "States", "Comment", "ProcessorConfig")
)

// subMachine checks a Parallel branch or a Map's ItemProcessor/Iterator.
// Its states inherit the language of the enclosing state machine scope.
func (v *validator) subMachine(n *node, loc string, lang queryLanguage, topJSONata, processor bool) {
	if !n.isObject() {
		v.schema(loc, "Expected value of type [OBJECT]")
		return
	}
	allowed := branchFields
	if processor {
		allowed = processorFields
	}
	v.unsupported(n, loc, allowed)
	var missing []string
	if !n.has("States") {
		missing = append(missing, "States")
	}
	if !n.has("StartAt") {
		missing = append(missing, "StartAt")
	}
	if len(missing) > 0 {
		v.schema(loc, "These fields are required: ["+strings.Join(missing, ", ")+"]")
		if st := n.get("States"); st.isObject() {
			v.states(st, ptr(loc, "States"), lang, topJSONata)
		}
		return
	}
	v.scope(n, loc, lang, topJSONata, false)
}

func (v *validator) mapState(st *node, loc string, lang queryLanguage, topJSONata bool) {
	ip, it := st.get("ItemProcessor"), st.get("Iterator")
	switch {
	case ip == nil && it == nil:
		v.schema(loc, "These fields are required: [ItemProcessor]")
	case ip != nil && it != nil:
		// Unconfirmed wording.
		v.schema(loc, "Only one of 'ItemProcessor' or 'Iterator' may be set")
	}
	// The states inside take the machine's language, not the Map's own:
	// a Map's QueryLanguage covers only its own fields.
	inner := lang
	if ip != nil {
		pl := ptr(loc, "ItemProcessor")
		v.subMachine(ip, pl, inner, topJSONata, true)
		if pc := ip.get("ProcessorConfig"); pc != nil {
			v.processorConfig(pc, ptr(pl, "ProcessorConfig"))
		}
	}
	if it != nil {
		v.subMachine(it, ptr(loc, "Iterator"), inner, topJSONata, true)
	}
	if p := st.get("ItemsPath"); p != nil && lang == jsonPath {
		v.pathField(p, ptr(loc, "ItemsPath"), "ItemsPath", false, false)
	}
	if items := st.get("Items"); items != nil && lang == jsonata {
		if !items.isArray() && !isJSONata(items) {
			// Unconfirmed wording.
			v.schema(ptr(loc, "Items"), "The field 'Items' must be an array or a JSONata expression")
		} else if items.isString() {
			v.jsonataString(items.str, ptr(loc, "Items"))
		}
	}
	for _, f := range []string{"MaxConcurrency", "ToleratedFailureCount"} {
		if n := st.get(f); n != nil {
			if lang == jsonata && isJSONata(n) {
				v.jsonataString(n.str, ptr(loc, f))
			} else {
				v.positiveInt(n, ptr(loc, f), 0)
			}
		}
		if p := st.get(f + "Path"); p != nil && lang == jsonPath {
			v.pathField(p, ptr(loc, f+"Path"), f+"Path", false, false)
		}
	}
	if n := st.get("ToleratedFailurePercentage"); n != nil {
		switch {
		case lang == jsonata && isJSONata(n):
			v.jsonataString(n.str, ptr(loc, "ToleratedFailurePercentage"))
		case !n.isNumber():
			v.schema(ptr(loc, "ToleratedFailurePercentage"), "Expected value of type [NUMBER]")
		default:
			if f, _ := n.float(); f < 0 {
				v.schema(ptr(loc, "ToleratedFailurePercentage"), "Minimum value is 0")
			} else if f > 100 {
				v.schema(ptr(loc, "ToleratedFailurePercentage"), "Maximum value is 100")
			}
		}
	}
	if p := st.get("ToleratedFailurePercentagePath"); p != nil && lang == jsonPath {
		v.pathField(p, ptr(loc, "ToleratedFailurePercentagePath"), "ToleratedFailurePercentagePath", false, false)
	}
	if b := st.get("ItemBatcher"); b != nil {
		v.itemBatcher(b, ptr(loc, "ItemBatcher"), lang)
	}
	if r := st.get("ItemReader"); r != nil {
		v.itemReader(r, ptr(loc, "ItemReader"), lang)
	}
	if w := st.get("ResultWriter"); w != nil {
		v.resultWriter(w, ptr(loc, "ResultWriter"), lang)
	}
}

func (v *validator) processorConfig(pc *node, loc string) {
	if !pc.isObject() {
		v.schema(loc, "Expected value of type [OBJECT]")
		return
	}
	v.unsupported(pc, loc, fieldSet("Mode", "ExecutionType"))
	if m := pc.get("Mode"); m != nil && (!m.isString() || m.str != "INLINE" && m.str != "DISTRIBUTED") {
		v.schema(ptr(loc, "Mode"), "Value should be one of the following: [INLINE, DISTRIBUTED]")
	}
	if e := pc.get("ExecutionType"); e != nil && (!e.isString() || e.str != "STANDARD" && e.str != "EXPRESS") {
		v.schema(ptr(loc, "ExecutionType"), "Value should be one of the following: [STANDARD, EXPRESS]")
	}
}
