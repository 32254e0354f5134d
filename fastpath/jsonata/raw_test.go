package jsonata

import (
	"errors"
	"sort"
	"testing"
)

// checkRaw evaluates e both ways and fails t when the raw evaluation gives
// a result that Eval does not: raw evaluation may only decline.
func checkRaw(t *testing.T, name string, e *Expr, reg *Registry, input any, vars map[string]any, opts *Options) (tookRaw bool) {
	r := e.Raw(reg)
	if r == nil {
		return false
	}
	if opts == nil {
		opts = &Options{}
	}
	ev := RawEval{MaxBytes: opts.MaxBytes}
	var in []byte
	if input != nil {
		in = AppendJSON(nil, input)
	}
	names := make([]string, 0, len(vars))
	for k := range vars {
		names = append(names, k)
	}
	sort.Strings(names)
	var rv []RawVar
	for _, k := range names {
		rv = append(rv, RawVar{Name: k, JSON: AppendJSON(nil, vars[k])})
	}
	for _, b := range append([][]byte{in}, rvJSON(rv)...) {
		if b != nil && !ev.Canonical(b) {
			t.Fatalf("%s: AppendJSON wrote %s, which Canonical rejects", name, b)
		}
	}
	out, ok := r.AppendEval([]byte("prefix"), &ev, in, rv)
	if !ok {
		if string(out) != "prefix" {
			t.Fatalf("%s: declined raw evaluation changed dst: %q", name, out)
		}
		return false
	}
	opts.Bindings = vars
	opts.Functions = reg
	v, err := e.Eval(input, opts)
	var je *Error
	if err != nil && errors.As(err, &je) && (je.Code == "U1001" || je.Code == "U1002") {
		return true // time and steps, which raw evaluation does not count
	}
	if err != nil || v == nil {
		t.Fatalf("%s: raw evaluation gave %s, Eval gave %v (err %v)", name, out[6:], v, err)
	}
	want := AppendJSON(nil, v)
	if string(out[6:]) != string(want) {
		t.Fatalf("%s: raw evaluation gave %s, Eval gave %s", name, out[6:], want)
	}
	if !ev.Canonical(out[6:]) {
		t.Fatalf("%s: raw result %s is not canonical", name, out[6:])
	}
	return true
}

func rvJSON(vars []RawVar) [][]byte {
	var out [][]byte
	for _, v := range vars {
		out = append(out, v.JSON)
	}
	return out
}

// TestRawMatchesEval runs every case of the JSONata suite that raw
// evaluation accepts both ways: the results must be the same.
func TestRawMatchesEval(t *testing.T) {
	root := findSuite()
	if root == "" {
		t.Skip("shared/jsonata-suite not found above the package directory")
	}
	ids, cases, _ := loadCases(t, root)
	datasets := map[string]any{}
	raw := 0
	for _, id := range ids {
		c := cases[id]
		if c.Expr == nil {
			continue
		}
		e, err := Compile(*c.Expr)
		if err != nil {
			continue
		}
		input, err := caseInput(t, root, c, datasets)
		if err != nil {
			t.Fatal(err)
		}
		vars := map[string]any{}
		for k, b := range c.Bindings {
			vars[k] = mustJSON(t, b)
		}
		if checkRaw(t, id, e, nil, input, vars, nil) {
			raw++
		}
	}
	t.Logf("%d of %d cases evaluated raw, all as Eval does", raw, len(ids))
	if raw < 100 {
		t.Errorf("only %d suite cases took the raw path", raw)
	}
}

