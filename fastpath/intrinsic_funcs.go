package fastpath

import (
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"math"
	"math/rand/v2"
	"strconv"
	"unicode/utf8"

	"github.com/stepd/stepd/fastpath/jsonb"
)

// The bodies of the intrinsic functions. Each takes its evaluated arguments
// (compact JSON spans), appends its result to dst, possibly after some
// scratch text, and returns dst and where the result starts. Only argument
// errors fail, always as invalidArgs: AWS reports them all with the same
// "Invalid arguments in States.X" cause.

// maxEncodeChars is AWS's limit on the input of States.Base64Encode,
// States.Base64Decode and States.Hash.
const maxEncodeChars = 10000

// maxRangeItems is AWS's limit on the length of a States.ArrayRange result.
const maxRangeItems = 1000

// strText returns the decoded text of the JSON string s: a span of s when it
// has no escapes, else a span of dst, where it was decoded.
func strText(dst, s []byte) (text, out []byte) {
	body := s[1 : len(s)-1]
	if !jsonb.HasByte(body, '\\') {
		return body, dst
	}
	from := len(dst)
	dst = jsonb.AppendUnescaped(dst, body)
	return dst[from:], dst
}

// intArg reads an integer argument as AWS does: a JSON number truncated
// towards zero, which must fit in a 32-bit int.
func intArg(v []byte) (int, bool) {
	if jsonb.KindOf(v) != jsonb.KindNumber {
		return 0, false
	}
	f, ok := jsonb.ParseNumber(v)
	if !ok || f >= 1<<31 || f <= -(1<<31)-1 {
		return 0, false
	}
	return int(f), true
}

// format implements States.Format(template, args...): each "{}" of the
// template is replaced by the next argument, strings by their text, other
// values as AWS's Java runtime prints them (appendFormatArg). The number of
// placeholders must equal the number of arguments.
func (in *Intrinsic) format(dst []byte, v [][]byte) ([]byte, int, error) {
	if jsonb.KindOf(v[0]) != jsonb.KindString {
		return dst, 0, invalidArgs(fnFormat)
	}
	tmpl, dst := strText(dst, v[0])
	args := v[1:]
	s := len(dst)
	prev := 0
	if in.args[0].kind == argLiteral {
		holes := in.args[0].holes
		if len(holes) != len(args) {
			return dst, 0, invalidArgs(fnFormat)
		}
		for i, h := range holes {
			dst = append(dst, tmpl[prev:h]...)
			dst = appendFormatArg(dst, args[i])
			prev = h + 2
		}
	} else {
		n := 0
		for i := 0; i+1 < len(tmpl); i++ {
			if tmpl[i] == '{' && tmpl[i+1] == '}' {
				if n == len(args) {
					return dst, 0, invalidArgs(fnFormat)
				}
				dst = append(dst, tmpl[prev:i]...)
				dst = appendFormatArg(dst, args[n])
				n++
				i++
				prev = i + 1
			}
		}
		if n != len(args) {
			return dst, 0, invalidArgs(fnFormat)
		}
	}
	dst = append(dst, tmpl[prev:]...)
	from := len(dst)
	return jsonb.AppendQuoted(dst, dst[s:from]), from, nil
}

// appendFormatArg appends v as States.Format prints it: a string as its
// text, an object as {key=value, ...} and an array as [a, b, ...] (Java's
// Map and List toString), anything else as its JSON spelling.
func appendFormatArg(dst, v []byte) []byte {
	switch jsonb.KindOf(v) {
	case jsonb.KindString:
		return jsonb.AppendUnquoted(dst, v)
	case jsonb.KindObject:
		dst = append(dst, '{')
		var it jsonb.ObjectIter
		it.Reset(v)
		first := true
		for k, x, ok := it.Next(); ok; k, x, ok = it.Next() {
			if !first {
				dst = append(dst, ", "...)
			}
			first = false
			dst = jsonb.AppendUnquoted(dst, k)
			dst = append(dst, '=')
			dst = appendFormatArg(dst, x)
		}
		return append(dst, '}')
	case jsonb.KindArray:
		dst = append(dst, '[')
		var it jsonb.ArrayIter
		it.Reset(v)
		first := true
		for x, ok := it.Next(); ok; x, ok = it.Next() {
			if !first {
				dst = append(dst, ", "...)
			}
			first = false
			dst = appendFormatArg(dst, x)
		}
		return append(dst, ']')
	default:
		return append(dst, v...)
	}
}

