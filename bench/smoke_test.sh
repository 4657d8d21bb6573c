#!/usr/bin/env bash
# ctest bench_loadgen_smoke: starts `flint serve --skip-validation` on a free 127.0.0.1 port with a
# throwaway data directory, runs the load generator for 3 issuances, and fails unless all three
# succeed with no error of any kind. No timing is checked.
# usage: smoke_test.sh FLINT_BINARY LOADGEN_BINARY
set -euo pipefail
FLINT=${1:?flint binary}
LOADGEN=${2:?loadgen binary}
work=$(mktemp -d /tmp/flint-bench-smoke.XXXXXX)
flint_pid=""
cleanup() {
  if [ -n "$flint_pid" ] && kill -0 "$flint_pid" 2>/dev/null; then
    kill "$flint_pid"; wait "$flint_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

port=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$FLINT" serve --skip-validation --data "$work/data" --listen "127.0.0.1:$port" \
  --log-level warn >"$work/flint.log" 2>&1 &
flint_pid=$!
for _ in $(seq 1 300); do
  if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then break; fi
  kill -0 "$flint_pid" 2>/dev/null || { echo "flint exited:"; cat "$work/flint.log"; exit 1; }
  sleep 0.1
done

status=0
"$LOADGEN" --directory "https://localhost:$port/directory" --ca "$work/data/root.pem" \
  --workers 2 --count 3 --server-pid "$flint_pid" --timeout-ms 20000 --stall-seconds 60 \
  --json "$work/report.json" || status=$?
cat "$work/report.json"
if [ "$status" -ne 0 ]; then
  echo "loadgen exited with $status; flint log:"; tail -50 "$work/flint.log"; exit 1
fi
/usr/bin/python3 - "$work/report.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
assert r["issued"] == 3, f"issued {r['issued']}, want 3"
assert r["error_count"] == 0 and r["failed"] == 0, f"errors: {r['errors']}"
assert r["stalled"] is False
print("smoke OK: 3 certificates, no errors")
PY
