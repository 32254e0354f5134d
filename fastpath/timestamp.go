package fastpath

import (
	"math"

	"github.com/stepd/stepd/fastpath/jsonb"
)

// timestamp is an instant as whole seconds since the Unix epoch plus
// nanoseconds in [0, 1e9). It covers every year 0000-9999 that a timestamp
// string can spell, which int64 nanoseconds cannot.
type timestamp struct {
	sec  int64
	nsec int64
}

// compare returns -1, 0 or +1 as t is before, equal to or after u.
func (t timestamp) compare(u timestamp) int {
	switch {
	case t.sec < u.sec || t.sec == u.sec && t.nsec < u.nsec:
		return -1
	case t == u:
		return 0
	}
	return 1
}

// The int64 nanosecond range in (seconds, nanoseconds) form, for saturating.
const (
	nanosPerSec  = 1_000_000_000
	maxNanosSec  = math.MaxInt64 / nanosPerSec
	maxNanosNsec = math.MaxInt64 % nanosPerSec
	minNanosSec  = math.MinInt64/nanosPerSec - 1
	minNanosNsec = math.MinInt64%nanosPerSec + nanosPerSec
)

// ParseTimestamp parses b, the text of a timestamp (no JSON quotes), as AWS
// Step Functions reads the Timestamp fields of Wait and Choice states: an
// ISO-8601 extended offset date-time in the RFC 3339 profile,
//
//	YYYY-MM-DD "T" hh:mm:ss [ "." 1*9DIGIT ] ( "Z" / ( "+" / "-" ) hh:mm )
//
// with an uppercase T and Z, years 0000-9999, months 01-12, days valid for
// the month (leap years included), hours 00-23, minutes and seconds 00-59 and
// offsets up to ±18:00. Anything else, including a missing offset, a space
// instead of T, or more than nine fraction digits, is rejected (ok false).
//
// The result is nanoseconds since the Unix epoch; instants outside the int64
// range (before 1677-09-21 or after 2262-04-11 UTC) saturate to
// math.MinInt64 or math.MaxInt64, which is what a Wait needs. It allocates
// nothing and never panics.
func ParseTimestamp(b []byte) (unixNanos int64, ok bool) {
	t, ok := parseTimestamp(b)
	if !ok {
		return 0, false
	}
	switch {
	case t.sec > maxNanosSec || t.sec == maxNanosSec && t.nsec > maxNanosNsec:
		return math.MaxInt64, true
	case t.sec < minNanosSec || t.sec == minNanosSec && t.nsec < minNanosNsec:
		return math.MinInt64, true
	}
	return t.sec*nanosPerSec + t.nsec, true
}

// parseTimestamp implements ParseTimestamp without the int64 limit.
func parseTimestamp(b []byte) (timestamp, bool) {
	// The shortest form is 2006-01-02T15:04:05Z (20 bytes).
	if len(b) < 20 || b[4] != '-' || b[7] != '-' || b[10] != 'T' || b[13] != ':' || b[16] != ':' {
		return timestamp{}, false
	}
	year, ok1 := digits(b[0:4])
	month, ok2 := digits(b[5:7])
	day, ok3 := digits(b[8:10])
	hour, ok4 := digits(b[11:13])
	minute, ok5 := digits(b[14:16])
	second, ok6 := digits(b[17:19])
	if !(ok1 && ok2 && ok3 && ok4 && ok5 && ok6) ||
		month < 1 || month > 12 || day < 1 || day > daysIn(year, month) ||
		hour > 23 || minute > 59 || second > 59 {
		return timestamp{}, false
	}
	i := 19
	var nsec int64
	if b[i] == '.' {
		i++
		start := i
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			nsec = nsec*10 + int64(b[i]-'0')
			i++
		}
		n := i - start
		if n == 0 || n > 9 {
			return timestamp{}, false
		}
		for ; n < 9; n++ {
			nsec *= 10
		}
	}
	if i >= len(b) {
		return timestamp{}, false
	}
	var offset int64
	switch b[i] {
	case 'Z':
		i++
	case '+', '-':
		if len(b)-i < 6 || b[i+3] != ':' {
			return timestamp{}, false
		}
		oh, okh := digits(b[i+1 : i+3])
		om, okm := digits(b[i+4 : i+6])
		if !okh || !okm || om > 59 || oh > 18 || oh == 18 && om != 0 {
			return timestamp{}, false
		}
		offset = int64(oh*3600 + om*60)
		if b[i] == '-' {
			offset = -offset
		}
		i += 6
	default:
		return timestamp{}, false
	}
	if i != len(b) {
		return timestamp{}, false
	}
	sec := daysFromCivil(year, month, day)*86400 + int64(hour*3600+minute*60+second) - offset
	return timestamp{sec: sec, nsec: nsec}, true
}

// digits parses a run of ASCII digits.
func digits(b []byte) (int, bool) {
	n := 0
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}

// daysIn returns the number of days in month (1-12) of the proleptic
// Gregorian year.
func daysIn(year, month int) int {
	switch month {
	case 2:
		if year%4 == 0 && (year%100 != 0 || year%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

// daysFromCivil returns the days from 1970-01-01 to the given proleptic
// Gregorian date (Howard Hinnant's algorithm).
func daysFromCivil(year, month, day int) int64 {
	y := int64(year)
	if month <= 2 {
		y--
	}
	era := y / 400
	if y < 0 && y%400 != 0 {
		era--
	}
	yoe := y - era*400
	m := int64(month)
	var mp int64
	if m > 2 {
		mp = m - 3
	} else {
		mp = m + 9
	}
	doy := (153*mp+2)/5 + int64(day) - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return era*146097 + doe - 719468
}

// maxEscapedTimestamp bounds the raw length of a JSON string that is worth
// decoding as a timestamp: the longest valid one has 35 characters, and each
// may be spelled as a 6-byte \u escape.
const maxEscapedTimestamp = 6 * 35

// jsonTimestamp parses the compact JSON value v as a timestamp; anything but
// a string holding a valid one gives ok false. It allocates nothing.
func jsonTimestamp(v []byte) (timestamp, bool) {
	if jsonb.KindOf(v) != jsonb.KindString || len(v) < 2 {
		return timestamp{}, false
	}
	body := v[1 : len(v)-1]
	if !jsonb.HasByte(body, '\\') {
		return parseTimestamp(body)
	}
	if len(body) > maxEscapedTimestamp {
		return timestamp{}, false
	}
	var buf [maxEscapedTimestamp]byte
	return parseTimestamp(jsonb.AppendUnescaped(buf[:0], body))
}
