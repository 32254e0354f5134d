package compile

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stepd/stepd/fastpath"
	"github.com/stepd/stepd/fastpath/items"
	"github.com/stepd/stepd/fastpath/jsonb"
	"github.com/stepd/stepd/internal/conformance"
)

// distributedMap is a Distributed Map over $ whose Map state carries
// extra (a comma-led list of fields), in language lang.
func distributedMap(lang, extra string) string {
	return `{"QueryLanguage":"` + lang + `","StartAt":"M","States":{"M":{"Type":"Map"` + extra + `,
 "ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED","ExecutionType":"EXPRESS"},
  "StartAt":"P","States":{"P":{"Type":"Pass","End":true}}},"End":true}}}`
}

// TestIssue19FieldsNeverIgnored: a Map field the engine does not carry
// out is refused at create, naming the field and its place, instead of
// running the Map as if the field were absent (issue 19: an ItemBatcher
// over [1,2,3] used to answer [1,2,3]).
func TestIssue19FieldsNeverIgnored(t *testing.T) {
	for _, tc := range []struct{ name, lang, extra, ptr string }{
		{"ResultWriter Resource", "JSONPath", `,"ResultWriter":{"Resource":"arn:aws:states:::s3:getObject","Parameters":{"Bucket":"b"}}`, "/States/M/ResultWriter/Resource"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Compile([]byte(distributedMap(tc.lang, tc.extra)), Standard)
			var de *DefinitionError
			if !errors.As(err, &de) || len(de.Diagnostics) != 1 {
				t.Fatalf("got %v, want one diagnostic", err)
			}
			d := de.Diagnostics[0]
			if d.Location != tc.ptr || d.Code != "SCHEMA_VALIDATION_FAILED" || !strings.Contains(d.Message, tc.ptr[strings.LastIndexByte(tc.ptr, '/')+1:]) {
				t.Errorf("got %s: %s: %s, want the field named at %s", d.Location, d.Code, d.Message, tc.ptr)
			}
		})
	}
}

// TestResultWriterTransformation: a ResultWriter with only a
// WriterConfig shapes the Map's output: COMPACT leaves the iterations'
// outputs as they are, FLATTEN splices those that are arrays.
func TestResultWriterTransformation(t *testing.T) {
	in := `[[1,2],[3],[],4,{"a":[5]}]`
	for _, tc := range []struct{ name, lang, extra, output string }{
		{"COMPACT", "JSONPath", `,"ResultWriter":{"WriterConfig":{"Transformation":"COMPACT","OutputType":"JSON"}}`, in},
		{"FLATTEN", "JSONPath", `,"ResultWriter":{"WriterConfig":{"Transformation":"FLATTEN","OutputType":"JSON"}}`, `[1,2,3,4,{"a":[5]}]`},
		{"FLATTEN JSONata", "JSONata", `,"ResultWriter":{"WriterConfig":{"Transformation":"FLATTEN"}}`, `[1,2,3,4,{"a":[5]}]`},
		{"FLATTEN batches", "JSONPath", `,"ItemSelector":{"v.$":"$$.Map.Item.Value"},"ItemBatcher":{"MaxItemsPerBatch":2},"ResultWriter":{"WriterConfig":{"Transformation":"FLATTEN"}}`,
			`[{"Items":[{"v":[1,2]},{"v":[3]}]},{"Items":[{"v":[]},{"v":4}]},{"Items":[{"v":{"a":[5]}}]}]`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := runMachine(t, distributedMap(tc.lang, tc.extra), in, &fastpath.Options{})
			if res.Status != fastpath.Succeeded || res.output != tc.output {
				t.Errorf("got %s %s %s, want %s", res.Status, res.output, res.Cause, tc.output)
			}
		})
	}
}

// memResults is a fastpath.ResultStore in memory.
type memResults struct {
	mu    sync.Mutex
	files map[string]string
	lines atomic.Int64 // newlines written to objects, finished or not
}

func (m *memResults) CreateObject(ctx context.Context, bucket, key string) (fastpath.ObjectWriter, error) {
	return &memObject{m: m, ctx: ctx, bucket: bucket, key: key}, nil
}

