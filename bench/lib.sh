# Shared by the load scripts in bench/ (source it after `cd` to the
# repository root): a scratch directory removed on exit, the processes
# started in the background stopped on exit, a free loopback port, and a
# wait for a URL to answer.
machines=../shared/bench/machines
work=$(mktemp -d)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# wait_ready URL [tenths of a second, default 100]
wait_ready() {
  for _ in $(seq "${2:-100}"); do curl -fs -o /dev/null "$1" && return 0; sleep 0.1; done
  echo "not ready: $1" >&2
  return 1
}
