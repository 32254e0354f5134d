package daemon

import (
	"context"
	"net"
	"slices"
	"testing"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/stepd/stepd/daemon/awsclient"
	"github.com/stepd/stepd/daemon/integrations"
	"github.com/stepd/stepd/fastpath"
	"github.com/stepd/stepd/internal/emulators"
)

// serviceBench is one optimized integration measured against its emulator:
// the setup calls that make the queue or table, the task, and the bare
// request the task amounts to.
type serviceBench struct {
	name, env, resource, params string
	setup                       []string // aws-sdk resource, parameters
	target, contentType, body   string   // the bare request
	stubType, stubBody          string   // a canned answer, for the stub
}

var serviceBenches = []serviceBench{
	{name: "sqs-sendMessage", env: "AWS_ENDPOINT_URL_SQS", resource: "arn:aws:states:::sqs:sendMessage",
		params: `{"QueueUrl":"https://sqs.us-east-1.amazonaws.com/111111111111/bench","MessageBody.$":"$"}`,
		setup:  []string{"arn:aws:states:::aws-sdk:sqs:createQueue", `{"QueueName":"bench"}`},
		// The bare request is what stepd sends, unsigned.
		contentType: "application/x-www-form-urlencoded; charset=utf-8",
		body:        "Action=SendMessage&Version=2012-11-05&QueueUrl=https%3A%2F%2Fsqs.us-east-1.amazonaws.com%2F111111111111%2Fbench&MessageBody=%7B%22order%22%3A%7B%22id%22%3A%22o-1%22%2C%22total%22%3A150%7D%7D",
		stubType:    "text/xml",
		stubBody:    `<?xml version="1.0"?><SendMessageResponse xmlns="http://queue.amazonaws.com/doc/2012-11-05/"><SendMessageResult><MessageId>5fea7756-0ea4-451a-a703-a558b933e274</MessageId><MD5OfMessageBody>fafb00f5732ab283681e124bf8747ed1</MD5OfMessageBody></SendMessageResult><ResponseMetadata><RequestId>27daac76-34dd-47df-bd01-1f6e873584a0</RequestId></ResponseMetadata></SendMessageResponse>`},
	{name: "dynamodb-getItem", env: "AWS_ENDPOINT_URL_DYNAMODB", resource: "arn:aws:states:::dynamodb:getItem",
		params: `{"TableName":"bench","Key":{"id":{"S":"o-1"}}}`,
		setup: []string{"arn:aws:states:::aws-sdk:dynamodb:createTable", `{"TableName":"bench","KeySchema":[{"AttributeName":"id","KeyType":"HASH"}],"AttributeDefinitions":[{"AttributeName":"id","AttributeType":"S"}],"BillingMode":"PAY_PER_REQUEST"}`,
			"arn:aws:states:::aws-sdk:dynamodb:putItem", `{"TableName":"bench","Item":{"id":{"S":"o-1"},"total":{"N":"150"}}}`},
		target: "DynamoDB_20120810.GetItem", contentType: "application/x-amz-json-1.0",
		body:     `{"TableName":"bench","Key":{"id":{"S":"o-1"}}}`,
		stubType: "application/x-amz-json-1.0",
		stubBody: `{"Item":{"id":{"S":"o-1"},"total":{"N":"150"}}}`},
}

// endpointOf starts the emulator (or, when stub, a fasthttp server with a
// canned answer) a bench needs and prepares it.
func (sb *serviceBench) endpointOf(b *testing.B, stub bool) string {
	if stub {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			b.Fatal(err)
		}
		srv := &fasthttp.Server{NoDefaultDate: true, NoDefaultContentType: true, Handler: func(ctx *fasthttp.RequestCtx) {
			ctx.Response.Header.Set("x-amzn-RequestId", "27daac76-34dd-47df-bd01-1f6e873584a0")
			ctx.Response.Header.SetContentType(sb.stubType)
			ctx.SetBodyString(sb.stubBody)
		}}
		go func() { _ = srv.Serve(ln) }()
		b.Cleanup(func() { _ = srv.Shutdown() })
		url := "http://" + ln.Addr().String()
		b.Setenv(sb.env, url)
		return url
	}
	url := emulators.GoAWS(b)
	if sb.env == "AWS_ENDPOINT_URL_DYNAMODB" {
		url = emulators.DynamoDB(b)
	}
	b.Setenv(sb.env, url)
	c, err := awsclient.New(context.Background(), awsclient.Config{Region: "us-east-1"})
	if err != nil {
		b.Fatal(err)
	}
	s := integrations.NewServices(integrations.ServicesConfig{Client: c})
	for i := 0; i+1 < len(sb.setup); i += 2 {
		// dynalite makes a new table ACTIVE a moment after answering
		// CreateTable: poll the next call until the table is there.
		for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
			_, _, err := s.Invoke(context.Background(), &fastpath.Task{Resource: sb.setup[i]}, []byte(sb.setup[i+1]), nil)
			f, _ := err.(*fastpath.Failure)
			if err == nil || f != nil && f.Name == "DynamoDb.ResourceInUseException" {
				break
			}
			if f == nil || f.Name != "DynamoDb.ResourceNotFoundException" || time.Now().After(deadline) {
				b.Fatal(err)
			}
		}
	}
	// dynalite runs on Node, whose JIT makes its first few thousand
	// answers slower: warm it (and goaws) up so that whichever benchmark
	// runs first is not charged for it.
	sb.roundTrips(b, &fasthttp.Client{}, url+"/", 3000)
	return url
}

