package jsonata

import (
	"math"
	"math/rand/v2"
	"regexp"
	"strconv"
	"strings"
)

var (
	decimalNumber = regexp.MustCompile(`^-?[0-9]+(\.[0-9]+)?([Ee][-+]?[0-9]+)?$`)
	prefixedInt   = regexp.MustCompile(`^(0[xX][0-9A-Fa-f]+)|(0[oO][0-7]+)|(0[bB][0-1]+)$`)
)

func defineNumberFuncs() {
	def("number", "<(nsb)-:n>", func(ev *evaluator, input any, e *env, args []any) any {
		switch x := args[0].(type) {
		case nil:
			return nil
		case float64:
			return x
		case bool:
			if x {
				return 1.0
			}
			return 0.0
		case string:
			if decimalNumber.MatchString(x) {
				if f, err := strconv.ParseFloat(x, 64); err == nil {
					return f
				}
			}
			if prefixedInt.MatchString(x) {
				base := map[byte]int{'x': 16, 'X': 16, 'o': 8, 'O': 8, 'b': 2, 'B': 2}[x[1]]
				if n, err := strconv.ParseUint(x[2:], base, 64); err == nil {
					return float64(n)
				}
			}
		}
		throwErr("D3030", -1, "", args[0])
		return nil
	})
	unary := func(name string, f func(float64) float64) {
		def(name, "<n-:n>", func(ev *evaluator, input any, e *env, args []any) any {
			x, ok := args[0].(float64)
			if !ok {
				return nil
			}
			return f(x)
		})
	}
	unary("floor", math.Floor)
	unary("ceil", math.Ceil)
	unary("abs", math.Abs)
	def("sqrt", "<n-:n>", func(ev *evaluator, input any, e *env, args []any) any {
		x, ok := args[0].(float64)
		if !ok {
			return nil
		}
		if x < 0 {
			throwErr("D3060", -1, "", x)
		}
		return math.Sqrt(x)
	})
	def("power", "<n-n:n>", func(ev *evaluator, input any, e *env, args []any) any {
		x, ok := args[0].(float64)
		if !ok {
			return nil
		}
		y, ok := args[1].(float64)
		if !ok {
			throwErr("D3061", -1, "", x)
		}
		r := math.Pow(x, y)
		if math.IsNaN(r) || math.IsInf(r, 0) {
			throwErr("D3061", -1, "", x)
		}
		return r
	})
	def("round", "<n-n?:n>", func(ev *evaluator, input any, e *env, args []any) any {
		x, ok := args[0].(float64)
		if !ok {
			return nil
		}
		p, _ := args[1].(float64)
		return roundHalfEven(x, int(p))
	})
	def("random", "<:n>", func(ev *evaluator, input any, e *env, args []any) any {
		return rand.Float64()
	})
	def("formatBase", "<n-n?:s>", func(ev *evaluator, input any, e *env, args []any) any {
		x, ok := args[0].(float64)
		if !ok {
			return nil
		}
		x = roundHalfEven(x, 0)
		radix := 10.0
		if r, ok := args[1].(float64); ok {
			radix = roundHalfEven(r, 0)
		}
		if radix < 2 || radix > 36 {
			throwErr("D3100", -1, "", radix)
		}
		return strconv.FormatInt(int64(x), int(radix))
	})
	def("sum", "<a<n>:n>", func(ev *evaluator, input any, e *env, args []any) any {
		if args[0] == nil {
			return nil
		}
		total := 0.0
		for _, v := range argArray(args[0]) {
			total += v.(float64)
		}
		return total
	})
	def("max", "<a<n>:n>", func(ev *evaluator, input any, e *env, args []any) any {
		items := argArray(args[0])
		if len(items) == 0 {
			return nil
		}
		m := math.Inf(-1)
		for _, v := range items {
			m = math.Max(m, v.(float64))
		}
		return m
	})
	def("min", "<a<n>:n>", func(ev *evaluator, input any, e *env, args []any) any {
		items := argArray(args[0])
		if len(items) == 0 {
			return nil
		}
		m := math.Inf(1)
		for _, v := range items {
			m = math.Min(m, v.(float64))
		}
		return m
	})
	def("average", "<a<n>:n>", func(ev *evaluator, input any, e *env, args []any) any {
		items := argArray(args[0])
		if len(items) == 0 {
			return nil
		}
		total := 0.0
		for _, v := range items {
			total += v.(float64)
		}
		return total / float64(len(items))
	})
	def("count", "<a:n>", func(ev *evaluator, input any, e *env, args []any) any {
		return float64(len(argArray(args[0])))
	})
}

// roundHalfEven is $round: round half to even at the given number of
// decimal places, shifting through the decimal string form (as JSONata
// does) so that 2.675 is treated as written.
func roundHalfEven(x float64, precision int) float64 {
	if precision != 0 {
		x = shiftDecimal(x, precision)
	}
	r := math.Floor(x + 0.5)
	if math.Abs(r-x) == 0.5 && math.Mod(math.Abs(r), 2) == 1 {
		r--
	}
	if precision != 0 {
		r = shiftDecimal(r, -precision)
	}
	if r == 0 {
		return 0
	}
	return r
}

// shiftDecimal multiplies x by 10^n exactly in decimal notation.
func shiftDecimal(x float64, n int) float64 {
	s := formatNum(x)
	mant, exp := s, 0
	if i := strings.IndexByte(s, 'e'); i >= 0 {
		mant = s[:i]
		exp, _ = strconv.Atoi(s[i+1:])
	}
	f, _ := strconv.ParseFloat(mant+"e"+strconv.Itoa(exp+n), 64)
	return f
}