// memObject is an object of memResults being written.
type memObject struct {
	m           *memResults
	ctx         context.Context
	bucket, key string
	body        []byte
}

func (o *memObject) Write(p []byte) (int, error) {
	o.m.lines.Add(int64(bytes.Count(p, []byte{'\n'})))
	o.body = append(o.body, p...)
	return len(p), nil
}
func (o *memObject) Close() error { return o.m.PutObject(o.ctx, o.bucket, o.key, o.body) }
func (o *memObject) Abort()       {}

func (m *memResults) PutObject(_ context.Context, bucket, key string, body []byte) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.files == nil {
		m.files = map[string]string{}
	}
	m.files[bucket+"/"+key] = string(body)
	return nil
}

// failOnZero is an item processor that fails on the item 0 and passes
// the others through.
const failOnZero = `"StartAt":"C","States":{"C":{"Type":"Choice","Choices":[{"Variable":"$","NumericEquals":0,"Next":"F"}],"Default":"P"},
 "F":{"Type":"Fail","Error":"Zero","Cause":"item 0"},"P":{"Type":"Pass","End":true}}`

// TestResultWriterExport: a ResultWriter with a Resource writes the
// results as AWS lays them out (manifest.json, SUCCEEDED_0.json,
// FAILED_0.json under <Prefix>/<map run id>/) and the Map's output names
// the manifest; without a store the Map fails with
// States.ResultWriterFailed.
func TestResultWriterExport(t *testing.T) {
	def := func(writer string) string {
		return `{"StartAt":"M","States":{"M":{"Type":"Map","Label":"lbl","ToleratedFailurePercentage":100,"ResultWriter":` + writer + `,
 "ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED","ExecutionType":"STANDARD"},` + failOnZero + `},"End":true}}}`
	}
	opts := func(store *memResults) *fastpath.Options {
		return &fastpath.Options{Results: store, StateMachineArn: "arn:aws:states:us-east-1:123456789012:stateMachine:sm"}
	}
	runArn := regexp.MustCompile(`^arn:aws:states:us-east-1:123456789012:mapRun:sm/lbl:([0-9a-f-]{36})$`)

	store := &memResults{}
	res := runMachine(t, def(`{"Resource":"arn:aws:states:::s3:putObject","Parameters":{"Bucket":"out","Prefix":"runs"},"WriterConfig":{"Transformation":"FLATTEN"}}`), `[[1,2],0,3]`, opts(store))
	var got struct {
		MapRunArn           string
		ResultWriterDetails struct{ Bucket, Key string }
	}
	if err := json.Unmarshal(res.Output, &got); err != nil || res.Status != fastpath.Succeeded {
		t.Fatalf("got %s %s %s", res.Status, res.output, res.Cause)
	}
	m := runArn.FindStringSubmatch(got.MapRunArn)
	if m == nil || got.ResultWriterDetails.Bucket != "out" || got.ResultWriterDetails.Key != "runs/"+m[1]+"/manifest.json" {
		t.Fatalf("output %s", res.output)
	}
	dir := "out/runs/" + m[1] + "/"
	if f := store.files[dir+"SUCCEEDED_0.json"]; f != `[1,2,3]` {
		t.Errorf("SUCCEEDED_0.json %s", f)
	}
	var failed []map[string]any
	if err := json.Unmarshal([]byte(store.files[dir+"FAILED_0.json"]), &failed); err != nil || len(failed) != 1 ||
		failed[0]["Error"] != "Zero" || failed[0]["Cause"] != "item 0" || failed[0]["Input"] != "0" || failed[0]["Status"] != "FAILED" ||
		!strings.HasPrefix(failed[0]["ExecutionArn"].(string), "arn:aws:states:us-east-1:123456789012:execution:sm/lbl:") {
		t.Errorf("FAILED_0.json %s", store.files[dir+"FAILED_0.json"])
	}
	wantManifest := `{"DestinationBucket":"out","MapRunArn":"` + got.MapRunArn + `","ResultFiles":{"FAILED":[{"Key":"runs/` + m[1] + `/FAILED_0.json","Size":` +
		fmt.Sprint(len(store.files[dir+"FAILED_0.json"])) + `}],"PENDING":[],"SUCCEEDED":[{"Key":"runs/` + m[1] + `/SUCCEEDED_0.json","Size":7}]}}`
	if f := store.files[dir+"manifest.json"]; f != wantManifest {
		t.Errorf("manifest.json\n%s\nwant\n%s", f, wantManifest)
	}

	t.Run("NONE without export", func(t *testing.T) {
		res := runMachine(t, def(`{"WriterConfig":{"Transformation":"NONE"}}`), `[5]`, opts(nil))
		var recs []map[string]any
		if err := json.Unmarshal(res.Output, &recs); err != nil || len(recs) != 1 || recs[0]["Output"] != "5" || recs[0]["Status"] != "SUCCEEDED" ||
			recs[0]["StateMachineArn"] != "arn:aws:states:us-east-1:123456789012:stateMachine:sm/lbl" {
			t.Errorf("got %s", res.output)
		}
	})
	t.Run("JSONata Arguments", func(t *testing.T) {
		store := &memResults{}
		res := runMachine(t, `{"QueryLanguage":"JSONata","StartAt":"M","States":{"M":{"Type":"Map","ResultWriter":{"Resource":"arn:aws:states:::s3:putObject","Arguments":{"Bucket":"{% $states.input.b %}"},"WriterConfig":{"Transformation":"COMPACT"}},
 "Items":"{% [1,2] %}","ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED","ExecutionType":"EXPRESS"},"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}},"End":true}}}`, `{"b":"bk"}`, opts(store))
		found := false
		for k, v := range store.files {
			found = found || strings.HasPrefix(k, "bk/") && strings.HasSuffix(k, "/SUCCEEDED_0.json") && v == "[1,2]"
		}
		if res.Status != fastpath.Succeeded || !found {
			t.Errorf("got %s %s, files %v", res.Status, res.output, store.files)
		}
	})
	t.Run("no store", func(t *testing.T) {
		res := runMachine(t, def(`{"Resource":"arn:aws:states:::s3:putObject","Parameters":{"Bucket":"out"}}`), `[1]`, &fastpath.Options{})
		if res.Error != fastpath.ErrResultWriterFailed {
			t.Errorf("got %s %s", res.Error, res.Cause)
		}
	})
}

