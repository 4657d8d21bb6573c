#!/usr/bin/env bash
# Issue 2's transport comparison: wrk -t2 -c64 against GET directory and HEAD newNonce, flint and
# Pebble one after the other in the same run, on 127.0.0.1 only. Prints requests/s and the
# flint/Pebble ratio. Usage: bench/wrk_compare.sh [SECONDS]   (needs: wrk, pebble, build/flint)
set -euo pipefail
cd "$(dirname "$0")/.."
SECS=${1:-10}
FLINT=${FLINT:-build/flint}
command -v wrk >/dev/null || { echo "wrk is not installed (apt-get install wrk)"; exit 1; }
command -v pebble >/dev/null || { echo "pebble is not installed (apt-get install pebble)"; exit 1; }
[ -x "$FLINT" ] || scripts/build.sh >/dev/null
WORK=$(mktemp -d /tmp/flint-wrk.XXXXXX)
pid=""
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; wait 2>/dev/null; rm -rf "$WORK"; }
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_port() { for _ in $(seq 1 300); do (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0; sleep 0.1; done; return 1; }
printf 'wrk.method = "HEAD"\n' >"$WORK/head.lua"

rps() {  # URL [lua]: requests/s of one wrk run
  local args=(-t2 -c64 -d"${SECS}s" --latency)
  [ -n "${2:-}" ] && args+=(-s "$2")
  wrk "${args[@]}" "$1" 2>/dev/null | awk '/Requests\/sec/ {print $2}'
}

# Pebble, with a throwaway TLS certificate.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 -keyout "$WORK/key.pem" \
  -out "$WORK/cert.pem" -subj "/CN=localhost" -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" 2>/dev/null
pport=$(free_port); mport=$(free_port)
cat >"$WORK/pebble.json" <<JSON
{"pebble": {"listenAddress": "127.0.0.1:$pport", "managementListenAddress": "127.0.0.1:$mport",
  "certificate": "$WORK/cert.pem", "privateKey": "$WORK/key.pem", "httpPort": 5002, "tlsPort": 5001,
  "ocspResponderURL": "", "externalAccountBindingRequired": false}}
JSON
PEBBLE_VA_ALWAYS_VALID=1 PEBBLE_VA_NOSLEEP=1 PEBBLE_WFE_NONCEREJECT=0 \
  pebble -config "$WORK/pebble.json" >"$WORK/pebble.log" 2>&1 </dev/null &
pid=$!
wait_port "$pport"
p_dir=$(rps "https://127.0.0.1:$pport/dir")
p_nonce=$(rps "https://127.0.0.1:$pport/nonce-plz" "$WORK/head.lua")
kill "$pid"; wait "$pid" 2>/dev/null || true; pid=""

fport=$(free_port)
"$FLINT" serve --data "$WORK/flint-data" --listen "127.0.0.1:$fport" --log-level warn \
  >"$WORK/flint.log" 2>&1 </dev/null &
pid=$!
wait_port "$fport"
f_dir=$(rps "https://127.0.0.1:$fport/directory")
f_nonce=$(rps "https://127.0.0.1:$fport/acme/new-nonce" "$WORK/head.lua")
kill "$pid"; wait "$pid" 2>/dev/null || true; pid=""

ratio() { python3 -c "print(f'{float(\"$1\")/float(\"$2\"):.2f}x')" 2>/dev/null || echo "n/a"; }
echo "wrk -t2 -c64 -d${SECS}s, $(nproc) cores, $(date -u +%Y-%m-%dT%H:%MZ)"
printf '%-22s %12s %12s %8s\n' "request" "flint req/s" "Pebble req/s" "ratio"
printf '%-22s %12s %12s %8s\n' "GET directory" "$f_dir" "$p_dir" "$(ratio "$f_dir" "$p_dir")"
printf '%-22s %12s %12s %8s\n' "HEAD newNonce" "$f_nonce" "$p_nonce" "$(ratio "$f_nonce" "$p_nonce")"
