#!/usr/bin/env bash
# Items per second and peak RSS of the real process for a Distributed Map over
# N JSON Lines items read from S3 (gofakes3, in memory), with EXPRESS children,
# the results exported to S3 by the ResultWriter (COMPACT, multipart uploads)
# (docs/BENCHMARKS.md). `stepd run` runs the execution in process and exits;
# /usr/bin/time reports its maximum resident set size (the kernel's VmHWM).
# Two processors: a Pass (iterations run one after another, in the parent's
# goroutine) and a Wait of 0 s (iterations run concurrently, MaxConcurrency
# 1000, each in its own goroutine and arena).
# Usage: bench/dmap_rss.sh [N ...] (default: 100000 1000000)
# Not part of the tests: it takes the machine's cores for the run.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(100000 1000000)
gofakes3=${STEPD_GOFAKES3:-$(go env GOPATH)/bin/gofakes3}
go build -o "$work/stepd" .
port=$(free_port)
"$gofakes3" -backend memory -host "127.0.0.1:$port" >"$work/gofakes3.log" 2>&1 &
pids+=($!)
s3="http://127.0.0.1:$port"
wait_ready "$s3/"
curl -fs -X PUT "$s3/bench" >/dev/null

machine() { # KEY PROCESSOR-STATES
  cat <<EOF
{"StartAt":"M","States":{"M":{"Type":"Map","MaxConcurrency":1000,
 "ItemReader":{"Resource":"arn:aws:states:::s3:getObject","Parameters":{"Bucket":"bench","Key":"$1"},"ReaderConfig":{"InputType":"JSONL"}},
 "ResultWriter":{"Resource":"arn:aws:states:::s3:putObject","Parameters":{"Bucket":"bench","Prefix":"runs"},"WriterConfig":{"Transformation":"COMPACT"}},
 "ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED","ExecutionType":"EXPRESS"},"StartAt":"P","States":$2},"End":true}}}
EOF
}
pass='{"P":{"Type":"Pass","End":true}}'
wait0='{"P":{"Type":"Wait","Seconds":0,"End":true}}'

printf '%-10s %-6s %8s %12s %14s\n' items child seconds items/s "peak RSS (KB)"
for n in "${sizes[@]}"; do
  python3 - "$n" >"$work/items.jsonl" <<'PY'
import sys
w = sys.stdout.write
for i in range(int(sys.argv[1])):
    w('{"id":%d,"name":"item-%d"}\n' % (i, i))
PY
  curl -fs -T "$work/items.jsonl" "$s3/bench/items-$n.jsonl" >/dev/null
  for child in pass wait0; do
    machine "items-$n.jsonl" "${!child}" >"$work/m.json"
    AWS_ENDPOINT_URL_S3=$s3 AWS_ACCESS_KEY_ID=bench AWS_SECRET_ACCESS_KEY=bench AWS_REGION=us-east-1 \
      /usr/bin/time -f '%e %M' -o "$work/time" "$work/stepd" run "$work/m.json" >"$work/out.json"
    read -r secs rss <"$work/time"
    grep -q manifest.json "$work/out.json" || { echo "unexpected output: $(cat "$work/out.json")" >&2; exit 1; }
    python3 -c "import sys; n, s = int(sys.argv[1]), float(sys.argv[2]); print('%-10d %-6s %8.2f %12.0f %14s' % (n, sys.argv[3], s, n / s, sys.argv[4]))" "$n" "$secs" "$child" "$rss"
  done
done
