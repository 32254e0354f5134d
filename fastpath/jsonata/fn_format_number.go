package jsonata

import (
	"math"
	"strconv"
	"strings"
)

// numberSymbols are the properties of a decimal format (XPath F&O 3.1
// §4.7.1), the defaults overridden by $formatNumber's options object.
type numberSymbols struct {
	decimal, grouping, exponent, minus, percent, permille, zero, digit, pattern []rune
	family                                                                      [10]rune
}

func defaultNumberSymbols() numberSymbols {
	return numberSymbols{
		decimal: []rune("."), grouping: []rune(","), exponent: []rune("e"), minus: []rune("-"),
		percent: []rune("%"), permille: []rune("\u2030"), zero: []rune("0"), digit: []rune("#"),
		pattern: []rune(";"),
	}
}

// inFamily reports whether r is one of the ten decimal digits starting at
// the zero-digit.
func (s *numberSymbols) inFamily(r rune) bool {
	return len(s.zero) > 0 && r >= s.zero[0] && r < s.zero[0]+10
}

// is reports whether the single character r equals the (possibly longer)
// property p; a property of several characters never equals one.
func is(r rune, p []rune) bool { return len(p) == 1 && p[0] == r }

// active reports whether r is an active character of a picture: a digit
// of the family or one of the decimal, exponent, grouping, digit and
// pattern separators.
func (s *numberSymbols) active(r rune) bool {
	return s.inFamily(r) || is(r, s.decimal) || is(r, s.exponent) || is(r, s.grouping) || is(r, s.digit) || is(r, s.pattern)
}

// picIndex is JavaScript's String.indexOf on code points: the first
// position at or after from where needle occurs, or -1.
func picIndex(hay, needle []rune, from int) int {
	if from < 0 {
		from = 0
	}
	for i := from; i+len(needle) <= len(hay); i++ {
		if string(hay[i:i+len(needle)]) == string(needle) {
			return i
		}
	}
	return -1
}

func picLastIndex(hay, needle []rune) int {
	for i := len(hay) - len(needle); i >= 0; i-- {
		if string(hay[i:i+len(needle)]) == string(needle) {
			return i
		}
	}
	return -1
}

// substr is JavaScript's String.substring: bounds are clamped and swapped.
func substr(s []rune, a, b int) []rune {
	a, b = max(0, min(a, len(s))), max(0, min(b, len(s)))
	if a > b {
		a, b = b, a
	}
	return s[a:b]
}

// numberSubPicture is one sub-picture split into its parts (F&O §4.7.3).
type numberSubPicture struct {
	picture, prefix, suffix, active, mantissa, integer, fraction, exponent []rune
	hasExponent                                                            bool
}

func (s *numberSymbols) splitSubPicture(sub []rune) *numberSubPicture {
	p := &numberSubPicture{picture: sub}
	pre := len(sub)
	for i, r := range sub {
		if s.active(r) && !is(r, s.exponent) {
			pre = i
			break
		}
	}
	suf := len(sub)
	for i := len(sub) - 1; i >= 0; i-- {
		if s.active(sub[i]) && !is(sub[i], s.exponent) {
			suf = i + 1
			break
		}
	}
	if pre == len(sub) { // no active character at all
		suf = len(sub)
	}
	p.prefix, p.suffix = sub[:pre], sub[suf:]
	p.active = substr(sub, pre, suf)
	// As in jsonata-js, the exponent position is found in the whole
	// sub-picture but applied to the active part.
	expPos := picIndex(sub, s.exponent, pre)
	if expPos == -1 || expPos > suf {
		p.mantissa = p.active
	} else {
		p.mantissa = substr(p.active, 0, expPos)
		p.exponent = substr(p.active, expPos+1, len(p.active))
		p.hasExponent = true
	}
	if d := picIndex(p.mantissa, s.decimal, 0); d == -1 {
		p.integer, p.fraction = p.mantissa, p.suffix
	} else {
		p.integer, p.fraction = p.mantissa[:d], p.mantissa[d+1:]
	}
	return p
}

func (s *numberSymbols) countDigits(part []rune, optional bool) int {
	n := 0
	for _, r := range part {
		if s.inFamily(r) || optional && is(r, s.digit) {
			n++
		}
	}
	return n
}

