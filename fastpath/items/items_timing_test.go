package items

import (
	"bytes"
	"io"
	"strconv"
	"testing"
)

var sinkItem []byte

// benchReader reads every item of data with open, b.N times.
func benchReader(b *testing.B, data []byte, open func(io.Reader) Reader) {
	b.ReportAllocs()
	b.SetBytes(int64(len(data)))
	for i := 0; i < b.N; i++ {
		r := open(bytes.NewReader(data))
		for {
			var err error
			if sinkItem, err = r.Next(sinkItem[:0]); err != nil {
				break
			}
		}
	}
}

func BenchmarkJSONLines(b *testing.B) {
	var data []byte
	for i := 0; i < 1000; i++ {
		data = append(data, `{"id": `+strconv.Itoa(i)+`, "name": "item", "tags": ["a", "b"]}`+"\n"...)
	}
	benchReader(b, data, func(r io.Reader) Reader { return NewJSONLines(r) })
}

func BenchmarkJSONArray(b *testing.B) {
	data := []byte{'['}
	for i := 0; i < 1000; i++ {
		if i > 0 {
			data = append(data, ", "...)
		}
		data = append(data, `{"id": `+strconv.Itoa(i)+`, "name": "item", "tags": ["a", "b"]}`...)
	}
	data = append(data, ']')
	benchReader(b, data, func(r io.Reader) Reader { return NewJSONArray(r) })
}

func BenchmarkCSV(b *testing.B) {
	data := []byte("id,name,score\n")
	for i := 0; i < 1000; i++ {
		data = append(data, strconv.Itoa(i)+",item,42\n"...)
	}
	benchReader(b, data, func(r io.Reader) Reader { return NewCSV(r, CSVConfig{HeaderLocation: HeaderFirstRow}) })
}

// BenchmarkParquet reads 1,000 rows of a Parquet file (row groups of 2).
func BenchmarkParquet(b *testing.B) {
	rows := make([]parquetRow, 1000)
	for i := range rows {
		rows[i] = testRows()[i%3]
		rows[i].ID = int64(i)
	}
	data := parquetFile(b, rows)
	benchReader(b, data, func(r io.Reader) Reader {
		p, err := NewParquet(r.(*bytes.Reader), int64(len(data)))
		if err != nil {
			b.Fatal(err)
		}
		return p
	})
}
