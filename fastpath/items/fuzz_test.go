package items

import (
	"bytes"
	"io"
	"testing"

	"github.com/stepd/stepd/fastpath/jsonb"
)

// checkItems drains r: every item must be one compact, valid JSON value,
// and the reader must end (with io.EOF or an error) without panicking.
func checkItems(t *testing.T, r Reader) {
	var item []byte
	for n := 0; ; n++ {
		var err error
		item, err = r.Next(item[:0])
		if err != nil {
			return
		}
		compact, cerr := jsonb.Compact(nil, item, jsonb.MaxDepth)
		if cerr != nil || !bytes.Equal(compact, item) {
			t.Fatalf("item %d %q is not compact JSON: %v", n, item, cerr)
		}
	}
}

func FuzzJSONArray(f *testing.F) {
	for _, s := range []string{`[{"a": 1}, [2, "]"], "x\"y", null]`, `{"a":1}`, `[`, `[1,`, `[[[[`, ``} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) { checkItems(t, NewJSONArray(bytes.NewReader(in))) })
}

func FuzzJSONLines(f *testing.F) {
	for _, s := range []string{"{\"a\": 1}\n[2]\n\n\"x\"", "{", "\n\n"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) { checkItems(t, NewJSONLines(bytes.NewReader(in))) })
}

func FuzzCSV(f *testing.F) {
	for _, s := range []string{"a,b\n1,2\n", "H1,\nx,y,z\n", "a,a\n", "\"x\n", "0,True,{}\n\xff,\"q\"\"\"\n"} {
		f.Add([]byte(s), false)
		f.Add([]byte(s), true)
	}
	f.Fuzz(func(t *testing.T, in []byte, given bool) {
		cfg := CSVConfig{HeaderLocation: HeaderFirstRow}
		if given {
			cfg = CSVConfig{HeaderLocation: HeaderGiven, Headers: []string{"a", "b\xff", ""}, Delimiter: ';'}
		}
		checkItems(t, NewCSV(bytes.NewReader(in), cfg))
	})
}

func FuzzManifests(f *testing.F) {
	for _, s := range []string{`{"destinationBucket":"arn:aws:s3:::d","fileFormat":"CSV","fileSchema":"Bucket, Key","files":[{"key":"k"}]}`, "s3://b/k\nx\n", `{`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		if m, err := ReadInventoryManifest(bytes.NewReader(in)); err == nil && (m.Bucket == "" || len(m.Columns) == 0) {
			t.Fatalf("accepted a manifest without bucket or columns: %+v", m)
		}
		a := NewAthenaManifest(bytes.NewReader(in))
		for {
			b, k, err := a.Next()
			if err == io.EOF {
				return
			}
			if err == nil && (b == "" || k == "") {
				t.Fatalf("empty bucket or key from %q", in)
			}
		}
	})
}