// validate raises the last of the F&O §4.7.3 rules the sub-picture breaks.
func (s *numberSymbols) validate(p *numberSubPicture) {
	code := ""
	sub := p.picture
	at := func(i int) []rune {
		if i < 0 || i >= len(sub) {
			return nil
		}
		return sub[i : i+1]
	}
	eq := func(a, b []rune) bool { return len(a) > 0 && string(a) == string(b) }
	decimalPos := picIndex(sub, s.decimal, 0)
	if decimalPos != picLastIndex(sub, s.decimal) {
		code = "D3081"
	}
	if picIndex(sub, s.percent, 0) != picLastIndex(sub, s.percent) {
		code = "D3082"
	}
	if picIndex(sub, s.permille, 0) != picLastIndex(sub, s.permille) {
		code = "D3083"
	}
	if picIndex(sub, s.percent, 0) != -1 && picIndex(sub, s.permille, 0) != -1 {
		code = "D3084"
	}
	if s.countDigits(p.mantissa, true) == 0 {
		code = "D3085"
	}
	for _, r := range p.active {
		if !s.active(r) {
			code = "D3086"
		}
	}
	if decimalPos != -1 {
		if eq(at(decimalPos-1), s.grouping) || eq(at(decimalPos+1), s.grouping) {
			code = "D3087"
		}
	} else if len(p.integer) > 0 && eq(p.integer[len(p.integer)-1:], s.grouping) {
		code = "D3088"
	}
	if picIndex(sub, append(append([]rune{}, s.grouping...), s.grouping...), 0) != -1 {
		code = "D3089"
	}
	if i := picIndex(p.integer, s.digit, 0); i != -1 && s.countDigits(p.integer[:i], false) > 0 {
		code = "D3090"
	}
	if i := picLastIndex(p.fraction, s.digit); i != -1 && s.countDigits(p.fraction[i:], false) > 0 {
		code = "D3091"
	}
	if p.hasExponent && len(p.exponent) > 0 && (picIndex(sub, s.percent, 0) != -1 || picIndex(sub, s.permille, 0) != -1) {
		code = "D3092"
	}
	if p.hasExponent && (len(p.exponent) == 0 || s.countDigits(p.exponent, false) != len(p.exponent)) {
		code = "D3093"
	}
	if code != "" {
		throwErr(code, -1, "", nil)
	}
}

// numberFormat is an analysed sub-picture (F&O §4.7.4).
type numberFormat struct {
	picture, prefix, suffix []rune
	intGroups, fracGroups   []int
	regular                 int
	minInt, scaling         int
	minFrac, maxFrac        int
	minExp                  int
}

func (s *numberSymbols) analyse(p *numberSubPicture) *numberFormat {
	groups := func(part []rune, toLeft bool) []int {
		var out []int
		for g := picIndex(part, s.grouping, 0); g != -1; {
			if toLeft {
				out = append(out, s.countDigits(substr(part, 0, g), true))
			} else {
				out = append(out, s.countDigits(substr(part, g, len(part)), true))
			}
			// jsonata-js looks for the next separator in the integer
			// part, also when grouping the fractional part
			g = picIndex(p.integer, s.grouping, g+1)
		}
		return out
	}
	f := &numberFormat{picture: p.picture, prefix: p.prefix, suffix: p.suffix}
	f.intGroups = groups(p.integer, false)
	f.regular = regularInterval(f.intGroups)
	f.fracGroups = groups(p.fraction, true)
	f.minInt = s.countDigits(p.integer, false)
	f.scaling = f.minInt
	f.minFrac = s.countDigits(p.fraction, false)
	f.maxFrac = s.countDigits(p.fraction, true)
	if f.minInt == 0 && f.maxFrac == 0 {
		if p.hasExponent {
			f.minFrac, f.maxFrac = 1, 1
		} else {
			f.minInt = 1
		}
	}
	if p.hasExponent && f.minInt == 0 && picIndex(p.integer, s.digit, 0) != -1 {
		f.minInt = 1
	}
	if f.minInt == 0 && f.minFrac == 0 {
		f.minFrac = 1
	}
	if p.hasExponent {
		f.minExp = s.countDigits(p.exponent, false)
	}
	return f
}

// regularInterval returns the interval when the grouping positions are
// all multiples of one, each present, else 0.
func regularInterval(pos []int) int {
	if len(pos) == 0 {
		return 0
	}
	gcd := func(a, b int) int {
		for b != 0 {
			a, b = b, a%b
		}
		return a
	}
	factor := pos[0]
	for _, p := range pos[1:] {
		factor = gcd(factor, p)
	}
	for i := 1; i <= len(pos); i++ {
		found := false
		for _, p := range pos {
			if p == i*factor {
				found = true
				break
			}
		}
		if !found {
			return 0
		}
	}
	return factor
}

// insertAt inserts ins into s before position i (clamped).
func insertAt(s []rune, i int, ins []rune) []rune {
	i = max(0, min(i, len(s)))
	out := make([]rune, 0, len(s)+len(ins))
	out = append(out, s[:i]...)
	out = append(out, ins...)
	return append(out, s[i:]...)
}

