package integrations

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/stepd/stepd/compile"
	"github.com/stepd/stepd/fastpath"
	"github.com/stepd/stepd/fastpath/jsonb"
)

// runDistributed runs def over input with st as the Distributed Maps'
// item source and result store.
func runDistributed(t *testing.T, st *S3Store, def, input string) *fastpath.Result {
	t.Helper()
	prog, err := compile.Compile([]byte(def), compile.Standard)
	if err != nil {
		t.Fatalf("compile: %v", err)
	}
	ex := fastpath.AcquireExecution()
	t.Cleanup(func() { fastpath.ReleaseExecution(ex) })
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	res, err := ex.Run(ctx, prog, []byte(input), &fastpath.Options{Items: st.ItemReader(), Results: st,
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
	res = runDistributed(t, st, mapOver(get("nope.json", `{"InputType":"JSON"}`), ""), `{}`)
	if res.Error != "S3.NoSuchKeyException" {
		t.Errorf("missing object: %s %s", res.Error, res.Cause)
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
