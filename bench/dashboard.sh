#!/usr/bin/env bash
# Renders docs/img/dashboard.png: the panels of deploy/grafana/
# stepd-dashboard.json, their queries evaluated by a real Prometheus that
# scraped a node every second during a load run ($instance as .*,
# $__rate_interval as 15s), drawn as line charts by
# bench/dashboard_render.py and screenshot by headless chromium. Grafana
# itself is not packaged for this machine, so it is not Grafana's
# rendering; Prometheus's own graph page was tried and draws only some of
# many panels passed in one URL. Usage:
#   bench/dashboard.sh [out.png, default docs/img/dashboard.png]
# Needs prometheus and chromium (apt-get install prometheus chromium).
# Not part of the tests: it takes the machine's cores for about 3 minutes.
set -euo pipefail
cd "$(dirname "$0")/.."
png=${1:-docs/img/dashboard.png}
. bench/lib.sh

go build -o "$work/stepd" .
go build -o "$work/loadtest" ./loadtest
port=$(free_port)
prom=$(free_port)
"$work/stepd" serve -listen "127.0.0.1:$port" -data-dir "$work/data" 2>"$work/stepd.log" &
pids+=($!)
wait_ready "http://127.0.0.1:$port/readyz" 300
cat >"$work/prometheus.yml" <<YML
global: {scrape_interval: 1s, evaluation_interval: 1s}
rule_files: ["$PWD/deploy/prometheus/alerts.yml"]
scrape_configs:
  - job_name: stepd
    static_configs: [{targets: ["127.0.0.1:$port"]}]
YML
prometheus --config.file="$work/prometheus.yml" --storage.tsdb.path="$work/tsdb" \
  --web.listen-address="127.0.0.1:$prom" 2>"$work/prometheus.log" &
pids+=($!)
wait_ready "http://127.0.0.1:$prom/-/ready" 300

expected='{"id":"o-1","total":150,"items":3,"classification":{"tier":"gold","checked":true}}'
tiny=(-machine tiny -input "@$machines/tiny.input.json" -expect-output "$expected" -q)
"$work/loadtest" -targets "127.0.0.1:$port" -create "tiny=$machines/tiny.asl.json" "${tiny[@]}" -c 1 -n 10 >/dev/null
"$work/loadtest" -targets "127.0.0.1:$port" -create "medium=$machines/medium.asl.json" -machine medium \
  -input "@$machines/medium.input.json" -c 1 -n 10 -q >/dev/null
# A run with a shape: idle, a fixed rate of tiny, the maximum rate of
# tiny, the medium machine on 16 connections, idle.
sleep 15
"$work/loadtest" -targets "127.0.0.1:$port" "${tiny[@]}" -rate 2000 -c 32 -d 40s -warmup 0s >/dev/null
"$work/loadtest" -targets "127.0.0.1:$port" "${tiny[@]}" -c 64 -d 40s -warmup 0s >/dev/null
"$work/loadtest" -targets "127.0.0.1:$port" -machine medium -input "@$machines/medium.input.json" \
  -c 16 -d 40s -warmup 0s -q >/dev/null
sleep 15

python3 bench/dashboard_render.py "http://127.0.0.1:$prom" 180 15s >"$work/dashboard.html"
chromium --headless --no-sandbox --disable-gpu --hide-scrollbars --window-size=1312,1650 \
  --screenshot="$work/shot.png" "file://$work/dashboard.html" 2>"$work/chromium.log"
cp "$work/shot.png" "$png"
echo "wrote $png"
