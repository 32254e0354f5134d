package compile

import (
	"context"
	"encoding/json"
	"io"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/stepd/stepd/fastpath"
)

// numbers is a fastpath.ItemReader of the items 0, 1, … n-1 that notes,
// as it hands out each item, how far its reading ran ahead of the
// results written (newlines of a JSONL export): a Map that streams reads
// an item only once an iteration may start on it.
type numbers struct {
	n       int
	written func() int64
	ahead   int64 // the most items read whose results were not written
	read    int   // items handed out
}

func (r *numbers) OpenItems(context.Context, *fastpath.ItemsRequest) (fastpath.ItemStream, error) {
	return &numberStream{r: r}, nil
}

type numberStream struct {
	r *numbers
	i int
}

func (s *numberStream) Next(dst []byte) ([]byte, error) {
	if s.i == s.r.n {
		return dst, io.EOF
	}
	if s.r.written != nil {
		s.r.ahead = max(s.r.ahead, int64(s.i)-s.r.written())
	}
	s.i++
	s.r.read = s.i
	return strconv.AppendInt(dst, int64(s.i-1), 10), nil
}

func (s *numberStream) Close() error { return nil }

// streamMap is a Distributed Map over an ItemReader whose processor is
// states, with extra fields.
func streamMap(extra, states string) string {
	return `{"StartAt":"M","States":{"M":{"Type":"Map","Label":"lbl"` + extra + `,
 "ItemReader":{"Resource":"arn:aws:states:::s3:getObject","Parameters":{"Bucket":"b","Key":"k"}},
 "ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED","ExecutionType":"EXPRESS"},` + states + `},"End":true}}}`
}

const (
	passChild  = `"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}`
	waitChild  = `"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":1,"End":true}}` // run concurrently
	jsonlWrite = `,"ResultWriter":{"Resource":"arn:aws:states:::s3:putObject","Parameters":{"Bucket":"out","Prefix":"runs"},"WriterConfig":{"Transformation":"COMPACT","OutputType":"JSONL"}}`
)

// TestItemReaderStreams: a Distributed Map reads its items as its
// iterations go and writes each exported result as its iteration ends:
// run one after another (a Pass), the reader is never an item ahead of
// the export; run concurrently (a Wait, MaxConcurrency 4), never more
// than the iterations running. Without an export the results come back
// in item order.
func TestItemReaderStreams(t *testing.T) {
	for _, tc := range []struct {
		name, extra, child string
		ahead              int64
	}{
		{"one after another", "", passChild, 0},
		{"concurrently", `,"MaxConcurrency":4`, waitChild, 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			store := &memResults{}
			r := &numbers{n: 2000, written: store.lines.Load}
			res := runMachine(t, streamMap(tc.extra+jsonlWrite, tc.child), `{}`, &fastpath.Options{Items: r, Results: store,
				StateMachineArn: "arn:aws:states:us-east-1:123456789012:stateMachine:sm"})
			if res.Status != fastpath.Succeeded || store.lines.Load() != 2000 {
				t.Fatalf("got %s %s %s, %d lines", res.Status, res.output, res.Cause, store.lines.Load())
			}
			if r.ahead > tc.ahead {
				t.Errorf("the reader ran %d items ahead of the results written, want at most %d", r.ahead, tc.ahead)
			}
		})
	}
	t.Run("results kept in order", func(t *testing.T) {
		res := runMachine(t, streamMap(`,"MaxConcurrency":7`, waitChild), `{}`, &fastpath.Options{Items: &numbers{n: 100}})
		want := make([]string, 100)
		for i := range want {
			want[i] = strconv.Itoa(i)
		}
		if res.Status != fastpath.Succeeded || res.output != "["+strings.Join(want, ",")+"]" {
			t.Errorf("got %s %s %s", res.Status, res.output, res.Cause)
		}
	})
}

// TestItemReaderTolerance: tolerated failures of a streamed Map, whose
// number of items is known only once they are all read, by count and by
// percentage, with batches counting as their items.
func TestItemReaderTolerance(t *testing.T) {
	for _, tc := range []struct{ name, extra, status string }{
		{"percentage within", `,"ToleratedFailurePercentage":10`, "SUCCEEDED"},
		{"percentage past", `,"ToleratedFailurePercentage":9.9`, "FAILED"},
		{"count past", `,"ToleratedFailureCount":0`, "FAILED"},
		{"batch counts its items", `,"ItemBatcher":{"MaxItemsPerBatch":5},"ToleratedFailurePercentage":40`, "FAILED"},
		{"batch within", `,"ItemBatcher":{"MaxItemsPerBatch":5},"ToleratedFailurePercentage":50`, "SUCCEEDED"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			child := failOnZero
			if strings.Contains(tc.extra, "ItemBatcher") {
				child = `"StartAt":"C","States":{"C":{"Type":"Choice","Choices":[{"Variable":"$.Items[0]","NumericEquals":0,"Next":"F"}],"Default":"P"},
 "F":{"Type":"Fail","Error":"Zero"},"P":{"Type":"Pass","End":true}}`
			}
			res := runMachine(t, streamMap(tc.extra, child), `{}`, &fastpath.Options{Items: &numbers{n: 10}})
			if res.Status.String() != tc.status || tc.status == "FAILED" && res.Error != fastpath.ErrExceedToleratedFailureThreshold {
				t.Errorf("got %s %s %s %s", res.Status, res.output, res.Error, res.Cause)
			}
		})
	}
}

