package items

import (
	"bufio"
	"io"

	"github.com/stepd/stepd/fastpath/jsonb"
)

// ErrNotArray is AWS's cause when a JSON item file is not an array.
var ErrNotArray = failed("Attempting to map over non-iterable node.")

// JSONArray reads the elements of a JSON array, one at a time, from a
// file whose whole content is that array (InputType JSON).
type JSONArray struct {
	r       *bufio.Reader
	buf     []byte
	started bool
	done    bool
}

// NewJSONArray returns a JSONArray reading from r.
func NewJSONArray(r io.Reader) *JSONArray { return &JSONArray{r: bufio.NewReader(r)} }

// Next implements Reader.
func (j *JSONArray) Next(dst []byte) ([]byte, error) {
	if j.done {
		return dst, io.EOF
	}
	c, err := j.skipSpace()
	if err != nil {
		return dst, j.fail(err)
	}
	switch {
	case !j.started:
		if c != '[' {
			return dst, j.fail(ErrNotArray)
		}
		j.started = true
		if c, err = j.skipSpace(); err != nil {
			return dst, j.fail(err)
		}
		if c == ']' {
			j.done = true
			return dst, io.EOF
		}
	case c == ']':
		j.done = true
		return dst, io.EOF
	case c != ',':
		return dst, j.fail(syntaxError("expected ',' or ']' after an array element"))
	default:
		if c, err = j.skipSpace(); err != nil {
			return dst, j.fail(err)
		}
	}
	j.buf = append(j.buf[:0], c)
	if err := j.value(c); err != nil {
		return dst, j.fail(err)
	}
	out, err := jsonb.Compact(dst, j.buf, jsonb.MaxDepth)
	if err != nil {
		return dst, j.fail(syntaxError(err.Error()))
	}
	return out, nil
}

// fail ends the reader with err; a file that ends early is a syntax error.
func (j *JSONArray) fail(err error) error {
	j.done = true
	if err == io.EOF {
		if !j.started {
			return ErrNotArray
		}
		return syntaxError("unexpected end of the file")
	}
	return err
}

func (j *JSONArray) skipSpace() (byte, error) {
	for {
		c, err := j.r.ReadByte()
		if err != nil {
			return 0, err
		}
		if c != ' ' && c != '\t' && c != '\n' && c != '\r' {
			return c, nil
		}
	}
}

func (j *JSONArray) add(c byte) error {
	if len(j.buf) >= MaxItemBytes {
		return errItemTooLarge
	}
	j.buf = append(j.buf, c)
	return nil
}

// take reads the next byte into j.buf and returns it.
func (j *JSONArray) take() (byte, error) {
	c, err := j.r.ReadByte()
	if err != nil {
		return 0, err
	}
	return c, j.add(c)
}

// value reads the rest of the value that starts with c into j.buf; it
// finds the value's end (Compact checks the value itself).
//
//	value = object | array | string | literal
func (j *JSONArray) value(c byte) error {
	switch c {
	case '"':
		return j.str()
	case '{', '[':
		depth := 1
		for depth > 0 {
			c, err := j.take()
			if err != nil {
				return err
			}
			switch c {
			case '"':
				if err := j.str(); err != nil {
					return err
				}
			case '{', '[':
				depth++
			case '}', ']':
				depth--
			}
		}
		return nil
	}
	for {
		c, err := j.r.ReadByte()
		if err != nil {
			return err
		}
		switch c {
		case ',', ']', '}', ' ', '\t', '\n', '\r':
			return j.r.UnreadByte()
		}
		if err := j.add(c); err != nil {
			return err
		}
	}
}

// str reads the rest of a string whose opening quote is in j.buf.
func (j *JSONArray) str() error {
	for {
		c, err := j.take()
		if err != nil {
			return err
		}
		switch c {
		case '"':
			return nil
		case '\\':
			if _, err := j.take(); err != nil {
				return err
			}
		}
	}
}

// syntaxError is the error for a file that is not the JSON its type says.
func syntaxError(detail string) error {
	return failed("The item file is not valid JSON: " + detail)
}
