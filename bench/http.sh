#!/usr/bin/env bash
# Measures StartSyncExecution of the tiny reference machine on loopback next
# to a fasthttp hello-world server, with the same load generator (wrk) in
# one run, and prints both figures and their ratio. Usage:
#   bench/http.sh [duration, default 15s] [connections, default 64]
# Needs wrk (apt-get install -y wrk). Not part of the tests: it takes the
# machine's cores for the whole run.
set -euo pipefail
cd "$(dirname "$0")/.."
duration=${1:-15s}
conns=${2:-64}
machines=../shared/bench/machines
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT

command -v wrk >/dev/null || { echo "wrk is not installed: apt-get install -y wrk" >&2; exit 1; }
go build -o "$work/stepd" .
go build -o "$work/hello" ./bench/hello

"$work/stepd" serve -listen 127.0.0.1:18083 -data-dir "$work/data" 2>"$work/stepd.log" &
"$work/hello" -listen 127.0.0.1:18090 &
for url in http://127.0.0.1:18083/readyz http://127.0.0.1:18090/; do
  for _ in $(seq 100); do curl -fs "$url" >/dev/null && break; sleep 0.1; done
done

definition=$(python3 -c 'import json,sys; print(json.dumps(open(sys.argv[1]).read()))' "$machines/tiny.asl.json")
curl -fs http://127.0.0.1:18083/ -H 'Content-Type: application/x-amz-json-1.0' \
  -H 'X-Amz-Target: AWSStepFunctions.CreateStateMachine' \
  -d "{\"name\":\"tiny\",\"type\":\"EXPRESS\",\"roleArn\":\"arn:aws:iam::123456789012:role/r\",\"definition\":$definition}" >/dev/null
input=$(python3 -c 'import json,sys; print(json.dumps(json.dumps(json.load(open(sys.argv[1])),separators=(",",":"))))' "$machines/tiny.input.json")
cat > "$work/sync.lua" <<LUA
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/x-amz-json-1.0"
wrk.headers["X-Amz-Target"] = "AWSStepFunctions.StartSyncExecution"
wrk.body = [[{"stateMachineArn":"arn:aws:states:us-east-1:123456789012:stateMachine:tiny","input":$input}]]
done = function(summary, latency, requests)
  io.write(string.format("RESULT %.0f %.3f %.3f %d %d\n", summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, summary.errors.status, summary.requests))
end
LUA
cp "$work/sync.lua" "$work/hello.lua"

# Check that the machine really runs before measuring.
curl -fs http://127.0.0.1:18083/ -H 'Content-Type: application/x-amz-json-1.0' \
  -H 'X-Amz-Target: AWSStepFunctions.StartSyncExecution' \
  -d "{\"stateMachineArn\":\"arn:aws:states:us-east-1:123456789012:stateMachine:tiny\",\"input\":$input}" | grep -q '"status":"SUCCEEDED"'

run() { wrk -t2 -c"$conns" -d"$duration" -s "$2" "$1" | awk '/^RESULT/ {print $2, $3, $4, $5, $6}'; }
read -r h_rps h_p50 h_p99 h_err h_n < <(run http://127.0.0.1:18090/ "$work/hello.lua")
read -r s_rps s_p50 s_p99 s_err s_n < <(run http://127.0.0.1:18083/ "$work/sync.lua")
printf '%-22s %12s %10s %10s %8s\n' server req/s p50_ms p99_ms non2xx
printf '%-22s %12s %10s %10s %8s\n' fasthttp-hello "$h_rps" "$h_p50" "$h_p99" "$h_err"
printf '%-22s %12s %10s %10s %8s\n' stepd-StartSync-tiny "$s_rps" "$s_p50" "$s_p99" "$s_err"
python3 -c "print('ratio stepd/hello: %.1f %%' % (100.0 * $s_rps / $h_rps))"