// BenchmarkServiceTask measures StartSyncExecution of a one-Task machine
// calling SQS sendMessage or DynamoDB getItem for real: the full request
// path plus one signed call, to the emulator (goaws, dynalite) and to a
// fasthttp stub with a canned answer (the emulators cost 150–600 µs a
// call and vary by more than stepd's whole overhead on a shared machine;
// the stub shows the overhead itself, as BenchmarkLambdaTask does).
// BenchmarkServiceEndpoint makes the bare round trip of the same request
// to the same endpoint with a pooled fasthttp client; the difference is
// what stepd adds per call.
func BenchmarkServiceTask(b *testing.B) {
	for _, sb := range serviceBenches {
		for _, stub := range []bool{false, true} {
			b.Run(benchName(sb.name, stub), func(b *testing.B) {
				sb.endpointOf(b, stub)
				def := `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"` + sb.resource + `","Parameters":` + sb.params + `,"End":true}}}`
				benchStartSync(b, DefaultConfig(), "svc", def, `{"order":{"id":"o-1","total":150}}`)
			})
		}
	}
}

func benchName(name string, stub bool) string {
	if stub {
		return name + "/stub"
	}
	return name + "/emulator"
}

func BenchmarkServiceEndpoint(b *testing.B) {
	for _, sb := range serviceBenches {
		for _, stub := range []bool{false, true} {
			b.Run(benchName(sb.name, stub), func(b *testing.B) { sb.bareRoundTrips(b, sb.endpointOf(b, stub)+"/") })
		}
	}
}

// bareRoundTrips sends the bench's request, unsigned, b.N times.
func (sb *serviceBench) bareRoundTrips(b *testing.B, url string) {
	client := &fasthttp.Client{NoDefaultUserAgentHeader: true}
	b.ReportAllocs()
	b.ResetTimer()
	sb.roundTrips(b, client, url, b.N)
}

// roundTrips sends the bench's request, unsigned, n times.
func (sb *serviceBench) roundTrips(tb testing.TB, client *fasthttp.Client, url string, n int) {
	body := []byte(sb.body)
	for i := 0; i < n; i++ {
		req := fasthttp.AcquireRequest()
		resp := fasthttp.AcquireResponse()
		req.SetRequestURI(url)
		req.Header.SetMethod("POST")
		req.Header.SetContentType(sb.contentType)
		req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=AKID/20261206/us-east-1/x/aws4_request, SignedHeaders=host;x-amz-date, Signature=0")
		req.Header.Set("X-Amz-Date", "20261206T000000Z")
		if sb.target != "" {
			req.Header.Set("X-Amz-Target", sb.target)
		}
		req.SetBodyRaw(body)
		if err := client.Do(req, resp); err != nil || resp.StatusCode() != 200 {
			tb.Fatal(err, resp.StatusCode(), string(resp.Body()))
		}
		fasthttp.ReleaseRequest(req)
		fasthttp.ReleaseResponse(resp)
	}
}

// BenchmarkServiceOverhead measures stepd's overhead per call as the
// median of paired differences: each iteration makes one bare round trip
// and one StartSyncExecution of the one-Task machine to the same endpoint,
// back to back, so that both see the same load on a shared machine
// (separate benchmarks minutes apart differ by more than the overhead).
// It reports the medians of the bare round trip, of the task, and of
// their difference (overhead-ns/op); allocs/op counts both, the bare
// round trip allocating nothing.
func BenchmarkServiceOverhead(b *testing.B) {
	for _, sb := range serviceBenches {
		for _, stub := range []bool{true, false} {
			b.Run(benchName(sb.name, stub), func(b *testing.B) {
				url := sb.endpointOf(b, stub) + "/"
				def := `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"` + sb.resource + `","Parameters":` + sb.params + `,"End":true}}}`
				srv, body := benchServer(b, DefaultConfig(), "svc", def, `{"order":{"id":"o-1","total":150}}`)
				client := &fasthttp.Client{NoDefaultUserAgentHeader: true}
				var ctx fasthttp.RequestCtx
				bare, task, diff := make([]time.Duration, 0, b.N), make([]time.Duration, 0, b.N), make([]time.Duration, 0, b.N)
				b.ReportAllocs()
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					t0 := time.Now()
					sb.roundTrips(b, client, url, 1)
					t1 := time.Now()
					startSync(b, srv, &ctx, body)
					t2 := time.Now()
					bare, task, diff = append(bare, t1.Sub(t0)), append(task, t2.Sub(t1)), append(diff, t2.Sub(t1)-t1.Sub(t0))
				}
				b.StopTimer()
				b.ReportMetric(float64(median(bare)), "bare-ns/op")
				b.ReportMetric(float64(median(task)), "task-ns/op")
				b.ReportMetric(float64(median(diff)), "overhead-ns/op")
			})
		}
	}
}

// median sorts d and returns its middle value.
func median(d []time.Duration) time.Duration {
	if len(d) == 0 {
		return 0
	}
	slices.Sort(d)
	return d[len(d)/2]
}