// TestItemBatcher: each iteration of a batching Map gets {"Items":[…]}
// or {"BatchInput":…,"Items":[…]}, batches cut by count and by bytes, in
// both query languages (issue 19; AWS's recorded answer for the path
// forms is the dmap case reference_in_map_state_max_items_path).
func TestItemBatcher(t *testing.T) {
	for _, tc := range []struct{ name, lang, extra, input, status, output string }{
		{"by count", "JSONPath", `,"ItemBatcher":{"MaxItemsPerBatch":2}`, `[1,2,3]`,
			"SUCCEEDED", `[{"Items":[1,2]},{"Items":[3]}]`},
		{"by bytes", "JSONPath", `,"ItemBatcher":{"MaxInputBytesPerBatch":16}`, `[1,2,3,4,5]`,
			"SUCCEEDED", `[{"Items":[1,2]},{"Items":[3,4]},{"Items":[5]}]`},
		{"by count and bytes", "JSONPath", `,"ItemBatcher":{"MaxItemsPerBatch":1,"MaxInputBytesPerBatch":100}`, `[1,2]`,
			"SUCCEEDED", `[{"Items":[1]},{"Items":[2]}]`},
		{"BatchInput and ItemsPath", "JSONPath", `,"ItemsPath":"$.items","ItemBatcher":{"MaxItemsPerBatch":2,"BatchInput":{"k.$":"$.k"}}`, `{"k":"v","items":[1,2,3]}`,
			"SUCCEEDED", `[{"BatchInput":{"k":"v"},"Items":[1,2]},{"BatchInput":{"k":"v"},"Items":[3]}]`},
		{"ItemSelector before batching", "JSONPath", `,"ItemSelector":{"i.$":"$$.Map.Item.Index"},"ItemBatcher":{"MaxItemsPerBatch":2}`, `["a","b","c"]`,
			"SUCCEEDED", `[{"Items":[{"i":0},{"i":1}]},{"Items":[{"i":2}]}]`},
		{"paths, numbers as strings", "JSONPath", `,"ItemsPath":"$.items","ItemBatcher":{"MaxItemsPerBatchPath":"$.n","MaxInputBytesPerBatchPath":"$.b"}`, `{"n":"2","b":"15000","items":[1,2,3]}`,
			"SUCCEEDED", `[{"Items":[1,2]},{"Items":[3]}]`},
		{"path not an integer", "JSONPath", `,"ItemsPath":"$.items","ItemBatcher":{"MaxItemsPerBatchPath":"$.n"}`, `{"n":"x","items":[1]}`,
			"FAILED", `States.Runtime: The MaxItemsPerBatchPath field refers to value "x" which is not a valid integer: $.n`},
		{"item larger than a batch", "JSONPath", `,"ItemBatcher":{"MaxInputBytesPerBatch":12}`, `["abc"]`,
			"FAILED", `States.Runtime: The item at index 0 does not fit in a batch of at most 12 bytes (MaxInputBytesPerBatch)`},
		{"no items", "JSONPath", `,"ItemBatcher":{"MaxItemsPerBatch":2}`, `[]`,
			"SUCCEEDED", `[]`},
		{"JSONata expressions", "JSONata", `,"Items":"{% $states.input.items %}","ItemBatcher":{"MaxItemsPerBatch":"{% $states.input.n %}","BatchInput":{"k":"{% $states.input.k %}"}}`, `{"n":2,"k":"v","items":[1,2,3]}`,
			"SUCCEEDED", `[{"BatchInput":{"k":"v"},"Items":[1,2]},{"BatchInput":{"k":"v"},"Items":[3]}]`},
		{"JSONata literal", "JSONata", `,"ItemBatcher":{"MaxItemsPerBatch":3}`, `[1,2,3,4]`,
			"SUCCEEDED", `[{"Items":[1,2,3]},{"Items":[4]}]`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := runMachine(t, distributedMap(tc.lang, tc.extra), tc.input, &fastpath.Options{})
			got := res.output
			if res.Status != fastpath.Succeeded {
				// The cause after AWS's "An error occurred while executing
				// the state …" preamble.
				got = res.Error + ": " + res.Cause[strings.Index(res.Cause, ". ")+2:]
			}
			if res.Status.String() != tc.status || got != tc.output {
				t.Errorf("got %s %s, want %s %s", res.Status, got, tc.status, tc.output)
			}
		})
	}
}

