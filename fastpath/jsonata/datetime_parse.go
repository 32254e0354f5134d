package jsonata

import (
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// dtMatcher is the regular expression for one part of a date/time
// picture and, for a component, how to turn the matched text into its
// value (NaN when the text does not convert).
type dtMatcher struct {
	re        string
	component byte // 0 for a literal
	parse     func(s string) (float64, bool)
}

// wordsRegex matches English number words: every word $parseInteger
// knows, "and", and the separators between them.
// It is built by init in fn_integer.go, after the word tables.
var wordsRegex string

func buildWordsRegex() string {
	var b strings.Builder
	b.WriteString("(?:")
	for _, w := range wordOrder {
		b.WriteString(w)
		b.WriteByte('|')
	}
	b.WriteString(`and|[\-, ])+`)
	return b.String()
}

// integerMatcher is the matcher of an integer picture; n > 0 fixes the
// number of decimal digits, of which optional may be left out.
func integerMatcher(f *integerFormat, n, optional int) dtMatcher {
	switch f.primary {
	case 'a':
		a, re := byte('a'), "[a-z]+"
		if f.upper {
			a, re = 'A', "[A-Z]+"
		}
		return dtMatcher{re: re, parse: func(s string) (float64, bool) { return lettersToDecimal(s, a), true }}
	case 'i':
		re := "[mdclxvi]+"
		if f.upper {
			re = "[MDCLXVI]+"
		}
		return dtMatcher{re: re, parse: func(s string) (float64, bool) { return romanToDecimal(strings.ToUpper(s)), true }}
	case 'w':
		return dtMatcher{re: wordsRegex, parse: func(s string) (float64, bool) { return wordsToNumber(strings.ToLower(s)), true }}
	case 'd':
		re := "[0-9]+"
		switch {
		case n > 0 && optional == 0:
			re = "[0-9]{" + strconv.Itoa(n) + "}"
		case n > 0:
			re = "[0-9]{" + strconv.Itoa(max(0, n-optional)) + "," + strconv.Itoa(n) + "}"
		}
		if f.ordinal {
			re += "(?:th|st|nd|rd)"
		}
		return dtMatcher{re: re, parse: func(s string) (float64, bool) {
			digits := s
			if f.ordinal {
				digits = digits[:len(digits)-2]
			}
			// jsonata-js removes commas here, whatever the regular separator
			v, err := strconv.ParseFloat(leadingDigits(f.plainDigits(digits, ",")), 64)
			if err != nil {
				return math.NaN(), true
			}
			return v, true
		}}
	}
	throwErr("D3130", -1, "", f.token)
	return dtMatcher{}
}

// dateTimeMatchers builds the matcher of every part of a picture.
func dateTimeMatchers(parts []dtMarker) []dtMatcher {
	out := make([]dtMatcher, len(parts))
	for i := range parts {
		p := &parts[i]
		var m dtMatcher
		switch {
		case p.component == 0:
			m.re = regexp.QuoteMeta(p.literal)
		case p.component == 'Z' || p.component == 'z':
			sep := ""
			if p.intFormat.regular {
				sep = p.intFormat.regularSep.char
			}
			if p.component == 'z' {
				m.re = "GMT"
			}
			m.re += "[-+][0-9]+"
			if sep != "" {
				m.re += regexp.QuoteMeta(sep) + "[0-9]+"
			}
			gmt := p.component == 'z'
			m.parse = func(s string) (float64, bool) {
				if gmt {
					s = s[3:]
				}
				var hours, minutes float64
				if sep != "" {
					i := strings.Index(s, sep)
					hours, minutes = jsParseInt(s[:i]), jsParseInt(s[i+len(sep):])
				} else if len(s)-1 <= 2 {
					hours = jsParseInt(s)
				} else {
					hours, minutes = jsParseInt(s[:3]), jsParseInt(s[3:])
				}
				return hours*60 + minutes, true
			}
		case p.intFormat != nil && p.names == 0:
			m = integerMatcher(p.intFormat, p.n, p.optional)
		default:
			m.re = "[a-zA-Z]+"
			lookup := map[string]float64{}
			trunc := func(name string) string {
				if p.widthMax > 0 && len(name) > p.widthMax {
					return name[:p.widthMax]
				}
				return name
			}
			switch p.component {
			case 'M', 'x':
				for i, name := range monthNames {
					lookup[trunc(name)] = float64(i + 1)
				}
			case 'F':
				for i, name := range dayNames[1:] {
					lookup[trunc(name)] = float64(i + 1)
				}
			case 'P':
				lookup = map[string]float64{"am": 0, "AM": 0, "pm": 1, "PM": 1}
			default:
				throwErr("D3133", -1, "", string(p.component))
			}
			m.parse = func(s string) (float64, bool) {
				v, ok := lookup[s]
				return v, ok
			}
		}
		m.component = p.component
		out[i] = m
	}
	return out
}

// jsParseInt is JavaScript's parseInt on a decimal string: an optional
// sign and the leading digits, NaN when there are none.
func jsParseInt(s string) float64 {
	s = strings.TrimLeft(s, " \t\n\r")
	v, err := strconv.ParseFloat(leadingSigned(s), 64)
	if err != nil {
		return math.NaN()
	}
	return v
}

// parseDateTime is $toMillis with a picture: s parsed per an XPath F&O
// picture string, the missing leading components taken from now and the
// missing trailing ones from the start of their period. It returns nil
// (undefined) when s does not match the picture or the picture has no
// components, and raises D3136 when the components leave a gap or
// describe a week-based date.
func parseDateTime(s, picture string, now time.Time) any {
	parts := analyseDateTimePicture(picture)
	matchers := dateTimeMatchers(parts)
	var re strings.Builder
	re.WriteString("(?i)^")
	for _, m := range matchers {
		re.WriteString("(" + m.re + ")")
	}
	re.WriteString("$")
	rx, err := regexp.Compile(re.String())
	if err != nil {
		throwErr("D3136", -1, "", picture)
	}
	match := rx.FindStringSubmatch(s)
	if match == nil {
		return nil
	}
	// A component can be present yet undefined (a month name that is
	// not one), which still counts as "something specified".
	var vals [128]float64
	var defined [128]bool
	any := false
	for i, m := range matchers {
		if m.parse == nil {
			continue
		}
		any = true
		vals[m.component], defined[m.component] = m.parse(match[i+1])
	}
	if !any {
		return nil
	}
	truthy := func(c byte) bool { return defined[c] && vals[c] != 0 && !math.IsNaN(vals[c]) }
	maskOf := func(comps string) int {
		mask := 0
		for i := 0; i < len(comps); i++ {
			mask <<= 1
			if truthy(comps[i]) {
				mask++
			}
		}
		return mask
	}
	// is: no component outside the set, and at least one inside it
	is := func(mask, set int) bool { return ^set&mask == 0 && set&mask != 0 }
	const (
		dateA = 0b10100001 // Y M D      over YXMxWwdD
		dateB = 0b10000010 // Y d
		dateC = 0b01010100 // X x w F
		dateD = 0b01001000 // X W F
		timeA = 0b010111   // H m s f    over PHhmsf
		timeB = 0b101111   // P h m s f
	)
	dm := maskOf("YXMxWwdD")
	isA := is(dm, dateA)
	isB := !isA && is(dm, dateB)
	isC := is(dm, dateC)
	isD := !isC && is(dm, dateD)
	tm := maskOf("PHhmsf")
	isTimeB := !is(tm, timeA) && is(tm, timeB)
	// jsonata-js lines up "YD" for a day-of-year date, so d itself is
	// never defaulted and D defaults to 1.
	comps := "YMD"
	switch {
	case isB:
		comps = "YD"
	case isC:
		comps = "XxwF"
	case isD:
		comps = "XWF"
	}
	if isTimeB {
		comps += "Phmsf"
	} else {
		comps += "Hmsf"
	}
	now = now.UTC()
	startSpecified, endSpecified := false, false
	for i := 0; i < len(comps); i++ {
		c := comps[i]
		if defined[c] {
			startSpecified = true
			if endSpecified {
				throwErr("D3136", -1, "", picture)
			}
			continue
		}
		defined[c] = true
		switch {
		case startSpecified:
			vals[c] = 0
			if c == 'M' || c == 'D' || c == 'd' {
				vals[c] = 1
			}
			endSpecified = true
		case c == 'P':
			vals[c] = -1 // the "am"/"pm" string of now is never 1
		case c == 'f':
			vals[c] = float64(now.Nanosecond() / 1e6)
		default:
			vals[c] = float64(dateFragment(now, c))
		}
	}
	month := vals['M'] - 1
	if !(vals['M'] > 0) {
		month = 0
	}
	day := vals['D']
	if isB {
		derived := time.Date(int(vals['Y']), time.January, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, int(vals['d'])-1)
		if math.IsNaN(vals['d']) {
			return nil
		}
		month, day = float64(derived.Month()-1), float64(derived.Day())
	}
	if isC || isD {
		throwErr("D3136", -1, "", picture)
	}
	hour := vals['H']
	if isTimeB {
		hour = vals['h']
		if hour == 12 {
			hour = 0
		}
		if vals['P'] == 1 {
			hour += 12
		}
	}
	year := vals['Y']
	for _, v := range []float64{year, month, day, hour, vals['m'], vals['s'], vals['f']} {
		if math.IsNaN(v) || math.IsInf(v, 0) || math.Abs(v) > 1e9 {
			return nil
		}
	}
	if year >= 0 && year <= 99 { // Date.UTC reads a two-digit year as 19xx
		year += 1900
	}
	t := time.Date(int(year), time.Month(month+1), int(day), int(hour), int(vals['m']), int(vals['s']), int(vals['f'])*1e6, time.UTC)
	millis := float64(t.UnixMilli())
	switch {
	case truthy('Z'):
		millis -= vals['Z'] * 60 * 1000
	case truthy('z'):
		millis -= vals['z'] * 60 * 1000
	}
	return millis
}
