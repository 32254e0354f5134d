package fastpath

import (
	"bufio"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/stepd/stepd/fastpath/jsonb"
)

// testResolver resolves $ against Input, $$ against Context and $name
// against Vars, as the VM would for one state.
type testResolver struct {
	Input   []byte
	Context []byte
	Vars    map[string][]byte
}

func (r *testResolver) Resolve(p *Path, dst []byte) (val, out []byte) {
	root := r.Input
	switch p.Root {
	case RootContext:
		root = r.Context
	case RootVar:
		root = r.Vars[p.Var]
		if root == nil {
			return nil, dst
		}
	}
	return p.Eval(dst, root)
}

func evalText(t testing.TB, expr, input string) ([]byte, error) {
	t.Helper()
	in, err := ParseIntrinsic(expr)
	if err != nil {
		return nil, err
	}
	r := &testResolver{Input: mustCompact(t, input), Vars: map[string][]byte{"v": []byte(`"var"`)}}
	val, _, err := in.Eval(nil, r)
	return val, err
}

func TestIntrinsicEval(t *testing.T) {
	f := func(expr, input, want string) {
		t.Helper()
		got, err := evalText(t, expr, input)
		if err != nil {
			t.Errorf("%s: unexpected error %v", expr, err)
			return
		}
		if string(got) != want {
			t.Errorf("%s on %s:\n got %s\nwant %s", expr, input, got, want)
		}
	}
	f(`States.Format('Hello {}', $.name)`, `{"name":"World"}`, `"Hello World"`)
	f(`States.Format('{} {} {} {}', $.n, $.b, $.z, $.f)`, `{"n":1.50,"b":true,"z":null,"f":1e3}`, `"1.50 true null 1e3"`)
	f(`States.Format('o={} a={}', $.o, $.a)`, `{"o":{"k":"v","n":{"x":[1,"s"]}},"a":[1,"two",null]}`, `"o={k=v, n={x=[1, s]}} a=[1, two, null]"`)
	f(`States.Format('\{} {}', 'x')`, `{}`, `"{} x"`)
	f(`States.Format('{\}{}', 'x')`, `{}`, `"{}x"`)
	f(`States.Format('it\'s {}', '\\')`, `{}`, `"it's \\"`)
	f(`States.Format($.t, $.a)`, `{"t":"<{}>","a":"q\"uote"}`, `"<q\"uote>"`)
	f(`States.Format('no holes')`, `{}`, `"no holes"`)
	f(`States.Format('{}', $v)`, `{}`, `"var"`)
	f(`States.Array()`, `{}`, `[]`)
	f(`States.Array(1, 'a', true, null, $.x, States.Array())`, `{"x":{"y":[]}}`, `[1,"a",true,null,{"y":[]},[]]`)
	f(`States.JsonToString($.x)`, `{"x":{"a":"b\"c","d":[1]}}`, `"{\"a\":\"b\\\"c\",\"d\":[1]}"`)
	f(`States.StringToJson($.s)`, `{"s":" {\"a\" : [1, 2]} "}`, `{"a":[1,2]}`)
	f(`States.StringToJson('')`, `{}`, `null`)
	f(`States.StringToJson('"x"')`, `{}`, `"x"`)
	f(`States.ArrayPartition(States.ArrayRange(1, 5, 1), 2)`, `{}`, `[[1,2],[3,4],[5]]`)
	f(`States.ArrayPartition($.a, 2.9)`, `{"a":[1,2,3]}`, `[[1,2],[3]]`)
	f(`States.ArrayContains($.a, $.v)`, `{"a":[1,{"x":1,"y":2}],"v":{"y":2,"x":1.0}}`, `true`)
	f(`States.ArrayContains($.a, 3)`, `{"a":[1,2]}`, `false`)
	f(`States.ArrayRange(1, 9, 2)`, `{}`, `[1,3,5,7,9]`)
	f(`States.ArrayRange(5, 1, -2)`, `{}`, `[5,3,1]`)
	f(`States.ArrayRange(1, 5, -1)`, `{}`, `[]`)
	f(`States.ArrayRange(3, 3, -1)`, `{}`, `[3]`)
	f(`States.ArrayRange(5.4, -0.6, -2.4)`, `{}`, `[5,3,1]`)
	f(`States.ArrayGetItem($.a, 1)`, `{"a":[1,{"b":2}]}`, `{"b":2}`)
	f(`States.ArrayGetItem($.a, 1.2)`, `{"a":[10,20,30]}`, `20`)
	f(`States.ArrayGetItem($.a, 999)`, `{"a":[]}`, `null`)
	f(`States.ArrayLength($.a)`, `{"a":[[1],{"x":[2,3]},"s"]}`, `3`)
	f(`States.ArrayUnique($.a)`, `{"a":[1,1.0,2,"a","a",{"x":1,"y":2},{"y":2,"x":1},[1],[1],null,null,-0,0]}`, `[1,2,"a",{"x":1,"y":2},[1],null,-0]`)
	f(`States.Base64Encode('Data to encode')`, `{}`, `"RGF0YSB0byBlbmNvZGU="`)
	f(`States.Base64Decode('RGF0YSB0byBlbmNvZGU')`, `{}`, `"Data to encode"`)
	f(`States.Base64Decode('/w==')`, `{}`, "\"\uFFFD\"")
	f(`States.Hash('input data', 'SHA-1')`, `{}`, `"aaff4a450a104cd177d28d18d74485e8cae074b7"`)
	f(`States.JsonMerge($.a, $.b, false)`, `{"a":{"x":1,"y":{"p":1}},"b":{"y":{"q":2},"z":3}}`, `{"x":1,"y":{"q":2},"z":3}`)
	f(`States.MathRandom(1, 2)`, `{}`, `1`)
	f(`States.MathAdd(-2.5, 0)`, `{}`, `-2`)
	f(`States.MathAdd(1.49, 1.5)`, `{}`, `3`)
	f(`States.MathAdd(0.49999999999999994, 0)`, `{}`, `0`)
	f(`States.MathAdd(2147483647, 1)`, `{}`, `2147483648`)
	f(`States.StringSplit('a, b,,c', ', ')`, `{}`, `["a","b","c"]`)
	f(`States.StringSplit('x', '')`, `{}`, `["x"]`)
	f(`States.StringSplit($.s, 'é')`, `{"s":"aébéc\n"}`, `["a","b","c\n"]`)
	f(`States.ArrayGetItem(States.StringSplit($.s, '-'), States.MathAdd(States.ArrayLength(States.StringSplit($.s, '-')), -1))`, `{"s":"a-b-c"}`, `"c"`)

	got, err := evalText(t, `States.UUID()`, `{}`)
	if err != nil || !regexp.MustCompile(`^"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}"$`).Match(got) {
		t.Errorf("States.UUID() = %s, %v", got, err)
	}
	a, _ := evalText(t, `States.MathRandom(0, 1000000, 7)`, `{}`)
	b, _ := evalText(t, `States.MathRandom(0, 1000000, 7)`, `{}`)
	if string(a) != string(b) {
		t.Errorf("seeded MathRandom differs between calls: %s, %s", a, b)
	}
}