// TestRawStates covers the shapes state machines use, over a $states
// given member by member and over variables.
func TestRawStates(t *testing.T) {
	input := `{"customer":{"id":"c-42","name":"Ann","tier":"gold","tags":["a","b"]},"order":{"id":"o-1","total":150.5,"items":[{"sku":"A","q":1},{"sku":"B","q":2}]},"flags":{"express":true},"esc":"a\"b\n\u0001","n":null,"big":1e21}`
	result := `[{"label":"x"},{"message":"m","channels":["e","s"]}]`
	vars := map[string]string{"limit": `100`, "who": `{"name":"Bob"}`, "list": `[1,2,3]`}
	for _, src := range []string{
		`$states.input.customer.id`,
		`$states.input.order`,
		`$states.input.order.items.sku`,
		`[$states.input.order.items.sku]`,
		`$states.input.order.items[1].sku`,
		`$states.input.order.items[-1]`,
		`$states.input.customer.tags[0]`,
		`$states.result[0].label`,
		`$states.result[1].channels`,
		`$states.result.channels`,
		`$states.input.missing.x`,
		`'Hello ' & $states.input.customer.name & ', order ' & $states.input.order.id & ' totals ' & $states.input.order.total`,
		`$states.input.esc & $states.input.n & $states.input.flags.express & $states.input.big`,
		`[$states.input.customer.tier, $states.input.customer.tags, 'web', [1, 2], $states.input.nothing]`,
		`{'a': $states.input.customer.id, 'b': $states.input.nothing, 'c': {'d': [$states.input.order.total]}}`,
		`$merge([$states.input, {'enriched': {'tagsJson': $string($states.input.customer.tags), 'skus': [$states.input.order.items.sku]}}])`,
		`$merge([$states.input.order, {'id': 'new', 'extra': 1}])`,
		`$merge($states.input.order.items)`,
		`$merge($states.input.nothing)`,
		`$states.input.order.total >= 100 and ($states.input.customer.tier = 'gold' or $states.input.customer.tier = 'platinum')`,
		`$states.input.order.total < 100 and $not($states.input.customer.country = 'US')`,
		`$states.input.flags.express = true`,
		`$states.input.order.total > $limit ? 'big' : 'small'`,
		`$who.name & '/' & $list[1]`,
		`$exists($states.input.n) and $exists($states.input.nope) = false`,
		`$string($states.input.order) & $string(1/3) & $string($states.input.esc)`,
		`-$states.input.order.total * 2 + 1 - 0.5 / 4 % 3`,
		`$states.input.customer.name < 'B'`,
		`$states.input.order.total < 'B'`,
		`$states.input.nothing < 3`,
		`$states.input.n = null`,
		`$states.input.customer = $states.input.customer`,
		`$list`,
		`$who`,
		`$states.input.esc`,
		`$states.input.customer.tags.x`,
		`$states`,
		`$states.context`,
		`$string`,
		`$states.input.order.total / 0`,
	} {
		e, err := Compile(src)
		if err != nil {
			t.Fatalf("%s: %v", src, err)
		}
		in := mustJSON(t, []byte(input))
		res := mustJSON(t, []byte(result))
		states := NewObject(2)
		states.Set("input", in)
		states.Set("result", res)
		bind := map[string]any{"states": states}
		rv := []RawVar{{Name: "states", Members: []RawVar{{Name: "input", JSON: AppendJSON(nil, in)}, {Name: "result", JSON: AppendJSON(nil, res)}}}}
		for k, v := range vars {
			x := mustJSON(t, []byte(v))
			bind[k] = x
			rv = append(rv, RawVar{Name: k, JSON: AppendJSON(nil, x)})
		}
		r := e.Raw(nil)
		if r == nil {
			t.Logf("%s: not raw", src)
			continue
		}
		var ev RawEval
		out, ok := r.AppendEval(nil, &ev, AppendJSON(nil, in), rv)
		v, err := e.Eval(in, &Options{Bindings: bind})
		switch {
		case !ok:
			t.Logf("%s: declined (Eval: %s, %v)", src, AppendJSON(nil, v), err)
		case err != nil || v == nil:
			t.Errorf("%s: raw %s, Eval %v, %v", src, out, v, err)
		case string(out) != string(AppendJSON(nil, v)):
			t.Errorf("%s: raw %s, Eval %s", src, out, AppendJSON(nil, v))
		}
	}
}

