package fastpath

import "testing"

// intrinsicBench is one hot-path call per function, with the input it runs on.
var intrinsicBench = []struct {
	name, expr, input string
}{
	{"Format", `States.Format('Hello {}, you are {} and own {}', $.name, $.age, $.things)`, `{"name":"World","age":42,"things":["a","b"]}`},
	{"StringToJson", `States.StringToJson($.s)`, `{"s":"{\"a\": [1, 2, {\"b\": \"c\"}]}"}`},
	{"JsonToString", `States.JsonToString($.o)`, `{"o":{"a":[1,2,{"b":"c\"d"}]}}`},
	{"Array", `States.Array($.a, 'b', 3, States.Array())`, `{"a":{"x":1}}`},
	{"ArrayPartition", `States.ArrayPartition($.a, 3)`, `{"a":[1,2,3,4,5,6,7,8,9,10]}`},
	{"ArrayContains", `States.ArrayContains($.a, $.v)`, `{"a":[1,"x",{"k":"v"},[2]],"v":[2]}`},
	{"ArrayRange", `States.ArrayRange(0, 100, 7)`, `{}`},
	{"ArrayGetItem", `States.ArrayGetItem($.a, 3)`, `{"a":[1,2,3,{"x":"y"}]}`},
	{"ArrayLength", `States.ArrayLength($.a)`, `{"a":[1,2,3,4,5,6,7,8,9]}`},
	{"ArrayUnique", `States.ArrayUnique($.a)`, `{"a":[1,2,2,"a","a",{"x":1},{"x":1}]}`},
	{"Base64Encode", `States.Base64Encode($.s)`, `{"s":"Data to encode"}`},
	{"Base64Decode", `States.Base64Decode($.s)`, `{"s":"RGF0YSB0byBlbmNvZGU="}`},
	{"Hash", `States.Hash($.s, 'SHA-256')`, `{"s":"input data"}`},
	{"JsonMerge", `States.JsonMerge($.a, $.b, false)`, `{"a":{"x":1,"y":2},"b":{"y":3,"z":4}}`},
	{"MathRandom", `States.MathRandom(1, 1000)`, `{}`},
	{"MathAdd", `States.MathAdd($.a, -1.5)`, `{"a":41.5}`},
	{"StringSplit", `States.StringSplit($.s, ',')`, `{"s":"a,b,c,d,e"}`},
	{"UUID", `States.UUID()`, `{}`},
}

var benchSink []byte

func BenchmarkIntrinsic(b *testing.B) {
	for _, bc := range intrinsicBench {
		b.Run(bc.name, func(b *testing.B) {
			in, err := ParseIntrinsic(bc.expr)
			if err != nil {
				b.Fatal(err)
			}
			r := &testResolver{Input: mustCompact(b, bc.input)}
			dst := make([]byte, 0, 4096)
			b.ReportAllocs()
			for b.Loop() {
				val, _, err := in.Eval(dst[:0], r)
				if err != nil {
					b.Fatal(err)
				}
				benchSink = val
			}
		})
	}
}
