#!/usr/bin/env bash
# Measures a node's footprint as docs/BENCHMARKS.md reports it: resident
# memory (VmRSS) and data directory at idle, then under the maximum request
# rate (closed loop, StartSyncExecution of the tiny reference machine) for a
# soak, sampling VmRSS every 10 s, and again once the load stops. Usage:
#   bench/soak.sh [soak duration, default 10m] [connections, default 64]
# Not part of the tests: it takes the machine's cores for the whole run.
# Prints one line per sample and a summary; the samples are kept in
# $SOAK_OUT (default bench-soak.csv in the current directory).
set -euo pipefail
cd "$(dirname "$0")/.."
duration=${1:-10m}
conns=${2:-64}
out=${SOAK_OUT:-$PWD/bench-soak.csv}
. bench/lib.sh
rss_kb() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status"; }
du_kb() { du -sk "$1" | cut -f1; }

go build -o "$work/stepd" .
go build -o "$work/loadtest" ./loadtest

port=$(free_port)
# The defaults a sidecar gets: only -listen and -data-dir.
"$work/stepd" serve -listen "127.0.0.1:$port" -data-dir "$work/data" 2>"$work/stepd.log" &
pid=$!
pids+=($pid)
wait_ready "http://127.0.0.1:$port/readyz"
sleep 5
idle_rss=$(rss_kb "$pid")
idle_du=$(du_kb "$work/data")

expected='{"id":"o-1","total":150,"items":3,"classification":{"tier":"gold","checked":true}}'
"$work/loadtest" -targets "127.0.0.1:$port" -create "tiny=$machines/tiny.asl.json" \
  -machine tiny -input "@$machines/tiny.input.json" -expect-output "$expected" -c 1 -n 10 -q >/dev/null

echo "elapsed_s,rss_kb" >"$out"
"$work/loadtest" -targets "127.0.0.1:$port" -machine tiny -input "@$machines/tiny.input.json" \
  -expect-output "$expected" -c "$conns" -d "$duration" -warmup 2s -q -report "$work/load.json" >"$work/load.txt" &
load=$!
pids+=($load)
start=$(date +%s)
while kill -0 "$load" 2>/dev/null; do
  sleep 10
  kill -0 "$load" 2>/dev/null || break
  line="$(( $(date +%s) - start )),$(rss_kb "$pid")"
  echo "$line" >>"$out"
  echo "$line"
done
wait "$load" || { echo "some requests failed:" >&2; cat "$work/load.txt" >&2; }
sleep 5
after_rss=$(rss_kb "$pid")
after_du=$(du_kb "$work/data")

python3 - "$out" "$work/load.json" "$idle_rss" "$idle_du" "$after_rss" "$after_du" "$duration" "$conns" <<'PY'
import csv, json, sys
out, report, idle_rss, idle_du, after_rss, after_du, duration, conns = sys.argv[1:9]
rows = [(int(r["elapsed_s"]), int(r["rss_kb"])) for r in csv.DictReader(open(out))]
rep = json.load(open(report))
mb = lambda kb: f"{int(kb)/1024:.1f} MB"
print(f"idle (5 s after ready):   VmRSS {mb(idle_rss)}, data dir {mb(idle_du)}")
if rows:
    rss = [r for _, r in rows]
    half = len(rss) // 2
    print(f"under load ({duration}, closed loop, {conns} connections, {rep['rate']:.0f} req/s, {rep['totals']['failed']} failed):")
    print(f"  VmRSS first sample {mb(rss[0])}, max {mb(max(rss))}, last {mb(rss[-1])}; "
          f"mean of first half {mb(sum(rss[:half] or rss)/len(rss[:half] or rss))}, second half {mb(sum(rss[half:])/len(rss[half:]))}")
print(f"after the load (5 s):     VmRSS {mb(after_rss)}, data dir {mb(after_du)}")
PY
