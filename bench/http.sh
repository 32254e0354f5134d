#!/usr/bin/env bash
# Measures StartSyncExecution of the tiny reference machine on loopback next
# to bench/hello (a fasthttp server answering the same response bytes), with
# the same load generator (go run ./loadtest, built once) and the same
# settings in one run (two legs each, interleaved), and prints req/s, p50
# and p99 of both and their ratio. Usage:
#   bench/http.sh [duration of each leg, default 15s] [connections, default 64] [warm-up, default 2s]
# Not part of the tests: it takes the machine's cores for the whole run.
# docs/LOADTEST.md explains the numbers.
set -euo pipefail
cd "$(dirname "$0")/.."
duration=${1:-15s}
conns=${2:-64}
warmup=${3:-2s}
. bench/lib.sh

go build -o "$work/stepd" .
go build -o "$work/hello" ./bench/hello
go build -o "$work/loadtest" ./loadtest

stepd_port=$(free_port)
hello_port=$(free_port)
"$work/stepd" serve -listen "127.0.0.1:$stepd_port" -data-dir "$work/data" 2>"$work/stepd.log" &
pids+=($!)
"$work/hello" -listen "127.0.0.1:$hello_port" &
pids+=($!)
wait_ready "http://127.0.0.1:$stepd_port/readyz"
wait_ready "http://127.0.0.1:$hello_port/"

# The same requests and the same checks for both: StartSyncExecution of tiny
# with its reference input, status SUCCEEDED and this output.
expected='{"id":"o-1","total":150,"items":3,"classification":{"tier":"gold","checked":true}}'
common=(-machine tiny -input "@$machines/tiny.input.json" -expect-output "$expected"
  -c "$conns" -d "$duration" -warmup "$warmup" -q)

# Create the machine, and check that it runs, before measuring.
"$work/loadtest" -targets "127.0.0.1:$stepd_port" -create "tiny=$machines/tiny.asl.json" \
  -machine tiny -input "@$machines/tiny.input.json" -expect-output "$expected" -c 1 -n 10 -q >/dev/null

measure() { # name addr
  "$work/loadtest" -targets "$2" "${common[@]}" -report "$work/$1.json" >"$work/$1.txt" || {
    echo "$1: some requests failed:" >&2
    cat "$work/$1.txt" >&2
  }
}
# Two legs each, in the order hello, stepd, stepd, hello: on a shared machine
# whatever drifts during the run (the first run after the builds is often
# slower) weighs on both servers alike.
measure hello1 "127.0.0.1:$hello_port"
measure stepd1 "127.0.0.1:$stepd_port"
measure stepd2 "127.0.0.1:$stepd_port"
measure hello2 "127.0.0.1:$hello_port"

python3 - "$work" "$conns" "$duration" "$warmup" <<'PY'
import json, sys
work, conns, duration, warmup = sys.argv[1:5]
legs = {n: json.load(open(f"{work}/{n}.json")) for n in ("hello1", "stepd1", "stepd2", "hello2")}
print(f"closed loop, {conns} connections, 2 legs of {duration} after {warmup} warm-up each, loopback, same load generator")
print(f"{'server':<22} {'req/s':>10} {'p50_ms (legs)':>15} {'p99_ms (legs)':>15} {'failed':>7}")
rate = {}
for name, a, b in (("fasthttp-hello", "hello1", "hello2"), ("stepd-StartSync-tiny", "stepd1", "stepd2")):
    ra, rb = legs[a], legs[b]
    n = ra["totals"]["requests"] + rb["totals"]["requests"]
    rate[name] = n / (ra["duration_s"] + rb["duration_s"])
    p = lambda k: f"{ra['latency'][k]/1000:.2f}/{rb['latency'][k]/1000:.2f}"
    print(f"{name:<22} {rate[name]:>10.0f} {p('p50_us'):>15} {p('p99_us'):>15} {ra['totals']['failed'] + rb['totals']['failed']:>7}")
print(f"ratio stepd/hello: {100 * rate['stepd-StartSync-tiny'] / rate['fasthttp-hello']:.1f} % of the requests per second")
PY
