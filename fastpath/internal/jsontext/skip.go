package jsontext

// structural marks the bytes that matter when skipping over a container.
var structural = [256]byte{'"': 1, '{': 1, '[': 1, '}': 1, ']': 1}

// SkipValue returns the offset just past the compact JSON value starting at
// b[i]. b must be valid compact JSON (as fastpath.Compact produces); on anything
// else the result is unspecified but stays within len(b).
func SkipValue(b []byte, i int) int {
	if i >= len(b) {
		return len(b)
	}
	switch b[i] {
	case '"':
		return SkipString(b, i)
	case '{', '[':
		depth := 0
		for i < len(b) {
			c := b[i]
			if structural[c] == 0 {
				i++
				continue
			}
			switch c {
			case '"':
				i = SkipString(b, i)
				continue
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return i + 1
				}
			}
			i++
		}
		return len(b)
	case 't', 'n':
		return min(i+4, len(b))
	case 'f':
		return min(i+5, len(b))
	default:
		for i < len(b) {
			switch b[i] {
			case ',', '}', ']', ':':
				return i
			}
			i++
		}
		return i
	}
}

// SkipString returns the offset just past the JSON string whose opening quote
// is at b[i].
func SkipString(b []byte, i int) int {
	for i++; i < len(b); i++ {
		switch b[i] {
		case '"':
			return i + 1
		case '\\':
			i++
		}
	}
	return len(b)
}
