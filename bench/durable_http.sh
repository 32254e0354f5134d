#!/usr/bin/env bash
# Measures durable STANDARD executions as served over HTTP (docs/BENCHMARKS.md):
#  1. throughput: a 3-Pass STANDARD machine, N executions started by C concurrent
#     clients (each StartExecution answered once its start is committed), until all
#     have succeeded; the process runs under strace, which counts its fsyncs;
#  2. recovery: 10,000 executions parked at a Wait of an hour, SIGKILL, restart,
#     and the time from launching the new process until all are parked again;
#  3. throughput again on a 3-node cluster on loopback (the clients talk to the
#     first node, which leads; every commit waits for a follower's fsync too);
#  4. recovery on that cluster: 10,000 executions parked on the leader, SIGKILL of
#     the leader, and the time until the new leader has all of them parked again.
# Usage: bench/durable_http.sh [N, default 20000] [C, default 32]
# Not part of the tests: it takes the machine's cores for the whole run.
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-20000}
conns=${2:-32}
. bench/lib.sh
go build -o "$work/stepd" .
go build -o "$work/durablehttp" ./bench/durablehttp
elapsed() { python3 -c "import sys; print(f'{float(sys.argv[2])-float(sys.argv[1]):.2f}')" "$@"; }

# 1. Throughput, with fsyncs counted.
port=$(free_port)
strace -f --seccomp-bpf -c -o "$work/strace.txt" -e trace=fsync,fdatasync \
  "$work/stepd" serve -listen "127.0.0.1:$port" -raft-addr "127.0.0.1:$(free_port)" -data-dir "$work/t" 2>"$work/t.log" &
tracer=$!
pids+=($tracer)
wait_ready "http://127.0.0.1:$port/readyz"
start=$(date +%s.%N)
"$work/durablehttp" -addr "127.0.0.1:$port" -n "$n" -c "$conns" throughput
end=$(date +%s.%N)
kill -TERM "$(pgrep -P "$tracer")"; wait "$tracer" || true # stepd, the child of strace
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
port=$(free_port); raft=$(free_port)
"$work/stepd" serve -listen "127.0.0.1:$port" -raft-addr "127.0.0.1:$raft" -data-dir "$work/r" 2>"$work/r.log" &
pid=$!
pids+=($pid)
wait_ready "http://127.0.0.1:$port/readyz"
"$work/durablehttp" -addr "127.0.0.1:$port" -n 10000 -c "$conns" park
kill -KILL "$pid"; wait "$pid" 2>/dev/null || true
t0=$(date +%s.%N)
"$work/stepd" serve -listen "127.0.0.1:$port" -raft-addr "127.0.0.1:$raft" -data-dir "$work/r" 2>>"$work/r.log" &
pid=$!
pids+=($pid)
wait_ready "http://127.0.0.1:$port/readyz" 600
"$work/durablehttp" -addr "127.0.0.1:$port" -n 10000 await-parked
t1=$(date +%s.%N)
cpu=$(awk -v hz="$(getconf CLK_TCK)" '{printf "%.2f", ($14+$15)/hz}' "/proc/$pid/stat")
echo "one node: 10000 parked executions resumed $(elapsed "$t0" "$t1") s after the process was launched ($cpu s of CPU)"
grep -h "durable: leader" "$work/r.log" | tail -1
kill -TERM "$pid"; wait "$pid" || true

# 3. Throughput on a 3-node cluster.
api=() leader=
for i in 1 2 3; do
  p=$(free_port)
  join=()
  [ "$i" -gt 1 ] && join=(-join "127.0.0.1:${api[0]}")
  "$work/stepd" serve -listen "127.0.0.1:$p" -raft-addr "127.0.0.1:$(free_port)" -node-id "n$i" "${join[@]}" -data-dir "$work/c$i" 2>"$work/c$i.log" &
  pids+=($!)
  [ "$i" -eq 1 ] && leader=$!
  api+=("$p")
  wait_ready "http://127.0.0.1:$p/readyz"
done
echo "3-node cluster:"
"$work/durablehttp" -addr "127.0.0.1:${api[0]}" -n "$n" -c "$conns" throughput

# 4. Recovery on the cluster: SIGKILL of the leader (n1) with 10,000 parked.
"$work/durablehttp" -addr "127.0.0.1:${api[0]}" -n 10000 -c "$conns" park
kill -KILL "$leader"
t0=$(date +%s.%N)
"$work/durablehttp" -addr "127.0.0.1:${api[1]},127.0.0.1:${api[2]}" -n 10000 await-parked
{ wait "$leader"; } 2>/dev/null || true
echo "3 nodes: 10000 parked executions resumed on the new leader $(elapsed "$t0" "$(date +%s.%N)") s after the leader was killed"
grep -h "durable: leader" "$work/c2.log" "$work/c3.log" | tail -1
