package jsonata

import (
	"math"
	"regexp"
	"strconv"
	"strings"
)

// integerFormat is an analysed $formatInteger picture (XPath F&O 4.6.1).
type integerFormat struct {
	primary      byte // 'd' decimal, 'a' letters, 'i' roman, 'w' words, 's' unsupported sequence
	upper, title bool
	ordinal      bool
	zeroCode     rune
	mandatory    int
	regular      bool
	regularSep   groupSep
	separators   []groupSep
	token        string
}

type groupSep struct {
	position int
	char     string
}

// decimalGroups are the zero code points of the Unicode decimal digit
// families JSONata recognises.
var decimalGroups = []rune{0x30, 0x0660, 0x06F0, 0x07C0, 0x0966, 0x09E6, 0x0A66, 0x0AE6, 0x0B66, 0x0BE6, 0x0C66, 0x0CE6, 0x0D66, 0x0DE6, 0x0E50, 0x0ED0, 0x0F20, 0x1040, 0x1090, 0x17E0, 0x1810, 0x1946, 0x19D0, 0x1A80, 0x1A90, 0x1B50, 0x1BB0, 0x1C40, 0x1C50, 0xA620, 0xA8D0, 0xA900, 0xA9D0, 0xA9F0, 0xAA50, 0xABF0, 0xFF10}

// digitZero returns the zero of the decimal family r belongs to.
func digitZero(r rune) (rune, bool) {
	for _, g := range decimalGroups {
		if r >= g && r <= g+9 {
			return g, true
		}
	}
	return 0, false
}

// analyseIntegerPicture parses a picture such as "#,##0", "w", "I" or
// "1;o".
func analyseIntegerPicture(picture string) *integerFormat {
	f := &integerFormat{primary: 'd'}
	primary := picture
	if i := strings.LastIndexByte(picture, ';'); i >= 0 {
		primary = picture[:i]
		if strings.HasPrefix(picture[i+1:], "o") {
			f.ordinal = true
		}
	}
	switch primary {
	case "A":
		f.upper, f.primary = true, 'a'
	case "a":
		f.primary = 'a'
	case "I":
		f.upper, f.primary = true, 'i'
	case "i":
		f.primary = 'i'
	case "W":
		f.upper, f.primary = true, 'w'
	case "Ww":
		f.title, f.primary = true, 'w'
	case "w":
		f.primary = 'w'
	default:
		runes := []rune(primary)
		var zero rune = -1
		pos := 0
		var seps []groupSep
		for i := len(runes) - 1; i >= 0; i-- {
			r := runes[i]
			if z, ok := digitZero(r); ok {
				f.mandatory++
				pos++
				if zero < 0 {
					zero = z
				} else if z != zero {
					throwErr("D3131", -1, "", nil)
				}
				continue
			}
			if r == '#' {
				pos++
				continue
			}
			seps = append(seps, groupSep{position: pos, char: string(r)})
		}
		if f.mandatory == 0 {
			f.primary, f.token = 's', primary
			return f
		}
		f.zeroCode = zero
		if reg := regularSeparators(seps); reg > 0 {
			f.regular = true
			f.regularSep = groupSep{position: reg, char: seps[0].char}
		} else {
			f.separators = seps
		}
	}
	return f
}

