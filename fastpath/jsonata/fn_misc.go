package jsonata

import (
	"encoding/base64"
	"strings"
	"time"
	"unicode/utf8"
)

func defineMiscFuncs() {
	def("error", "<s?:x>", func(ev *evaluator, input any, e *env, args []any) any {
		msg, ok := args[0].(string)
		if !ok {
			msg = "$error() function evaluated"
		}
		throwMsg("D3137", msg)
		return nil
	})
	def("assert", "<bs?:x>", func(ev *evaluator, input any, e *env, args []any) any {
		if b, _ := args[0].(bool); !b {
			msg, ok := args[1].(string)
			if !ok {
				msg = "$assert() statement failed"
			}
			throwMsg("D3141", msg)
		}
		return nil
	})
	def("base64encode", "<s-:s>", func(ev *evaluator, input any, e *env, args []any) any {
		s, ok := args[0].(string)
		if !ok {
			return nil
		}
		return base64.StdEncoding.EncodeToString([]byte(s))
	})
	def("base64decode", "<s-:s>", func(ev *evaluator, input any, e *env, args []any) any {
		s, ok := args[0].(string)
		if !ok {
			return nil
		}
		b, err := base64.StdEncoding.DecodeString(s)
		if err != nil {
			b, _ = base64.RawStdEncoding.DecodeString(strings.TrimRight(s, "="))
		}
		return string(b)
	})
	def("encodeUrlComponent", "<s-:s>", func(ev *evaluator, input any, e *env, args []any) any {
		return urlEncode(args[0], "encodeUrlComponent", "-_.!~*'()")
	})
	def("encodeUrl", "<s-:s>", func(ev *evaluator, input any, e *env, args []any) any {
		return urlEncode(args[0], "encodeUrl", "-_.!~*'();/?:@&=+$,#")
	})
	def("decodeUrlComponent", "<s-:s>", func(ev *evaluator, input any, e *env, args []any) any {
		return urlDecode(args[0], "decodeUrlComponent", "")
	})
	def("decodeUrl", "<s-:s>", func(ev *evaluator, input any, e *env, args []any) any {
		return urlDecode(args[0], "decodeUrl", ";/?:@&=+$,#")
	})
	def("eval", "<sx?:x>", func(ev *evaluator, input any, e *env, args []any) any {
		src, ok := args[0].(string)
		if !ok {
			return nil
		}
		ctx := input
		if args[1] != nil {
			ctx = args[1]
			if a, ok := ctx.(*Array); ok && !a.sequence {
				ctx = &Array{Items: []any{a}, sequence: true, outerWrapper: true}
			}
		}
		expr, err := Compile(src)
		if err != nil {
			panic(&Error{Code: "D3120", Position: -1, Message: err.Error()})
		}
		var result any
		func() {
			defer func() {
				if r := recover(); r != nil {
					if je, ok := r.(*Error); ok {
						if je.Code == "U1001" || je.Code == "U1002" {
							panic(je)
						}
						panic(&Error{Code: "D3121", Position: -1, Message: je.Error()})
					}
					panic(r)
				}
			}()
			result = ev.eval(expr.root, ctx, e)
		}()
		return result
	})
	def("millis", "<:n>", func(ev *evaluator, input any, e *env, args []any) any {
		return float64(ev.clock().UnixMilli())
	})
	def("now", "<s?s?:s>", func(ev *evaluator, input any, e *env, args []any) any {
		return fromMillis(float64(ev.clock().UnixMilli()), args[0], args[1])
	})
	def("fromMillis", "<n-s?s?:s>", func(ev *evaluator, input any, e *env, args []any) any {
		ms, ok := args[0].(float64)
		if !ok {
			return nil
		}
		return fromMillis(ms, args[1], args[2])
	})
	def("toMillis", "<s-s?:n>", func(ev *evaluator, input any, e *env, args []any) any {
		s, ok := args[0].(string)
		if !ok {
			return nil
		}
		return toMillis(s, args[1], ev.clock())
	})
}

// fromMillis formats a timestamp: ISO 8601 with milliseconds in UTC
// without a picture, otherwise per the XPath picture string.
func fromMillis(ms float64, picture, tz any) any {
	t := time.UnixMilli(int64(ms)).UTC()
	pic, hasPic := picture.(string)
	tzs, _ := tz.(string)
	if !hasPic && tzs == "" {
		return t.Format("2006-01-02T15:04:05.000Z")
	}
	if !hasPic {
		pic = "[Y0001]-[M01]-[D01]T[H01]:[m01]:[s01].[f001][Z01:01t]"
	}
	return formatDateTime(t, pic, tzs)
}

// isoLayouts are the ISO 8601 forms toMillis accepts without a picture.
var isoLayouts = []string{
	"2006-01-02T15:04:05.999999999Z07:00",
	"2006-01-02T15:04:05Z07:00",
	"2006-01-02T15:04:05.999999999Z0700",
	"2006-01-02T15:04:05Z0700",
	"2006-01-02T15:04:05.999999999",
	"2006-01-02T15:04:05",
	"2006-01-02T15:04Z07:00",
	"2006-01-02T15:04",
	"2006-01-02",
	"2006-01",
	"2006",
}

// toMillis parses a timestamp: ISO 8601 without a picture, otherwise per
// the XPath picture string.
func toMillis(s string, picture any, now time.Time) any {
	if pic, ok := picture.(string); ok {
		return parseDateTime(s, pic, now)
	}
	for _, layout := range isoLayouts {
		if t, err := time.Parse(layout, s); err == nil {
			return float64(t.UnixMilli())
		}
	}
	throwErr("D3110", -1, "", s)
	return nil
}

// urlEncode is encodeURI / encodeURIComponent: UTF-8 percent-encoding of
// everything except alphanumerics and keep.
func urlEncode(v any, name, keep string) any {
	s, ok := v.(string)
	if !ok {
		return nil
	}
	if !utf8.ValidString(s) {
		panic(&Error{Code: "D3140", Position: -1, Token: name, Value: s, Message: "Malformed URL passed to $" + name + "(): " + s})
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x80 && (c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte(keep, c) >= 0) {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte("0123456789ABCDEF"[c>>4])
		b.WriteByte("0123456789ABCDEF"[c&15])
	}
	return b.String()
}

// urlDecode is decodeURI / decodeURIComponent; escapes of characters in
// reserved are kept encoded, as decodeURI does.
func urlDecode(v any, name, reserved string) any {
	s, ok := v.(string)
	if !ok {
		return nil
	}
	bad := func() {
		panic(&Error{Code: "D3140", Position: -1, Token: name, Value: s, Message: "Malformed URL passed to $" + name + "(): " + s})
	}
	var out []byte
	for i := 0; i < len(s); i++ {
		if s[i] != '%' {
			out = append(out, s[i])
			continue
		}
		if i+2 >= len(s) {
			bad()
		}
		r, ok := hex4([]byte("00" + s[i+1:i+3]))
		if !ok {
			bad()
		}
		if r < 0x80 && strings.IndexByte(reserved, byte(r)) >= 0 {
			out = append(out, s[i:i+3]...)
		} else {
			out = append(out, byte(r))
		}
		i += 2
	}
	if !utf8.Valid(out) {
		bad()
	}
	return string(out)
}
