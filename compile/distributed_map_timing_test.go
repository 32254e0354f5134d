package compile

import (
	"context"
	"strconv"
	"testing"

	"github.com/stepd/stepd/fastpath"
	"github.com/stepd/stepd/fastpath/items"
)

// BenchmarkDistributedMapJSONL runs a Distributed Map over 100,000 JSON
// Lines items read through the ItemReader seam (from memory: the S3
// figure is the daemon's), with EXPRESS children that pass their item
// through and the results exported by the ResultWriter (a Map's output
// over so many items would pass 256 KiB). It reports items per second.
func BenchmarkDistributedMapJSONL(b *testing.B) {
	const n = 100_000
	var body []byte
	for i := 0; i < n; i++ {
		body = append(body, `{"id":`+strconv.Itoa(i)+`,"name":"item-`+strconv.Itoa(i)+`"}`+"\n"...)
	}
	store := &items.MemStore{}
	store.Put("b", "items.jsonl", body)
	prog, err := Compile([]byte(`{"StartAt":"M","States":{"M":{"Type":"Map",
 "ItemReader":{"Resource":"arn:aws:states:::s3:getObject","Parameters":{"Bucket":"b","Key":"items.jsonl"},"ReaderConfig":{"InputType":"JSONL"}},
 "ResultWriter":{"Resource":"arn:aws:states:::s3:putObject","Parameters":{"Bucket":"out","Prefix":"runs"},"WriterConfig":{"Transformation":"COMPACT"}},
 "ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED","ExecutionType":"EXPRESS"},"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}},"End":true}}}`), Standard)
	if err != nil {
		b.Fatal(err)
	}
	opts := &fastpath.Options{Items: items.S3Reader{Store: store}, Results: &memResults{},
		StateMachineArn: "arn:aws:states:us-east-1:123456789012:stateMachine:bench", MaxArenaBytes: 256 << 20}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		ex := fastpath.AcquireExecution()
		res, err := ex.Run(context.Background(), prog, []byte(`{}`), opts)
		if err != nil || res.Status != fastpath.Succeeded {
			b.Fatalf("%v %s %s", err, res.Status, res.Cause)
		}
		fastpath.ReleaseExecution(ex)
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "items/s")
}
