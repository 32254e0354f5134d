package e2e

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// The catalogue of hostile inputs. Each case's id, input and want appear
// as a row of the table in docs/SECURITY.md, which the test checks.

func awsCase(id, input, want, action string, body func() []byte, header map[string]string) hostileCase {
	return hostileCase{id, input, want, func(t *testing.T, n *hostileNode) string { return n.aws(t, action, body(), header) }}
}

func runCase(id, input, want, def, in string) hostileCase {
	return hostileCase{id, input, want, func(t *testing.T, n *hostileNode) string { return n.run(t, def, in) }}
}

func rawCase(id, input, want string, b func() []byte, pause func(net.Conn)) hostileCase {
	return hostileCase{id, input, want, func(t *testing.T, n *hostileNode) string { return n.raw(t, b(), pause) }}
}

func restCase(id, input, want, method, path string, body func() []byte) hostileCase {
	return hostileCase{id, input, want, func(t *testing.T, n *hostileNode) string { return n.rest(t, method, path, body()) }}
}

func lit(s string) func() []byte { return func() []byte { return []byte(s) } }

// rep is prefix + unit×times + suffix, built when the case runs.
func rep(prefix, unit string, times int, suffix string) func() []byte {
	return func() []byte { return []byte(prefix + strings.Repeat(unit, times) + suffix) }
}

// jsonStr quotes s as a JSON string.
func jsonStr(s string) string { b, _ := json.Marshal(s); return string(b) }

// createBody is a CreateStateMachine request for def.
func createBody(name, def string) func() []byte {
	return func() []byte {
		b, _ := json.Marshal(map[string]string{"name": name, "type": "EXPRESS", "roleArn": e2eRole, "definition": def})
		return b
	}
}

// passDef is a one-state machine whose Pass state has the given fields.
func passDef(fields string) string {
	return `{"StartAt":"P","States":{"P":{"Type":"Pass",` + fields + `"End":true}}}`
}

// manyStates is a chain of n Pass states.
func manyStates(n int) string {
	var b strings.Builder
	b.WriteString(`{"StartAt":"S0","States":{`)
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		if i == n-1 {
			fmt.Fprintf(&b, `"S%d":{"Type":"Pass","End":true}`, i)
		} else {
			fmt.Fprintf(&b, `"S%d":{"Type":"Pass","Next":"S%d"}`, i, i+1)
		}
	}
	b.WriteString(`}}`)
	return b.String()
}

// nestedParallel is Parallel states nested depth deep.
func nestedParallel(depth int) string {
	inner := `{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}}`
	for i := range depth {
		inner = fmt.Sprintf(`{"StartAt":"Par%d","States":{"Par%d":{"Type":"Parallel","Branches":[%s],"End":true}}}`, i, i, inner)
	}
	return inner
}

// nestedMap is inline Map states nested depth deep, each over 3 items.
func nestedMap(depth int) string {
	inner := `{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}}`
	for i := range depth {
		inner = fmt.Sprintf(`{"StartAt":"M%d","States":{"M%d":{"Type":"Map","ItemsPath":"$.x","ItemSelector":{"x":[1,2,3]},"ItemProcessor":%s,"ResultPath":null,"End":true}}}`, i, i, inner)
	}
	return `{"StartAt":"Seed","States":{"Seed":{"Type":"Pass","Result":{"x":[1,2,3]},"Next":"Run"},"Run":{"Type":"Parallel","Branches":[` + inner + `],"End":true}}}`
}

// parallelBranches is one Parallel state with n branches.
func parallelBranches(n int) string {
	br := make([]string, n)
	for i := range br {
		br[i] = fmt.Sprintf(`{"StartAt":"P%d","States":{"P%d":{"Type":"Pass","End":true}}}`, i, i)
	}
	return `{"StartAt":"Par","States":{"Par":{"Type":"Parallel","Branches":[` + strings.Join(br, ",") + `],"End":true}}}`
}

// jsonata is a one-state JSONata machine whose Pass state outputs expr.
func jsonata(expr string) string {
	return `{"QueryLanguage":"JSONata","StartAt":"P","States":{"P":{"Type":"Pass","Output":` + jsonStr("{% "+expr+" %}") + `,"End":true}}}`
}

