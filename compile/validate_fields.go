package compile

import (
	"strconv"
	"strings"
	"time"

	"github.com/stepd/stepd/fastpath"
	jsonatalang "github.com/stepd/stepd/fastpath/jsonata"
	"github.com/stepd/stepd/fastpath/jsonb"
)

func itoa(i int64) string { return strconv.FormatInt(i, 10) }

// pathField checks a "*Path" field: a string holding a valid JSONPath,
// null where nullable allows it. A reference path (ResultPath) may not read
// the context object ($$). Wordings for non-strings are AWS's schema form;
// "must be a valid JSONPath" follows the recorded 'parsed.$' message.
func (v *validator) pathField(p *node, loc, field string, nullable, reference bool) {
	if p.isNull() && nullable {
		return
	}
	if !p.isString() {
		v.schema(loc, "Expected value of type [STRING]")
		return
	}
	path, err := fastpath.ParsePath(p.str)
	if err != nil {
		v.schema(loc, "The value for the field '"+field+"' must be a valid JSONPath")
		return
	}
	if reference && (path.Root != fastpath.RootInput || !path.Definite()) {
		// Unconfirmed wording.
		v.schema(loc, "The value for the field '"+field+"' must be a valid ReferencePath")
	}
}

// template checks a JSONPath payload template (Parameters, ResultSelector,
// ItemSelector, Credentials): every "key.$" member, at any depth, must hold
// a valid path or intrinsic function call. AWS reports the problem at the
// object that holds the key.
func (v *validator) template(n *node, loc string) {
	switch n.kind {
	case jsonb.KindObject:
		for i, k := range n.keys {
			val := n.vals[i]
			if strings.HasSuffix(k, ".$") {
				if !val.isString() || !validDynamic(val.str) {
					v.schema(loc, "The value for the field '"+k+"' must be a valid JSONPath or a valid intrinsic function call")
				}
				continue
			}
			v.template(val, ptr(loc, k))
		}
	case jsonb.KindArray:
		for i, e := range n.elems {
			v.template(e, idx(loc, i))
		}
	}
}

// validDynamic reports whether s is a valid value of a "key.$" field.
func validDynamic(s string) bool {
	if strings.HasPrefix(s, "States.") {
		return validIntrinsic(s)
	}
	_, err := fastpath.ParsePath(s)
	return err == nil
}

