#!/usr/bin/env bash
# Measures durable STANDARD executions as served over HTTP (docs/BENCHMARKS.md):
#  1. throughput: a 3-Pass STANDARD machine, N executions started by C concurrent
#     clients (each StartExecution answered once its start is committed), until all
#     have succeeded; the process runs under strace, which counts its fsyncs;
#  2. recovery: 10,000 executions parked at a Wait of an hour, SIGKILL, restart,
#     and the time from launching the new process until all are parked again;
#  3. throughput again on a 3-node cluster on loopback (the clients talk to the
#     first node, which leads; every commit waits for a follower's fsync too).
# Usage: bench/durable_http.sh [N, default 20000] [C, default 32]
# Not part of the tests: it takes the machine's cores for the whole run.
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-20000}
conns=${2:-32}
work=$(mktemp -d)
pid=
pids=()
cleanup() {
  [ -n "$pid" ] && kill "$pid" 2>/dev/null || true
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
free() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
go build -o "$work/stepd" .
go build -o "$work/durablehttp" ./bench/durablehttp
ready() { for _ in $(seq 200); do curl -fs -o /dev/null "http://127.0.0.1:$1/readyz" && return; sleep 0.05; done; echo "stepd did not start" >&2; exit 1; }

# 1. Throughput, with fsyncs counted.
port=$(free)
strace -f --seccomp-bpf -c -o "$work/strace.txt" -e trace=fsync,fdatasync \
  "$work/stepd" serve -listen "127.0.0.1:$port" -raft-addr "127.0.0.1:$(free)" -data-dir "$work/t" 2>"$work/t.log" &
pid=$!
ready "$port"
start=$(date +%s.%N)
"$work/durablehttp" -addr "127.0.0.1:$port" -n "$n" -c "$conns" throughput
end=$(date +%s.%N)
kill -TERM "$(pgrep -P "$pid")"; wait "$pid" || true; pid= # stepd, the child of strace
python3 - "$work/strace.txt" "$start" "$end" <<'PY'
import sys
calls = 0
for line in open(sys.argv[1]):
    f = line.split()
    if f and f[-1] in ("fsync", "fdatasync"):
        calls += int(f[3])
secs = float(sys.argv[3]) - float(sys.argv[2])
print(f"fsync+fdatasync calls of the whole process: {calls}, {calls/secs:.0f}/s over the {secs:.1f} s of the run")
PY

# 2. Recovery of 10,000 parked executions after SIGKILL.
port=$(free); raft=$(free)
"$work/stepd" serve -listen "127.0.0.1:$port" -raft-addr "127.0.0.1:$raft" -data-dir "$work/r" 2>"$work/r.log" &
pid=$!
ready "$port"
"$work/durablehttp" -addr "127.0.0.1:$port" -n 10000 -c "$conns" park
kill -KILL "$pid"; wait "$pid" 2>/dev/null || true
t0=$(date +%s.%N)
"$work/stepd" serve -listen "127.0.0.1:$port" -raft-addr "127.0.0.1:$raft" -data-dir "$work/r" 2>>"$work/r.log" &
pid=$!
ready "$port"
"$work/durablehttp" -addr "127.0.0.1:$port" -n 10000 await-parked
t1=$(date +%s.%N)
python3 -c "print(f'10000 parked executions resumed {float($t1)-float($t0):.2f} s after the process was launched')"
grep -h "durable: leader" "$work/r.log" | tail -1
kill -TERM "$pid"; wait "$pid" || true; pid=

# 3. Throughput on a 3-node cluster.
port1=$(free)
"$work/stepd" serve -listen "127.0.0.1:$port1" -raft-addr "127.0.0.1:$(free)" -node-id n1 -data-dir "$work/c1" 2>"$work/c1.log" &
pids+=($!)
ready "$port1"
for i in 2 3; do
  p=$(free)
  "$work/stepd" serve -listen "127.0.0.1:$p" -raft-addr "127.0.0.1:$(free)" -node-id "n$i" -join "127.0.0.1:$port1" -data-dir "$work/c$i" 2>"$work/c$i.log" &
  pids+=($!)
  ready "$p"
done
echo "3-node cluster:"
"$work/durablehttp" -addr "127.0.0.1:$port1" -n "$n" -c "$conns" throughput
