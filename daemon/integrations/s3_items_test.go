package integrations

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/parquet-go/parquet-go"

	"github.com/stepd/stepd/compile"
	"github.com/stepd/stepd/fastpath"
	"github.com/stepd/stepd/fastpath/jsonb"
)

// runDistributed runs def over input with st as the Distributed Maps'
// item source and result store.
func runDistributed(t *testing.T, st *S3Store, def, input string) *fastpath.Result {
	t.Helper()
	return runDistributedFiles(t, st, def, input, 0)
}

// runDistributedFiles is runDistributed with exported result files of at
// most fileBytes bytes (0 for AWS's limit).
func runDistributedFiles(t *testing.T, st *S3Store, def, input string, fileBytes int64) *fastpath.Result {
	t.Helper()
	prog, err := compile.Compile([]byte(def), compile.Standard)
	if err != nil {
		t.Fatalf("compile: %v", err)
	}
	ex := fastpath.AcquireExecution()
	t.Cleanup(func() { fastpath.ReleaseExecution(ex) })
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	res, err := ex.Run(ctx, prog, []byte(input), &fastpath.Options{Items: st.ItemReader(), Results: st, ResultFileBytes: fileBytes,
		StateMachineArn: "arn:aws:states:us-east-1:123456789012:stateMachine:sm"})
	if err != nil {
		t.Fatal(err)
	}
	return &res
}

// TestS3ItemsAgainstGofakes3 reads a Distributed Map's items from S3
// (gofakes3) in every way stepd does: a JSON Lines file larger than one
// range read, CSV, JSON with MaxItems, a listing past one page of 1,000
// objects; and exports results with the ResultWriter.
func TestS3ItemsAgainstGofakes3(t *testing.T) {
	s := testServices(t, nil, nil)
	st := NewS3Store(s)
	ctx := context.Background()
	bucket := strings.ToLower(uniqueName("items"))
	mustRun(t, s, task("arn:aws:states:::aws-sdk:s3:createBucket", `{"Bucket":"`+bucket+`"}`), `{}`)
	put := func(key, body string) {
		if err := st.PutObject(ctx, bucket, key, []byte(body)); err != nil {
			t.Fatalf("put %s: %v", key, err)
		}
	}
	var jsonl strings.Builder
	const lines = 30000 // about 1 MB: two range reads
	for i := 0; i < lines; i++ {
		fmt.Fprintf(&jsonl, "{\"id\": %d, \"pad\": \"%s\"}\n", i, strings.Repeat("x", 10))
	}
	put("big.jsonl", jsonl.String())
	put("a.csv", "Col1;Col2\nv1;v2\nv3;v4\n")
	put("a.json", `[1, 2, 3, 4]`)
	for i := 0; i < 1100; i++ {
		put(fmt.Sprintf("many/%04d", i), "x")
	}

	mapOver := func(reader, extra string) string {
		return `{"StartAt":"M","States":{"M":{"Type":"Map","ItemReader":` + reader + extra + `,
 "ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED","ExecutionType":"EXPRESS"},"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}},"End":true}}}`
	}
	get := func(key, cfg string) string {
		return `{"Resource":"arn:aws:states:::s3:getObject","Parameters":{"Bucket":"` + bucket + `","Key":"` + key + `"},"ReaderConfig":` + cfg + `}`
	}

	res := runDistributed(t, st, mapOver(get("a.csv", `{"InputType":"CSV","CSVHeaderLocation":"FIRST_ROW","CSVDelimiter":"SEMICOLON"}`), ""), `{}`)
	if string(res.Output) != `[{"Col1":"v1","Col2":"v2"},{"Col1":"v3","Col2":"v4"}]` {
		t.Errorf("CSV: %s %s %s", res.Status, res.Output, res.Cause)
	}
	res = runDistributed(t, st, mapOver(get("a.json", `{"InputType":"JSON","MaxItems":3}`), `,"ItemBatcher":{"MaxItemsPerBatch":2}`), `{}`)
	if string(res.Output) != `[{"Items":[1,2]},{"Items":[3]}]` {
		t.Errorf("JSON, MaxItems, batches: %s %s %s", res.Status, res.Output, res.Cause)
	}
	res = runDistributed(t, st, mapOver(get("big.jsonl", `{"InputType":"JSONL"}`),
		`,"ItemSelector":{"id.$":"$$.Map.Item.Value.id"},"ResultWriter":{"Resource":"arn:aws:states:::s3:putObject","Parameters":{"Bucket":"`+bucket+`","Prefix":"out"}, "WriterConfig":{"Transformation":"COMPACT"}}`), `{}`)
	var details struct {
		MapRunArn           string
		ResultWriterDetails struct{ Bucket, Key string }
	}
	if err := json.Unmarshal(res.Output, &details); err != nil || details.ResultWriterDetails.Bucket != bucket {
		t.Fatalf("JSONL export: %s %s %s", res.Status, res.Output, res.Cause)
	}
	manifest := readObject(t, st, bucket, details.ResultWriterDetails.Key)
	var m struct {
		ResultFiles struct{ SUCCEEDED []struct{ Key string } }
	}
	if err := json.Unmarshal(manifest, &m); err != nil || len(m.ResultFiles.SUCCEEDED) != 1 {
		t.Fatalf("manifest %s: %v", manifest, err)
	}
	results := readObject(t, st, bucket, m.ResultFiles.SUCCEEDED[0].Key)
	if n := jsonb.ArrayLen(results); n != lines || string(jsonb.ArrayIndex(results, lines-1)) != fmt.Sprintf(`{"id":%d}`, lines-1) {
		t.Errorf("SUCCEEDED_0.json holds %d results, last %s", n, jsonb.ArrayIndex(results, n-1))
	}

	res = runDistributed(t, st, mapOver(`{"Resource":"arn:aws:states:::s3:listObjectsV2","Parameters":{"Bucket":"`+bucket+`","Prefix":"many/"}}`,
		`,"ItemSelector":{"k.$":"$$.Map.Item.Value.Key","s.$":"$$.Map.Item.Value.Size"}`), `{}`)
	if n := jsonb.ArrayLen(res.Output); n != 1100 || string(jsonb.ArrayIndex(res.Output, 1099)) != `{"k":"many/1099","s":1}` {
		t.Errorf("listObjectsV2: %s %d items %s", res.Status, n, res.Cause)
	}
	put("athena/manifest.csv", "s3://"+bucket+"/athena/1.jsonl\ns3://"+bucket+"/athena/2.jsonl\n")
	put("athena/1.jsonl", "{\"r\":1}\n{\"r\":2}\n")
	put("athena/2.jsonl", "{\"r\":3}\n")
	res = runDistributed(t, st, mapOver(get("athena/manifest.csv", `{"InputType":"JSONL","ManifestType":"ATHENA_DATA"}`), ""), `{}`)
	if string(res.Output) != `[{"r":1},{"r":2},{"r":3}]` {
		t.Errorf("Athena manifest: %s %s %s", res.Status, res.Output, res.Cause)
	}
	res = runDistributed(t, st, mapOver(get("nope.json", `{"InputType":"JSON"}`), ""), `{}`)
	if res.Error != "S3.NoSuchKeyException" {
		t.Errorf("missing object: %s %s", res.Error, res.Cause)
	}
}