// dmapCase is what a case of the category dmap holds beyond
// conformance.Case: its S3 setup calls, AWS's exact output text (when it
// was kept) and the history AWS recorded.
type dmapCase struct {
	Setup []struct {
		Service, Operation string
		Params             struct{ Bucket, Key, Body string }
	}
	Expect struct {
		OutputText string `json:"output_text"`
	}
	Trace []string
}

// readDmapCase reads those parts of a case file.
func readDmapCase(file string) (*dmapCase, error) {
	raw, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	var c dmapCase
	return &c, json.Unmarshal(raw, &c)
}

// s3Setup plays the case's S3 setup calls into a MemStore.
func (c *dmapCase) s3Setup() (*items.MemStore, error) {
	store := &items.MemStore{}
	for _, s := range c.Setup {
		switch {
		case s.Service == "s3" && s.Operation == "create_bucket":
		case s.Service == "s3" && s.Operation == "put_object":
			store.Put(s.Params.Bucket, s.Params.Key, []byte(s.Params.Body))
		default:
			return nil, fmt.Errorf("setup call %s.%s is not played in process", s.Service, s.Operation)
		}
	}
	return store, nil
}

// runDistributedCase runs a case with Distributed Maps: its S3 setup
// calls (create_bucket, put_object) played into an in-memory store behind
// the same ItemReader the daemon plugs S3 into, its output checked byte
// for byte where AWS's text was kept, and its history against AWS's: a Map
// Run (MapRunStarted, MapRunSucceeded or MapRunFailed) in place of the
// iterations, whose events belong to the child executions. (Those traces
// have no iteration events that the recording could have reordered.)
func runDistributedCase(dir string, c *conformance.Case) error {
	dc, err := readDmapCase(filepath.Join(dir, c.File))
	if err != nil {
		return err
	}
	store, err := dc.s3Setup()
	if err != nil {
		return err
	}
	return runCase(c, &caseExtras{items: items.S3Reader{Store: store}, outputText: dc.Expect.OutputText, trace: dc.Trace})
}

