// Command hello is a fasthttp server that answers every request with a
// fixed small JSON body: the ceiling that bench/http.sh compares stepd's
// StartSyncExecution throughput with, measured with the same load
// generator in the same run.
package main

import (
	"flag"
	"log"

	"github.com/valyala/fasthttp"
)

func main() {
	addr := flag.String("listen", "127.0.0.1:8090", "address to listen on")
	flag.Parse()
	body := []byte(`{"hello":"world"}`)
	h := func(ctx *fasthttp.RequestCtx) {
		ctx.SetContentType("application/x-amz-json-1.0")
		ctx.SetBody(body)
	}
	log.Fatal((&fasthttp.Server{Handler: h, NoDefaultDate: true}).ListenAndServe(*addr))
}