// TestS3ResultExportAgainstGofakes3 exports a streamed Map's results to
// S3 (gofakes3): JSON Lines split into files of at most 64 KiB, each
// listed in the manifest with its size; and one result file of more than
// a part (5 MiB), which goes up as a multipart upload and reads back
// whole.
func TestS3ResultExportAgainstGofakes3(t *testing.T) {
	s := testServices(t, nil, nil)
	st := NewS3Store(s)
	ctx := context.Background()
	bucket := strings.ToLower(uniqueName("export"))
	mustRun(t, s, task("arn:aws:states:::aws-sdk:s3:createBucket", `{"Bucket":"`+bucket+`"}`), `{}`)
	var items strings.Builder
	const n = 60000
	pad := strings.Repeat("p", 90)
	for i := 0; i < n; i++ {
		fmt.Fprintf(&items, "{\"id\":%d,\"pad\":\"%s\"}\n", i, pad)
	}
	if err := st.PutObject(ctx, bucket, "items.jsonl", []byte(items.String())); err != nil {
		t.Fatal(err)
	}
	def := func(outputType string) string {
		return `{"StartAt":"M","States":{"M":{"Type":"Map",
 "ItemReader":{"Resource":"arn:aws:states:::s3:getObject","Parameters":{"Bucket":"` + bucket + `","Key":"items.jsonl"},"ReaderConfig":{"InputType":"JSONL"}},
 "ResultWriter":{"Resource":"arn:aws:states:::s3:putObject","Parameters":{"Bucket":"` + bucket + `","Prefix":"` + outputType + `"},"WriterConfig":{"Transformation":"COMPACT","OutputType":"` + outputType + `"}},
 "ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED","ExecutionType":"EXPRESS"},"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}},"End":true}}}`
	}
	files := func(res *fastpath.Result) []struct {
		Key  string
		Size int
	} {
		t.Helper()
		var details struct{ ResultWriterDetails struct{ Key string } }
		if err := json.Unmarshal(res.Output, &details); err != nil || res.Status != fastpath.Succeeded {
			t.Fatalf("got %s %s %s", res.Status, res.Output, res.Cause)
		}
		var m struct {
			ResultFiles struct {
				SUCCEEDED []struct {
					Key  string
					Size int
				}
			}
		}
		if err := json.Unmarshal(readObject(t, st, bucket, details.ResultWriterDetails.Key), &m); err != nil {
			t.Fatal(err)
		}
		return m.ResultFiles.SUCCEEDED
	}

	listed := files(runDistributedFiles(t, st, def("JSONL"), `{}`, 64<<10))
	lines := 0
	for i, f := range listed {
		body := readObject(t, st, bucket, f.Key)
		if !strings.HasSuffix(f.Key, fmt.Sprintf("/SUCCEEDED_%d.jsonl", i)) || len(body) != f.Size || f.Size > 64<<10 {
			t.Fatalf("file %d: %s, %d bytes, listed as %d", i, f.Key, len(body), f.Size)
		}
		for _, line := range strings.Split(strings.TrimSuffix(string(body), "\n"), "\n") {
			if want := fmt.Sprintf(`{"id":%d,"pad":"%s"}`, lines, pad); line != want {
				t.Fatalf("%s: line %q, want %q", f.Key, line, want)
			}
			lines++
		}
	}
	if lines != n {
		t.Errorf("%d lines in %d files, want %d", lines, len(listed), n)
	}

	listed = files(runDistributed(t, st, def("JSON"), `{}`))
	if len(listed) != 1 || listed[0].Size <= s3PartBytes {
		t.Fatalf("files %+v, want one of more than %d bytes", listed, s3PartBytes)
	}
	body := readObject(t, st, bucket, listed[0].Key)
	if len(body) != listed[0].Size || jsonb.ArrayLen(body) != n || string(jsonb.ArrayIndex(body, n-1)) != fmt.Sprintf(`{"id":%d,"pad":"%s"}`, n-1, pad) {
		t.Errorf("SUCCEEDED_0.json: %d bytes, %d results", len(body), jsonb.ArrayLen(body))
	}
}

