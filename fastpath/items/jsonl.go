package items

import (
	"bufio"
	"bytes"
	"io"
	"strconv"

	"github.com/stepd/stepd/fastpath/jsonb"
)

// JSONLines reads JSON Lines: one JSON value a line (InputType JSONL).
// Blank lines are skipped.
type JSONLines struct {
	r    *bufio.Reader
	line int
	buf  []byte
}

// NewJSONLines returns a JSONLines reading from r.
func NewJSONLines(r io.Reader) *JSONLines { return &JSONLines{r: bufio.NewReader(r)} }

// Next implements Reader.
func (j *JSONLines) Next(dst []byte) ([]byte, error) {
	for {
		line, err := j.readLine()
		if err != nil {
			return dst, err
		}
		j.line++
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		out, cerr := jsonb.Compact(dst, line, jsonb.MaxDepth)
		if cerr != nil {
			return dst, syntaxError("line " + strconv.Itoa(j.line) + ": " + cerr.Error())
		}
		return out, nil
	}
}

// readLine returns the next line without its end, io.EOF after the last.
// The line is valid until the next call.
func (j *JSONLines) readLine() ([]byte, error) {
	j.buf = j.buf[:0]
	for {
		part, err := j.r.ReadSlice('\n')
		if len(j.buf)+len(part) > MaxItemBytes {
			return nil, errItemTooLarge
		}
		j.buf = append(j.buf, part...)
		switch err {
		case nil:
			return j.buf[:len(j.buf)-1], nil
		case bufio.ErrBufferFull:
			continue
		case io.EOF:
			if len(j.buf) == 0 {
				return nil, io.EOF
			}
			return j.buf, nil
		default:
			return nil, err
		}
	}
}