// traceSink records events as the corpus's traces name them.
type traceSink struct{ trace []string }

func (s *traceSink) Event(e *fastpath.Event) {
	name := e.Type.String()
	if strings.HasSuffix(name, "StateEntered") {
		name += ":" + e.State
	}
	s.trace = append(s.trace, name)
}

// readerMap is a Distributed Map whose ItemReader is reader (JSONPath).
func readerMap(reader string) string {
	return distributedMap("JSONPath", `,"ItemReader":`+reader)
}

// gz compresses s.
func gz(s string) []byte {
	var b bytes.Buffer
	w := gzip.NewWriter(&b)
	w.Write([]byte(s))
	w.Close()
	return b.Bytes()
}

// TestItemReader runs Maps over an in-memory store through the
// ItemReader seam: every InputType, CSV options, manifests, listing past
// a page of 1,000 objects, MaxItems, and the failures.
func TestItemReader(t *testing.T) {
	store := &items.MemStore{}
	store.Put("b", "a.jsonl", []byte("{\"x\": 1}\n{\"x\": 2}\n\n{\"x\": 3}\n"))
	store.Put("b", "a.json", []byte(`[1, 2, 3, 4, 5]`))
	store.Put("b", "p.csv", []byte("a|b\n1|2\n3|4\n"))
	store.Put("b", "t.csv", []byte("1\t2\n"))
	store.Put("b", "inv/manifest.json", []byte(`{"sourceBucket":"src","destinationBucket":"arn:aws:s3:::b","fileFormat":"CSV",
 "fileSchema":"Bucket, Key, Size","files":[{"key":"inv/1.csv.gz"},{"key":"inv/2.csv.gz"}]}`))
	store.Put("b", "inv/1.csv.gz", gz("\"src\",\"k1\",\"10\"\n"))
	store.Put("b", "inv/2.csv.gz", gz("\"src\",\"k2\",\"20\"\n"))
	store.Put("b", "athena/manifest.csv", []byte("s3://b/athena/1.jsonl\ns3://b/athena/2.jsonl\n"))
	store.Put("b", "athena/1.jsonl", []byte("{\"r\":1}\n"))
	store.Put("b", "athena/2.jsonl", []byte("{\"r\":2}\n"))
	for i := 0; i < 2500; i++ {
		store.Put("many", fmt.Sprintf("objects/%05d", i), []byte("x"))
	}
	store.Put("many", "other/0", []byte("x"))

	get := func(key, cfg string) string {
		return `{"Resource":"arn:aws:states:::s3:getObject","Parameters":{"Bucket":"b","Key":"` + key + `"},"ReaderConfig":` + cfg + `}`
	}
	for _, tc := range []struct{ name, def, input, status, output string }{
		{"JSONL", readerMap(get("a.jsonl", `{"InputType":"JSONL"}`)), `{}`,
			"SUCCEEDED", `[{"x":1},{"x":2},{"x":3}]`},
		{"JSON MaxItems", readerMap(get("a.json", `{"InputType":"JSON","MaxItems":2}`)), `{}`,
			"SUCCEEDED", `[1,2]`},
		{"JSON MaxItemsPath 0 is all", readerMap(get("a.json", `{"InputType":"JSON","MaxItemsPath":"$.n"}`)), `{"n":0}`,
			"SUCCEEDED", `[1,2,3,4,5]`},
		{"CSV pipe", readerMap(get("p.csv", `{"InputType":"CSV","CSVHeaderLocation":"FIRST_ROW","CSVDelimiter":"PIPE"}`)), `{}`,
			"SUCCEEDED", `[{"a":"1","b":"2"},{"a":"3","b":"4"}]`},
		{"CSV tab, given headers", readerMap(get("t.csv", `{"InputType":"CSV","CSVHeaderLocation":"GIVEN","CSVHeaders":["p","q"],"CSVDelimiter":"TAB"}`)), `{}`,
			"SUCCEEDED", `[{"p":"1","q":"2"}]`},
		{"S3 Inventory manifest", readerMap(get("inv/manifest.json", `{"InputType":"MANIFEST"}`)), `{}`,
			"SUCCEEDED", `[{"Bucket":"src","Size":"10","Key":"k1"},{"Bucket":"src","Size":"20","Key":"k2"}]`},
		{"Athena manifest", readerMap(get("athena/manifest.csv", `{"InputType":"JSONL","ManifestType":"ATHENA_DATA"}`)), `{}`,
			"SUCCEEDED", `[{"r":1},{"r":2}]`},
		{"batched", distributedMap("JSONPath", `,"ItemReader":`+get("a.json", `{"InputType":"JSON"}`)+`,"ItemBatcher":{"MaxItemsPerBatch":2}`), `{}`,
			"SUCCEEDED", `[{"Items":[1,2]},{"Items":[3,4]},{"Items":[5]}]`},
		{"JSONata Arguments and MaxItems", distributedMap("JSONata", `,"ItemReader":{"Resource":"arn:aws:states:::s3:getObject","Arguments":{"Bucket":"b","Key":"{% $states.input.key %}"},"ReaderConfig":{"InputType":"JSON","MaxItems":"{% $states.input.n %}"}}`), `{"key":"a.json","n":3}`,
			"SUCCEEDED", `[1,2,3]`},
		{"missing key", readerMap(get("nope.json", `{"InputType":"JSON"}`)), `{}`,
			"FAILED", `S3.NoSuchKeyException: The specified key does not exist.`},
		{"unsupported parameter", readerMap(`{"Resource":"arn:aws:states:::s3:getObject","Parameters":{"Bucket":"b","Key":"a.json","Range":"bytes=0-1"},"ReaderConfig":{"InputType":"JSON"}}`), `{}`,
			"FAILED", `States.ItemReaderFailed: The ItemReader parameter Range of s3:getObject is not supported by this engine yet`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := runMachine(t, tc.def, tc.input, &fastpath.Options{Items: items.S3Reader{Store: store}})
			got := res.output
			if res.Status != fastpath.Succeeded {
				got = res.Error + ": " + res.Cause
			}
			if res.Status.String() != tc.status || got != tc.output {
				t.Errorf("got %s %s, want %s %s", res.Status, got, tc.status, tc.output)
			}
		})
	}

	t.Run("listObjectsV2 past 1,000 objects", func(t *testing.T) {
		def := distributedMap("JSONPath", `,"ItemReader":{"Resource":"arn:aws:states:::s3:listObjectsV2","Parameters":{"Bucket":"many","Prefix":"objects/"}},
 "ItemSelector":{"k.$":"$$.Map.Item.Value.Key"}`)
		res := runMachine(t, def, `{}`, &fastpath.Options{Items: items.S3Reader{Store: store}})
		if res.Status != fastpath.Succeeded || jsonb.ArrayLen(res.Output) != 2500 {
			t.Fatalf("got %s %d items %s", res.Status, jsonb.ArrayLen(res.Output), res.Cause)
		}
		if first := string(jsonb.ArrayIndex(res.Output, 0)); first != `{"k":"objects/00000"}` {
			t.Errorf("first item %s", first)
		}
		if last := string(jsonb.ArrayIndex(res.Output, 2499)); last != `{"k":"objects/02499"}` {
			t.Errorf("last item %s", last)
		}
		res = runMachine(t, distributedMap("JSONPath", `,"ItemReader":{"Resource":"arn:aws:states:::s3:listObjectsV2","Parameters":{"Bucket":"many","Prefix":"other/"}}`), `{}`, &fastpath.Options{Items: items.S3Reader{Store: store}})
		want := `[{"Etag":"\"1\"","Key":"other/0","LastModified":1767225600,"Size":1,"StorageClass":"STANDARD"}]`
		if res.output != want {
			t.Errorf("got %s, want %s", res.output, want)
		}
	})

	t.Run("no item source", func(t *testing.T) {
		res := runMachine(t, readerMap(get("a.json", `{"InputType":"JSON"}`)), `{}`, &fastpath.Options{})
		if res.Error != fastpath.ErrItemReaderFailed {
			t.Errorf("got %s %s", res.Error, res.Cause)
		}
	})
}

