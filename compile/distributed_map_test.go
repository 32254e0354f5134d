package compile

import (
	"errors"
	"strings"
	"testing"

	"github.com/stepd/stepd/fastpath"
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
		{"ResultWriter", "JSONPath", `,"ResultWriter":{"Resource":"arn:aws:states:::s3:putObject","Parameters":{"Bucket":"b","Prefix":"p"}}`, "/States/M/ResultWriter"},
		{"ResultWriter JSONata", "JSONata", `,"ResultWriter":{"Resource":"arn:aws:states:::s3:putObject","Arguments":{"Bucket":"b","Prefix":"p"}}`, "/States/M/ResultWriter"},
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
