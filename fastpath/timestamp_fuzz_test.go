package fastpath

import (
	"math"
	"testing"
	"time"
)

func TestParseTimestamp(t *testing.T) {
	f := func(s string, want int64, wantOK bool) {
		t.Helper()
		got, ok := ParseTimestamp([]byte(s))
		if ok != wantOK || got != want {
			t.Fatalf("ParseTimestamp(%q) = %d, %v; want %d, %v", s, got, ok, want, wantOK)
		}
	}
	f("2016-03-14T01:59:00Z", 1457920740e9, true)
	f("2016-03-05T21:29:29.243167252Z", 1457213369243167252, true)
	f("2016-03-05T21:29:29.2Z", 1457213369200000000, true)
	f("2012-10-09T19:00:55+01:00", 1349805655e9, true)
	f("2012-10-09T19:00:55-01:30", 1349814655e9, true)
	f("1970-01-01T00:00:00Z", 0, true)
	f("1969-12-31T23:59:59.999999999Z", -1, true)
	f("2000-02-29T00:00:00Z", 951782400e9, true)
	f("2262-04-11T23:47:16.854775807Z", math.MaxInt64, true)
	f("2262-04-11T23:47:16.854775808Z", math.MaxInt64, true) // saturates
	f("9999-12-31T23:59:59Z", math.MaxInt64, true)
	f("1677-09-21T00:12:43.145224192Z", math.MinInt64, true)
	f("0000-01-01T00:00:00Z", math.MinInt64, true)
	f("2016-03-14T01:59:00+18:00", 1457855940e9, true)

	// What AWS rejects (conformance cases base/wait_timestamp_path and
	// validation/wait_timestamp_invalid) and other malformed text.
	for _, s := range []string{
		"2016-13-05T21:29:29Z",            // INVALID_DATE
		"05-12-2016T21:29:29Z",            // INVALID_ISO
		"2016-12-05T25:29:29Z",            // INVALID_TIME
		"2016-12-05 21:29:29Z",            // NO_T
		"2016-12-05T21:29:29",             // NO_Z
		"2023-02-24",                      // a date alone
		"2023-02-24 12:15:56.832957",      // Python's str(datetime)
		"2016-02-30T00:00:00Z",            // no such day
		"1900-02-29T00:00:00Z",            // not a leap year
		"2016-04-31T00:00:00Z",            // April has 30 days
		"2016-00-10T00:00:00Z",            // month 0
		"2016-01-00T00:00:00Z",            // day 0
		"2016-01-01T24:00:00Z",            // hour 24
		"2016-01-01T23:60:00Z",            // minute 60
		"2016-01-01T23:59:60Z",            // leap second
		"2016-01-01T00:00:00.Z",           // empty fraction
		"2016-01-01T00:00:00.1234567890Z", // ten fraction digits
		"2016-01-01T00:00:00+19:00",       // offset beyond ±18:00
		"2016-01-01T00:00:00+18:01",
		"2016-01-01T00:00:00+01:60",
		"2016-01-01T00:00:00+0100", // basic-format offset
		"2016-01-01T00:00:00+01",
		"2016-01-01T00:00:00Zx",
		"2016-01-01t00:00:00Z",
		"2016-01-01T00:00:00z",
		"2016-01-01T00:00Z",
		"+2016-01-01T00:00:00Z",
		"2016-1-01T00:00:00Z",
		"２016-01-01T00:00:00Z",
		"",
	} {
		f(s, 0, false)
	}
}

// FuzzParseTimestamp checks that ParseTimestamp never panics, that
// everything it accepts Go's RFC 3339 parser reads as the same instant, and
// that an accepted instant printed back in RFC 3339 (in its offset) parses to
// itself.
func FuzzParseTimestamp(f *testing.F) {
	f.Fuzz(func(t *testing.T, b []byte) {
		nanos, ok := ParseTimestamp(b)
		ts, ok2 := parseTimestamp(b)
		if ok != ok2 {
			t.Fatalf("ParseTimestamp and parseTimestamp disagree on %q", b)
		}
		if !ok {
			return
		}
		if ts.nsec < 0 || ts.nsec >= nanosPerSec {
			t.Fatalf("%q: nanoseconds %d out of range", b, ts.nsec)
		}
		std, err := time.Parse(time.RFC3339Nano, string(b))
		if err != nil {
			t.Fatalf("accepted %q, which time.Parse rejects: %v", b, err)
		}
		if std.Unix() != ts.sec || int64(std.Nanosecond()) != ts.nsec {
			t.Fatalf("%q: got %d.%09d, time.Parse says %d.%09d", b, ts.sec, ts.nsec, std.Unix(), std.Nanosecond())
		}
		if ts.sec >= -maxNanosSec && ts.sec < maxNanosSec && nanos != std.UnixNano() {
			t.Fatalf("%q: got %d ns, time.Parse says %d", b, nanos, std.UnixNano())
		}
		// Printed in its own offset: in UTC, 0000-01-01T00:00:00+01:00
		// would fall in year -1, which no timestamp can spell.
		back := std.Format("2006-01-02T15:04:05.999999999Z07:00")
		if again, ok := parseTimestamp([]byte(back)); !ok || again != ts {
			t.Fatalf("%q printed as %q parses to %v, %v; want %v", b, back, again, ok, ts)
		}
	})
}