func TestIntrinsicEvalErrors(t *testing.T) {
	f := func(expr, input, cause string) {
		t.Helper()
		got, err := evalText(t, expr, input)
		var fl *Failure
		if !errors.As(err, &fl) {
			t.Errorf("%s: got %s, %v; want a Failure", expr, got, err)
			return
		}
		if fl.Name != ErrRuntime || fl.Cause != cause {
			t.Errorf("%s: got %s: %s\nwant %s: %s", expr, fl.Name, fl.Cause, ErrRuntime, cause)
		}
	}
	inv := func(fn string) string { return "Invalid arguments in States." + fn }
	f(`States.Format('{} {}', 1)`, `{}`, inv("Format"))
	f(`States.Format('{}', 1, 2)`, `{}`, inv("Format"))
	f(`States.Format($.t, 1, 2)`, `{"t":"{}"}`, inv("Format"))
	f(`States.Format(1)`, `{}`, inv("Format"))
	f(`States.Format()`, `{}`, inv("Format"))
	f(`States.StringToJson('{')`, `{}`, inv("StringToJson"))
	f(`States.StringToJson(1)`, `{}`, inv("StringToJson"))
	f(`States.JsonToString()`, `{}`, inv("JsonToString"))
	f(`States.ArrayPartition($.a, 0.49)`, `{"a":[1]}`, inv("ArrayPartition"))
	f(`States.ArrayPartition('a', 1)`, `{}`, inv("ArrayPartition"))
	f(`States.ArrayContains(1, 1)`, `{}`, inv("ArrayContains"))
	f(`States.ArrayRange(1, 10, 0.49)`, `{}`, inv("ArrayRange"))
	f(`States.ArrayRange(1, 1001, 1)`, `{}`, inv("ArrayRange"))
	f(`States.ArrayRange(1001, 1, -1)`, `{}`, inv("ArrayRange"))
	f(`States.ArrayRange('a', 5, 1)`, `{}`, inv("ArrayRange"))
	f(`States.ArrayRange(1, 5)`, `{}`, inv("ArrayRange"))
	f(`States.ArrayGetItem($.a, 3)`, `{"a":[1,2,3]}`, inv("ArrayGetItem"))
	f(`States.ArrayGetItem($.a, -1)`, `{"a":[1,2,3]}`, inv("ArrayGetItem"))
	f(`States.ArrayGetItem($.a, '1')`, `{"a":[1,2,3]}`, inv("ArrayGetItem"))
	f(`States.ArrayGetItem('x', 0)`, `{}`, inv("ArrayGetItem"))
	f(`States.ArrayLength('x')`, `{}`, inv("ArrayLength"))
	f(`States.ArrayUnique(1)`, `{}`, inv("ArrayUnique"))
	f(`States.Base64Encode(1)`, `{}`, inv("Base64Encode"))
	f(`States.Base64Encode($.s)`, `{"s":"`+strings.Repeat("x", 10001)+`"}`, inv("Base64Encode"))
	f(`States.Base64Decode('!!')`, `{}`, inv("Base64Decode"))
	f(`States.Hash('x', 'SHA-2')`, `{}`, inv("Hash"))
	f(`States.Hash('x', 1)`, `{}`, inv("Hash"))
	f(`States.JsonMerge($.a, $.a, true)`, `{"a":{}}`, inv("JsonMerge"))
	f(`States.JsonMerge($.a, 1, false)`, `{"a":{}}`, inv("JsonMerge"))
	f(`States.MathRandom(1.4, 1.6)`, `{}`, inv("MathRandom"))
	f(`States.MathRandom(1, 5, 'x')`, `{}`, inv("MathRandom"))
	f(`States.MathAdd(1, 'a')`, `{}`, inv("MathAdd"))
	f(`States.MathAdd(2147483648, 0)`, `{}`, inv("MathAdd"))
	f(`States.MathAdd(1, 2, 3)`, `{}`, inv("MathAdd"))
	f(`States.StringSplit(1, ',')`, `{}`, inv("StringSplit"))
	f(`States.UUID(1)`, `{}`, inv("UUID"))
	f(`States.Array($.missing)`, `{}`, "The JsonPath argument for the field '$.missing' could not be found in the input")
	f(`States.Array(States.MathAdd($.missing, 1))`, `{}`, "The JsonPath argument for the field '$.missing' could not be found in the input")
}

