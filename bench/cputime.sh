#!/usr/bin/env bash
# Measures the CPU time one execution of a BenchmarkMachine sub-benchmark
# takes, for test binaries built with `go test -c ./bench`, alternated:
# perf stat's task-clock of the binary run with -benchtime n1x and n2x,
# the difference divided by n2-n1 (setup cancels out), the minimum over the
# repetitions (time lost to other processes only ever adds). On a loaded
# machine this is steadier than ns/op, which is wall-clock time. Usage:
#   bench/cputime.sh 'Machine/medium-jsonata$' 1 2000 32000 5 before.test after.test
# (regex, -cpu, n1, n2, repetitions, binaries). Needs perf. docs/BENCHMARKS.md
# (issue 18) reports its figures.
set -euo pipefail
re=$1 cpu=$2 n1=$3 n2=$4 reps=$5
shift 5
cd "$(dirname "$0")"
clock() { # binary, runs: task-clock in ms
  perf stat -x, -e task-clock "$1" -test.run '^$' -test.bench "$re" -test.cpu "$cpu" \
    -test.benchtime "${2}x" 2>&1 >/dev/null | awk -F, '/task-clock/ {print $1}'
}
declare -A lo hi
for _ in $(seq "$reps"); do
  for bin in "$@"; do
    a=$(clock "$bin" "$n1") b=$(clock "$bin" "$n2")
    lo[$bin]="${lo[$bin]:-} $a" hi[$bin]="${hi[$bin]:-} $b"
  done
done
for bin in "$@"; do
  min() { tr ' ' '\n' | awk 'NF && (m == "" || $1 < m) {m = $1} END {print m}'; }
  a=$(echo "${lo[$bin]}" | min) b=$(echo "${hi[$bin]}" | min)
  awk -v a="$a" -v b="$b" -v n="$((n2 - n1))" -v bin="$bin" \
    'BEGIN {printf "%s %.2f us CPU per execution\n", bin, (b - a) * 1000 / n}'
done
