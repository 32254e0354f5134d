package items

import (
	"errors"
	"io"
	"strings"
	"testing"
)

// readAll drains r into one line per item, or the error text.
func readAll(r Reader) (string, error) {
	var b strings.Builder
	var item []byte
	for {
		var err error
		item, err = r.Next(item[:0])
		if err == io.EOF {
			return b.String(), nil
		}
		if err != nil {
			return b.String(), err
		}
		b.Write(item)
		b.WriteByte('\n')
	}
}

type readerCase struct {
	name, in, want, err string
}

func runCases(t *testing.T, cases []readerCase, open func(string) Reader) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := readAll(open(tc.in))
			gotErr := ""
			if err != nil {
				gotErr = err.Error()
			}
			if got != tc.want || gotErr != tc.err {
				t.Errorf("got %q, %q; want %q, %q", got, gotErr, tc.want, tc.err)
			}
		})
	}
}

func TestJSONArray(t *testing.T) {
	runCases(t, []readerCase{
		{"objects, compacted", `[{"verdict": "true", "n": 1.50}, {"a": [1, {"b": "]"}]}]`, "{\"verdict\":\"true\",\"n\":1.50}\n{\"a\":[1,{\"b\":\"]\"}]}\n", ""},
		{"scalars", " [1, \"a\\\"b\", true ,null,-2e3]\n", "1\n\"a\\\"b\"\ntrue\nnull\n-2e3\n", ""},
		{"nested arrays", `[["from-bucket-item-0"]]`, "[\"from-bucket-item-0\"]\n", ""},
		{"empty", ` [ ] `, "", ""},
		{"object file", `{"Hello": "world"}`, "", "Attempting to map over non-iterable node."},
		{"empty file", ``, "", "Attempting to map over non-iterable node."},
		{"truncated", `[1, {"a":`, "1\n", "The item file is not valid JSON: unexpected end of the file"},
		{"bad element", `[1, tru]`, "1\n", "The item file is not valid JSON: invalid JSON at offset 0: invalid literal"},
		{"missing comma", `[1 2]`, "1\n", "The item file is not valid JSON: expected ',' or ']' after an array element"},
	}, func(s string) Reader { return NewJSONArray(strings.NewReader(s)) })
}

func TestJSONLines(t *testing.T) {
	runCases(t, []readerCase{
		{"lines", "{\"a\": 1}\n\n  \n[1, 2]\r\n\"x\"", "{\"a\":1}\n[1,2]\n\"x\"\n", ""},
		{"bad line", "{\"a\":1}\n{\"a\"\n", "{\"a\":1}\n", "The item file is not valid JSON: line 2: invalid JSON at offset 4: expected ':' after an object key"},
		{"empty", "", "", ""},
	}, func(s string) Reader { return NewJSONLines(strings.NewReader(s)) })
}

// TestCSV holds AWS's recorded answers (dmap cases map_item_reader_*csv*):
// padding, dropped extra fields, key order, values as strings.
func TestCSV(t *testing.T) {
	first := func(s string) Reader { return NewCSV(strings.NewReader(s), CSVConfig{HeaderLocation: HeaderFirstRow}) }
	runCases(t, []readerCase{
		{"first row", "Col1,Col2,Col3\nValue1,Value2,Value3\n,,,\ntrue,1,'HelloWorld'\nNull,None,\n   \n",
			`{"Col1":"Value1","Col2":"Value2","Col3":"Value3"}` + "\n" + `{"Col1":"","Col2":"","Col3":""}` + "\n" +
				`{"Col1":"true","Col2":"1","Col3":"'HelloWorld'"}` + "\n" + `{"Col1":"Null","Col2":"None","Col3":""}` + "\n" +
				`{"Col1":"   ","Col2":"","Col3":""}` + "\n", ""},
		{"extra fields", "H1,\nValue4,Value5,Value6\n", `{"":"Value5","H1":"Value4"}` + "\n", ""},
		{"typed headers", "0,True,{}\nValue4,Value5,Value6\n", `{"0":"Value4","{}":"Value6","True":"Value5"}` + "\n", ""},
		{"quoted", "a,b\n\"x,\"\"y\"\"\",\"multi\nline\"\n", `{"a":"x,\"y\"","b":"multi\nline"}` + "\n", ""},
		{"duplicates", "a,a\n1,2\n", "", "CSV headers cannot contain duplicates."},
		{"header only", "a,b\n", "", ""},
		{"empty", "", "", ""},
		{"bad quote", "a\n\"x\"y\n", "", `The CSV file is not valid: parse error on line 2, column 3: extraneous or missing " in quoted-field`},
	}, first)
	runCases(t, []readerCase{
		{"given", "Value1,Value2,Value3\nValue4\n", `{"H1":"Value1","H2":"Value2","H3":"Value3"}` + "\n" + `{"H1":"Value4","H2":"","H3":""}` + "\n", ""},
	}, func(s string) Reader {
		return NewCSV(strings.NewReader(s), CSVConfig{HeaderLocation: HeaderGiven, Headers: []string{"H1", "H2", "H3"}})
	})
	runCases(t, []readerCase{
		{"pipe", "a|b\n1|2\n", `{"a":"1","b":"2"}` + "\n", ""},
	}, func(s string) Reader {
		return NewCSV(strings.NewReader(s), CSVConfig{HeaderLocation: HeaderFirstRow, Delimiter: Delimiters["PIPE"]})
	})
}