// TestCanonical checks Canonical against ParseJSON and AppendJSON.
func TestCanonical(t *testing.T) {
	for _, s := range []string{
		`{}`, `[]`, `{"a":1}`, `{"a":1,"a":2}`, `{"a": 1}`, `1.0`, `1.5`, `-0`, `0`, `1e21`, `1e+21`, `100000000000000000000`,
		`123456789012345678`, `0.1`, `1E5`, `"a\/b"`, `"a\u0001"`, `"a\u0041"`, `"\u001F"`, `"\u001f"`, `"\n"`, `"\u000a"`,
		`[1,"x",null,true,false,{"b":[]}]`, `nul`, `[1,]`, `{"a":1,}`, `"é"`, `-1.25e-7`, `1.25e-7`, `0.000001`, `1e-7`,
	} {
		var ev RawEval
		got := ev.Canonical([]byte(s))
		v, err := ParseJSON([]byte(s))
		want := err == nil && string(AppendJSON(nil, v)) == s
		if got != want {
			t.Errorf("Canonical(%s) = %v, want %v", s, got, want)
		}
	}
}

// TestRawMaxBytes checks that raw evaluation declines what Eval would
// stop with U1003 under Options.MaxBytes.
func TestRawMaxBytes(t *testing.T) {
	e, err := Compile(`$.name & $.name & $.name`)
	if err != nil {
		t.Fatal(err)
	}
	in := []byte(`{"name":"abcdefgh"}`)
	ev := RawEval{MaxBytes: 16}
	if out, ok := e.Raw(nil).AppendEval(nil, &ev, in, nil); ok {
		t.Errorf("raw evaluation gave %s past MaxBytes", out)
	}
	doc, _ := ParseJSON(in)
	if _, err := e.Eval(doc, &Options{MaxBytes: 16}); err == nil || err.(*Error).Code != "U1003" {
		t.Errorf("Eval: %v, want U1003", err)
	}
	ev.MaxBytes = 0
	if out, ok := e.Raw(nil).AppendEval(nil, &ev, in, nil); !ok || string(out) != `"abcdefghabcdefghabcdefgh"` {
		t.Errorf("raw evaluation without a limit: %s, %v", out, ok)
	}
}

// TestRawIndexResult reads the result of a $merge, which raw evaluation
// indexes as it writes it, through paths with the same RawEval, as the
// next state of a machine does.
func TestRawIndexResult(t *testing.T) {
	in := []byte(`{"customer":{"id":"c-42","name":"Ann","tags":["a","b"]},"order":{"id":"o-1","total":150.5},"flags":{"express":true},"note":"a\"b","list":[1,2,3]}`)
	m, err := Compile(`$merge([$, {"added": {"x": 1}, "note": "replaced", "customer": $.order}])`)
	if err != nil {
		t.Fatal(err)
	}
	var ev RawEval
	out, ok := m.Raw(nil).AppendEval([]byte("prefix"), &ev, in, nil)
	if !ok {
		t.Fatal("declined")
	}
	res := out[6:]
	if ev.indexed(res) == nil {
		t.Fatalf("%s: not indexed", res)
	}
	doc := mustJSON(t, res)
	for _, src := range []string{`customer.id`, `customer.total`, `note`, `added.x`, `flags.express`, `list[1]`, `order`, `missing`, `$merge([$, {"y": 2}])`} {
		e, err := Compile(src)
		if err != nil {
			t.Fatal(err)
		}
		checkRawWith(t, &ev, src, e, res, doc)
	}
}

// checkRawWith evaluates e over in (whose value is doc) with ev, which
// may know in already, and compares with Eval.
func checkRawWith(t *testing.T, ev *RawEval, name string, e *Expr, in []byte, doc any) {
	r := e.Raw(nil)
	if r == nil {
		t.Fatalf("%s: not raw", name)
	}
	v, err := e.Eval(doc, nil)
	got, ok := r.AppendEval(nil, ev, in, nil)
	switch {
	case !ok && (err != nil || v == nil):
	case !ok:
		t.Errorf("%s: declined, Eval gave %s", name, AppendJSON(nil, v))
	case err != nil || v == nil:
		t.Errorf("%s: raw %s, Eval %v %v", name, got, v, err)
	case string(got) != string(AppendJSON(nil, v)):
		t.Errorf("%s: raw %s, Eval %s", name, got, AppendJSON(nil, v))
	}
}
