package compile

import "strings"

// Choice comparison operators by the type of their operand. Each also has a
// "…Path" form (except StringMatches and the Is* tests) whose operand is a
// path.
var (
	stringOps = fieldSet("StringEquals", "StringLessThan", "StringGreaterThan",
		"StringLessThanEquals", "StringGreaterThanEquals", "StringMatches")
	numericOps = fieldSet("NumericEquals", "NumericLessThan", "NumericGreaterThan",
		"NumericLessThanEquals", "NumericGreaterThanEquals")
	timestampOps = fieldSet("TimestampEquals", "TimestampLessThan", "TimestampGreaterThan",
		"TimestampLessThanEquals", "TimestampGreaterThanEquals")
	boolOps = fieldSet("BooleanEquals", "IsNull", "IsPresent", "IsNumeric", "IsString",
		"IsBoolean", "IsTimestamp")
)

// comparisonKind classifies a Choice rule member: "" when it is not an
// operator, otherwise "string", "number", "timestamp", "boolean" or "path".
func comparisonKind(k string) string {
	switch {
	case stringOps[k]:
		return "string"
	case numericOps[k]:
		return "number"
	case timestampOps[k]:
		return "timestamp"
	case boolOps[k]:
		return "boolean"
	case strings.HasSuffix(k, "Path") && k != "StringMatchesPath":
		base := strings.TrimSuffix(k, "Path")
		if stringOps[base] || numericOps[base] || timestampOps[base] || base == "BooleanEquals" {
			return "path"
		}
	}
	return ""
}

func (v *validator) choice(st *node, loc string, lang queryLanguage) {
	ch := st.get("Choices")
	cl := ptr(loc, "Choices")
	switch {
	case ch == nil:
		v.schema(loc, "These fields are required: [Choices]")
		return
	case !ch.isArray():
		v.schema(cl, "Expected value of type [ARRAY]")
		return
	case len(ch.elems) == 0:
		// Unconfirmed wording.
		v.schema(cl, "The field 'Choices' should be non-empty")
	}
	if d := st.get("Default"); d != nil && !d.isString() {
		v.schema(ptr(loc, "Default"), "Expected value of type [STRING]")
	}
	for i, r := range ch.elems {
		v.choiceRule(r, idx(cl, i), lang, true)
	}
}

// choiceRule checks one Choice rule; top rules carry Next (and may carry
// Assign/Output), nested ones (inside And/Or/Not) must not. The wordings
// for a rule's shape are unconfirmed; type errors use AWS's schema form.
func (v *validator) choiceRule(r *node, loc string, lang queryLanguage, top bool) {
	if !r.isObject() {
		v.schema(loc, "Expected value of type [OBJECT]")
		return
	}
	if top {
		if n := r.get("Next"); n == nil {
			v.schema(loc, "These fields are required: [Next]")
		} else if !n.isString() {
			v.schema(ptr(loc, "Next"), "Expected value of type [STRING]")
		}
		if a := r.get("Assign"); a != nil {
			v.assign(a, ptr(loc, "Assign"), lang)
		}
	}
	if lang == jsonata {
		for _, k := range r.keys {
			switch k {
			case "Condition", "Comment":
			case "Next", "Assign", "Output":
				if !top {
					v.schema(loc, "Field '"+k+"' is not supported")
				}
			default:
				v.schema(loc, "Field '"+k+"' is not supported")
			}
		}
		c := r.get("Condition")
		switch {
		case c == nil:
			v.schema(loc, "These fields are required: [Condition]")
		case c.isBool():
		case isJSONata(c):
			v.jsonataString(c.str, ptr(loc, "Condition"))
		default:
			v.schema(ptr(loc, "Condition"), "The value must be a valid JSONata expression enclosed in '{%' and '%}'")
		}
		if o := r.get("Output"); o != nil && top {
			v.jsonataValue(o, ptr(loc, "Output"))
		}
		return
	}
	ops := 0
	hasVariable := false
	for i, k := range r.keys {
		val := r.vals[i]
		vl := ptr(loc, k)
		switch k {
		case "Comment":
			continue
		case "Next", "Assign":
			if !top {
				v.schema(loc, "Field '"+k+"' is not supported")
			}
			continue
		case "Variable":
			hasVariable = true
			v.pathField(val, vl, "Variable", false, false)
			continue
		case "And", "Or":
			ops++
			if !val.isArray() {
				v.schema(vl, "Expected value of type [ARRAY]")
				continue
			}
			if len(val.elems) == 0 {
				v.schema(vl, "The field '"+k+"' should be non-empty")
			}
			for j, e := range val.elems {
				v.choiceRule(e, idx(vl, j), lang, false)
			}
			continue
		case "Not":
			ops++
			v.choiceRule(val, vl, lang, false)
			continue
		}
		kind := comparisonKind(k)
		if kind == "" {
			v.schema(loc, "Field '"+k+"' is not supported")
			continue
		}
		ops++
		switch kind {
		case "string":
			if !val.isString() {
				v.schema(vl, "Expected value of type [STRING]")
			}
		case "number":
			if !val.isNumber() {
				v.schema(vl, "Expected value of type [NUMBER]")
			}
		case "boolean":
			if !val.isBool() {
				v.schema(vl, "Expected value of type [BOOLEAN]")
			}
		case "timestamp":
			if !val.isString() {
				v.schema(vl, "Expected value of type [STRING]")
			} else if !validTimestamp(val.str) {
				v.schema(vl, "String does not match RFC3339 timestamp")
			}
		case "path":
			v.pathField(val, vl, k, false, false)
		}
	}
	isCompound := r.has("And") || r.has("Or") || r.has("Not")
	switch {
	case ops == 0:
		v.schema(loc, "A Choice rule must have exactly one comparison operator, or one of [And, Or, Not]")
	case ops > 1:
		v.schema(loc, "A Choice rule must have exactly one comparison operator, or one of [And, Or, Not]")
	case !isCompound && !hasVariable:
		v.schema(loc, "These fields are required: [Variable]")
	case isCompound && hasVariable:
		v.schema(loc, "Field 'Variable' is not supported")
	}
}
