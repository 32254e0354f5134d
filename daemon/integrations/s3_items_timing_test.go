package integrations

import (
	"context"
	"strconv"
	"strings"
	"testing"

	"github.com/stepd/stepd/compile"
	"github.com/stepd/stepd/fastpath"
)

// BenchmarkDistributedMapS3JSONL runs a Distributed Map over 100,000 JSON
// Lines items read from S3 (gofakes3, in range reads of 512 KiB) with
// EXPRESS children that pass their item through, the results exported to
// S3 by the ResultWriter. It reports items per second.
func BenchmarkDistributedMapS3JSONL(b *testing.B) {
	const n = 100_000
	s := testServices(b, nil, nil)
	st := NewS3Store(s)
	bucket := strings.ToLower(uniqueName("bench"))
	mustRun(b, s, task("arn:aws:states:::aws-sdk:s3:createBucket", `{"Bucket":"`+bucket+`"}`), `{}`)
	var body []byte
	for i := 0; i < n; i++ {
		body = append(body, `{"id":`+strconv.Itoa(i)+`,"name":"item-`+strconv.Itoa(i)+`"}`+"\n"...)
	}
	if err := st.PutObject(context.Background(), bucket, "items.jsonl", body); err != nil {
		b.Fatal(err)
	}
	prog, err := compile.Compile([]byte(`{"StartAt":"M","States":{"M":{"Type":"Map",
 "ItemReader":{"Resource":"arn:aws:states:::s3:getObject","Parameters":{"Bucket":"`+bucket+`","Key":"items.jsonl"},"ReaderConfig":{"InputType":"JSONL"}},
 "ResultWriter":{"Resource":"arn:aws:states:::s3:putObject","Parameters":{"Bucket":"`+bucket+`","Prefix":"runs"},"WriterConfig":{"Transformation":"COMPACT"}},
 "ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED","ExecutionType":"EXPRESS"},"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}},"End":true}}}`), compile.Standard)
	if err != nil {
		b.Fatal(err)
	}
	opts := &fastpath.Options{Items: st.ItemReader(), Results: st, MaxArenaBytes: 256 << 20,
		StateMachineArn: "arn:aws:states:us-east-1:123456789012:stateMachine:bench"}
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