// formatNumber is $formatNumber: value formatted per an XPath F&O 3.1
// decimal picture, with the symbols in opts overriding the defaults.
func formatNumber(value float64, picture string, opts *Object) string {
	s := defaultNumberSymbols()
	if opts != nil {
		for _, k := range opts.Keys() {
			v, ok := opts.get(k).(string)
			if !ok {
				continue
			}
			r := []rune(v)
			switch k {
			case "decimal-separator":
				s.decimal = r
			case "grouping-separator":
				s.grouping = r
			case "exponent-separator":
				s.exponent = r
			case "minus-sign":
				s.minus = r
			case "percent":
				s.percent = r
			case "per-mille":
				s.permille = r
			case "zero-digit":
				s.zero = r
			case "digit":
				s.digit = r
			case "pattern-separator":
				s.pattern = r
			}
		}
	}
	if len(s.zero) > 0 {
		for i := range s.family {
			s.family[i] = s.zero[0] + rune(i)
		}
	} else {
		s.zero = []rune("0")
		for i := range s.family {
			s.family[i] = '0' + rune(i)
		}
	}
	var subs []string
	if len(s.pattern) == 0 {
		subs = []string{picture}
	} else {
		subs = strings.Split(picture, string(s.pattern))
	}
	if len(subs) > 2 {
		throwErr("D3080", -1, "", nil)
	}
	parts := make([]*numberSubPicture, len(subs))
	for i, sub := range subs {
		parts[i] = s.splitSubPicture([]rune(sub))
	}
	for _, p := range parts {
		s.validate(p)
	}
	formats := make([]*numberFormat, len(parts))
	for i, p := range parts {
		formats[i] = s.analyse(p)
	}
	if len(formats) == 1 {
		neg := *formats[0]
		neg.prefix = append(append([]rune{}, s.minus...), neg.prefix...)
		formats = append(formats, &neg)
	}
	pic := formats[0]
	if value < 0 {
		pic = formats[1]
	}
	adjusted := value
	if picIndex(pic.picture, s.percent, 0) != -1 {
		adjusted = value * 100
	} else if picIndex(pic.picture, s.permille, 0) != -1 {
		adjusted = value * 1000
	}
	mantissa, exponent, hasExp := adjusted, 0, pic.minExp != 0
	if hasExp && mantissa != 0 && !math.IsInf(mantissa, 0) && !math.IsNaN(mantissa) {
		// jsonata-js scales the signed value and never terminates for a
		// negative one; scaling the magnitude is what it means to do
		sign := 1.0
		if mantissa < 0 {
			sign, mantissa = -1, -mantissa
		}
		maxM, minM := math.Pow(10, float64(pic.scaling)), math.Pow(10, float64(pic.scaling-1))
		for mantissa < minM {
			mantissa *= 10
			exponent--
		}
		for mantissa > maxM {
			mantissa /= 10
			exponent++
		}
		mantissa *= sign
	}
	rounded := roundHalfEven(mantissa, pic.maxFrac)
	makeString := func(v float64, dp int) []rune {
		str := []rune(strconv.FormatFloat(math.Abs(v), 'f', dp, 64))
		for i, r := range str {
			if r >= '0' && r <= '9' {
				str[i] = s.family[r-'0']
			}
		}
		return str
	}
	str := makeString(rounded, pic.maxFrac)
	if d := picIndex(str, []rune("."), 0); d == -1 {
		str = append(str, s.decimal...)
	} else {
		str = append(append(append([]rune{}, str[:d]...), s.decimal...), str[d+1:]...)
	}
	zero := s.zero
	for len(str) > 0 && is(str[0], zero) {
		str = str[1:]
	}
	for len(str) > 0 && is(str[len(str)-1], zero) {
		str = str[:len(str)-1]
	}
	decimalPos := picIndex(str, s.decimal, 0)
	padLeft, padRight := pic.minInt-decimalPos, pic.minFrac-(len(str)-decimalPos-1)
	if padLeft > 0 {
		str = append([]rune(strings.Repeat(string(zero), padLeft)), str...)
	}
	if padRight > 0 {
		str = append(str, []rune(strings.Repeat(string(zero), padRight))...)
	}
	decimalPos = picIndex(str, s.decimal, 0)
	if pic.regular > 0 {
		groups := (decimalPos - 1) / pic.regular
		for g := 1; g <= groups; g++ {
			str = insertAt(str, decimalPos-g*pic.regular, s.grouping)
		}
	} else {
		for _, pos := range pic.intGroups {
			str = insertAt(str, decimalPos-pos, s.grouping)
			decimalPos++
		}
	}
	decimalPos = picIndex(str, s.decimal, 0)
	for _, pos := range pic.fracGroups {
		str = insertAt(str, pos+decimalPos+1, s.grouping)
	}
	decimalPos = picIndex(str, s.decimal, 0)
	if (picIndex(pic.picture, s.decimal, 0) == -1 || decimalPos == len(str)-1) && len(str) > 0 {
		str = str[:len(str)-1]
	}
	if hasExp {
		e := makeString(float64(exponent), 0)
		if padLeft := pic.minExp - len(e); padLeft > 0 {
			e = append([]rune(strings.Repeat(string(zero), padLeft)), e...)
		}
		str = append(str, s.exponent...)
		if exponent < 0 {
			str = append(str, s.minus...)
		}
		str = append(str, e...)
	}
	return string(pic.prefix) + string(str) + string(pic.suffix)
}

func defineFormatNumber() {
	def("formatNumber", "<n-so?:s>", func(ev *evaluator, input any, e *env, args []any) any {
		v, ok := args[0].(float64)
		pic, ok2 := args[1].(string)
		if !ok || !ok2 {
			return nil
		}
		opts, _ := args[2].(*Object)
		return formatNumber(v, pic, opts)
	})
}
