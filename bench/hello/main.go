// Command hello is a fasthttp server that answers every request with a
// fixed StartSyncExecution response: the one stepd gives for the tiny
// reference machine, byte for byte the same size. It is the ceiling that
// bench/http.sh compares stepd's StartSyncExecution throughput with: the
// same load generator sends the same requests and verifies the same
// status and output in the same run, so the only difference is the work
// stepd does between reading the request and writing the answer.
package main

import (
	"flag"
	"log"

	"github.com/valyala/fasthttp"
)

// body is stepd's answer to StartSyncExecution of ../shared/bench/machines/tiny
// with tiny.input.json (ids fixed).
const body = `{"executionArn":"arn:aws:states:us-east-1:123456789012:express:tiny:b416adb1-c059-4377-b39e-75d2deb7b566:5efe8881-286f-45f9-b705-97664289b7e7",` +
	`"stateMachineArn":"arn:aws:states:us-east-1:123456789012:stateMachine:tiny","name":"b416adb1-c059-4377-b39e-75d2deb7b566",` +
	`"startDate":1795243835.915,"stopDate":1795243835.915,"status":"SUCCEEDED",` +
	`"input":"{\"order\":{\"id\":\"o-1\",\"total\":150,\"items\":3},\"noise\":{\"a\":1,\"b\":[1,2,3]}}","inputDetails":{"included":true},` +
	`"output":"{\"id\":\"o-1\",\"total\":150,\"items\":3,\"classification\":{\"tier\":\"gold\",\"checked\":true}}","outputDetails":{"included":true},` +
	`"billingDetails":{"billedMemoryUsedInMB":64,"billedDurationInMilliseconds":100}}`

func main() {
	addr := flag.String("listen", "127.0.0.1:8090", "address to listen on")
	flag.Parse()
	b := []byte(body)
	h := func(ctx *fasthttp.RequestCtx) {
		ctx.SetContentType("application/x-amz-json-1.0")
		ctx.SetBody(b)
	}
	log.Fatal((&fasthttp.Server{Handler: h, Name: "hello", NoDefaultDate: true}).ListenAndServe(*addr))
}