// intrinsic is a Pass state whose Parameters compute r.$ with expr.
func intrinsic(expr string) string { return passDef(`"Parameters":{"r.$":` + jsonStr(expr) + `},`) }

// numbers is a JSON array of n zeros.
func numbers(n int) string { return "[" + strings.TrimSuffix(strings.Repeat("0,", n), ",") + "]" }

// httpTask is a machine with one HTTP Task calling url.
func httpTask(url string) string {
	return `{"StartAt":"H","States":{"H":{"Type":"Task","Resource":"arn:aws:states:::http:invoke","Parameters":{"ApiEndpoint":"` + url +
		`","Method":"GET","Authentication":{"ConnectionArn":"` + hostileConn + `"}},"End":true}}}`
}

// sigv4Case signs a ListStateMachines request for the admin key at time
// at, lets tamper change it, and answers "status __type" (or "200").
func sigv4Case(id, input, want string, at func() time.Time, tamper func(*http.Request)) hostileCase {
	return hostileCase{id, input, want, func(t *testing.T, n *hostileNode) string {
		body := `{"maxResults":1}`
		req, _ := http.NewRequest(http.MethodPost, n.p.url()+"/", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/x-amz-json-1.0")
		req.Header.Set("X-Amz-Target", "AWSStepFunctions.ListStateMachines")
		sum := sha256.Sum256([]byte(body))
		if err := v4.NewSigner().SignHTTP(context.Background(), aws.Credentials{AccessKeyID: adminKey, SecretAccessKey: adminSecret}, req, hex.EncodeToString(sum[:]), "states", "us-east-1", at()); err != nil {
			t.Fatal(err)
		}
		if tamper != nil {
			tamper(req)
		}
		h := map[string]string{}
		for k := range req.Header {
			h[k] = req.Header.Get(k)
		}
		r := doQuiet(t, http.MethodPost, n.p.url()+"/", h, []byte(body))
		if r.status == 200 {
			return "200"
		}
		return strconv.Itoa(r.status) + " " + awsErrorType(t, r)
	}}
}

// hostileCatalogue is every hostile input, in the order of the table in
// docs/SECURITY.md.
func hostileCatalogue() []hostileCase {
	now := time.Now
	const mib = 1 << 20
	return []hostileCase{
		// The request envelope.
		awsCase("E01", "empty body to CreateStateMachine", "400 ValidationException", "CreateStateMachine", lit(""), nil),
		awsCase("E02", "body `null`", "400 ValidationException", "CreateStateMachine", lit("null"), nil),
		awsCase("E03", "body `{{{` (not JSON)", "400 SerializationException", "ListStateMachines", lit("{{{"), nil),
		awsCase("E04", "truncated object `{\"name\":\"x\"`", "400 SerializationException", "CreateStateMachine", lit(`{"name":"x"`), nil),
		awsCase("E05", "invalid UTF-8 (0xFF 0xFE) in a name", "200", "CreateStateMachine", lit(`{"name":"a`+"\xff\xfe"+`","roleArn":"`+e2eRole+`","definition":`+jsonStr(e2ePass)+`}`), nil),
		awsCase("E06", "lone surrogate `\\ud800` in a name", "200", "CreateStateMachine", lit(`{"name":"\ud800","roleArn":"`+e2eRole+`","definition":`+jsonStr(e2ePass)+`}`), nil),
		awsCase("E07", "100,000 nested arrays in an unknown field", "400 SerializationException", "ListStateMachines", rep(`{"x":`, "[", 100000, strings.Repeat("]", 100000)+"}"), nil),
		awsCase("E08", "50,000 nested objects in an unknown field", "400 SerializationException", "ListStateMachines", rep(`{"x":`, `{"a":`, 50000, "1"+strings.Repeat("}", 50000)+"}"), nil),
		awsCase("E09", "1 MiB of `[` (never closed)", "400 SerializationException", "ListStateMachines", rep("", "[", mib-16, ""), nil),
		awsCase("E10", "body one byte over -max-body-bytes", "413 RequestEntityTooLarge", "ListStateMachines", rep(`{"x":"`, "a", mib, `"}`), nil),
		awsCase("E11", "number `1e999999` for maxResults", "400 SerializationException", "ListStateMachines", lit(`{"maxResults":1e999999}`), nil),
		awsCase("E12", "number 99999999999999999999 for maxResults", "400 SerializationException", "ListStateMachines", lit(`{"maxResults":99999999999999999999}`), nil),
		awsCase("E13", "negative maxResults", "200", "ListStateMachines", lit(`{"maxResults":-1}`), nil),
		awsCase("E14", "50,000 duplicate keys", "200", "ListStateMachines", rep("{", `"maxResults":1,`, 50000, `"maxResults":1}`), nil),
		awsCase("E15", "50,000 distinct unknown keys", "200", "ListStateMachines", func() []byte {
			var b strings.Builder
			b.WriteString("{")
			for i := range 50000 {
				fmt.Fprintf(&b, `"k%d":%d,`, i, i)
			}
			b.WriteString(`"maxResults":1}`)
			return []byte(b.String())
		}, nil),
		awsCase("E16", "a 900 KB key name", "200", "ListStateMachines", rep(`{"`, "k", 900000, `":1}`), nil),
		awsCase("E17", "NUL bytes in a name", "400 InvalidName", "CreateStateMachine", createBody("a\x00b", e2ePass), nil),
		awsCase("E18", "Content-Type text/plain", "400 SerializationException", "ListStateMachines", lit(`{}`), map[string]string{"Content-Type": "text/plain"}),
		awsCase("E19", "unknown X-Amz-Target", "400 UnknownOperationException", "DropAllTables", lit(`{}`), nil),
		awsCase("E20", "X-Amz-Target of 8 KB", "400 UnknownOperationException", strings.Repeat("A", 8000), lit(`{}`), nil),
		awsCase("E21", "nextToken of 500 KB", "400 InvalidToken", "ListStateMachines", rep(`{"nextToken":"`, "A", 500000, `"}`), nil),
		awsCase("E22", "stateMachineArn of 900 KB", "400 StateMachineDoesNotExist", "DescribeStateMachine", rep(`{"stateMachineArn":"arn:aws:states:us-east-1:123456789012:stateMachine:`, "a", 900000, `"}`), nil),
		awsCase("E23", "ARN with `../../etc/passwd`", "400 StateMachineDoesNotExist", "DescribeStateMachine", lit(`{"stateMachineArn":"arn:aws:states:us-east-1:123456789012:stateMachine:../../etc/passwd"}`), nil),
		awsCase("E24", "machine name `../../x`", "400 InvalidName", "CreateStateMachine", createBody("../../x", e2ePass), nil),
		awsCase("E25", "10,000 tags", "400 TooManyTags", "TagResource", func() []byte {
			tags := make([]map[string]string, 10000)
			for i := range tags {
				tags[i] = map[string]string{"key": "k" + strconv.Itoa(i), "value": "v"}
			}
			b, _ := json.Marshal(map[string]any{"resourceArn": machineArn("hostile-1"), "tags": tags})
			return b
		}, nil),
		awsCase("E26", "execution input of 300 KB", "400 InvalidExecutionInput", "StartSyncExecution", func() []byte {
			b, _ := json.Marshal(map[string]string{"stateMachineArn": machineArn("hostile-1"), "input": `"` + strings.Repeat("a", 300000) + `"`})
			return b
		}, nil),
		awsCase("E27", "execution input that is not JSON", "400 InvalidExecutionInput", "StartSyncExecution", lit(`{"stateMachineArn":"`+machineArn("hostile-1")+`","input":"{nope"}`), nil),
		awsCase("E28", "execution input nested 10,000 deep", "400 InvalidExecutionInput", "StartSyncExecution", func() []byte {
			b, _ := json.Marshal(map[string]string{"stateMachineArn": machineArn("hostile-1"), "input": strings.Repeat("[", 10000) + strings.Repeat("]", 10000)})
			return b
		}, nil),
		awsCase("E29", "execution input with invalid UTF-8", "400 SerializationException", "StartSyncExecution", lit(`{"stateMachineArn":"`+machineArn("hostile-1")+`","input":"\"\xff\""}`), nil),
		awsCase("E30", "alias routing to an alias (recursive alias)", "400 ResourceNotFound", "CreateStateMachineAlias", lit(`{"name":"loop","routingConfiguration":[{"stateMachineVersionArn":"`+machineArn("hostile-1")+`:loop","weight":100}]}`), nil),

		// Definitions.
		awsCase("D01", "definition over 1 MiB", "400 InvalidDefinition", "CreateStateMachine", createBody("big", passDef(`"Result":"`+strings.Repeat("a", mib)+`",`)), nil),
		runCase("D02", "definition nested 10,000 deep (in Result)", "400 InvalidDefinition", passDef(`"Result":`+strings.Repeat("[", 10000)+strings.Repeat("]", 10000)+`,`), `{}`),
		runCase("D03", "state name with a lone surrogate `\\ud800`", "SUCCEEDED", `{"StartAt":"\\ud800","States":{"\\ud800":{"Type":"Pass","End":true}}}`, `{}`),
		runCase("D04", "definition that is not JSON", "400 InvalidDefinition", `{"StartAt":`, `{}`),
		runCase("D05", "18,000 states in a chain (900 KB)", "SUCCEEDED", manyStates(18000), `{}`),
		runCase("D06", "Parallel nested 100 deep", "SUCCEEDED", nestedParallel(100), `{}`),
		runCase("D07", "inline Map nested 8 deep (3^8 iterations)", "SUCCEEDED", nestedMap(8), `{}`),
		runCase("D08", "Parallel with 2,000 branches", "SUCCEEDED", parallelBranches(2000), `{}`),
		runCase("D09", "Pass → Pass loop with no reachable end", "400 InvalidDefinition", `{"StartAt":"A","States":{"A":{"Type":"Pass","Next":"B"},"B":{"Type":"Pass","Next":"A"},"E":{"Type":"Succeed"}}}`, `{}`),
		runCase("D10", "Choice loop for ever", "FAILED States.Runtime", `{"StartAt":"C","States":{"C":{"Type":"Choice","Choices":[{"Variable":"$.x","IsPresent":false,"Next":"C"}],"Default":"E"},"E":{"Type":"Succeed"}}}`, `{}`),
		runCase("D11", "Wait 99,999,999 s with TimeoutSeconds 1", "TIMED_OUT", `{"TimeoutSeconds":1,"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":99999999,"End":true}}}`, `{}`),
		runCase("D12", "Wait until year 9999 with TimeoutSeconds 1", "TIMED_OUT", `{"TimeoutSeconds":1,"StartAt":"W","States":{"W":{"Type":"Wait","Timestamp":"9999-12-31T23:59:59Z","End":true}}}`, `{}`),
		runCase("D13", "Retry 99,999,999 times on an immediate failure", "TIMED_OUT", `{"TimeoutSeconds":1,"StartAt":"H","States":{"H":{"Type":"Task","Resource":"arn:aws:states:::http:invoke","Parameters":{"ApiEndpoint":"http://forbidden.invalid/","Method":"GET","Authentication":{"ConnectionArn":"`+hostileConn+`"}},"Retry":[{"ErrorEquals":["States.ALL"],"MaxAttempts":99999999,"IntervalSeconds":1,"BackoffRate":1}],"End":true}}}`, `{}`),
		runCase("D14", "Result of 900 KB (output over 256 KiB)", "FAILED States.DataLimitExceeded", passDef(`"Result":"`+strings.Repeat("a", 900000)+`",`), `{}`),
		runCase("D15", "payload doubling in a loop (`{\"a.$\":\"$\",\"b.$\":\"$\"}`)", "FAILED States.DataLimitExceeded", `{"StartAt":"D","States":{"D":{"Type":"Pass","Parameters":{"a.$":"$","b.$":"$"},"Next":"C"},"C":{"Type":"Choice","Choices":[{"Variable":"$.never","IsPresent":true,"Next":"E"}],"Default":"D"},"E":{"Type":"Succeed"}}}`, `{"x":1}`),
		runCase("D16", "Parameters with 10,000 fields", "SUCCEEDED", func() string {
			f := make([]string, 10000)
			for i := range f {
				f[i] = fmt.Sprintf(`"f%d":%d`, i, i)
			}
			return passDef(`"Parameters":{` + strings.Join(f, ",") + `},`)
		}(), `{}`),
		runCase("D17", "Map over 100,000 items (input of 200 KB)", "FAILED States.DataLimitExceeded", `{"StartAt":"M","States":{"M":{"Type":"Map","ItemProcessor":{"StartAt":"P","States":{"P":{"Type":"Pass","Result":{"k":"vvvv"},"End":true}}},"End":true}}}`, numbers(100000)),
		runCase("D18", "Map over 100,000 items that each Wait 1 s, TimeoutSeconds 2", "TIMED_OUT", `{"TimeoutSeconds":2,"StartAt":"M","States":{"M":{"Type":"Map","ItemProcessor":{"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":1,"End":true}}},"End":true}}}`, numbers(100000)),
		runCase("D19", "Map over a million items (JSONata `[1..1000000]`)", "FAILED States.Runtime", `{"QueryLanguage":"JSONata","StartAt":"M","States":{"M":{"Type":"Map","Items":"{% [1..1000000] %}","ItemProcessor":{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}},"End":true}}}`, `{}`),
		runCase("D20", "MaxConcurrency 99,999,999 over 1,000 Waits", "SUCCEEDED", `{"StartAt":"M","States":{"M":{"Type":"Map","MaxConcurrency":99999999,"ItemsPath":"$","ItemProcessor":{"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":0,"End":true}}},"End":true}}}`, numbers(1000)),
		runCase("D21", "endless loop over a 250 KB payload, TimeoutSeconds 3", "TIMED_OUT", `{"TimeoutSeconds":3,"StartAt":"A","States":{"A":{"Type":"Pass","Parameters":{"big.$":"$.big"},"Next":"C"},"C":{"Type":"Choice","Choices":[{"Variable":"$.never","IsPresent":true,"Next":"E"}],"Default":"A"},"E":{"Type":"Succeed"}}}`, `{"big":"`+strings.Repeat("a", 250000)+`"}`),

		// Paths and intrinsic functions.
		runCase("P01", "recursive descent `$..a` over 400 nested objects", "FAILED States.DataLimitExceeded", passDef(`"InputPath":"$..a",`), strings.Repeat(`{"a":`, 400)+"1"+strings.Repeat("}", 400)),
		runCase("P02", "path `$.a[99999999999999999999]`", "400 InvalidDefinition", passDef(`"InputPath":"$.a[99999999999999999999]",`), `{"a":[1]}`),
		runCase("P03", "path of 100,000 steps", "FAILED States.Runtime", passDef(`"InputPath":"$`+strings.Repeat(".a", 100000)+`",`), `{}`),
		runCase("P04", "wildcard bomb `$[*][*][*][*][*][*]`", "SUCCEEDED", passDef(`"InputPath":"$[*][*][*][*][*][*]",`), strings.Repeat("[", 6)+"1"+strings.Repeat("]", 6)),
		runCase("P05", "filter `$[?(@.a == 1)]` over 20,000 items", "SUCCEEDED", passDef(`"InputPath":"$[?(@.a == 1)]",`), "["+strings.TrimSuffix(strings.Repeat(`{"a":2},`, 20000), ",")+"]"),
		runCase("P06", "States.ArrayRange(0, 1000000000, 1)", "FAILED States.Runtime", intrinsic("States.ArrayRange(0, 1000000000, 1)"), `{}`),
		runCase("P07", "States.ArrayRange(0, 10, 0)", "FAILED States.Runtime", intrinsic("States.ArrayRange(0, 10, 0)"), `{}`),
		runCase("P08", "States.StringSplit of 200 KB on one character", "FAILED States.DataLimitExceeded", intrinsic("States.StringSplit($.s, 'a')"), `{"s":"`+strings.Repeat("ab", 100000)+`"}`),
		runCase("P09", "States.Hash of 250 KB", "FAILED States.Runtime", intrinsic("States.Hash($.s, 'SHA-512')"), `{"s":"`+strings.Repeat("a", 250000)+`"}`),
		runCase("P10", "States.Base64Encode of 250 KB", "FAILED States.Runtime", intrinsic("States.Base64Encode($.s)"), `{"s":"`+strings.Repeat("a", 250000)+`"}`),
		runCase("P11", "States.Format with 100,000 placeholders", "FAILED States.Runtime", intrinsic("States.Format($.f, $.v)"), `{"f":"`+strings.Repeat("{}", 100000)+`","v":"`+strings.Repeat("x", 100)+`"}`),
		runCase("P12", "States.StringToJson of 10,000 nested arrays", "FAILED States.Runtime", intrinsic("States.StringToJson($.s)"), `{"s":"`+strings.Repeat("[", 10000)+strings.Repeat("]", 10000)+`"}`),
		runCase("P13", "States.ArrayPartition of 50,000 items in chunks of 1", "SUCCEEDED", intrinsic("States.ArrayPartition($.a, 1)"), `{"a":`+numbers(50000)+`}`),
		runCase("P14", "States.ArrayUnique of 30,000 distinct items", "SUCCEEDED", intrinsic("States.ArrayUnique($.a)"), `{"a":[`+func() string {
			s := make([]string, 30000)
			for i := range s {
				s[i] = strconv.Itoa(i)
			}
			return strings.Join(s, ",")
		}()+`]}`),
		runCase("P15", "intrinsics nested 11 deep", "400 InvalidDefinition", intrinsic(strings.Repeat("States.JsonToString(", 11)+"$"+strings.Repeat(")", 11)), `{}`),
		runCase("P16", "States.MathAdd(9223372036854775807, 1)", "FAILED States.Runtime", intrinsic("States.MathAdd(9223372036854775807, 1)"), `{}`),
		runCase("P17", "States.StringSplit of 200 KB on an empty delimiter", "SUCCEEDED", intrinsic("States.StringSplit($.s, '')"), `{"s":"`+strings.Repeat("a", 200000)+`"}`),

		runCase("P18", "`$..*` over 500 nested arrays around a 200 KB string", "FAILED States.Runtime", passDef(`"InputPath":"$..*",`), strings.Repeat("[", 500)+`"`+strings.Repeat("a", 200000)+`"`+strings.Repeat("]", 500)),
		runCase("P19", "union naming one 200 KB member 2,000 times", "FAILED States.Runtime", passDef(`"InputPath":"$['`+strings.Repeat(`a','`, 1999)+`a']",`), `{"a":"`+strings.Repeat("x", 200000)+`"}`),
		runCase("P20", "indefinite path `$x[*]` over a variable never assigned", "FAILED States.Runtime", `{"StartAt":"C","States":{"C":{"Type":"Choice","Choices":[{"Variable":"$.set","IsPresent":true,"Next":"Set"}],"Default":"Use"},"Set":{"Type":"Pass","Assign":{"x":[1,2]},"Next":"Use"},"Use":{"Type":"Pass","InputPath":"$x[*]","End":true}}}`, `{}`),
		runCase("P21", "20,000 Parameters fields of `States.ArrayRange(1, 1000, 1)`", "FAILED States.DataLimitExceeded", func() string {
			f := make([]string, 20000)
			for i := range f {
				f[i] = fmt.Sprintf(`"f%d.$":"States.ArrayRange(1, 1000, 1)"`, i)
			}
			return passDef(`"Parameters":{` + strings.Join(f, ",") + `},`)
		}(), `{}`),
		runCase("P22", "`States.Format` of 1,000 copies of a 200 KB string", "FAILED States.DataLimitExceeded", intrinsic("States.Format('"+strings.Repeat("{}", 1000)+"', "+strings.TrimSuffix(strings.Repeat("$.s, ", 1000), ", ")+")"), `{"s":"`+strings.Repeat("a", 200000)+`"}`),

		// JSONata.
		runCase("J01", "`$sum([1..10000000])`", "FAILED States.QueryEvaluationError", jsonata("$sum([1..10000000])"), `{}`),
		runCase("J02", "unbounded recursion `$f := function($x){$f($x+1)}`", "FAILED States.QueryEvaluationError", jsonata("($f := function($x){$f($x+1)}; $f(0))"), `{}`),
		runCase("J03", "catastrophic regex `/(a+)+$/` on 30 a's and a !", "SUCCEEDED", jsonata(`$contains("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa!", /(a+)+$/)`), `{}`),
		runCase("J04", "`$pad(\"x\", 100000000)`", "FAILED States.QueryEvaluationError", jsonata(`$pad("x", 100000000)`), `{}`),
		runCase("J05", "string doubling 30 times", "FAILED States.QueryEvaluationError", jsonata(`$reduce([1..30], function($a, $b){$a & $a}, "xxxxxxxx")`), `{}`),
		runCase("J06", "`2 ^ 99999` (infinity)", "FAILED States.QueryEvaluationError", jsonata("$power(2, 99999)"), `{}`),
		runCase("J07", "expression nested 10,000 parentheses deep", "400 InvalidDefinition", jsonata(strings.Repeat("(", 10000)+"1"+strings.Repeat(")", 10000)), `{}`),
		runCase("J08", "`$string` of an input nested 10,000 deep", "400 InvalidExecutionInput", jsonata("$string($states.input)"), strings.Repeat("[", 10000)+strings.Repeat("]", 10000)),
		runCase("J09", "`$split` of 200 KB into characters", "FAILED States.DataLimitExceeded", jsonata(`$split($states.input.s, "")`), `{"s":"`+strings.Repeat("a", 200000)+`"}`),
		runCase("J10", "`$count([1..2000].([1..2000]))` (4 million items)", "FAILED States.QueryEvaluationError", jsonata("$count([1..2000].([1..2000]))"), `{}`),
		runCase("J11", "`$split` of a 3 MB string into characters", "FAILED States.QueryEvaluationError", jsonata(`$count($split($pad("", 3000000, "a"), ""))`), `{}`),
		runCase("J12", "`($a := [1..1000]; $count($a.($a).($a)))` (a billion items)", "FAILED States.QueryEvaluationError", jsonata("($a := [1..1000]; $count($a.($a).($a)))"), `{}`),
		runCase("J13", "group-by of 100,000 items under one key", "SUCCEEDED", jsonata(`$count([1..100000]{"k": $}.k)`), `{}`),

		// Outbound HTTP.
		runCase("H01", "HTTP Task whose endpoint answers 64 MiB", "FAILED States.DataLimitExceeded", httpTask("HTTPURL/huge"), `{}`),
		runCase("H02", "HTTP Task whose endpoint answers 100,000 nested arrays", "SUCCEEDED", httpTask("HTTPURL/deep"), `{}`),
		runCase("H03", "HTTP Task to a host not in allow-hosts", "FAILED States.Permissions", httpTask("http://169.254.169.254/latest/meta-data/"), `{}`),
		runCase("H04", "Map over 2,000 HTTP Tasks that each answer 200 KB", "FAILED States.DataLimitExceeded", `{"StartAt":"M","States":{"M":{"Type":"Map","ItemProcessor":{"StartAt":"H","States":{"H":`+strings.TrimSuffix(strings.TrimPrefix(httpTask("HTTPURL/200k"), `{"StartAt":"H","States":{"H":`), `}}`)+`}},"ResultPath":null,"End":true}}}`, numbers(2000)),

		// REST API.
		restCase("R01", "PUT of a definition over -max-body-bytes", "413 RequestEntityTooLarge", http.MethodPut, "/v1/state-machines/big", rep("", "a", mib+16, "")),
		restCase("R02", "name `%2e%2e%2f%2e%2e%2fetc`", "404", http.MethodPut, "/v1/state-machines/%2e%2e%2f%2e%2e%2fetc", lit(e2ePass)),
		restCase("R03", "name of 10,000 characters", "400 InvalidName", http.MethodPut, "/v1/state-machines/"+strings.Repeat("n", 10000), lit(e2ePass)),
		restCase("R04", "TRACE method", "405 MethodNotAllowed", "TRACE", "/v1/state-machines/x", lit("")),
		restCase("R05", "execution input of 300 KB", "400 InvalidExecutionInput", http.MethodPost, "/v1/state-machines/hostile-1/executions", rep(`"`, "a", 300000, `"`)),

		// HTTP itself.
		rawCase("T01", "64 KB header", "431", rep("GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ", "a", 64<<10, "\r\n\r\n"), nil),
		rawCase("T02", "1,000 small headers", "200", rep("GET /healthz HTTP/1.1\r\nHost: x\r\n", "A: b\r\n", 1000, "\r\n"), nil),
		rawCase("T03", "request line `GARBAGE`", "400", lit("GARBAGE\r\n\r\n"), nil),
		rawCase("T04", "slowloris: headers never finished", "408", lit("POST / HTTP/1.1\r\nHost: x\r\n"), nil),
		rawCase("T05", "slow body: 10 of 100 bytes sent", "408", lit("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n0123456789"), nil),
		rawCase("T06", "Content-Length of 10 GB", "413", lit("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 10000000000\r\n\r\n{}"), nil),
		rawCase("T07", "chunked body over -max-body-bytes", "413", func() []byte {
			chunk := fmt.Sprintf("%x\r\n%s\r\n", 64<<10, strings.Repeat("a", 64<<10))
			return []byte("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n" + strings.Repeat(chunk, 17) + "0\r\n\r\n")
		}, nil),
		rawCase("T08", "Content-Length and Transfer-Encoding together (smuggling)", "400", lit("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /metrics HTTP/1.1\r\n\r\n"), nil),
		rawCase("T09", "connection that never sends a byte", "408", lit(""), func(c net.Conn) { _ = c.SetReadDeadline(time.Now().Add(5 * time.Second)) }),
		rawCase("T10", "negative Content-Length", "400", lit("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n"), nil),
		{"T11", "65 connections with -max-connections 64", "503", func(t *testing.T, n *hostileNode) string {
			conns := make([]net.Conn, 64)
			for i := range conns {
				c, err := net.Dial("tcp", n.p.addr)
				if err != nil {
					t.Fatal(err)
				}
				conns[i] = c
			}
			got := n.raw(t, []byte("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"), nil)
			for _, c := range conns {
				c.Close()
			}
			waitFor(t, 5*time.Second, 10*time.Millisecond, func() error { return isReady(hostileClient, n.p.url()) })
			return got
		}},

		// Authentication.
		sigv4Case("A01", "SigV4 replayed 10 minutes later", "200", func() time.Time { return now().Add(-10 * time.Minute) }, nil),
		sigv4Case("A02", "SigV4 replayed 16 minutes later", "400 InvalidSignatureException", func() time.Time { return now().Add(-16 * time.Minute) }, nil),
		sigv4Case("A03", "SigV4 with a tampered signature", "400 InvalidSignatureException", now, func(r *http.Request) {
			h := r.Header.Get("Authorization")
			flip := map[byte]string{'0': "1"}[h[len(h)-1]]
			if flip == "" {
				flip = "0"
			}
			r.Header.Set("Authorization", h[:len(h)-1]+flip)
		}),
		sigv4Case("A04", "SigV4 with a non-hex signature", "400 InvalidSignatureException", now, func(r *http.Request) {
			h := r.Header.Get("Authorization")
			r.Header.Set("Authorization", h[:len(h)-64]+strings.Repeat("z", 64))
		}),
		sigv4Case("A05", "SigV4 Credential of 10,000 slashes", "400 UnrecognizedClientException", now, func(r *http.Request) {
			r.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential="+strings.Repeat("/", 10000)+", SignedHeaders=host, Signature=00")
		}),
		sigv4Case("A06", "SigV4 SignedHeaders without host", "400 InvalidSignatureException", now, func(r *http.Request) {
			r.Header.Set("Authorization", strings.Replace(r.Header.Get("Authorization"), "host;", "", 1))
		}),
		sigv4Case("A07", "SigV4 scoped to another region", "400 InvalidSignatureException", now, func(r *http.Request) {
			r.Header.Set("Authorization", strings.Replace(r.Header.Get("Authorization"), "/us-east-1/", "/eu-west-1/", 1))
		}),
		sigv4Case("A08", "bearer token of 8 KB", "400 UnrecognizedClientException", now, func(r *http.Request) {
			r.Header.Set("Authorization", "Bearer "+strings.Repeat("t", 8000))
		}),
		sigv4Case("A09", "Authorization `Basic` scheme", "400 IncompleteSignatureException", now, func(r *http.Request) {
			r.Header.Set("Authorization", "Basic YWRtaW46YWRtaW4=")
		}),
		sigv4Case("A10", "no Authorization header", "400 MissingAuthenticationTokenException", now, func(r *http.Request) { r.Header.Del("Authorization") }),
	}
}
