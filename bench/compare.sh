#!/usr/bin/env bash
# flint vs Pebble, side by side on this machine, in one run (issue 5).
#
# For each concurrency level, Pebble (Debian's `pebble`, PEBBLE_VA_ALWAYS_VALID=1
# PEBBLE_VA_NOSLEEP=1 PEBBLE_WFE_NONCEREJECT=0) and then flint (`flint serve --skip-validation`,
# SQLite store, durable commits) are started fresh on 127.0.0.1, warmed up, and driven by
# bench loadgen for ROUNDS rounds of DURATION seconds, each server sampled from /proc for CPU time
# and peak RSS. The crypto floor comes from `openssl speed ecdsap256` on the same run. Results:
# a table on stdout and in bench/results/latest.md, all figures in latest.json, a plot in
# latest.png (needs python3-matplotlib). Everything listens on and talks to 127.0.0.1 only; the
# servers are started by this script and stopped by their PIDs.
#
# Environment (defaults finish in about 10 minutes on 2 cores):
#   ROUNDS=3  DURATION=20  WARMUP=3  CONCURRENCY="1 4 16 64"  SERVERS="pebble flint"
#   BUILD_DIR=build  OUT=bench/results  FLINT_ARGS=""  (extra `flint serve` flags)
#   LOADGEN_ARGS=""  (extra loadgen flags, e.g. "--names 3" or "--account-per-cert")
#   TRANSPORT_SECONDS=5  the transport floor: each server's CPU for one minimal HTTPS request
#           (GET of the directory on kept-alive TLS connections, 16 clients); 0 skips it
#   PERF=1  after flint's rounds at concurrency 16, one extra round (not in the table) under
#           `perf record --call-graph dwarf`; bench/perf_summary.py writes where flint's CPU goes
#           to $OUT/flint-profile.txt (needs linux-perf)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
ROUNDS=${ROUNDS:-3}
DURATION=${DURATION:-20}
WARMUP=${WARMUP:-3}
CONCURRENCY=${CONCURRENCY:-"1 4 16 64"}
SERVERS=${SERVERS:-"pebble flint"}
BUILD_DIR=${BUILD_DIR:-build}
OUT=${OUT:-bench/results}
FLINT_ARGS=${FLINT_ARGS:-}
LOADGEN_ARGS=${LOADGEN_ARGS:-}
PERF=${PERF:-0}
TRANSPORT_SECONDS=${TRANSPORT_SECONDS:-5}
PY=/usr/bin/python3
# The revision measured, taken before this run writes its own results into the tree. Changes to
# bench/results alone do not count as a dirty tree.
FLINT_REV="$(git rev-parse --short HEAD 2>/dev/null || echo unknown)$(git diff --quiet -- . ':!bench/results' 2>/dev/null || echo +dirty)"

# Step 1: build what is missing.
if [ ! -x "$BUILD_DIR/flint" ] || [ ! -x "$BUILD_DIR/bench/loadgen" ]; then
  [ -f "$BUILD_DIR/CMakeCache.txt" ] || cmake -S . -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=Release >/dev/null
  cmake --build "$BUILD_DIR" -j"$(nproc)" --target flint loadgen
fi
FLINT="$ROOT/$BUILD_DIR/flint"
LOADGEN="$ROOT/$BUILD_DIR/bench/loadgen"
command -v pebble >/dev/null || { echo "pebble is not installed (apt-get install pebble)"; exit 1; }

