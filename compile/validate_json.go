package compile

import (
	"errors"
	"strconv"
	"unicode/utf8"

	"github.com/stepd/stepd/fastpath/jsonb"
)

// jackSourceMax is how much of the definition Jackson (the JSON parser of
// AWS's service) quotes in its error locations before truncating.
const jackSourceMax = 500

// jsonError reports text that is not JSON as INVALID_JSON_DESCRIPTION with
// a Jackson-style message and location ("[Source: (String)"…"; line: 1,
// column: 4]"), which is what AWS answers. Only the unrecognized-token form
// is confirmed by a recorded case; the other wordings follow Jackson's
// source.
func (v *validator) jsonError(def []byte, err error) {
	off := len(def)
	var se *jsonb.SyntaxError
	if errors.As(err, &se) {
		off = se.Offset
	}
	if off > len(def) {
		off = len(def)
	}
	var msg string
	end := off
	switch {
	case errors.Is(err, jsonb.ErrTooDeep):
		msg = "Document nesting depth exceeds the maximum allowed"
	case off >= len(def):
		msg = "Unexpected end-of-input"
	default:
		c := def[off]
		if isTokenByte(c) {
			for end < len(def) && isTokenByte(def[end]) {
				end++
			}
			msg = "Unrecognized token '" + string(def[off:end]) +
				"': was expecting (JSON String, Number, Array, Object or token 'null', 'true' or 'false')"
		} else {
			r, _ := utf8.DecodeRune(def[off:])
			msg = "Unexpected character ('" + string(r) + "' (code " + strconv.Itoa(int(r)) + "))"
			if se != nil && se.Msg != "" {
				msg += ": " + se.Msg
			}
			end = off + 1
		}
	}
	line, col := 1, 1
	for _, c := range def[:min(end, len(def))] {
		if c == '\n' {
			line++
			col = 1
		} else {
			col++
		}
	}
	src := string(def)
	trunc := ""
	if len(src) > jackSourceMax {
		trunc = "[truncated " + strconv.Itoa(len(src)-jackSourceMax) + " chars]"
		src = src[:jackSourceMax]
	}
	loc := "[Source: (String)\"" + src + "\"" + trunc + "; line: " + strconv.Itoa(line) + ", column: " + strconv.Itoa(col) + "]"
	v.add(codeInvalidJSON, loc, msg+"\n at "+loc)
}

// isTokenByte reports the bytes Jackson gathers into an unrecognized token.
func isTokenByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '$' || c >= 0x80
}
