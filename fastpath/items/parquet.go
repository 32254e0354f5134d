package items

import (
	"encoding/json"
	"fmt"
	"io"

	"github.com/parquet-go/parquet-go"

	"github.com/stepd/stepd/fastpath/jsonb"
)

// Parquet reads the rows of an Apache Parquet file (InputType PARQUET),
// one at a time: each row is an item, a JSON object of its columns in the
// schema's order (nested groups as objects, lists as arrays, byte arrays
// that are not strings in base64). Parquet keeps its footer at the end of
// the file, so it reads through an io.ReaderAt, a row group's pages at a
// time, never the whole file.
type Parquet struct {
	r      *parquet.GenericReader[map[string]any]
	fields []string
	rows   []map[string]any // one row
	buf    []byte
}

// NewParquet opens the Parquet file of size bytes that r reads.
func NewParquet(r io.ReaderAt, size int64) (p *Parquet, err error) {
	defer recoverParquet(&err)
	f, err := parquet.OpenFile(r, size)
	if err != nil {
		return nil, parquetError(err)
	}
	p = &Parquet{r: parquet.NewGenericReader[map[string]any](f, f.Schema()), rows: make([]map[string]any, 1)}
	for _, field := range f.Schema().Fields() {
		p.fields = append(p.fields, field.Name())
	}
	return p, nil
}

// Next implements Reader.
func (p *Parquet) Next(dst []byte) (out []byte, err error) {
	defer recoverParquet(&err)
	if p.rows[0] == nil {
		p.rows[0] = map[string]any{}
	}
	clear(p.rows[0])
	n, err := p.r.Read(p.rows)
	if n == 0 {
		if err == nil || err == io.EOF {
			return dst, io.EOF
		}
		return dst, parquetError(err)
	}
	row := p.rows[0]
	p.buf = append(p.buf[:0], '{')
	for i, name := range p.fields {
		if i > 0 {
			p.buf = append(p.buf, ',')
		}
		p.buf = jsonb.AppendQuotedString(p.buf, name)
		p.buf = append(p.buf, ':')
		v, err := json.Marshal(row[name])
		if err != nil {
			return dst, parquetError(err)
		}
		p.buf = append(p.buf, v...)
		if len(p.buf) > MaxItemBytes {
			return dst, errItemTooLarge
		}
	}
	p.buf = append(p.buf, '}')
	out, cerr := jsonb.Compact(dst, p.buf, jsonb.MaxDepth)
	if cerr != nil {
		return dst, parquetError(cerr)
	}
	return out, nil
}

// parquetError is the error for a file that is not the Parquet its type
// says.
func parquetError(err error) error {
	return failed("The item file is not valid Parquet: " + err.Error())
}

// recoverParquet turns a panic of the Parquet library over a malformed
// file into an error: user input never panics.
func recoverParquet(err *error) {
	if r := recover(); r != nil {
		*err = parquetError(fmt.Errorf("%v", r))
	}
}
