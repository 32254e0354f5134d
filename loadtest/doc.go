// Command loadtest drives stepd (or anything that speaks the AWS Step
// Functions StartSyncExecution API or stepd's REST execution endpoint)
// with a closed or an open loop of executions, verifies every answer and
// reports throughput and latency.
//
//	go run ./loadtest -targets 127.0.0.1:8083 -machine tiny -input @tiny.input.json -c 64 -d 30s
//	go run ./loadtest -rate 20000 -d 1m -warmup 5s -report out.json -chart out.svg
//
// Closed loop (-c N, no -rate): N workers each send a request as soon as the
// previous one is answered; latency is measured from the send. Open loop
// (-rate R): request i is due at start + i/R whatever happened before; up
// to -c workers take due requests in order, and latency is measured from
// the time a request was due, not the time it was sent, so a server stall
// shows in the latencies of every request scheduled during it instead of
// slowing the generator down (no coordinated omission).
//
// Every response is checked: transport errors, HTTP status, throttling
// (ThrottlingException / 429), the execution status (SUCCEEDED unless
// -expect-status says otherwise) and, with -expect-output, the output.
// Latencies go into HDR histograms (1 µs to 60 s, 3 significant digits).
// A progress line is printed every second on stderr; at the end a summary
// on stdout, and optionally a JSON report (-report) and an SVG chart
// (-chart). docs/LOADTEST.md describes the flags and the numbers.
package main