// TestJavaHashOrder: AWS's documented S3 Inventory item lists its keys
// LastModifiedDate, Bucket, Size, Key; the order follows from the hashes.
func TestJavaHashOrder(t *testing.T) {
	keys := []string{"Bucket", "Key", "Size", "LastModifiedDate"}
	var got []string
	for _, i := range javaHashOrder(keys) {
		got = append(got, keys[i])
	}
	if strings.Join(got, ",") != "LastModifiedDate,Bucket,Size,Key" {
		t.Errorf("got %v", got)
	}
}

func TestInventoryManifest(t *testing.T) {
	m, err := ReadInventoryManifest(strings.NewReader(`{"sourceBucket":"src","destinationBucket":"arn:aws:s3:::dest",
 "version":"2016-11-30","fileFormat":"CSV","fileSchema":"Bucket, Key, Size, LastModifiedDate",
 "files":[{"key":"inv/data/a.csv.gz","size":10,"MD5checksum":"x"},{"key":"inv/data/b.csv.gz"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	if m.Bucket != "dest" || strings.Join(m.Keys, ",") != "inv/data/a.csv.gz,inv/data/b.csv.gz" || strings.Join(m.Columns, ",") != "Bucket,Key,Size,LastModifiedDate" {
		t.Errorf("got %+v", m)
	}
	for in, want := range map[string]string{
		`{"fileFormat":"ORC","destinationBucket":"arn:aws:s3:::d","fileSchema":"a"}`: "The S3 Inventory manifest's fileFormat must be CSV, but was ORC",
		`{"fileFormat":"CSV","destinationBucket":"d","fileSchema":"a"}`:              "The S3 Inventory manifest's destinationBucket is not an S3 bucket ARN: d",
		`[`: "The S3 Inventory manifest is not valid JSON: unexpected EOF",
	} {
		if _, err := ReadInventoryManifest(strings.NewReader(in)); err == nil || err.Error() != want {
			t.Errorf("%s: got %v, want %s", in, err, want)
		}
	}
}

func TestAthenaManifest(t *testing.T) {
	a := NewAthenaManifest(strings.NewReader("s3://b/k/1.csv\n\ns3://b2/2.csv\nfile.csv\n"))
	var got []string
	for {
		b, k, err := a.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			got = append(got, err.Error())
			continue
		}
		got = append(got, b+"/"+k)
	}
	want := "b/k/1.csv|b2/2.csv|The Athena manifest lists a file that is not an s3:// URI: file.csv"
	if strings.Join(got, "|") != want {
		t.Errorf("got %v", got)
	}
}

func TestSequence(t *testing.T) {
	files := []string{"[1,2]", "[]", "[3]"}
	s := NewSequence(func() (Reader, error) {
		if len(files) == 0 {
			return nil, io.EOF
		}
		r := NewJSONArray(strings.NewReader(files[0]))
		files = files[1:]
		return r, nil
	})
	got, err := readAll(s)
	if err != nil || got != "1\n2\n3\n" {
		t.Errorf("got %q, %v", got, err)
	}
	bad := NewSequence(func() (Reader, error) { return nil, errors.New("no such key") })
	if _, err := readAll(bad); err == nil || err.Error() != "no such key" {
		t.Errorf("got %v", err)
	}
}
