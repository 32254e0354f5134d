package items

import (
	"bytes"
	"io"
	"testing"

	"github.com/parquet-go/parquet-go"
)

// parquetRow is the row of the test files: a string, numbers, an optional
// column, a list and a nested group.
type parquetRow struct {
	ID    int64    `parquet:"id"`
	Name  string   `parquet:"name"`
	Score *float64 `parquet:"score,optional"`
	Tags  []string `parquet:"tags,list"`
	Ok    bool     `parquet:"ok"`
	Where struct {
		City string `parquet:"city"`
	} `parquet:"where"`
}

// parquetFile is a Parquet file of rows.
func parquetFile(t testing.TB, rows []parquetRow) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := parquet.Write(&b, rows, parquet.MaxRowsPerRowGroup(2)); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func testRows() []parquetRow {
	score := 1.5
	rows := []parquetRow{{ID: 1, Name: "a", Score: &score, Tags: []string{"x", "y"}, Ok: true}, {ID: 2, Name: "b\"c"}, {ID: 3}}
	rows[0].Where.City = "Paris"
	return rows
}

// TestParquet reads each row of a Parquet file of several row groups as a
// JSON object of its columns in the schema's order.
func TestParquet(t *testing.T) {
	file := parquetFile(t, testRows())
	p, err := NewParquet(bytes.NewReader(file), int64(len(file)))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		`{"id":1,"name":"a","score":1.5,"tags":["x","y"],"ok":true,"where":{"city":"Paris"}}`,
		`{"id":2,"name":"b\"c","score":null,"tags":[],"ok":false,"where":{"city":""}}`,
		`{"id":3,"name":"","score":null,"tags":[],"ok":false,"where":{"city":""}}`,
	}
	var item []byte
	for i, w := range want {
		if item, err = p.Next(item[:0]); err != nil || string(item) != w {
			t.Fatalf("row %d: %s %v, want %s", i, item, err, w)
		}
	}
	if _, err := p.Next(nil); err != io.EOF {
		t.Errorf("after the last row: %v", err)
	}
	if _, err := NewParquet(bytes.NewReader([]byte("PAR1 not parquet")), 16); err == nil {
		t.Error("a file that is not Parquet opened")
	}
}

// firstItems reads at most n items of a Reader: a Parquet file of a few
// bytes may declare billions of rows (of nulls), each an item.
type firstItems struct {
	Reader
	n int
}

func (f *firstItems) Next(dst []byte) ([]byte, error) {
	if f.n == 0 {
		return dst, io.EOF
	}
	f.n--
	return f.Reader.Next(dst)
}

// FuzzParquet: whatever the bytes, opening and reading them as Parquet
// ends with items of compact JSON, io.EOF or an error, never a panic.
func FuzzParquet(f *testing.F) {
	file := parquetFile(f, testRows())
	f.Add(file)
	f.Add(file[:len(file)/2])
	f.Add([]byte("PAR1PAR1"))
	f.Fuzz(func(t *testing.T, in []byte) {
		p, err := NewParquet(bytes.NewReader(in), int64(len(in)))
		if err != nil {
			return
		}
		checkItems(t, &firstItems{p, 1000})
	})
}