// validIntrinsic reports whether s is a syntactically valid intrinsic
// function call. For now: it starts with "States.", names a function, and
// its parentheses and single-quoted strings balance, where inside a string
// a backslash may escape only ', {, } and \ (AWS rejects \" and the like).
// It will later defer to fastpath.ParseIntrinsic.
func validIntrinsic(s string) bool {
	if !strings.HasPrefix(s, "States.") {
		return false
	}
	i := len("States.")
	j := i
	for j < len(s) && (s[j] >= 'a' && s[j] <= 'z' || s[j] >= 'A' && s[j] <= 'Z' || s[j] >= '0' && s[j] <= '9') {
		j++
	}
	if j == i || j >= len(s) || s[j] != '(' {
		return false
	}
	depth := 0
	inStr := false
	for k := j; k < len(s); k++ {
		c := s[k]
		if inStr {
			switch c {
			case '\\':
				if k+1 >= len(s) || !strings.ContainsRune(`'{}\`, rune(s[k+1])) {
					return false
				}
				k++
			case '\'':
				inStr = false
			}
			continue
		}
		switch c {
		case '\'':
			inStr = true
		case '(':
			depth++
		case ')':
			depth--
			if depth < 0 {
				return false
			}
			if depth == 0 && strings.TrimSpace(s[k+1:]) != "" {
				return false
			}
		}
	}
	return !inStr && depth == 0
}

// assign checks an Assign object: in JSONPath, "name.$" members are paths
// or intrinsic calls; in JSONata, strings may be {% %} expressions.
func (v *validator) assign(a *node, loc string, lang queryLanguage) {
	if !a.isObject() {
		if lang == jsonata && isJSONata(a) {
			v.jsonataString(a.str, loc)
			return
		}
		v.schema(loc, "Expected value of type [OBJECT]")
		return
	}
	for _, k := range a.keys {
		v.assigned[strings.TrimSuffix(k, ".$")] = true
	}
	if lang == jsonPath {
		v.template(a, loc)
		return
	}
	v.jsonataValue(a, loc)
}

// isJSONata reports whether n is a string holding a {% %} expression.
func isJSONata(n *node) bool {
	return n.isString() && strings.HasPrefix(n.str, "{%") && strings.HasSuffix(n.str, "%}") && len(n.str) >= 4
}

// jsonataValue checks the {% %} strings inside a JSONata-mode value.
func (v *validator) jsonataValue(n *node, loc string) {
	switch n.kind {
	case jsonb.KindString:
		if strings.HasPrefix(n.str, "{%") {
			v.jsonataString(n.str, loc)
		}
	case jsonb.KindObject:
		for i, k := range n.keys {
			v.jsonataValue(n.vals[i], ptr(loc, k))
		}
	case jsonb.KindArray:
		for i, e := range n.elems {
			v.jsonataValue(e, idx(loc, i))
		}
	}
}

// jsonataString checks a JSONata expression string: its outer form
// (unconfirmed wording), then the expression, which must parse. A syntax
// error is INVALID_JSONATA_EXPRESSION with jsonata-js's message and no
// JSONata code, as AWS reports it (measured against AWS by floci-io/floci
// issue 2745: "INVALID_JSONATA_EXPRESSION: Unexpected end of expression
// at /States/Main/Output").
func (v *validator) jsonataString(s, loc string) {
	if !strings.HasPrefix(s, "{%") || !strings.HasSuffix(s, "%}") || len(s) < 4 ||
		strings.TrimSpace(s[2:len(s)-2]) == "" {
		v.schema(loc, "The value must be a valid JSONata expression enclosed in '{%' and '%}'")
		return
	}
	expr, err := jsonatalang.Compile(strings.TrimSpace(s[2 : len(s)-2]))
	if err != nil {
		msg := err.Error()
		if je, ok := err.(*jsonatalang.Error); ok {
			msg = je.Text()
		}
		v.add(codeInvalidJSONata, loc, msg)
		return
	}
	v.exprs = append(v.exprs, jsonataUse{loc: loc, expr: expr})
}

// validTimestamp reports whether s is an RFC 3339 date-time, as AWS's
// schema checks Timestamp and the Timestamp* comparison operators.
func validTimestamp(s string) bool {
	if len(s) < 20 || s[10] != 'T' && s[10] != 't' {
		return false
	}
	_, err := time.Parse(time.RFC3339Nano, strings.Replace(strings.Replace(s, "t", "T", 1), "z", "Z", 1))
	return err == nil
}

// Optimized service integrations: service -> actions. An action may carry
// one of the suffixes in integrationSuffixes. Anything else under
// arn:<partition>:states::: is unrecognized (aws-sdk:* is open).
var integrations = map[string]map[string]bool{
	"lambda":           fieldSet("invoke"),
	"batch":            fieldSet("submitJob"),
	"dynamodb":         fieldSet("getItem", "putItem", "updateItem", "deleteItem"),
	"ecs":              fieldSet("runTask"),
	"eks":              fieldSet("createCluster", "deleteCluster", "createFargateProfile", "deleteFargateProfile", "createNodegroup", "deleteNodegroup", "runJob", "call"),
	"sns":              fieldSet("publish"),
	"sqs":              fieldSet("sendMessage"),
	"states":           fieldSet("startExecution"),
	"events":           fieldSet("putEvents"),
	"apigateway":       fieldSet("invoke"),
	"glue":             fieldSet("startJobRun"),
	"databrew":         fieldSet("startJobRun"),
	"athena":           fieldSet("startQueryExecution", "stopQueryExecution", "getQueryExecution", "getQueryResults"),
	"codebuild":        fieldSet("startBuild", "stopBuild", "batchDeleteBuilds", "batchGetReports", "startBuildBatch", "stopBuildBatch", "retryBuild", "retryBuildBatch", "deleteBuildBatch"),
	"sagemaker":        fieldSet("createTrainingJob", "createTransformJob", "createHyperParameterTuningJob", "createLabelingJob", "createProcessingJob", "createEndpoint", "createEndpointConfig", "createModel", "updateEndpoint"),
	"elasticmapreduce": fieldSet("createCluster", "terminateCluster", "addStep", "cancelStep", "setClusterTerminationProtection", "modifyInstanceFleetByName", "modifyInstanceGroupByName"),
	"emr-containers":   fieldSet("startJobRun", "createVirtualCluster", "deleteVirtualCluster"),
	"emr-serverless":   fieldSet("createApplication", "startApplication", "stopApplication", "deleteApplication", "startJobRun", "cancelJobRun"),
	"bedrock":          fieldSet("invokeModel", "createModelCustomizationJob"),
	"http":             fieldSet("invoke"),
	"mediaconvert":     fieldSet("createJob"),
}

// resource checks a Task's Resource ARN, and for EXPRESS machines the
// integration patterns they cannot run.
func (v *validator) resource(arn, loc string) {
	parts := strings.SplitN(arn, ":", 6)
	unrecognized := func() {
		shown := arn
		if len(parts) > 2 {
			shown = parts[0] + ":<partition>:" + strings.Join(parts[2:], ":")
		}
		v.schema(loc, "The resource provided "+shown+" is not recognized. The value is not a valid resource ARN, or the resource is not available in this region.")
	}
	if len(parts) < 6 || parts[0] != "arn" || !strings.HasPrefix(parts[1], "aws") {
		unrecognized()
		return
	}
	svc, region, account, rest := parts[2], parts[3], parts[4], parts[5]
	switch svc {
	case "lambda":
		if region == "" || account == "" || !strings.HasPrefix(rest, "function:") || len(rest) == len("function:") {
			unrecognized()
		}
		return
	case "states":
	default:
		unrecognized()
		return
	}
	if region != "" || account != "" {
		if !strings.HasPrefix(rest, "activity:") || len(rest) == len("activity:") || region == "" || account == "" {
			unrecognized()
			return
		}
		if v.typ == Express {
			// Unconfirmed wording, in the style of the recorded '.sync' one.
			v.schema(loc, "Express state machine does not support Activities")
		}
		return
	}
	// arn:<partition>:states:::<service>:<action>[.suffix]
	action := rest
	suffix := ""
	if i := strings.IndexByte(action, '.'); i >= 0 {
		action, suffix = action[:i], action[i:]
	}
	switch suffix {
	case "", ".sync", ".sync:2", ".waitForTaskToken":
	default:
		unrecognized()
		return
	}
	ok := false
	if strings.HasPrefix(action, "aws-sdk:") {
		sp := strings.Split(action, ":")
		ok = len(sp) == 3 && sp[1] != "" && sp[2] != "" && suffix != ".sync" && suffix != ".sync:2"
	} else if i := strings.IndexByte(action, ':'); i > 0 {
		ok = integrations[action[:i]][action[i+1:]]
	}
	if !ok {
		unrecognized()
		return
	}
	if v.typ == Express {
		switch suffix {
		case ".sync", ".sync:2":
			v.schema(loc, "Express state machine does not support '.sync' service integration")
		case ".waitForTaskToken":
			// AWS's message ends with a space.
			v.schema(loc, "Express state machine does not support '.waitForTaskToken' service integration ")
		}
	}
}

// retry checks a Retry array.
func (v *validator) retry(r *node, loc string) {
	if !r.isArray() {
		v.schema(loc, "Expected value of type [ARRAY]")
		return
	}
	allowed := fieldSet("ErrorEquals", "IntervalSeconds", "MaxAttempts", "BackoffRate", "MaxDelaySeconds", "JitterStrategy", "Comment")
	for i, e := range r.elems {
		el := idx(loc, i)
		if !e.isObject() {
			v.schema(el, "Expected value of type [OBJECT]")
			continue
		}
		v.unsupported(e, el, allowed)
		v.errorEquals(e, el, i == len(r.elems)-1)
		if n := e.get("IntervalSeconds"); n != nil {
			v.positiveInt(n, ptr(el, "IntervalSeconds"), 1)
		}
		if n := e.get("MaxDelaySeconds"); n != nil {
			v.positiveInt(n, ptr(el, "MaxDelaySeconds"), 1)
		}
		if n := e.get("MaxAttempts"); n != nil {
			v.positiveInt(n, ptr(el, "MaxAttempts"), 0)
		}
		if n := e.get("BackoffRate"); n != nil {
			if f, ok := n.float(); !ok {
				v.schema(ptr(el, "BackoffRate"), "Expected value of type [NUMBER]")
			} else if f < 1 {
				v.schema(ptr(el, "BackoffRate"), "Minimum value is 1.0")
			}
		}
		if n := e.get("JitterStrategy"); n != nil && (!n.isString() || n.str != "FULL" && n.str != "NONE") {
			v.schema(ptr(el, "JitterStrategy"), "Value should be one of the following: [FULL, NONE]")
		}
	}
}

// errorEquals checks a retrier's or catcher's ErrorEquals. States.ALL must
// appear alone and in the last retrier/catcher (unconfirmed wordings).
func (v *validator) errorEquals(e *node, loc string, last bool) {
	ee := e.get("ErrorEquals")
	switch {
	case ee == nil:
		v.schema(loc, "These fields are required: [ErrorEquals]")
		return
	case !ee.isArray():
		v.schema(ptr(loc, "ErrorEquals"), "Expected value of type [ARRAY]")
		return
	case len(ee.elems) == 0:
		v.schema(ptr(loc, "ErrorEquals"), "The field 'ErrorEquals' should be non-empty")
	}
	for i, n := range ee.elems {
		if !n.isString() {
			v.schema(idx(ptr(loc, "ErrorEquals"), i), "Expected value of type [STRING]")
			continue
		}
		if n.str == "States.ALL" {
			if len(ee.elems) > 1 {
				v.schema(ptr(loc, "ErrorEquals"), "'States.ALL' must appear alone in 'ErrorEquals'")
			} else if !last {
				v.schema(ptr(loc, "ErrorEquals"), "'States.ALL' must appear in the last element of the array")
			}
		}
	}
}

// catch checks a Catch array; the Next targets are checked with the scope.
func (v *validator) catch(c *node, loc string, lang queryLanguage) {
	if !c.isArray() {
		v.schema(loc, "Expected value of type [ARRAY]")
		return
	}
	allowed := fieldSet("ErrorEquals", "Next", "ResultPath", "Assign", "Output", "Comment")
	for i, e := range c.elems {
		el := idx(loc, i)
		if !e.isObject() {
			v.schema(el, "Expected value of type [OBJECT]")
			continue
		}
		v.unsupported(e, el, allowed)
		v.errorEquals(e, el, i == len(c.elems)-1)
		if n := e.get("Next"); n == nil {
			v.schema(el, "These fields are required: [Next]")
		} else if !n.isString() {
			v.schema(ptr(el, "Next"), "Expected value of type [STRING]")
		}
		if p := e.get("ResultPath"); p != nil {
			if lang == jsonata {
				v.schema(el, "The QueryLanguage is set to 'JSONata', but field 'ResultPath' is only supported for the 'JSONPath' QueryLanguage")
			} else {
				v.pathField(p, ptr(el, "ResultPath"), "ResultPath", true, true)
			}
		}
		if o := e.get("Output"); o != nil {
			if lang == jsonPath {
				v.schema(el, "The QueryLanguage is set to 'JSONPath', but field 'Output' is only supported for the 'JSONata' QueryLanguage")
			} else {
				v.jsonataValue(o, ptr(el, "Output"))
			}
		}
		if a := e.get("Assign"); a != nil {
			v.assign(a, ptr(el, "Assign"), lang)
		}
	}
}