// TestDistributedMapChildrenWithTasks: children that call tasks run
// concurrently, each a child execution: their failures within tolerance
// are kept for the ResultWriter (Transformation NONE shows them with
// their error), and none of their events reach the parent's history.
func TestDistributedMapChildrenWithTasks(t *testing.T) {
	zeroFails := func(_ context.Context, input, dst []byte) ([]byte, error) {
		if string(input) == "0" {
			return dst, &fastpath.Failure{Name: "Zero", Cause: "input 0"}
		}
		return append(dst, input...), nil
	}
	def := `{"StartAt":"M","States":{"M":{"Type":"Map","ToleratedFailureCount":2,"ResultWriter":{"WriterConfig":{"Transformation":"NONE"}},
 "ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED","ExecutionType":"EXPRESS"},"StartAt":"T","States":{"T":{"Type":"Task","Resource":"` + fn("zero") + `","End":true}}},"End":true}}}`
	sink := &traceSink{}
	res := runMachine(t, def, `[1,0,2,0,3]`, &fastpath.Options{Invoker: fastpath.Funcs{fn("zero"): zeroFails}, Events: sink, EventMask: fastpath.AllEvents})
	var recs []map[string]any
	if err := json.Unmarshal(res.Output, &recs); err != nil || len(recs) != 5 {
		t.Fatalf("got %s %s %s", res.Status, res.output, res.Cause)
	}
	var statuses []string
	for _, r := range recs {
		s := r["Status"].(string)
		if s == "FAILED" && (r["Error"] != "Zero" || r["Input"] != "0") || s == "SUCCEEDED" && r["Output"] != r["Input"] {
			t.Errorf("record %v", r)
		}
		statuses = append(statuses, s)
	}
	if got := strings.Join(statuses, ","); got != "SUCCEEDED,FAILED,SUCCEEDED,FAILED,SUCCEEDED" {
		t.Errorf("statuses %s", got)
	}
	want := "ExecutionStarted MapStateEntered:M MapStateStarted MapRunStarted MapRunSucceeded MapStateSucceeded MapStateExited ExecutionSucceeded"
	if got := strings.Join(sink.trace, " "); got != want {
		t.Errorf("history\n got %s\nwant %s", got, want)
	}
	res = runMachine(t, def, `[0,0,0]`, &fastpath.Options{Invoker: fastpath.Funcs{fn("zero"): zeroFails}})
	if res.Error != fastpath.ErrExceedToleratedFailureThreshold {
		t.Errorf("three failures over a tolerance of two: got %s %s", res.Error, res.Cause)
	}
}