func TestParseIntrinsicErrors(t *testing.T) {
	f := func(expr string, offset int, msg string) {
		t.Helper()
		in, err := ParseIntrinsic(expr)
		if err == nil {
			t.Errorf("%s: parsed to %+v, want an error", expr, in)
			return
		}
		var ie *IntrinsicError
		var pe *PathError
		switch {
		case errors.As(err, &ie):
			if ie.Offset != offset || !strings.Contains(ie.Msg, msg) {
				t.Errorf("%s: got offset %d %q, want offset %d containing %q", expr, ie.Offset, ie.Msg, offset, msg)
			}
		case errors.As(err, &pe):
			if pe.Offset != offset || !strings.Contains(pe.Msg, msg) {
				t.Errorf("%s: got path offset %d %q, want offset %d containing %q", expr, pe.Offset, pe.Msg, offset, msg)
			}
		default:
			t.Errorf("%s: unexpected error type %T: %v", expr, err, err)
		}
	}
	f(``, 0, "expected an intrinsic function name")
	f(`States.format('x')`, 0, `unknown intrinsic function "States.format"`)
	f(`States.Nope()`, 0, "unknown intrinsic function")
	f(`$.x`, 0, "expected an intrinsic function name")
	f(`States.Array`, 12, "expected '('")
	f(`States.Array(`, 13, "expected an argument")
	f(`States.Array(1`, 14, "unterminated argument list")
	f(`States.Array(1 2)`, 15, "expected ',' or ')'")
	f(`States.Array(1,)`, 15, "expected a string")
	f(`States.Array(1x)`, 14, "unexpected character")
	f(`States.Array(truex)`, 17, "unexpected character")
	f(`States.Array('a)`, 13, "unterminated string")
	f(`States.Array('a\"b')`, 15, `invalid escape "\\\""`)
	f(`States.Format('He said, \"Hello, {}!\"', 'Test \"Name\" Here')`, 24, "invalid escape")
	f(`States.StringToJson('{\"text\":\"An \\\"escaped\\\" here\"}')`, 22, "invalid escape")
	f(`States.Array(01)`, 14, "unexpected character")
	f(`States.Array(-)`, 13, "invalid number")
	f(`States.Array(@)`, 13, "expected a string")
	f(`States.Array($.a[)`, 13, "unterminated '['")
	f(`States.Array($['']['',`, 13, "unterminated '['") // found by FuzzParseIntrinsic: ParsePath panics on it
	f(`States.Array($.a[0]])`, 19, "expected '.' or '['")
	f(`States.Array() x`, 14, "unexpected text after the call")
	f("States.Format('{}\xa2{}', 0, 0)", 17, "invalid UTF-8") // found by FuzzParseIntrinsic
	if _, err := ParseIntrinsic("States.Array('\uFFFD')"); err != nil {
		t.Errorf("a literal U+FFFD is valid UTF-8: %v", err)
	}
	f(strings.Repeat("States.Array(", 11)+strings.Repeat(")", 11), 130, "nest more than 10")
}

