package fastpath

import (
	"bytes"
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"hash"
	"math"
	mrand "math/rand/v2"

	"github.com/stepd/stepd/fastpath/jsonata"
	"github.com/stepd/stepd/fastpath/jsonb"
)

// awsFunctions are the functions Step Functions adds to JSONata
// ("JSONata functions provided by Step Functions").
func awsFunctions() map[string]jsonata.Function {
	return map[string]jsonata.Function{
		"partition": {Signature: "<an:a>", Impl: jfnPartition},
		"range":     {Signature: "<nnn:a>", Impl: jfnRange},
		"hash":      {Signature: "<ss:s>", Impl: jfnHash},
		"random":    {Signature: "<n?:n>", Impl: jfnRandom},
		"uuid":      {Signature: "<:s>", Impl: jfnUUID},
		"parse":     {Signature: "<s:x>", Impl: jfnParse, JSON: jfnParseJSON},
	}
}

// maxFunctionItems bounds the arrays $partition and $range build, as
// States.ArrayRange is bounded.
const maxFunctionItems = 1000

func queryFuncError(msg string) error {
	return &jsonata.Error{Code: "D3137", Position: -1, Message: msg}
}

// jfnPartition implements $partition(array, size): the array cut into
// chunks of size items (the last may be shorter).
func jfnPartition(args []any) (any, error) {
	arr, _ := args[0].(*jsonata.Array)
	size, _ := args[1].(float64)
	if arr == nil {
		return nil, nil
	}
	if size <= 0 || size != math.Trunc(size) {
		return nil, queryFuncError("The size argument of $partition must be a positive integer")
	}
	n := int(min(size, math.MaxInt32))
	out := jsonata.NewArray(nil)
	for i := 0; i < len(arr.Items); i += n {
		chunk := arr.Items[i:min(i+n, len(arr.Items))]
		out.Items = append(out.Items, jsonata.NewArray(append([]any(nil), chunk...)))
	}
	return out, nil
}

// jfnRange implements $range(start, end, step): the numbers from start
// to end inclusive. A single number is returned on its own, as AWS does
// (its result is a JSONata sequence).
func jfnRange(args []any) (any, error) {
	start, _ := args[0].(float64)
	end, _ := args[1].(float64)
	step, _ := args[2].(float64)
	if start != math.Trunc(start) || end != math.Trunc(end) || step != math.Trunc(step) || step == 0 {
		return nil, queryFuncError("The arguments of $range must be integers and the step must not be zero")
	}
	var items []any
	for x := start; (step > 0 && x <= end) || (step < 0 && x >= end); x += step {
		if len(items) == maxFunctionItems {
			return nil, queryFuncError("The $range result exceeds the maximum of 1000 items")
		}
		items = append(items, x)
	}
	if len(items) == 1 {
		return items[0], nil
	}
	return jsonata.NewArray(items), nil
}

// jfnHash implements $hash(text, algorithm).
func jfnHash(args []any) (any, error) {
	text, _ := args[0].(string)
	alg, _ := args[1].(string)
	var h hash.Hash
	switch alg {
	case "MD5":
		h = md5.New()
	case "SHA-1":
		h = sha1.New()
	case "SHA-256":
		h = sha256.New()
	case "SHA-384":
		h = sha512.New384()
	case "SHA-512":
		h = sha512.New()
	default:
		return nil, queryFuncError("The hash algorithm '" + alg + "' is not supported; use one of MD5, SHA-1, SHA-256, SHA-384, SHA-512")
	}
	h.Write([]byte(text))
	return hex.EncodeToString(h.Sum(nil)), nil
}

// jfnRandom implements $random([seed]): a number in [0, 1), repeatable
// for a given seed.
func jfnRandom(args []any) (any, error) {
	if len(args) > 0 && args[0] != nil {
		seed, _ := args[0].(float64)
		r := mrand.New(mrand.NewPCG(uint64(int64(seed)), math.Float64bits(seed)))
		return r.Float64(), nil
	}
	return randFloat64(), nil
}

// jfnUUID implements $uuid(): a random version 4 UUID.
func jfnUUID([]any) (any, error) {
	return string(AppendUUID(nil)), nil
}

// jfnParse implements $parse(text): the JSON value text holds.
func jfnParse(args []any) (any, error) {
	text, _ := args[0].(string)
	v, err := jsonata.ParseJSON([]byte(text))
	if err != nil {
		return nil, queryFuncError("The $parse argument is not valid JSON: " + err.Error())
	}
	return v, nil
}

// jfnParseJSON is $parse for raw evaluation: the text of a string that
// holds canonical JSON is the result as it is; any other text (and a
// \u escape, which may stand for half a surrogate pair) is left to
// jfnParse. Objects in the text cost Canonical an allocation.
func jfnParseJSON(dst []byte, args [][]byte) ([]byte, bool) {
	if len(args) != 1 {
		return dst, false
	}
	s := args[0]
	if jsonb.KindOf(s) != jsonb.KindString || bytes.Contains(s, []byte(`\u`)) {
		return dst, false
	}
	mark := len(dst)
	dst = jsonb.AppendUnquoted(dst, s)
	var ev jsonata.RawEval
	if !ev.Canonical(dst[mark:]) {
		return dst[:mark], false
	}
	return dst, true
}

// IsQueryFunction reports whether a JSONata state can call $name (name
// without the $): a JSONata 2.0.6 library function or one of the six
// Step Functions adds.
func IsQueryFunction(name string) bool {
	switch name {
	case "partition", "range", "hash", "random", "uuid", "parse":
		return true
	}
	return jsonata.IsStandardFunction(name)
}