// regularSeparators returns the interval when all separators are the same
// character at multiples of one interval, else 0.
func regularSeparators(seps []groupSep) int {
	if len(seps) == 0 {
		return 0
	}
	for _, s := range seps[1:] {
		if s.char != seps[0].char {
			return 0
		}
	}
	gcd := func(a, b int) int {
		for b != 0 {
			a, b = b, a%b
		}
		return a
	}
	factor := seps[0].position
	for _, s := range seps[1:] {
		factor = gcd(factor, s.position)
	}
	for i := 1; i <= len(seps); i++ {
		found := false
		for _, s := range seps {
			if s.position == i*factor {
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

// formatInteger renders value per the analysed picture.
func formatInteger(value float64, f *integerFormat) string {
	neg := value < 0
	value = math.Abs(value)
	var out string
	switch f.primary {
	case 'a':
		a := byte('a')
		if f.upper {
			a = 'A'
		}
		out = decimalToLetters(int64(value), a)
	case 'i':
		out = decimalToRoman(int64(value))
		if f.upper {
			out = strings.ToUpper(out)
		}
	case 'w':
		out = numberToWords(value, f.ordinal)
		if f.upper {
			out = strings.ToUpper(out)
		} else if !f.title {
			out = strings.ToLower(out)
		}
	case 'd':
		digits := strconv.FormatFloat(value, 'f', 0, 64)
		if pad := f.mandatory - len(digits); pad > 0 {
			digits = strings.Repeat("0", pad) + digits
		}
		runes := []rune(digits)
		if f.zeroCode != '0' {
			for i, r := range runes {
				runes[i] = r + f.zeroCode - '0'
			}
		}
		if f.regular {
			n := (len(runes) - 1) / f.regularSep.position
			for ii := n; ii > 0; ii-- {
				p := len(runes) - ii*f.regularSep.position
				runes = append(runes[:p], append([]rune(f.regularSep.char), runes[p:]...)...)
			}
		} else {
			for i := len(f.separators) - 1; i >= 0; i-- {
				s := f.separators[i]
				p := len(runes) - s.position
				if p < 0 || p > len(runes) {
					continue
				}
				runes = append(runes[:p], append([]rune(s.char), runes[p:]...)...)
			}
		}
		out = string(runes)
		if f.ordinal {
			suffix := "th"
			last := out[len(out)-1]
			if !(len(out) > 1 && out[len(out)-2] == '1') {
				switch last {
				case '1':
					suffix = "st"
				case '2':
					suffix = "nd"
				case '3':
					suffix = "rd"
				}
			}
			out += suffix
		}
	default:
		throwErr("D3130", -1, "", f.token)
	}
	if neg {
		out = "-" + out
	}
	return out
}

var (
	fewWords      = []string{"Zero", "One", "Two", "Three", "Four", "Five", "Six", "Seven", "Eight", "Nine", "Ten", "Eleven", "Twelve", "Thirteen", "Fourteen", "Fifteen", "Sixteen", "Seventeen", "Eighteen", "Nineteen"}
	ordinalWords  = []string{"Zeroth", "First", "Second", "Third", "Fourth", "Fifth", "Sixth", "Seventh", "Eighth", "Ninth", "Tenth", "Eleventh", "Twelfth", "Thirteenth", "Fourteenth", "Fifteenth", "Sixteenth", "Seventeenth", "Eighteenth", "Nineteenth"}
	decadeWords   = []string{"Twenty", "Thirty", "Forty", "Fifty", "Sixty", "Seventy", "Eighty", "Ninety", "Hundred"}
	magnitudeWord = []string{"Thousand", "Million", "Billion", "Trillion"}
	wordValues    = map[string]float64{}
	// wordOrder is wordValues' keys in the order jsonata-js inserts
	// them, which is the order of the alternatives in its parsing regex.
	wordOrder []string
)

func init() {
	set := func(w string, v float64) {
		if _, ok := wordValues[w]; !ok {
			wordOrder = append(wordOrder, w)
		}
		wordValues[w] = v
	}
	for i, w := range fewWords {
		set(strings.ToLower(w), float64(i))
	}
	for i, w := range ordinalWords {
		set(strings.ToLower(w), float64(i))
	}
	for i, w := range decadeWords {
		lw := strings.ToLower(w)
		set(lw, float64(i+2)*10)
		set(lw[:len(lw)-1]+"ieth", float64(i+2)*10)
	}
	set("hundredth", 100)
	for i, w := range magnitudeWord {
		lw := strings.ToLower(w)
		v := math.Pow(10, float64(i+1)*3)
		set(lw, v)
		set(lw+"th", v)
	}
	wordsRegex = buildWordsRegex()
}

// numberToWords spells value (a whole number, possibly beyond int64 as
// in 1e46) in English words, title case with "and" lower, computing in
// float64 as jsonata-js does.
func numberToWords(value float64, ordinal bool) string {
	var lookup func(num float64, prev, ord bool) string
	lookup = func(num float64, prev, ord bool) string {
		words := ""
		switch {
		case num <= 19:
			if prev {
				words = " and "
			}
			if ord {
				words += ordinalWords[int(num)]
			} else {
				words += fewWords[int(num)]
			}
		case num < 100:
			tens, rem := int(num/10), math.Mod(num, 10)
			if prev {
				words = " and "
			}
			words += decadeWords[tens-2]
			if rem > 0 {
				words += "-" + lookup(rem, false, ord)
			} else if ord {
				words = words[:len(words)-1] + "ieth"
			}
		case num < 1000:
			h, rem := int(num/100), math.Mod(num, 100)
			if prev {
				words = ", "
			}
			words += fewWords[h] + " Hundred"
			if rem > 0 {
				words += lookup(rem, true, ord)
			} else if ord {
				words += "th"
			}
		default:
			mag := int(math.Floor(math.Log10(num) / 3))
			if mag > len(magnitudeWord) {
				mag = len(magnitudeWord)
			}
			factor := math.Pow(10, float64(mag*3))
			mant := math.Floor(num / factor)
			rem := num - mant*factor
			if prev {
				words = ", "
			}
			words += lookup(mant, false, false) + " " + magnitudeWord[mag-1]
			if rem > 0 {
				words += lookup(rem, true, ord)
			} else if ord {
				words += "th"
			}
		}
		return words
	}
	return lookup(value, false, ordinal)
}

var wordSplit = regexp.MustCompile(`,\s|\sand\s|[\s\\-]`)

// wordsToNumber parses English number words (lower case).
func wordsToNumber(text string) float64 {
	segs := []float64{0}
	for _, part := range wordSplit.Split(text, -1) {
		v, ok := wordValues[part]
		if !ok {
			return math.NaN()
		}
		if v < 100 {
			top := segs[len(segs)-1]
			segs = segs[:len(segs)-1]
			if top >= 1000 {
				segs = append(segs, top)
				top = 0
			}
			segs = append(segs, top+v)
		} else {
			segs[len(segs)-1] *= v
		}
	}
	var sum float64
	for _, s := range segs {
		sum += s
	}
	return sum
}

var romanNumerals = []struct {
	v int64
	s string
}{{1000, "m"}, {900, "cm"}, {500, "d"}, {400, "cd"}, {100, "c"}, {90, "xc"}, {50, "l"}, {40, "xl"}, {10, "x"}, {9, "ix"}, {5, "v"}, {4, "iv"}, {1, "i"}}

func decimalToRoman(v int64) string {
	var b strings.Builder
	for _, n := range romanNumerals {
		for v >= n.v {
			b.WriteString(n.s)
			v -= n.v
		}
	}
	return b.String()
}

func romanToDecimal(s string) float64 {
	vals := map[byte]int64{'M': 1000, 'D': 500, 'C': 100, 'L': 50, 'X': 10, 'V': 5, 'I': 1}
	var dec, maxV int64 = 0, 1
	for i := len(s) - 1; i >= 0; i-- {
		v := vals[s[i]]
		if v < maxV {
			dec -= v
		} else {
			maxV = v
			dec += v
		}
	}
	return float64(dec)
}

func decimalToLetters(v int64, a byte) string {
	var out []byte
	for v > 0 {
		out = append([]byte{byte((v-1)%26) + a}, out...)
		v = (v - 1) / 26
	}
	return string(out)
}

func lettersToDecimal(s string, a byte) float64 {
	var dec float64
	for i := 0; i < len(s); i++ {
		dec += float64(int(s[len(s)-i-1])-int(a)+1) * math.Pow(26, float64(i))
	}
	return dec
}

// plainDigits removes the picture's grouping separators from digits
// (regularSep standing for them all when the grouping is regular) and
// maps the picture's digit family to ASCII digits.
func (f *integerFormat) plainDigits(digits, regularSep string) string {
	if f.regular {
		digits = strings.ReplaceAll(digits, regularSep, "")
	} else {
		for _, sep := range f.separators {
			digits = strings.ReplaceAll(digits, sep.char, "")
		}
	}
	if f.zeroCode != '0' {
		rs := []rune(digits)
		for i, r := range rs {
			rs[i] = r - f.zeroCode + '0'
		}
		digits = string(rs)
	}
	return digits
}

// parseIntegerPicture is $parseInteger: the inverse of formatInteger.
func parseIntegerPicture(s string, f *integerFormat) any {
	switch f.primary {
	case 'a':
		a := byte('a')
		if f.upper {
			a = 'A'
		}
		return lettersToDecimal(s, a)
	case 'i':
		return romanToDecimal(strings.ToUpper(s))
	case 'w':
		return wordsToNumber(strings.ToLower(s))
	case 'd':
		digits := s
		if f.ordinal && len(digits) >= 2 {
			digits = digits[:len(digits)-2]
		}
		n, err := strconv.ParseFloat(leadingDigits(f.plainDigits(digits, f.regularSep.char)), 64)
		if err != nil {
			return math.NaN()
		}
		return n
	}
	throwErr("D3130", -1, "", f.token)
	return nil
}

func defineIntegerFuncs() {
	def("formatInteger", "<n-s:s>", func(ev *evaluator, input any, e *env, args []any) any {
		v, ok := args[0].(float64)
		pic, ok2 := args[1].(string)
		if !ok || !ok2 {
			return nil
		}
		return formatInteger(math.Floor(v), analyseIntegerPicture(pic))
	})
	def("parseInteger", "<s-s:n>", func(ev *evaluator, input any, e *env, args []any) any {
		s, ok := args[0].(string)
		pic, ok2 := args[1].(string)
		if !ok || !ok2 {
			return nil
		}
		return parseIntegerPicture(s, analyseIntegerPicture(pic))
	})
}
