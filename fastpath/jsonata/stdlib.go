package jsonata

import (
	"math"
)

// stdlib is the JSONata standard library, keyed by name without the $.
// It is built once at init and never modified.
var stdlib = map[string]*Builtin{}

// builtinImpl is the Go form of a library function: args have already
// been validated against the signature (missing optional arguments are
// nil); errors are raised with throwErr.
type builtinImpl = func(ev *evaluator, input any, e *env, args []any) any

// def registers a standard function with its signature.
func def(name, sig string, impl builtinImpl) {
	s := mustSig(sig)
	stdlib[name] = &Builtin{Name: name, sig: s, arity: s.arity(), impl: impl}
}

func init() {
	defineStringFuncs()
	defineNumberFuncs()
	defineArrayFuncs()
	defineObjectFuncs()
	defineMiscFuncs()
	defineIntegerFuncs()
	defineFormatNumber()
}

// toBool is JSONata's $boolean reduced to a Go bool (undefined is false).
func toBool(v any) bool {
	switch x := v.(type) {
	case nil:
		return false
	case bool:
		return x
	case string:
		return x != ""
	case float64:
		return x != 0 && !math.IsNaN(x)
	case Null:
		return false
	case *Array:
		if len(x.Items) == 1 {
			return toBool(x.Items[0])
		}
		for _, it := range x.Items {
			if toBool(it) {
				return true
			}
		}
		return false
	case *Object:
		return len(x.keys) > 0
	}
	return false
}

// jsTruthy is JavaScript truthiness, used for the result of a $sort
// comparator.
func jsTruthy(v any) bool {
	switch x := v.(type) {
	case nil, Null:
		return false
	case bool:
		return x
	case string:
		return x != ""
	case float64:
		return x != 0 && !math.IsNaN(x)
	}
	return true
}

// toString is $string: strings unchanged, functions "", numbers with 15
// significant digits, everything else as JSON (indented when prettify).
func toString(v any, prettify bool) string {
	switch x := v.(type) {
	case string:
		return x
	case float64:
		if math.IsInf(x, 0) || math.IsNaN(x) {
			throwErr("D3001", -1, "", x)
		}
		return formatNum(round15(x))
	case *Array:
		if x.outerWrapper && len(x.Items) > 0 {
			v = x.Items[0]
		}
	}
	if isFunc(v) {
		return ""
	}
	if prettify {
		return string(appendPretty(nil, v, ""))
	}
	return string(appendJSON(nil, v, true))
}

// appendPretty is JSON.stringify(v, null, 2) with $string's number
// rounding.
func appendPretty(dst []byte, v any, indent string) []byte {
	inner := indent + "  "
	switch x := v.(type) {
	case *Array:
		if len(x.Items) == 0 {
			return append(dst, "[]"...)
		}
		dst = append(dst, '[')
		for i, it := range x.Items {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = append(dst, '\n')
			dst = append(dst, inner...)
			if it == nil {
				dst = append(dst, "null"...)
			} else {
				dst = appendPretty(dst, it, inner)
			}
		}
		dst = append(dst, '\n')
		dst = append(dst, indent...)
		return append(dst, ']')
	case *Object:
		first := true
		dst = append(dst, '{')
		for _, k := range x.keys {
			val := x.get(k)
			if val == nil {
				continue
			}
			if !first {
				dst = append(dst, ',')
			}
			first = false
			dst = append(dst, '\n')
			dst = append(dst, inner...)
			dst = appendQuoted(dst, k)
			dst = append(dst, ": "...)
			dst = appendPretty(dst, val, inner)
		}
		if first {
			return append(dst, '}')
		}
		dst = append(dst, '\n')
		dst = append(dst, indent...)
		return append(dst, '}')
	}
	return appendJSON(dst, v, true)
}

// argArray returns the items of an array argument (nil when undefined).
func argArray(v any) []any {
	if a, ok := v.(*Array); ok {
		return a.Items
	}
	return nil
}

// callHOF calls f with (value, index, array) trimmed to f's arity.
func (ev *evaluator) callHOF(f any, input any, e *env, a, b, c any) any {
	args := []any{a}
	n := arity(f)
	if n >= 2 {
		args = append(args, b)
	}
	if n >= 3 {
		args = append(args, c)
	}
	return ev.apply(f, args, input, e)
}
