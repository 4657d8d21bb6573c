#!/usr/bin/env bash
# Side-by-side cost of the operations logging (docs/OPERATIONS.md "Logs and audit records"):
# the same flint build serving --skip-validation issuances to the load generator, once per
# configuration, interleaved over ROUNDS rounds at the same concurrency:
#   text        the default text log
#   json        --log-format json
#   json+audit  --log-format json --audit-log FILE (one fsync per audit record)
# Prints issuances/s per configuration and round, and the median.
# usage: bench/ops_logs.sh [WORKERS] [COUNT] [ROUNDS]   (from the repository root, after a build)
set -euo pipefail
cd "$(dirname "$0")/.."
WORKERS=${1:-16}
COUNT=${2:-400}
ROUNDS=${3:-3}
FLINT=build/flint
LOADGEN=build/bench/loadgen
work=$(mktemp -d /tmp/flint-ops-bench.XXXXXX)
flint_pid=""
cleanup() {
  if [ -n "$flint_pid" ] && kill -0 "$flint_pid" 2>/dev/null; then
    kill "$flint_pid"; wait "$flint_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

run() {  # run NAME FLAGS...: one loadgen run against a fresh flint; prints issuances/s
  local name=$1; shift
  local dir="$work/$name-$round"
  local port
  port=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  "$FLINT" serve --skip-validation --data "$dir/data" --listen "127.0.0.1:$port" "$@" \
    >"$dir.log" 2>&1 &
  flint_pid=$!
  for _ in $(seq 1 300); do
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
    sleep 0.1
  done
  "$LOADGEN" --directory "https://localhost:$port/directory" --ca "$dir/data/root.pem" \
    --workers "$WORKERS" --count "$COUNT" --server-pid "$flint_pid" --timeout-ms 20000 \
    --stall-seconds 60 --json "$dir.json" >/dev/null
  kill "$flint_pid"; wait "$flint_pid" 2>/dev/null || true
  flint_pid=""
  /usr/bin/python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); assert r["failed"]==0 and r["error_count"]==0, r; print(r["issuances_per_s"])' "$dir.json"
}

declare -A results
for round in $(seq 1 "$ROUNDS"); do
  mkdir -p "$work"
  for cfg in text json json+audit; do
    mkdir -p "$work/$cfg-$round"
    case $cfg in
      text) r=$(run "$cfg") ;;
      json) r=$(run "$cfg" --log-format json) ;;
      json+audit) r=$(run "$cfg" --log-format json --audit-log "$work/$cfg-$round/audit.jsonl") ;;
    esac
    results[$cfg]="${results[$cfg]:-} $r"
    echo "round $round $cfg: $r issuances/s (workers $WORKERS, count $COUNT)"
  done
done
for cfg in text json json+audit; do
  median=$(printf '%s\n' ${results[$cfg]} | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
  echo "median $cfg: $median issuances/s"
done