// stringToJSON implements States.StringToJson: the string's text parsed as
// JSON and compacted. Blank text gives null, as AWS does.
func stringToJSON(dst, s []byte) ([]byte, int, error) {
	if jsonb.KindOf(s) != jsonb.KindString {
		return dst, 0, invalidArgs(fnStringToJSON)
	}
	text, dst := strText(dst, s)
	from := len(dst)
	if isBlank(text) {
		return append(dst, jsonb.Null...), from, nil
	}
	out, err := jsonb.Compact(dst, text, jsonb.MaxDepth)
	if err != nil {
		return dst, 0, invalidArgs(fnStringToJSON)
	}
	return out, from, nil
}

func isBlank(b []byte) bool {
	for _, c := range b {
		if c != ' ' && c != '\t' && c != '\n' && c != '\r' {
			return false
		}
	}
	return true
}

// arrayPartition implements States.ArrayPartition(array, size): chunks of
// size elements, the last one shorter. size must be a positive integer
// (after truncation).
func arrayPartition(dst, arr, size []byte) ([]byte, int, error) {
	n, ok := intArg(size)
	if jsonb.KindOf(arr) != jsonb.KindArray || !ok || n <= 0 {
		return dst, 0, invalidArgs(fnArrayPartition)
	}
	from := len(dst)
	dst = append(dst, '[')
	var it jsonb.ArrayIter
	it.Reset(arr)
	i := 0
	for x, ok := it.Next(); ok; x, ok = it.Next() {
		switch {
		case i == 0:
			dst = append(dst, '[')
		case i%n == 0:
			dst = append(dst, "],["...)
		default:
			dst = append(dst, ',')
		}
		dst = append(dst, x...)
		i++
	}
	if i > 0 {
		dst = append(dst, ']')
	}
	return append(dst, ']'), from, nil
}

// arrayContains implements States.ArrayContains(array, value), comparing
// as JSON values (Equal).
func arrayContains(dst, arr, v []byte) ([]byte, int, error) {
	if jsonb.KindOf(arr) != jsonb.KindArray {
		return dst, 0, invalidArgs(fnArrayContains)
	}
	from := len(dst)
	var it jsonb.ArrayIter
	it.Reset(arr)
	for x, ok := it.Next(); ok; x, ok = it.Next() {
		if jsonb.Equal(x, v) {
			return append(dst, jsonb.True...), from, nil
		}
	}
	return append(dst, jsonb.False...), from, nil
}

// arrayRange implements States.ArrayRange(start, end, step): start, then
// start+step and so on while not past end (end included). The arguments are
// truncated to integers; step must not be 0 and the result must not exceed
// 1000 items. A step pointing away from end gives [].
func arrayRange(dst, a, b, c []byte) ([]byte, int, error) {
	start, ok1 := intArg(a)
	end, ok2 := intArg(b)
	step, ok3 := intArg(c)
	if !ok1 || !ok2 || !ok3 || step == 0 {
		return dst, 0, invalidArgs(fnArrayRange)
	}
	n := 0
	if step > 0 && start <= end || step < 0 && start >= end {
		n = (end-start)/step + 1
	}
	if n > maxRangeItems {
		return dst, 0, invalidArgs(fnArrayRange)
	}
	from := len(dst)
	dst = append(dst, '[')
	for i := range n {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = strconv.AppendInt(dst, int64(start+i*step), 10)
	}
	return append(dst, ']'), from, nil
}

