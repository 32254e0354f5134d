package jsonb

import "testing"

func TestAppendUnquoted(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{`"plain"`, "plain"},
		{`"a\"b\\c\/d"`, `a"b\c/d`},
		{`"\b\f\n\r\t"`, "\b\f\n\r\t"},
		{`"\u00e9\u4e2d"`, "é中"},
		{`"\ud83d\ude00"`, "\U0001F600"},
		{`"\ud800x"`, "\uFFFDx"}, // a lone surrogate is U+FFFD
	} {
		if got := string(AppendUnquoted(nil, []byte(c.in))); got != c.want {
			t.Errorf("AppendUnquoted(%s) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestObjectGet(t *testing.T) {
	obj := []byte(`{"a":1,"b\u0063":{"x":[1,2]},"d":"s"}`)
	for name, want := range map[string]string{"a": "1", "bc": `{"x":[1,2]}`, "d": `"s"`, "z": ""} {
		if got := string(ObjectGet(obj, name)); got != want {
			t.Errorf("ObjectGet(%q) = %q, want %q", name, got, want)
		}
	}
}

var sink []byte

func BenchmarkObjectGet(b *testing.B) {
	obj := []byte(`{"stateMachineArn":"arn:aws:states:us-east-1:123456789012:stateMachine:m","name":"n","input":"{\"order\":{\"id\":\"o-1\"}}"}`)
	b.ReportAllocs()
	b.SetBytes(int64(len(obj)))
	for i := 0; i < b.N; i++ {
		sink = ObjectGet(obj, "input")
	}
}
