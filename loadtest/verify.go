package main

import (
	"bytes"
	"encoding/json"
	"reflect"
)

// kind is what became of one request.
type kind uint8

const (
	kindOK         kind = iota
	kindTransport       // no HTTP answer: refused, reset, timed out
	kindHTTPStatus      // an HTTP status the API does not answer a good request with
	kindExecStatus      // the execution ended with another status than expected
	kindOutput          // the output differs from -expect-output
	kindThrottled       // ThrottlingException (AWS API) or 429 (REST)
	numKinds
)

// kindNames name the kinds in reports and progress lines.
var kindNames = [numKinds]string{"ok", "transport", "http_status", "execution_status", "output_mismatch", "throttled"}

func (k kind) String() string { return kindNames[k] }

var (
	fieldStatus = []byte("status")
	fieldOutput = []byte("output")
	fieldType   = []byte("__type")
	throttling  = []byte("ThrottlingException")
)

// verify classifies one HTTP answer of api for a request expecting exp.
// errorType is the X-Amzn-ErrorType header (may be empty). It does not
// keep body. On the hot path it only scans bytes; it allocates only to
// compare an output that is not byte-for-byte the expected one.
func verify(api API, exp *Expect, code int, errorType, body []byte) kind {
	switch api {
	case APIAWS:
		switch {
		case code == 200:
		case code == 429 || bytes.Contains(errorType, throttling):
			return kindThrottled
		case code == 400:
			if t, ok := topLevelField(body, fieldType); ok && bytes.Contains(t, throttling) {
				return kindThrottled
			}
			return kindHTTPStatus
		default:
			return kindHTTPStatus
		}
		status, _ := topLevelField(body, fieldStatus)
		if !jsonStringIs(status, exp.Status) {
			return kindExecStatus
		}
		if exp.Output == "" {
			return kindOK
		}
		raw, ok := topLevelField(body, fieldOutput)
		var out string
		if !ok || json.Unmarshal(raw, &out) != nil || !jsonEqual(exp.Output, []byte(out)) {
			return kindOutput
		}
		return kindOK
	default: // APIREST
		switch code {
		case 200:
			if exp.Status != "SUCCEEDED" {
				return kindExecStatus
			}
			if exp.Output != "" && !jsonEqual(exp.Output, body) {
				return kindOutput
			}
			return kindOK
		case 422:
			status, _ := topLevelField(body, fieldStatus)
			if !jsonStringIs(status, exp.Status) {
				return kindExecStatus
			}
			return kindOK
		case 429:
			return kindThrottled
		default:
			return kindHTTPStatus
		}
	}
}

// jsonStringIs reports whether raw is the JSON string s (s without
// characters that need escaping, as execution statuses are).
func jsonStringIs(raw []byte, s string) bool {
	return len(raw) == len(s)+2 && raw[0] == '"' && raw[len(raw)-1] == '"' && string(raw[1:len(raw)-1]) == s
}

// jsonEqual reports whether got is the same JSON value as want (compact):
// byte-equal, equal once compacted, or equal as decoded values (object
// members in another order).
func jsonEqual(want string, got []byte) bool {
	if string(got) == want {
		return true
	}
	var c bytes.Buffer
	if json.Compact(&c, got) != nil {
		return false
	}
	if c.String() == want {
		return true
	}
	var a, b any
	da := json.NewDecoder(bytes.NewReader([]byte(want)))
	da.UseNumber()
	db := json.NewDecoder(bytes.NewReader(got))
	db.UseNumber()
	if da.Decode(&a) != nil || db.Decode(&b) != nil {
		return false
	}
	return reflect.DeepEqual(a, b)
}

// topLevelField returns the raw JSON value of member name of the object
// in b (a span of b), and whether it was found. Member names are compared
// as raw bytes, so name must need no escaping. On bad JSON it reports
// false; it never panics.
func topLevelField(b, name []byte) ([]byte, bool) {
	i := skipSpace(b, 0)
	if i >= len(b) || b[i] != '{' {
		return nil, false
	}
	i++
	for {
		i = skipSpace(b, i)
		if i >= len(b) || b[i] != '"' {
			return nil, false
		}
		kEnd, ok := skipValue(b, i)
		if !ok {
			return nil, false
		}
		key := b[i+1 : kEnd-1]
		i = skipSpace(b, kEnd)
		if i >= len(b) || b[i] != ':' {
			return nil, false
		}
		i = skipSpace(b, i+1)
		vEnd, ok := skipValue(b, i)
		if !ok {
			return nil, false
		}
		if bytes.Equal(key, name) {
			return b[i:vEnd], true
		}
		i = skipSpace(b, vEnd)
		if i >= len(b) || b[i] != ',' {
			return nil, false
		}
		i++
	}
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// skipValue returns the end of the JSON value starting at b[i]. It checks
// only what it needs to find the end.
func skipValue(b []byte, i int) (int, bool) {
	if i >= len(b) {
		return i, false
	}
	switch b[i] {
	case '"':
		for i++; i < len(b); i++ {
			switch b[i] {
			case '\\':
				i++
			case '"':
				return i + 1, true
			}
		}
		return i, false
	case '{', '[':
		depth := 0
		for ; i < len(b); i++ {
			switch b[i] {
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return i + 1, true
				}
			case '"':
				end, ok := skipValue(b, i)
				if !ok {
					return end, false
				}
				i = end - 1
			}
		}
		return i, false
	default:
		start := i
		for i < len(b) && b[i] != ',' && b[i] != '}' && b[i] != ']' && b[i] != ' ' && b[i] != '\n' && b[i] != '\t' && b[i] != '\r' {
			i++
		}
		return i, i > start
	}
}