// arrayGetItem implements States.ArrayGetItem(array, index). The index is
// truncated to an integer and must not be negative; past the end is an
// error, except that AWS answers null for any index into an empty array.
func arrayGetItem(dst, arr, idx []byte) ([]byte, int, error) {
	i, ok := intArg(idx)
	if jsonb.KindOf(arr) != jsonb.KindArray || !ok || i < 0 {
		return dst, 0, invalidArgs(fnArrayGetItem)
	}
	from := len(dst)
	x := jsonb.ArrayIndex(arr, i)
	if x == nil {
		if jsonb.ArrayLen(arr) != 0 {
			return dst, 0, invalidArgs(fnArrayGetItem)
		}
		x = jsonb.Null
	}
	return append(dst, x...), from, nil
}

// arrayUnique implements States.ArrayUnique: the array without the elements
// Equal to an earlier one. Elements are bucketed by a hash consistent with
// Equal, so the work stays linear in the array's size.
func arrayUnique(dst, arr []byte) ([]byte, int, error) {
	if jsonb.KindOf(arr) != jsonb.KindArray {
		return dst, 0, invalidArgs(fnArrayUnique)
	}
	seen := make(map[uint64][][]byte)
	from := len(dst)
	dst = append(dst, '[')
	var it jsonb.ArrayIter
	it.Reset(arr)
	first := true
next:
	for x, ok := it.Next(); ok; x, ok = it.Next() {
		h := valueHash(x)
		for _, y := range seen[h] {
			if jsonb.Equal(x, y) {
				continue next
			}
		}
		seen[h] = append(seen[h], x)
		if !first {
			dst = append(dst, ',')
		}
		first = false
		dst = append(dst, x...)
	}
	return append(dst, ']'), from, nil
}

// valueHash hashes a compact JSON value so that Equal values hash alike:
// numbers by value, strings by decoded text, objects regardless of member
// order.
func valueHash(v []byte) uint64 {
	const prime = 1099511628211
	h := uint64(jsonb.KindOf(v)) * 0x9E3779B97F4A7C15
	switch jsonb.KindOf(v) {
	case jsonb.KindNumber:
		f, _ := jsonb.ParseNumber(v)
		if f == 0 {
			f = 0 // -0 equals 0
		}
		return h ^ mix64(math.Float64bits(f))
	case jsonb.KindString:
		var buf [128]byte
		return h ^ fnv64(jsonb.AppendUnquoted(buf[:0], v))
	case jsonb.KindArray:
		var it jsonb.ArrayIter
		it.Reset(v)
		for x, ok := it.Next(); ok; x, ok = it.Next() {
			h = h*prime ^ valueHash(x)
		}
		return h
	case jsonb.KindObject:
		var it jsonb.ObjectIter
		it.Reset(v)
		var sum uint64
		for k, x, ok := it.Next(); ok; k, x, ok = it.Next() {
			sum += mix64(valueHash(k) ^ valueHash(x)*prime)
		}
		return h ^ sum
	default:
		return h ^ fnv64(v)
	}
}

func fnv64(b []byte) uint64 {
	h := uint64(14695981039346656037)
	for _, c := range b {
		h = (h ^ uint64(c)) * 1099511628211
	}
	return h
}

func mix64(x uint64) uint64 {
	x ^= x >> 33
	x *= 0xff51afd7ed558ccd
	x ^= x >> 33
	x *= 0xc4ceb9fe1a85ec53
	return x ^ x>>33
}

// textArg reads a string argument of at most maxEncodeChars characters.
func textArg(dst, v []byte) (text, out []byte, ok bool) {
	if jsonb.KindOf(v) != jsonb.KindString {
		return nil, dst, false
	}
	text, dst = strText(dst, v)
	return text, dst, utf8.RuneCount(text) <= maxEncodeChars
}