// readObject reads a whole object through the store.
func readObject(t *testing.T, st *S3Store, bucket, key string) []byte {
	t.Helper()
	r, err := st.GetObject(context.Background(), bucket, key, "")
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	b, err := io.ReadAll(r)
	if err != nil {
		t.Fatalf("read %s: %v", key, err)
	}
	return b
}

// TestS3ParquetAgainstGofakes3 reads the rows of a Parquet object of
// several row groups from S3 (gofakes3) through ranged reads, each row
// an item.
func TestS3ParquetAgainstGofakes3(t *testing.T) {
	s := testServices(t, nil, nil)
	st := NewS3Store(s)
	bucket := strings.ToLower(uniqueName("parquet"))
	mustRun(t, s, task("arn:aws:states:::aws-sdk:s3:createBucket", `{"Bucket":"`+bucket+`"}`), `{}`)
	type row struct {
		ID   int64  `parquet:"id"`
		Name string `parquet:"name"`
	}
	rows := make([]row, 2500)
	for i := range rows {
		rows[i] = row{ID: int64(i), Name: fmt.Sprint("item-", i)}
	}
	var file bytes.Buffer
	if err := parquet.Write(&file, rows, parquet.MaxRowsPerRowGroup(1000)); err != nil {
		t.Fatal(err)
	}
	if err := st.PutObject(context.Background(), bucket, "rows.parquet", file.Bytes()); err != nil {
		t.Fatal(err)
	}
	res := runDistributed(t, st, `{"StartAt":"M","States":{"M":{"Type":"Map",
 "ItemReader":{"Resource":"arn:aws:states:::s3:getObject","Parameters":{"Bucket":"`+bucket+`","Key":"rows.parquet"},"ReaderConfig":{"InputType":"PARQUET","MaxItems":2400}},
 "ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED","ExecutionType":"EXPRESS"},"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}},"End":true}}}`, `{}`)
	if n := jsonb.ArrayLen(res.Output); n != 2400 || string(jsonb.ArrayIndex(res.Output, 2399)) != `{"id":2399,"name":"item-2399"}` {
		t.Errorf("got %s %d items %s", res.Status, n, res.Cause)
	}
}
