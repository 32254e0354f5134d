package compile

import (
	"errors"
	"strings"
	"testing"
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
		{"ItemBatcher", "JSONPath", `,"ItemBatcher":{"MaxItemsPerBatch":2}`, "/States/M/ItemBatcher"},
		{"ItemBatcher JSONata", "JSONata", `,"ItemBatcher":{"MaxItemsPerBatch":2}`, "/States/M/ItemBatcher"},
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