// base64Encode implements States.Base64Encode: the UTF-8 bytes of the text
// in standard, padded base64.
func base64Encode(dst, v []byte) ([]byte, int, error) {
	text, dst, ok := textArg(dst, v)
	if !ok {
		return dst, 0, invalidArgs(fnBase64Encode)
	}
	from := len(dst)
	dst = append(dst, '"')
	dst = base64.StdEncoding.AppendEncode(dst, text)
	return append(dst, '"'), from, nil
}

// base64Decode implements States.Base64Decode: standard base64, padding
// optional as in Java's decoder, decoded bytes read as UTF-8 with invalid
// sequences replaced by U+FFFD.
func base64Decode(dst, v []byte) ([]byte, int, error) {
	text, dst, ok := textArg(dst, v)
	if !ok {
		return dst, 0, invalidArgs(fnBase64Decode)
	}
	for pad := 0; pad < 2 && len(text) > 0 && text[len(text)-1] == '='; pad++ {
		text = text[:len(text)-1]
	}
	s := len(dst)
	dst, err := base64.RawStdEncoding.AppendDecode(dst, text)
	if err != nil {
		return dst[:s], 0, invalidArgs(fnBase64Decode)
	}
	if !utf8.Valid(dst[s:]) {
		raw := dst[s:]
		s = len(dst)
		for len(raw) > 0 {
			r, n := utf8.DecodeRune(raw)
			dst = utf8.AppendRune(dst, r) // RuneError for an invalid byte
			raw = raw[n:]
		}
	}
	from := len(dst)
	return jsonb.AppendQuoted(dst, dst[s:from]), from, nil
}

// hashOf implements States.Hash(text, algorithm): the lower-case hex digest
// of the text's UTF-8 bytes with MD5, SHA-1, SHA-256, SHA-384 or SHA-512.
func hashOf(dst, v, alg []byte) ([]byte, int, error) {
	text, dst, ok := textArg(dst, v)
	if !ok || jsonb.KindOf(alg) != jsonb.KindString {
		return dst, 0, invalidArgs(fnHash)
	}
	from := len(dst)
	dst = append(dst, '"')
	switch string(alg) {
	case `"MD5"`:
		sum := md5.Sum(text)
		dst = hex.AppendEncode(dst, sum[:])
	case `"SHA-1"`:
		sum := sha1.Sum(text)
		dst = hex.AppendEncode(dst, sum[:])
	case `"SHA-256"`:
		sum := sha256.Sum256(text)
		dst = hex.AppendEncode(dst, sum[:])
	case `"SHA-384"`:
		sum := sha512.Sum384(text)
		dst = hex.AppendEncode(dst, sum[:])
	case `"SHA-512"`:
		sum := sha512.Sum512(text)
		dst = hex.AppendEncode(dst, sum[:])
	default:
		return dst[:from], 0, invalidArgs(fnHash)
	}
	return append(dst, '"'), from, nil
}

// jsonMerge implements States.JsonMerge(a, b, false): a shallow merge, b's
// members replacing a's. The members of a come first, in order, then b's new
// ones. AWS supports only the shallow merge: deep must be false.
func jsonMerge(dst, a, b, deep []byte) ([]byte, int, error) {
	if jsonb.KindOf(a) != jsonb.KindObject || jsonb.KindOf(b) != jsonb.KindObject || string(deep) != "false" {
		return dst, 0, invalidArgs(fnJSONMerge)
	}
	from := len(dst)
	dst = append(dst, '{')
	first := true
	member := func(k, x []byte) {
		if !first {
			dst = append(dst, ',')
		}
		first = false
		dst = append(dst, k...)
		dst = append(dst, ':')
		dst = append(dst, x...)
	}
	var it jsonb.ObjectIter
	it.Reset(a)
	for k, x, ok := it.Next(); ok; k, x, ok = it.Next() {
		if y := objectGetRaw(b, k); y != nil {
			x = y
		}
		member(k, x)
	}
	it.Reset(b)
	for k, x, ok := it.Next(); ok; k, x, ok = it.Next() {
		if objectGetRaw(a, k) == nil {
			member(k, x)
		}
	}
	return append(dst, '}'), from, nil
}