func TestIntrinsicPaths(t *testing.T) {
	in, err := ParseIntrinsic(`States.Format('{} {} {}', $.a, States.ArrayGetItem($$.Execution.Input['x,y'], $v.i), $[?(@.k == 'a,b')])`)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, p := range in.Paths() {
		got = append(got, p.Text)
	}
	want := []string{"$.a", "$$.Execution.Input['x,y']", "$v.i", "$[?(@.k == 'a,b')]"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("Paths() = %q, want %q", got, want)
	}
	if p := in.Paths()[2]; p.Root != RootVar || p.Var != "v" {
		t.Errorf("variable path compiled as root %d var %q", p.Root, p.Var)
	}
}

// TestIntrinsicGolden runs testdata/intrinsics/*.txt: blocks separated by
// blank lines, each with an "expr:" line, an optional "input:" line (JSON,
// default {}), and one of "want:" (the JSON result, compared with Equal),
// "error:" (the Failure's cause) or "parse-error:" (a substring of the parse
// error). An expr in double quotes is a Go string literal, for newlines.
func TestIntrinsicGolden(t *testing.T) {
	files, _ := filepath.Glob("testdata/intrinsics/*.txt")
	if len(files) == 0 {
		t.Fatal("no golden files in testdata/intrinsics")
	}
	n := 0
	for _, file := range files {
		for _, c := range readGolden(t, file) {
			n++
			name := file + ":" + c["line"]
			got, err := evalText(t, c["expr"], c["input"])
			switch {
			case c["parse-error"] != "":
				if err == nil || !strings.Contains(err.Error(), c["parse-error"]) {
					t.Errorf("%s: %s: got %s, %v; want parse error containing %q", name, c["expr"], got, err, c["parse-error"])
				}
			case c["error"] != "":
				var fl *Failure
				if !errors.As(err, &fl) || fl.Cause != c["error"] {
					t.Errorf("%s: %s: got %s, %v; want failure %q", name, c["expr"], got, err, c["error"])
				}
			default:
				if err != nil || !jsonb.Equal(got, mustCompact(t, c["want"])) {
					t.Errorf("%s: %s on %s:\n got %s, %v\nwant %s", name, c["expr"], c["input"], got, err, c["want"])
				}
			}
		}
	}
	t.Logf("%d golden cases", n)
}

func readGolden(t *testing.T, file string) []map[string]string {
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var cases []map[string]string
	var cur map[string]string
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	line := 0
	for sc.Scan() {
		line++
		s := sc.Text()
		if strings.HasPrefix(s, "#") {
			continue
		}
		if strings.TrimSpace(s) == "" {
			cur = nil
			continue
		}
		k, v, ok := strings.Cut(s, ":")
		if !ok {
			t.Fatalf("%s:%d: want key: value", file, line)
		}
		if cur == nil {
			cur = map[string]string{"input": "{}", "line": strconv.Itoa(line)}
			cases = append(cases, cur)
		}
		v = strings.TrimSpace(v)
		if k == "expr" && strings.HasPrefix(v, `"`) {
			if v, err = strconv.Unquote(v); err != nil {
				t.Fatalf("%s:%d: %v", file, line, err)
			}
		}
		cur[k] = v
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return cases
}