// TestBatchFailuresCountItems: a failed batch counts as failures of all
// its items against ToleratedFailureCount and ToleratedFailurePercentage.
func TestBatchFailuresCountItems(t *testing.T) {
	def := func(tolerance string) string {
		return `{"StartAt":"M","States":{"M":{"Type":"Map",` + tolerance + `,"ItemBatcher":{"MaxItemsPerBatch":2},
 "ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED","ExecutionType":"EXPRESS"},
  "StartAt":"C","States":{"C":{"Type":"Choice","Choices":[{"Variable":"$.Items[0]","NumericEquals":0,"Next":"F"}],"Default":"P"},
  "F":{"Type":"Fail","Error":"Zero"},"P":{"Type":"Pass","End":true}}},"End":true}}}`
	}
	for _, tc := range []struct{ tolerance, want string }{
		{`"ToleratedFailureCount":1`, "States.ExceedToleratedFailureThreshold"},
		{`"ToleratedFailureCount":2`, `[null,{"Items":[1,2]}]`},
		{`"ToleratedFailurePercentage":50`, `[null,{"Items":[1,2]}]`},
		{`"ToleratedFailurePercentage":49`, "States.ExceedToleratedFailureThreshold"},
	} {
		res := runMachine(t, def(tc.tolerance), `[0,0,1,2]`, &fastpath.Options{})
		got := res.output
		if res.Status != fastpath.Succeeded {
			got = res.Error
		}
		if got != tc.want {
			t.Errorf("%s: got %s, want %s", tc.tolerance, got, tc.want)
		}
	}
}