// objectGetRaw is ObjectGet for a raw (quoted, possibly escaped) key.
func objectGetRaw(obj, key []byte) []byte {
	var buf [64]byte
	return jsonb.ObjectGet(obj, jsonb.BytesString(jsonb.AppendUnquoted(buf[:0], key)))
}

// mathRandom implements States.MathRandom(start, end[, seed]): an integer in
// [start, end), the bounds truncated to integers; start must be below end.
// With a seed the number is the same on every call.
func mathRandom(dst []byte, v [][]byte, rs Resolver) ([]byte, int, error) {
	start, ok1 := intArg(v[0])
	end, ok2 := intArg(v[1])
	if !ok1 || !ok2 || start >= end {
		return dst, 0, invalidArgs(fnMathRandom)
	}
	span := uint64(end - start)
	var r uint64
	if len(v) == 3 {
		seed, ok := intArg(v[2])
		if !ok {
			return dst, 0, invalidArgs(fnMathRandom)
		}
		var src rand.PCG
		src.Seed(uint64(seed), 0)
		r = src.Uint64() % span
	} else {
		r = randomNOf(rs, span)
	}
	from := len(dst)
	return strconv.AppendInt(dst, int64(start)+int64(r), 10), from, nil
}

// mathAdd implements States.MathAdd(a, b): each argument rounded to an
// integer as Java's Math.round does (halves towards +infinity), then added.
// The arguments must lie in the 32-bit integer range.
func mathAdd(dst, a, b []byte) ([]byte, int, error) {
	x, ok1 := roundArg(a)
	y, ok2 := roundArg(b)
	if !ok1 || !ok2 {
		return dst, 0, invalidArgs(fnMathAdd)
	}
	from := len(dst)
	return strconv.AppendInt(dst, x+y, 10), from, nil
}

func roundArg(v []byte) (int64, bool) {
	if jsonb.KindOf(v) != jsonb.KindNumber {
		return 0, false
	}
	f, ok := jsonb.ParseNumber(v)
	if !ok || f > math.MaxInt32 || f < math.MinInt32 {
		return 0, false
	}
	r := math.Floor(f)
	if f-r >= 0.5 {
		r++
	}
	return int64(r), true
}

// stringSplit implements States.StringSplit(text, delimiters): the text cut
// at every character of delimiters, empty pieces dropped (Java's
// StringTokenizer).
func stringSplit(dst, v, delims []byte) ([]byte, int, error) {
	if jsonb.KindOf(v) != jsonb.KindString || jsonb.KindOf(delims) != jsonb.KindString {
		return dst, 0, invalidArgs(fnStringSplit)
	}
	text, dst := strText(dst, v)
	set, dst := strText(dst, delims)
	from := len(dst)
	dst = append(dst, '[')
	first := true
	tok := 0
	for i := 0; i <= len(text); {
		r, n := utf8.RuneError, 0
		if i < len(text) {
			r, n = utf8.DecodeRune(text[i:])
		}
		if i == len(text) || isDelim(set, r) {
			if i > tok {
				if !first {
					dst = append(dst, ',')
				}
				first = false
				dst = jsonb.AppendQuoted(dst, text[tok:i])
			}
			if i == len(text) {
				break
			}
			tok = i + n
		}
		i += n
	}
	return append(dst, ']'), from, nil
}

func isDelim(set []byte, r rune) bool {
	for _, d := range jsonb.BytesString(set) {
		if d == r {
			return true
		}
	}
	return false
}

// appendUUID appends a random (version 4) UUID as a JSON string, its
// randomness from r's execution (see randomOf).
func appendUUID(dst []byte, r Resolver) []byte {
	dst = append(dst, '"')
	dst = appendUUIDFrom(dst, randomOf(r), randomOf(r))
	return append(dst, '"')
}