WORK=$(mktemp -d /tmp/flint-compare.XXXXXX)
mkdir -p "$OUT"
server_pid=""
stop_server() {
  [ -n "$server_pid" ] || return 0
  if kill -0 "$server_pid" 2>/dev/null; then
    kill -TERM "$server_pid" 2>/dev/null || true
    for _ in $(seq 1 100); do kill -0 "$server_pid" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$server_pid" 2>/dev/null && kill -KILL "$server_pid" 2>/dev/null || true
  fi
  wait "$server_pid" 2>/dev/null || true
  server_pid=""
}
cleanup() { stop_server; [ -n "${KEEP:-}" ] && echo "kept $WORK" || rm -rf "$WORK"; }
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() {
  $PY -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
wait_listening() {  # PORT: waits until something accepts on 127.0.0.1:PORT and the server lives
  for _ in $(seq 1 600); do
    kill -0 "$server_pid" 2>/dev/null || return 1
    if (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; then return 0; fi
    sleep 0.1
  done
  return 1
}
manifest() { echo "$1" >>"$WORK/manifest.jsonl"; }

# A stalled Pebble (a Go program) prints every goroutine's stack on SIGQUIT and exits; keep the
# frames that show where its handlers wait, as evidence for the table's "STALLED".
pebble_stack_dump() {  # C
  kill -QUIT "$server_pid" 2>/dev/null || return 0
  wait "$server_pid" 2>/dev/null || true
  server_pid=""
  { echo "Pebble goroutines blocked on a lock at the stall (concurrency $1), as call chains of"
    echo "Pebble's own frames (innermost 4 first), with how many goroutines wait in each:"
    awk '/^goroutine .*\[semacquire/ {on=1; chain=""; depth=0; next}
         on && /^$/ {if (chain != "") print chain; on=0; next}
         on && /^github.com\/letsencrypt\/pebble\// {
           f=$0; sub(/^github.com\/letsencrypt\/pebble\//, "", f); sub(/\(0x.*|\(\{.*|\(\.\.\.\)$/, "", f)
           if (++depth <= 4) chain = chain == "" ? f : chain " <- " f }' "$WORK/pebble-$1.log" | sort | uniq -c | sort -rn
  } >"$OUT/pebble-stall-c$1.txt" 2>/dev/null || true
  echo "   Pebble's goroutine summary: $OUT/pebble-stall-c$1.txt"
}

# Step 2: Pebble's TLS certificate (the package ships none): a throwaway P-256 root and a
# localhost leaf, made with the openssl CLI.
make_pebble_tls() {
  local d=$WORK/pebble-tls
  mkdir -p "$d"
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
    -keyout "$d/ca.key" -out "$d/ca.pem" -subj "/CN=flint bench Pebble TLS root" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign" 2>/dev/null
  openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$d/key.pem" \
    -out "$d/leaf.csr" -subj "/CN=localhost" 2>/dev/null
  printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\n' >"$d/ext.cnf"
  openssl x509 -req -in "$d/leaf.csr" -CA "$d/ca.pem" -CAkey "$d/ca.key" -CAcreateserial \
    -days 2 -extfile "$d/ext.cnf" -out "$d/cert.pem" 2>/dev/null
}

start_pebble() {  # C: sets server_pid, DIRECTORY, CA_FILE
  local port mport
  port=$(free_port); mport=$(free_port)
  cat >"$WORK/pebble-$1.json" <<EOF
{"pebble": {"listenAddress": "127.0.0.1:$port", "managementListenAddress": "127.0.0.1:$mport",
  "certificate": "$WORK/pebble-tls/cert.pem", "privateKey": "$WORK/pebble-tls/key.pem",
  "httpPort": 5002, "tlsPort": 5001, "ocspResponderURL": "",
  "externalAccountBindingRequired": false}}
EOF
  PEBBLE_VA_ALWAYS_VALID=1 PEBBLE_VA_NOSLEEP=1 PEBBLE_WFE_NONCEREJECT=0 \
    pebble -config "$WORK/pebble-$1.json" >"$WORK/pebble-$1.log" 2>&1 </dev/null &
  server_pid=$!
  DIRECTORY="https://localhost:$port/dir"
  CA_FILE="$WORK/pebble-tls/ca.pem"
  wait_listening "$port"
}

start_flint() {  # C: sets server_pid, DIRECTORY, CA_FILE, DATA
  local port
  port=$(free_port)
  DATA="$WORK/flint-data-$1"
  # shellcheck disable=SC2086
  "$FLINT" serve --skip-validation --data "$DATA" --listen "127.0.0.1:$port" $FLINT_ARGS \
    >"$WORK/flint-$1.log" 2>&1 </dev/null &
  server_pid=$!
  DIRECTORY="https://localhost:$port/directory"
  CA_FILE="$DATA/root.pem"
  wait_listening "$port"
}

start_server() {  # SERVER LABEL: starts Pebble or flint (see above); fails if it does not listen
  if [ "$1" = pebble ]; then start_pebble "$2"; else start_flint "$2"; fi
}

run_loadgen() {  # C SECONDS JSON [extra args]
  local c=$1 secs=$2 json=$3
  shift 3
  local rc=0
  # shellcheck disable=SC2086
  "$LOADGEN" --directory "$DIRECTORY" --ca "$CA_FILE" --workers "$c" --duration "$secs" \
    --server-pid "$server_pid" --timeout-ms 20000 --stall-seconds 10 --quiet --json "$json" \
    $LOADGEN_ARGS "$@" || rc=$?
  return $rc
}

# Step 3: the crypto floor, on this run: 8 ECDSA P-256 verifications (7 JWS + the CSR) and one
# signature with the CA key per certificate.
echo "openssl speed -seconds 2 ecdsap256 ..."
openssl speed -seconds 2 ecdsap256 2>/dev/null >"$WORK/speed.txt"
make_pebble_tls

# Step 3b: the transport floor. No server can spend less per issuance than its verifications and
# signature plus, for each request of the flow, what a request that does nothing costs it (TLS
# records, HTTP, the kernel's sockets). Measured as server CPU per GET of the directory.
if [ "$TRANSPORT_SECONDS" != 0 ]; then
  for server in $SERVERS; do
    echo "== $server: transport floor, GET of the directory, ${TRANSPORT_SECONDS}s at concurrency 16"
    if start_server "$server" transport; then
      json="$WORK/$server-transport.json"
      rc=0
      run_loadgen 16 "$TRANSPORT_SECONDS" "$json" --mode directory || rc=$?
      manifest "{\"server\":\"$server\",\"event\":\"transport\",\"rc\":$rc,\"report\":\"$json\"}"
    fi
    stop_server
  done
fi

# Step 4: the runs. Servers alternate at each concurrency so drift hits both alike.
for c in $CONCURRENCY; do
  for server in $SERVERS; do
    echo "== $server, concurrency $c: warm-up ${WARMUP}s, $ROUNDS x ${DURATION}s"
    if ! start_server "$server" "$c"; then
      echo "   $server did not start"; tail -5 "$WORK/$server-$c.log" || true
      manifest "{\"server\":\"$server\",\"concurrency\":$c,\"event\":\"start-failed\"}"
      stop_server; continue
    fi
    rounds=$ROUNDS
    if [ "$WARMUP" != 0 ]; then
      rc=0
      run_loadgen "$c" "$WARMUP" "$WORK/$server-c$c-warmup.json" || rc=$?
      if [ "$rc" = 3 ] || [ "$rc" = 2 ]; then  # stalled, or no worker got through setup
        echo "   $server stalled or failed in the warm-up (loadgen exit $rc): no rounds"
        manifest "{\"server\":\"$server\",\"concurrency\":$c,\"event\":\"warmup-failed\",\"rc\":$rc,\"report\":\"$WORK/$server-c$c-warmup.json\"}"
        [ "$server" = pebble ] && pebble_stack_dump "$c"
        rounds=0
      fi
    fi
    for r in $(seq 1 "$rounds"); do
      json="$WORK/$server-c$c-r$r.json"
      rc=0
      run_loadgen "$c" "$DURATION" "$json" || rc=$?
      alive=true; kill -0 "$server_pid" 2>/dev/null || alive=false
      manifest "{\"server\":\"$server\",\"concurrency\":$c,\"round\":$r,\"rc\":$rc,\"alive\":$alive,\"report\":\"$json\"}"
      $PY -c 'import json,sys; r=json.load(open(sys.argv[1])); print("   round %s: %.1f issuances/s, p99 %.0f ms, %s errors%s" % (sys.argv[2], r["issuances_per_s"], r["issuance_ms"]["p99"], r["error_count"], ", STALLED" if r["stalled"] else ""))' "$json" "$r" 2>/dev/null \
        || echo "   round $r: loadgen exit $rc, no report"
      [ "$alive" = true ] || { echo "   $server died"; break; }
      if [ "$rc" = 3 ] || [ "$rc" = 2 ]; then  # stalled, or no worker got through setup
        echo "   stalled or failed (loadgen exit $rc): skipping the remaining rounds"
        [ "$server" = pebble ] && pebble_stack_dump "$c"
        break
      fi
    done
    if [ "$PERF" = 1 ] && [ "$server" = flint ] && [ "$c" = 16 ] && [ -n "$server_pid" ]; then
      echo "   profiling flint (perf, one extra round of $(( (DURATION + 1) / 2 )) s)"
      perf record -F 499 --call-graph dwarf,16384 -o "$WORK/perf.data" -p "$server_pid" \
        >/dev/null 2>&1 &
      perf_pid=$!
      run_loadgen "$c" "$(( (DURATION + 1) / 2 ))" "$WORK/flint-perf-round.json" || true
      kill -INT "$perf_pid"; wait "$perf_pid" 2>/dev/null || true
      perf script -i "$WORK/perf.data" 2>/dev/null >"$WORK/perf.script" || true
      $PY bench/perf_summary.py "$WORK/perf.script" >"$OUT/flint-profile.txt" || true
    fi
    stop_server
    if [ "$server" = flint ]; then  # after a clean stop, so the WAL is checkpointed
      bytes=$(du -sb --apparent-size "$DATA"/flint.db* 2>/dev/null | awk '{s+=$1} END {print s+0}')
      extra=""; [ -f "$WORK/flint-perf-round.json" ] && [ "$c" = 16 ] && extra="$WORK/flint-perf-round.json"
      manifest "{\"server\":\"flint\",\"concurrency\":$c,\"event\":\"store\",\"bytes\":$bytes,\"extra_report\":\"$extra\"}"
    fi
  done
done

# Step 5: the table, the JSON and the plot.
meta=$(printf '{"date":"%s","host_cpus":%s,"cpu":"%s","kernel":"%s","flint_rev":"%s","pebble":"%s","rounds":%s,"duration_s":%s,"loadgen_args":"%s","flint_args":"%s"}' \
  "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$(nproc)" \
  "$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//;s/"//g')" "$(uname -r)" \
  "$FLINT_REV" \
  "$(dpkg-query -W -f='${Version}' pebble 2>/dev/null)" "$ROUNDS" "$DURATION" "$LOADGEN_ARGS" "$FLINT_ARGS")
$PY bench/summarize.py --work "$WORK" --speed "$WORK/speed.txt" --meta "$meta" --out "$OUT"
$PY bench/plot.py "$OUT/latest.json" "$OUT/latest.png" || echo "(no plot: $PY bench/plot.py failed; is python3-matplotlib installed?)"