// TestResultFilesSplit: results past the result file size go on to
// SUCCEEDED_1, _2, … (and FAILED_n), each file a JSON array (or JSON
// Lines with OutputType JSONL) no larger than the limit unless it holds
// one result alone, all listed in the manifest with their sizes.
func TestResultFilesSplit(t *testing.T) {
	for _, tc := range []struct{ name, outputType, ext string }{
		{"JSON", "JSON", ".json"},
		{"JSONL", "JSONL", ".jsonl"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			store := &memResults{}
			def := streamMap(`,"ToleratedFailurePercentage":100,"ResultWriter":{"Resource":"arn:aws:states:::s3:putObject","Parameters":{"Bucket":"out"},"WriterConfig":{"Transformation":"COMPACT","OutputType":"`+tc.outputType+`"}}`, failOnZero)
			res := runMachine(t, def, `{}`, &fastpath.Options{Items: &numbers{n: 1000}, Results: store, ResultFileBytes: 100,
				StateMachineArn: "arn:aws:states:us-east-1:123456789012:stateMachine:sm"})
			if res.Status != fastpath.Succeeded {
				t.Fatalf("got %s %s %s", res.Status, res.output, res.Cause)
			}
			var details struct{ ResultWriterDetails struct{ Bucket, Key string } }
			json.Unmarshal(res.Output, &details)
			var manifest struct {
				ResultFiles map[string][]struct {
					Key  string
					Size int
				}
			}
			if err := json.Unmarshal([]byte(store.files["out/"+details.ResultWriterDetails.Key]), &manifest); err != nil {
				t.Fatalf("manifest: %v (%s)", err, res.output)
			}
			var got []int
			for _, kind := range []string{"SUCCEEDED", "FAILED"} {
				files := manifest.ResultFiles[kind]
				for i, f := range files {
					body := store.files["out/"+f.Key]
					if !regexp.MustCompile(`/`+kind+`_`+strconv.Itoa(i)+regexp.QuoteMeta(tc.ext)+`$`).MatchString(f.Key) || f.Size != len(body) {
						t.Fatalf("%s file %d: %s, size %d of %d bytes", kind, i, f.Key, f.Size, len(body))
					}
					var values []json.RawMessage
					if tc.outputType == "JSONL" {
						for _, line := range strings.Split(strings.TrimSuffix(body, "\n"), "\n") {
							values = append(values, json.RawMessage(line))
						}
					} else if err := json.Unmarshal([]byte(body), &values); err != nil {
						t.Fatalf("%s: %v", f.Key, err)
					}
					if len(body) > 100 && len(values) > 1 {
						t.Fatalf("%s: %d bytes, %d results", f.Key, len(body), len(values))
					}
					for _, v := range values {
						if kind == "FAILED" {
							var rec struct{ Input string }
							json.Unmarshal(v, &rec)
							v = json.RawMessage(rec.Input)
						}
						n, err := strconv.Atoi(string(v))
						if err != nil {
							t.Fatalf("%s: %s", f.Key, v)
						}
						got = append(got, n)
					}
				}
			}
			slices.Sort(got)
			if len(manifest.ResultFiles["SUCCEEDED"]) < 10 || len(got) != 1000 || got[0] != 0 || got[999] != 999 {
				t.Errorf("%d SUCCEEDED files, %d results", len(manifest.ResultFiles["SUCCEEDED"]), len(got))
			}
		})
	}
}

// TestItemReaderInlineLimit: a streamed Map that returns its results
// (no export) fails with States.DataLimitExceeded once they pass what a
// state's output may hold, as AWS caps the Map's output at 256 KiB; it
// stops reading rather than gathering all the items.
func TestItemReaderInlineLimit(t *testing.T) {
	r := &numbers{n: 10_000_000}
	res := runMachine(t, streamMap("", passChild), `{}`, &fastpath.Options{Items: r})
	if res.Status != fastpath.Failed || res.Error != fastpath.ErrDataLimitExceeded || r.read >= 1_000_000 {
		t.Fatalf("got %s %s %s after reading %d items", res.Status, res.Error, res.Cause, r.read)
	}
	res = runMachine(t, streamMap("", passChild), `{}`, &fastpath.Options{Items: &numbers{n: 60_000}})
	if res.Status != fastpath.Failed || res.Error != fastpath.ErrDataLimitExceeded {
		t.Errorf("past 256 KiB: got %s %s %s", res.Status, res.Error, res.Cause)
	}
}
