package jsonata

import (
	"bytes"
	"slices"
)

// Canonical reports whether b is canonical JSON: exactly the text
// AppendJSON writes for the value ParseJSON reads from b (compact, keys
// distinct, numbers in their JavaScript form, strings escaped only as
// JSON.stringify escapes). Raw evaluation takes only canonical inputs;
// the result of AppendJSON and of Raw.AppendEval is always canonical.
func (ev *RawEval) Canonical(b []byte) bool {
	if len(b) == 0 {
		return false
	}
	ev.keys = ev.keys[:0]
	end, ok := ev.canonValue(b, 0, 0)
	return ok && end == len(b)
}

// canonValue checks the value at b[i] and returns where it ends.
func (ev *RawEval) canonValue(b []byte, i, depth int) (int, bool) {
	if i >= len(b) || depth > maxJSONDepth {
		return i, false
	}
	switch c := b[i]; {
	case c == '{':
		i++
		if i < len(b) && b[i] == '}' {
			return i + 1, true
		}
		mark := len(ev.keys)
		for {
			if i >= len(b) || b[i] != '"' {
				return i, false
			}
			ke, ok := canonString(b, i)
			if !ok || ke >= len(b) || b[ke] != ':' {
				return i, false
			}
			ev.keys = append(ev.keys, b[i:ke])
			if i, ok = ev.canonValue(b, ke+1, depth+1); !ok || i >= len(b) {
				return i, false
			}
			if b[i] == ',' {
				i++
				continue
			}
			if b[i] != '}' {
				return i, false
			}
			ok = distinctKeys(ev.keys[mark:])
			ev.keys = ev.keys[:mark]
			return i + 1, ok
		}
	case c == '[':
		i++
		if i < len(b) && b[i] == ']' {
			return i + 1, true
		}
		for {
			var ok bool
			if i, ok = ev.canonValue(b, i, depth+1); !ok || i >= len(b) {
				return i, false
			}
			if b[i] == ',' {
				i++
				continue
			}
			return i + 1, b[i] == ']'
		}
	case c == '"':
		return canonString(b, i)
	case c == 't':
		return i + 4, bytes.HasPrefix(b[i:], jsonTrue)
	case c == 'f':
		return i + 5, bytes.HasPrefix(b[i:], jsonFalse)
	case c == 'n':
		return i + 4, bytes.HasPrefix(b[i:], jsonNull)
	case c == '-' || (c >= '0' && c <= '9'):
		j := numberSyntaxEnd(b, i)
		if j < 0 {
			return i, false
		}
		if shortInt(b[i:j]) {
			return j, true
		}
		f, ok := parseRawNumber(b[i:j])
		if !ok || isInfOrNaN(f) {
			return j, false
		}
		var tmp [32]byte
		return j, string(appendNumber(tmp[:0], f)) == string(b[i:j])
	}
	return i, false
}

// distinctKeys reports whether the raw keys of one object differ (a
// canonical string has one spelling, so bytes compare as texts).
func distinctKeys(keys [][]byte) bool {
	if len(keys) <= smallObject {
		for i, k := range keys {
			for _, p := range keys[:i] {
				if string(p) == string(k) {
					return false
				}
			}
		}
		return true
	}
	slices.SortFunc(keys, bytes.Compare)
	for i := 1; i < len(keys); i++ {
		if bytes.Equal(keys[i-1], keys[i]) {
			return false
		}
	}
	return true
}

// canonPlain marks the bytes a canonical string holds as they are: all
// but control characters, the quote and the backslash.
var canonPlain = func() (t [256]bool) {
	for c := 0x20; c < 256; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// canonString checks the string at b[i] (its opening quote) and returns
// where it ends: escapes only for the quote, the backslash and control
// characters, as appendQuoted writes them.
func canonString(b []byte, i int) (int, bool) {
	for i++; i < len(b); i++ {
		for i < len(b) && canonPlain[b[i]] {
			i++
		}
		if i >= len(b) {
			break
		}
		switch c := b[i]; {
		case c == '"':
			return i + 1, true
		case c < 0x20:
			return i, false
		}
		// a backslash
		if i+1 >= len(b) {
			return i, false
		}
		i++
		switch b[i] {
		case '"', '\\', 'b', 'f', 'n', 'r', 't':
		case 'u':
			if i+4 >= len(b) || b[i+1] != '0' || b[i+2] != '0' || !lowerHex(b[i+3]) || !lowerHex(b[i+4]) {
				return i, false
			}
			r, _ := hex4(b[i+1:])
			switch r {
			case '\b', '\f', '\n', '\r', '\t':
				return i, false
			}
			if r >= 0x20 {
				return i, false
			}
			i += 4
		default:
			return i, false
		}
	}
	return i, false
}

func lowerHex(c byte) bool { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') }

// numberSyntaxEnd returns where the JSON number at b[i] ends, -1 when it
// is malformed.
func numberSyntaxEnd(b []byte, i int) int {
	if b[i] == '-' {
		i++
	}
	start := i
	i = digitsEnd(b, i)
	if i == start || (i-start > 1 && b[start] == '0') {
		return -1
	}
	if i < len(b) && b[i] == '.' {
		j := digitsEnd(b, i+1)
		if j == i+1 {
			return -1
		}
		i = j
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		j := digitsEnd(b, i)
		if j == i {
			return -1
		}
		i = j
	}
	return i
}

// digitsEnd returns where the run of digits at b[i] ends.
func digitsEnd(b []byte, i int) int {
	for i < len(b) && b[i] >= '0' && b[i] <= '9' {
		i++
	}
	return i
}
