package jsonata

import (
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// dtMarker is one [component presentation, width] marker of an XPath
// F&O date/time picture, or a literal when component is 0.
type dtMarker struct {
	literal       string
	component     byte
	presentation1 string
	presentation2 string
	names         byte // 'l' lower, 't' title, 'u' upper, 0 none
	widthMin      int  // -1 when absent
	widthMax      int  // -1 when absent
	n             int  // digits to parse for Y, M and D (-1: any)
	optional      int  // the picture's optional digits (#)
	intFormat     *integerFormat
}

var defaultPresentation = map[byte]string{
	'Y': "1", 'M': "1", 'D': "1", 'd': "1", 'F': "n", 'W': "1", 'w': "1", 'X': "1", 'x': "1",
	'H': "1", 'h': "1", 'P': "n", 'm': "01", 's': "01", 'f': "1", 'Z': "01:01", 'z': "01:01", 'C': "n", 'E': "n",
}

var spaceRun = regexp.MustCompile(`\s+`)

// analyseDateTimePicture splits a picture into literals and markers.
func analyseDateTimePicture(picture string) []dtMarker {
	var parts []dtMarker
	addLiteral := func(start, end int) {
		if end > start {
			parts = append(parts, dtMarker{literal: strings.ReplaceAll(picture[start:end], "]]", "]")})
		}
	}
	start, pos := 0, 0
	for pos < len(picture) {
		if picture[pos] != '[' {
			pos++
			continue
		}
		if pos+1 < len(picture) && picture[pos+1] == '[' {
			addLiteral(start, pos)
			parts = append(parts, dtMarker{literal: "["})
			pos += 2
			start = pos
			continue
		}
		addLiteral(start, pos)
		start = pos
		end := strings.IndexByte(picture[start:], ']')
		if end < 0 {
			throwErr("D3135", -1, "", nil)
		}
		pos = start + end
		marker := spaceRun.ReplaceAllString(picture[start+1:pos], "")
		if marker == "" {
			throwErr("D3132", -1, "", "")
		}
		d := dtMarker{component: marker[0], widthMin: -1, widthMax: -1}
		var pres string
		if comma := strings.LastIndexByte(marker, ','); comma >= 0 {
			w := marker[comma+1:]
			minS, maxS := w, ""
			if dash := strings.IndexByte(w, '-'); dash >= 0 {
				minS, maxS = w[:dash], w[dash+1:]
			}
			parseWidth := func(s string) int {
				if s == "" || s == "*" {
					return -1
				}
				n, err := strconv.Atoi(leadingDigits(s))
				if err != nil {
					return -1
				}
				return n
			}
			d.widthMin, d.widthMax = parseWidth(minS), parseWidth(maxS)
			pres = marker[1:comma]
		} else {
			pres = marker[1:]
		}
		switch {
		case len(pres) == 1:
			d.presentation1 = pres
		case len(pres) > 1:
			last := pres[len(pres)-1]
			if strings.IndexByte("atco", last) >= 0 {
				d.presentation2 = string(last)
				d.presentation1 = pres[:len(pres)-1]
			} else {
				d.presentation1 = pres
			}
		default:
			p, ok := defaultPresentation[d.component]
			if !ok {
				throwErr("D3132", -1, "", string(d.component))
			}
			d.presentation1 = p
		}
		if _, ok := defaultPresentation[d.component]; !ok {
			throwErr("D3132", -1, "", string(d.component))
		}
		switch {
		case d.presentation1[0] == 'n':
			d.names = 'l'
		case d.presentation1[0] == 'N':
			if len(d.presentation1) > 1 && d.presentation1[1] == 'n' {
				d.names = 't'
			} else {
				d.names = 'u'
			}
		case strings.IndexByte("YMDdFWwXxHhmsf", d.component) >= 0:
			pat := d.presentation1
			if d.presentation2 != "" {
				pat += ";" + d.presentation2
			}
			d.intFormat = analyseIntegerPicture(pat)
			if d.widthMin >= 0 && d.intFormat.mandatory < d.widthMin {
				d.intFormat.mandatory = d.widthMin
			}
			d.optional = optionalDigits(pat)
			if strings.IndexByte("YMD", d.component) >= 0 {
				d.n = -1
				if d.widthMax >= 0 {
					d.n = d.widthMax
					d.intFormat.mandatory = d.n
				} else if w := d.intFormat.mandatory + optionalDigits(pat); w >= 2 {
					d.n = w
				}
			}
		}
		if d.component == 'Z' || d.component == 'z' {
			d.intFormat = analyseIntegerPicture(d.presentation1)
		}
		parts = append(parts, d)
		pos++
		start = pos
	}
	addLiteral(start, pos)
	return parts
}

// optionalDigits counts the # signs of an integer picture.
func optionalDigits(pat string) int {
	if i := strings.IndexByte(pat, ';'); i >= 0 {
		pat = pat[:i]
	}
	return strings.Count(pat, "#")
}

var (
	dayNames   = []string{"", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"}
	monthNames = []string{"January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"}
)

// formatDateTime formats t (UTC) per an XPath F&O picture string; tz is
// an offset such as "-0500".
func formatDateTime(t time.Time, picture, tz string) string {
	offH, offM := 0, 0
	if tz != "" {
		off, err := strconv.Atoi(strings.TrimPrefix(leadingSigned(tz), "+"))
		if err == nil {
			offH = int(math.Floor(float64(off) / 100))
			offM = off % 100
		}
	}
	t = t.Add(time.Duration(60*offH+offM) * time.Minute)
	var b strings.Builder
	for _, p := range analyseDateTimePicture(picture) {
		if p.component == 0 {
			b.WriteString(p.literal)
			continue
		}
		b.WriteString(formatComponent(t, &p, offH, offM))
	}
	return b.String()
}

// leadingSigned returns the leading [+-]digits of s (parseInt's input).
func leadingSigned(s string) string {
	i := 0
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		i++
	}
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	return s[:i]
}

func formatComponent(t time.Time, p *dtMarker, offH, offM int) string {
	c := p.component
	switch {
	case strings.IndexByte("YMDdFWwXxHhms", c) >= 0:
		v := dateFragment(t, c)
		if c == 'Y' && p.n != -1 && p.n > 0 {
			v %= int(math.Pow10(p.n))
		}
		if p.names != 0 {
			var name string
			switch c {
			case 'M', 'x':
				name = monthNames[v-1]
			case 'F':
				name = dayNames[v]
			default:
				throwErr("D3133", -1, "", string(c))
			}
			switch p.names {
			case 'u':
				name = strings.ToUpper(name)
			case 'l':
				name = strings.ToLower(name)
			}
			if p.widthMax >= 0 && len(name) > p.widthMax {
				name = name[:p.widthMax]
			}
			return name
		}
		return formatInteger(float64(v), p.intFormat)
	case c == 'f':
		return formatInteger(float64(t.Nanosecond()/1e6), p.intFormat)
	case c == 'Z' || c == 'z':
		offset := offH*100 + offM
		var s string
		if p.intFormat.regular {
			s = formatInteger(float64(offset), p.intFormat)
		} else {
			switch n := p.intFormat.mandatory; n {
			case 1, 2:
				s = formatInteger(float64(offH), p.intFormat)
				if offM != 0 {
					s += ":" + formatInteger(float64(offM), analyseIntegerPicture("00"))
				}
			case 3, 4:
				s = formatInteger(float64(offset), p.intFormat)
			default:
				throwErr("D3134", -1, "", float64(n))
			}
		}
		if offset >= 0 {
			s = "+" + s
		}
		if c == 'z' {
			s = "GMT" + s
		}
		if offset == 0 && p.presentation2 == "t" {
			s = "Z"
		}
		return s
	case c == 'P':
		s := "am"
		if t.Hour() >= 12 {
			s = "pm"
		}
		if p.names == 'u' {
			s = strings.ToUpper(s)
		}
		return s
	case c == 'C' || c == 'E':
		return "ISO"
	}
	return ""
}

// dateFragment returns the numeric value of a date/time component.
func dateFragment(t time.Time, c byte) int {
	switch c {
	case 'Y':
		return t.Year()
	case 'M':
		return int(t.Month())
	case 'D':
		return t.Day()
	case 'd':
		return t.YearDay()
	case 'F':
		wd := int(t.Weekday())
		if wd == 0 {
			wd = 7
		}
		return wd
	case 'W':
		_, w := t.ISOWeek()
		return w
	case 'X':
		y, _ := t.ISOWeek()
		return y
	case 'w', 'x':
		// the week's month is the month of its Thursday
		wd := (int(t.Weekday()) + 6) % 7 // Monday = 0
		monday := time.Date(t.Year(), t.Month(), t.Day()-wd, 0, 0, 0, 0, time.UTC)
		thursday := monday.AddDate(0, 0, 3)
		if c == 'x' {
			return int(thursday.Month())
		}
		first := time.Date(thursday.Year(), thursday.Month(), 1, 0, 0, 0, 0, time.UTC)
		fwd := (int(first.Weekday()) + 6) % 7
		firstMonday := first.AddDate(0, 0, -fwd)
		if fwd > 3 {
			firstMonday = firstMonday.AddDate(0, 0, 7)
		}
		return int(monday.Sub(firstMonday).Hours()/24)/7 + 1
	case 'H':
		return t.Hour()
	case 'h':
		h := t.Hour() % 12
		if h == 0 {
			h = 12
		}
		return h
	case 'm':
		return t.Minute()
	case 's':
		return t.Second()
	}
	return 0
}
