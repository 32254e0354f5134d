#!/usr/bin/env bash
# Measures what execution history costs requests as served: StartSyncExecution
# of the tiny and medium reference machines over loopback HTTP, each created
# three times (logging OFF, ERROR, and ALL with includeExecutionData), with
# the same load generator (go run ./loadtest, built once) in one run. Legs go
# OFF, ERROR, ALL, ALL, ERROR, OFF per machine, so that drift on a shared
# machine weighs on every level alike. Usage:
#   bench/history_http.sh [duration of each leg, default 10s] [connections, default 64]
# Not part of the tests: it takes the machine's cores for the whole run.
set -euo pipefail
cd "$(dirname "$0")/.."
duration=${1:-10s}
conns=${2:-64}
machines=../shared/bench/machines
work=$(mktemp -d)
pid=
cleanup() {
  [ -n "$pid" ] && kill "$pid" 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
go build -o "$work/stepd" .
go build -o "$work/loadtest" ./loadtest
"$work/stepd" serve -listen "127.0.0.1:$port" -raft-addr 127.0.0.1:0 -data-dir "$work/data" 2>"$work/stepd.log" &
pid=$!
for _ in $(seq 100); do curl -fs -o /dev/null "http://127.0.0.1:$port/readyz" && break; sleep 0.1; done

# create NAME FILE LOGGING: CreateStateMachine with a loggingConfiguration.
create() {
  python3 - "$1" "$2" "$3" <<'PY' | curl -fsS -o /dev/null "http://127.0.0.1:$port/" \
    -H 'X-Amz-Target: AWSStepFunctions.CreateStateMachine' -H 'Content-Type: application/x-amz-json-1.0' --data-binary @-
import json, sys
name, path, logging = sys.argv[1:4]
print(json.dumps({"name": name, "type": "EXPRESS", "roleArn": "arn:aws:iam::123456789012:role/stepd",
                  "definition": open(path).read(), "loggingConfiguration": json.loads(logging)}))
PY
}
dest='"destinations":[{"cloudWatchLogsLogGroup":{"logGroupArn":"arn:aws:logs:us-east-1:123456789012:log-group:stepd:*"}}]'
for m in tiny medium; do
  create "$m-OFF" "$machines/$m.asl.json" '{"level":"OFF"}'
  create "$m-ERROR" "$machines/$m.asl.json" "{\"level\":\"ERROR\",\"includeExecutionData\":true,$dest}"
  create "$m-ALL" "$machines/$m.asl.json" "{\"level\":\"ALL\",\"includeExecutionData\":true,$dest}"
done

measure() { # machine level leg
  "$work/loadtest" -targets "127.0.0.1:$port" -machine "$1-$2" -input "@$machines/$1.input.json" \
    -c "$conns" -d "$duration" -warmup 1s -q -report "$work/$1-$2-$3.json" >"$work/$1-$2-$3.txt" || {
    echo "$1-$2: some requests failed:" >&2
    cat "$work/$1-$2-$3.txt" >&2
  }
}
for m in tiny medium; do
  measure "$m" OFF 1; measure "$m" ERROR 1; measure "$m" ALL 1
  measure "$m" ALL 2; measure "$m" ERROR 2; measure "$m" OFF 2
done

python3 - "$work" "$conns" "$duration" <<'PY'
import json, sys
work, conns, duration = sys.argv[1:4]
print(f"closed loop, {conns} connections, 2 legs of {duration} per level, loopback, StartSyncExecution")
print(f"{'machine':<8} {'logging':<11} {'req/s':>9} {'cost':>7} {'p50_ms':>12} {'p99_ms':>12} {'failed':>7}")
for m in ("tiny", "medium"):
    rate = {}
    for lvl in ("OFF", "ERROR", "ALL"):
        a, b = (json.load(open(f"{work}/{m}-{lvl}-{i}.json")) for i in (1, 2))
        rate[lvl] = (a["totals"]["requests"] + b["totals"]["requests"]) / (a["duration_s"] + b["duration_s"])
        cost = 100 * (rate["OFF"] / rate[lvl] - 1)
        p = lambda k: f"{a['latency'][k]/1000:.2f}/{b['latency'][k]/1000:.2f}"
        print(f"{m:<8} {lvl + ('+data' if lvl != 'OFF' else ''):<11} {rate[lvl]:>9.0f} {cost:>6.1f}% {p('p50_us'):>12} {p('p99_us'):>12} {a['totals']['failed'] + b['totals']['failed']:>7}")
PY
