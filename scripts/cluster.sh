#!/usr/bin/env bash
# A scale-out flint cluster on loopback, built from Debian 12 packages and run as plain processes
# (no systemd): etcd -> two PostgreSQL 15 nodes under Patroni (Leader + streaming Replica) ->
# HAProxy on the primary -> three `flint serve` instances -> HAProxy (TLS passthrough) in front.
# See docs/SCALE-OUT.md.
#
#   scripts/cluster.sh up                start everything, wait until healthy, print the URIs
#   scripts/cluster.sh down              stop everything started (by recorded PIDs), remove CLUSTER_DIR
#   scripts/cluster.sh status            patronictl list, HAProxy's view, which flint answers
#   scripts/cluster.sh switchover        Patroni switchover to the replica; waits until HAProxy follows
#   scripts/cluster.sh kill-flint N      SIGKILL flint instance N (1-based)
#   scripts/cluster.sh start-flint N     start flint instance N again (after kill-flint), with the
#                                        binary and arguments `up` used
#   scripts/cluster.sh patronictl ARGS   patronictl -c <node 1's config> ARGS
#   scripts/cluster.sh psql [ARGS]       psql to the flint database through HAProxy
#
# THIS IS A TEST CLUSTER: PostgreSQL trusts every connection from 127.0.0.1 (pg_hba `trust`, no
# passwords checked), etcd and the Patroni REST API have no authentication, nothing is encrypted
# except the ACME TLS that HAProxy passes through. Never expose it beyond loopback.
#
# Environment:
#   CLUSTER_DIR       state directory (default /tmp/flint-cluster); must be reachable by user postgres
#   FLINT_BIN         flint binary (default <repo>/build/flint)
#   FLINT_DB          database URI the flint instances get as --db (default: the HAProxy URI,
#                     postgresql://flint@127.0.0.1:15432/flint). --db implies what --shared-nonces
#                     does (nonces recorded in the database, accepted by every instance).
#   FLINT_INSTANCES   number of flint instances (default 3; 0 runs the database part only)
#   FLINT_EXTRA_ARGS  extra `flint serve` arguments given to every instance, e.g. the same
#                     "--http01-port 5002 --tlsalpn01-port 5001 --dns-resolver 127.0.0.1:8053"
#   CLUSTER_NO_DEPS=1 do not run scripts/deps.sh --cluster (print what is missing instead)
set -Eeuo pipefail
trap 'log "error: line $LINENO: $BASH_COMMAND failed"' ERR

REPO="$(cd "$(dirname "$0")/.." && pwd)"
CLUSTER_DIR="${CLUSTER_DIR:-/tmp/flint-cluster}"
FLINT_BIN="${FLINT_BIN:-$REPO/build/flint}"
FLINT_INSTANCES="${FLINT_INSTANCES:-3}"
FLINT_EXTRA_ARGS="${FLINT_EXTRA_ARGS:-}"

# Ports (all on 127.0.0.1, all below the ephemeral range 32768-60999).
ETCD_CLIENT_PORT=12379
ETCD_PEER_PORT=12380
PG_PROXY_PORT=15432                 # HAProxy -> current primary
PG_PORTS=(15433 15434)              # PostgreSQL nodes pg1, pg2
PATRONI_PORTS=(18008 18009)         # Patroni REST API of pg1, pg2
DB_STATS_PORT=17000                 # HAProxy stats page (database side)
ACME_PORT=14000                     # HAProxy -> flint instances (TLS passthrough)
FLINT_PORT_BASE=14000               # instance N listens on FLINT_PORT_BASE + N
ACME_STATS_PORT=17001               # HAProxy stats page (ACME side)

DB_NAME=flint
DB_USER=flint
DEFAULT_DB_URI="postgresql://$DB_USER@127.0.0.1:$PG_PROXY_PORT/$DB_NAME"
FLINT_DB="${FLINT_DB:-$DEFAULT_DB_URI}"
BASE_URL="https://localhost:$ACME_PORT"
SCOPE=flint-cluster
PG_BIN=/usr/lib/postgresql/15/bin
NODES=(pg1 pg2)
PY=/usr/bin/python3                 # Debian's, the one Patroni and python3-etcd use

PIDS="$CLUSTER_DIR/pids"
LOGS="$CLUSTER_DIR/logs"

log() { printf '[cluster %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "error: $*"; exit 1; }

# PostgreSQL and Patroni run as postgres when we are root (initdb refuses root), else as ourselves.
if [ "$(id -u)" = 0 ]; then PG_USER=postgres; else PG_USER="$(id -un)"; fi
as_pg() {
  if [ "$(id -u)" = 0 ]; then
    setpriv --reuid="$PG_USER" --regid="$(id -g "$PG_USER")" --init-groups --reset-env -- \
      env PATH=/usr/bin:/bin "$@"
  else
    "$@"
  fi
}

# ---------------------------------------------------------------------------------- processes
# alive PID: running and not a zombie (our children are orphans once this script exits, reaped
# by PID 1 whenever it gets to it)
alive() {
  [ -n "${1:-}" ] && kill -0 "$1" 2>/dev/null || return 1
  local state
  state=$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null) || return 1
  [ "$state" != Z ]
}
pid_of() { if [ -f "$PIDS/$1.pid" ]; then cat "$PIDS/$1.pid"; fi; }

# spawn NAME CMD...: starts CMD detached (own session), output in logs/NAME.log, PID in
# pids/NAME.pid (the PID of CMD itself: the wrapper shell records $$ and then execs).
spawn() {
  local name=$1; shift
  local pidfile="$PIDS/$name.pid"
  rm -f "$pidfile"
  # shellcheck disable=SC2016  # $$ and $@ expand in the child shell
  setsid bash -c 'echo $$ > "$0"; exec "$@"' "$pidfile" "$@" >>"$LOGS/$name.log" 2>&1 </dev/null &
  local i
  for i in $(seq 50); do [ -s "$pidfile" ] && return 0; sleep 0.1; done
  die "$name did not start (see $LOGS/$name.log)"
}

# stop NAME [SECONDS]: SIGTERM, wait, then SIGKILL.
stop() {
  local name=$1 wait_s=${2:-20} pid
  pid=$(pid_of "$name")
  if alive "$pid"; then
    kill -TERM "$pid" 2>/dev/null || true
    local i
    for i in $(seq $((wait_s * 10))); do alive "$pid" || break; sleep 0.1; done
    if alive "$pid"; then
      log "$name (pid $pid) still running after ${wait_s}s: SIGKILL"
      kill -KILL "$pid" 2>/dev/null || true
      sleep 0.2
    fi
  fi
  rm -f "$PIDS/$name.pid"
}

wait_for() {  # wait_for SECONDS DESCRIPTION COMMAND... (DESCRIPTION documents the call only)
  local secs=$1; shift 2
  local deadline=$((SECONDS + secs))
  until "$@" >/dev/null 2>&1; do
    [ $SECONDS -lt $deadline ] || return 1
    sleep 0.5
  done
}

port_free() { [ -z "$(ss -Hltn "sport = :$1")" ]; }

# ------------------------------------------------------------------------------------- deps
check_deps() {
  local cmd missing=""
  for cmd in etcd etcdctl patroni patronictl haproxy psql curl $PY setpriv ss \
             "$PG_BIN/initdb" "$PG_BIN/postgres"; do
    command -v "$cmd" >/dev/null 2>&1 || missing="$missing $cmd"
  done
  $PY -c 'import etcd' 2>/dev/null || missing="$missing python3-etcd"
  [ -z "$missing" ] && return 0
  if [ "${CLUSTER_NO_DEPS:-0}" = 1 ]; then
    die "missing:$missing; install with: scripts/deps.sh --cluster"
  fi
  log "missing:$missing; running scripts/deps.sh --cluster"
  "$REPO/scripts/deps.sh" --cluster
}

# ---------------------------------------------------------------------------------- etcd
start_etcd() {
  mkdir -p "$CLUSTER_DIR/etcd"
  chmod 700 "$CLUSTER_DIR/etcd"
  # --enable-v2: Patroni's `etcd:` section speaks the v2 API (STACK.md pitfall 15)
  spawn etcd etcd --name flint-etcd --data-dir "$CLUSTER_DIR/etcd/data" \
    --listen-client-urls "http://127.0.0.1:$ETCD_CLIENT_PORT" \
    --advertise-client-urls "http://127.0.0.1:$ETCD_CLIENT_PORT" \
    --listen-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" \
    --initial-advertise-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" \
    --initial-cluster "flint-etcd=http://127.0.0.1:$ETCD_PEER_PORT" \
    --initial-cluster-state new --initial-cluster-token flint-cluster \
    --enable-v2=true
  wait_for 30 etcd curl -sf "http://127.0.0.1:$ETCD_CLIENT_PORT/health" ||
    die "etcd not healthy (see $LOGS/etcd.log)"
  log "etcd up on 127.0.0.1:$ETCD_CLIENT_PORT"
}

# ------------------------------------------------------------------------------ Patroni/PG
patroni_conf() { echo "$CLUSTER_DIR/${NODES[$1]}/patroni.yml"; }

write_patroni_conf() {
  local i=$1 name=${NODES[$1]} dir="$CLUSTER_DIR/${NODES[$1]}"
  mkdir -p "$dir/sock"
  cat >"$dir/patroni.yml" <<EOF
# Patroni node $name of the flint test cluster (scripts/cluster.sh). TEST ONLY: pg_hba trusts
# 127.0.0.1 and the local socket without passwords; etcd and the REST API are unauthenticated.
scope: $SCOPE
name: $name
restapi:
  listen: 127.0.0.1:${PATRONI_PORTS[$i]}
  connect_address: 127.0.0.1:${PATRONI_PORTS[$i]}
etcd:                       # the v2 API (etcd runs with --enable-v2=true)
  host: 127.0.0.1:$ETCD_CLIENT_PORT
  protocol: http
bootstrap:
  dcs:
    ttl: 20
    loop_wait: 5
    retry_timeout: 5
    maximum_lag_on_failover: 1048576
    postgresql:
      use_pg_rewind: true
      use_slots: true
      parameters:
        wal_level: replica
        hot_standby: "on"
        wal_log_hints: "on"
        max_wal_senders: 10
        max_replication_slots: 10
        max_connections: 300
  initdb:
    - encoding: UTF8
    - locale: C.UTF-8
    - data-checksums
postgresql:
  listen: 127.0.0.1:${PG_PORTS[$i]}
  connect_address: 127.0.0.1:${PG_PORTS[$i]}
  data_dir: $dir/data
  bin_dir: $PG_BIN
  pgpass: $dir/pgpass
  authentication:           # passwords are set but never checked (trust), see pg_hba
    superuser:
      username: postgres
      password: postgres
    replication:
      username: replicator
      password: replicator
    rewind:
      username: rewinder
      password: rewinder
  parameters:
    unix_socket_directories: $dir/sock
    listen_addresses: 127.0.0.1
  pg_hba:                   # TEST CLUSTER: trust, no passwords
    - local all all trust
    - host all all 127.0.0.1/32 trust
    - host replication all 127.0.0.1/32 trust
    - local replication all trust
tags:
  nofailover: false
  noloadbalance: false
  clonefrom: false
  nosync: false
EOF
  chmod 600 "$dir/patroni.yml"
  chown -R "$PG_USER:" "$dir"
}

start_patroni() {
  local i=$1 name=${NODES[$1]}
  write_patroni_conf "$i"
  if [ "$(id -u)" = 0 ]; then
    # the PID file is written before setpriv drops to postgres; setpriv and env exec, so the PID
    # recorded is Patroni's
    spawn "patroni-$name" setpriv --reuid="$PG_USER" --regid="$(id -g "$PG_USER")" --init-groups \
      -- env HOME="$(getent passwd "$PG_USER" | cut -d: -f6)" USER="$PG_USER" patroni "$(patroni_conf "$i")"
  else
    spawn "patroni-$name" patroni "$(patroni_conf "$i")"
  fi
}

# members_json: patronictl list as JSON (empty on failure)
members_json() { patronictl -c "$(patroni_conf 0)" list -f json 2>/dev/null || true; }

# cluster_state: prints "LEADER REPLICA" when patronictl lists a running Leader and a running
# Replica and the leader's REST API (GET /patroni) shows that replica's WAL receiver as
# `streaming`, else fails. (Patroni 3.0.2's patronictl shows a replica's State as "running" even
# while it streams; "streaming" there came in a later Patroni.)
cluster_state() {
  members_json | $PY -c '
import json, sys, urllib.request
rest = dict(zip(sys.argv[1].split(), sys.argv[2].split()))
try:
    m = json.load(sys.stdin)
except Exception:
    sys.exit(1)
lead = [x["Member"] for x in m if x.get("Role") == "Leader" and x.get("State") == "running"]
reps = [x["Member"] for x in m
        if x.get("Role") == "Replica" and x.get("State") in ("running", "streaming")]
if len(lead) != 1 or not reps:
    sys.exit(1)
try:
    with urllib.request.urlopen("http://127.0.0.1:%s/patroni" % rest[lead[0]], timeout=2) as r:
        status = json.load(r)
except Exception:
    sys.exit(1)
streaming = {x.get("application_name") for x in status.get("replication", [])
             if x.get("state") == "streaming"}
ok = [r for r in reps if r in streaming]
if not ok:
    sys.exit(1)
print(lead[0], ok[0])' "${NODES[*]}" "${PATRONI_PORTS[*]}"
}

healthy() { cluster_state >/dev/null; }

# proxy_primary: the node HAProxy's 15432 leads to (by its port), checked by a query
proxy_primary() {
  psql -X -At -h 127.0.0.1 -p "$PG_PROXY_PORT" -U postgres -d postgres \
    -c "select case when pg_is_in_recovery() then 'replica' else 'primary' end || ' ' || current_setting('port')"
}

proxy_on_primary() {  # proxy_on_primary [PORT]: HAProxy reaches a primary (on PORT, if given)
  local out
  out=$(proxy_primary 2>/dev/null) || return 1
  [ "${out%% *}" = primary ] || return 1
  [ -z "${1:-}" ] || [ "${out##* }" = "$1" ]
}

port_of_member() {  # port_of_member NAME [REST]: NAME's PostgreSQL (or Patroni REST) port
  local i
  for i in "${!NODES[@]}"; do
    if [ "${NODES[$i]}" = "$1" ]; then
      if [ -n "${2:-}" ]; then echo "${PATRONI_PORTS[$i]}"; else echo "${PG_PORTS[$i]}"; fi
      return 0
    fi
  done
  return 1
}

create_database() {
  local leader port
  leader=$(cluster_state | cut -d' ' -f1)
  port=$(port_of_member "$leader")
  local q=(psql -X -At -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$port" -U postgres -d postgres)
  if [ "$("${q[@]}" -c "select 1 from pg_roles where rolname = '$DB_USER'")" != 1 ]; then
    "${q[@]}" -c "create role $DB_USER login" >/dev/null
  fi
  if [ "$("${q[@]}" -c "select 1 from pg_database where datname = '$DB_NAME'")" != 1 ]; then
    "${q[@]}" -c "create database $DB_NAME owner $DB_USER" >/dev/null
  fi
  log "database $DB_NAME owned by role $DB_USER on the leader ($leader)"
}

# ---------------------------------------------------------------------------------- HAProxy
write_haproxy_db() {
  cat >"$CLUSTER_DIR/haproxy-db.cfg" <<EOF
# HAProxy in front of the PostgreSQL primary (scripts/cluster.sh). Patroni's REST API answers
# GET /primary with 200 only on the leader, so exactly one backend is up; sessions to a node that
# stops being primary are cut (on-marked-down shutdown-sessions) so clients reconnect to the new one.
global
    log stdout format raw local0 info
    maxconn 2000
defaults
    log global
    mode tcp
    option tcplog
    retries 2
    timeout connect 3s
    timeout client 30m
    timeout server 30m
    timeout check 2s
listen stats
    bind 127.0.0.1:$DB_STATS_PORT
    mode http
    stats enable
    stats uri /
    stats refresh 2s
listen postgres
    bind 127.0.0.1:$PG_PROXY_PORT
    # log each session as it is established (not when it ends, hours later for a pooled
    # connection): the log then shows when HAProxy began sending sessions to a new primary
    option logasap
    option httpchk GET /primary
    http-check expect status 200
    default-server inter 1s fastinter 500ms downinter 1s fall 2 rise 1 on-marked-down shutdown-sessions
    server pg1 127.0.0.1:${PG_PORTS[0]} maxconn 500 check port ${PATRONI_PORTS[0]}
    server pg2 127.0.0.1:${PG_PORTS[1]} maxconn 500 check port ${PATRONI_PORTS[1]}
EOF
}

# HAProxy needs about two descriptors per connection and refuses to start when the hard limit on
# open files is below what its maxconn needs.
acme_maxconn() {
  local hard; hard=$(ulimit -Hn)
  [ "$hard" = unlimited ] && hard=1048576
  local m=$(((hard - 200) / 2))
  [ "$m" -gt 20000 ] && m=20000
  echo "$m"
}

write_haproxy_acme() {
  local n servers=""
  for n in $(seq "$FLINT_INSTANCES"); do
    servers="$servers    server flint$n 127.0.0.1:$((FLINT_PORT_BASE + n)) check check-ssl verify none
"
  done
  cat >"$CLUSTER_DIR/haproxy-acme.cfg" <<EOF
# HAProxy in front of the flint instances (scripts/cluster.sh): TCP mode, so TLS passes through to
# flint (every instance presents the same tls.pem); round robin per client connection. The health
# check speaks HTTPS to each instance and wants GET /directory to answer 200.
global
    log stdout format raw local0 info
    maxconn $(acme_maxconn)
defaults
    log global
    mode tcp
    option tcplog
    retries 2
    option redispatch
    timeout connect 3s
    timeout client 5m
    timeout server 5m
    timeout check 2s
listen stats
    bind 127.0.0.1:$ACME_STATS_PORT
    mode http
    stats enable
    stats uri /
    stats refresh 2s
listen acme
    bind 127.0.0.1:$ACME_PORT
    mode tcp
    balance roundrobin
    option httpchk
    http-check send meth GET uri /directory ver HTTP/1.1 hdr Host localhost:$ACME_PORT hdr Connection close
    http-check expect status 200
    default-server inter 1s fastinter 500ms downinter 1s fall 2 rise 1 on-marked-down shutdown-sessions
$servers
EOF
}

start_haproxy() {  # start_haproxy db|acme
  local which=$1 cfg="$CLUSTER_DIR/haproxy-$1.cfg"
  haproxy -c -q -f "$cfg" || die "invalid $cfg"
  # -db: stay in the foreground (we record its PID); -W master-worker is not needed
  spawn "haproxy-$which" haproxy -db -f "$cfg"
  sleep 0.5
  alive "$(pid_of "haproxy-$which")" || die "HAProxy ($which) exited (see $LOGS/haproxy-$which.log)"
}

# ------------------------------------------------------------------------------------ flint
flint_dir() { echo "$CLUSTER_DIR/flint/$1"; }

flint_args() {  # flint_args N: the `flint serve` command line of instance N
  local n=$1 args
  args=("$FLINT_BIN" serve --data "$(flint_dir "$n")" --listen "127.0.0.1:$((FLINT_PORT_BASE + n))"
        --base-url "$BASE_URL" --db "$FLINT_DB"
        # Every connection comes from HAProxy here, so a per-address limit would count HAProxy,
        # not clients. A production balancer sends PROXY v2 instead (docs/SCALE-OUT.md).
        --max-connections-per-ip 0)
  # shellcheck disable=SC2206  # word splitting of FLINT_EXTRA_ARGS is intended
  args+=($FLINT_EXTRA_ARGS)
  printf '%s\0' "${args[@]}"
}

flint_answers() {  # flint_answers N|PORT_URL: GET /directory over TLS trusting root.pem
  curl -sf -o /dev/null --max-time 3 --cacert "$(flint_dir 1)/root.pem" \
    --resolve "localhost:$1:127.0.0.1" "https://localhost:$1/directory"
}

start_flint() {
  local n=$1 args=()
  while IFS= read -r -d '' a; do args+=("$a"); done < <(flint_args "$n")
  spawn "flint-$n" "${args[@]}"
  local pid; pid=$(pid_of "flint-$n")
  local deadline=$((SECONDS + 60))
  until [ -f "$(flint_dir 1)/root.pem" ] && flint_answers $((FLINT_PORT_BASE + n)); do
    alive "$pid" || die "flint $n exited (see $LOGS/flint-$n.log)"
    [ $SECONDS -lt $deadline ] || die "flint $n does not answer GET /directory (see $LOGS/flint-$n.log)"
    sleep 0.3
  done
  log "flint $n answers on https://localhost:$((FLINT_PORT_BASE + n))/directory (pid $pid)"
}

# copy_ca N: the CA files instance 1 created, into instance N's data directory (keys stay 0600)
copy_ca() {
  local n=$1 src dst f
  src=$(flint_dir 1); dst=$(flint_dir "$n")
  [ "$src" = "$dst" ] && return 0
  mkdir -p "$dst"; chmod 700 "$dst"
  # ca.json last: it marks the CA as complete
  for f in root.pem intermediate.pem intermediate.key tls.pem tls.key ca.json; do
    [ -e "$src/$f" ] || continue
    cp -p "$src/$f" "$dst/$f"
    case $f in *.key) chmod 600 "$dst/$f" ;; esac
  done
}

check_flint_binary() {
  [ "$FLINT_INSTANCES" -gt 0 ] || return 0
  [ -x "$FLINT_BIN" ] || die "no flint binary at $FLINT_BIN (build it: scripts/build.sh --target flint, or set FLINT_BIN)"
}

# ------------------------------------------------------------------------------- commands
cmd_up() {
  local t0=$SECONDS
  if [ -e "$CLUSTER_DIR" ]; then
    local f live=""
    for f in "$PIDS"/*.pid; do
      [ -f "$f" ] && alive "$(cat "$f")" && live="$live $(basename "$f" .pid)"
    done
    [ -n "$live" ] && die "already up ($CLUSTER_DIR:$live); use status, or down first"
    die "$CLUSTER_DIR exists (a stopped or failed cluster); run '$0 down' to remove it first"
  fi
  check_deps
  check_flint_binary
  local p ports=("$ETCD_CLIENT_PORT" "$ETCD_PEER_PORT" "$PG_PROXY_PORT" "${PG_PORTS[@]}" "${PATRONI_PORTS[@]}" "$DB_STATS_PORT")
  if [ "$FLINT_INSTANCES" -gt 0 ]; then
    ports+=("$ACME_PORT" "$ACME_STATS_PORT")
    for p in $(seq "$FLINT_INSTANCES"); do ports+=($((FLINT_PORT_BASE + p))); done
  fi
  for p in "${ports[@]}"; do port_free "$p" || die "port 127.0.0.1:$p is in use"; done

  mkdir -p "$PIDS" "$LOGS"
  chmod 755 "$CLUSTER_DIR"
  as_pg test -x "$CLUSTER_DIR" || die "$CLUSTER_DIR is not reachable by user $PG_USER (parent directory permissions)"
  echo "$FLINT_DB" >"$CLUSTER_DIR/flint-db"
  echo "$FLINT_BIN" >"$CLUSTER_DIR/flint-bin"
  echo "$FLINT_EXTRA_ARGS" >"$CLUSTER_DIR/flint-extra-args"
  echo "$FLINT_INSTANCES" >"$CLUSTER_DIR/flint-instances"
  log "starting in $CLUSTER_DIR (if anything fails: $0 down)"

  start_etcd
  start_patroni 0
  wait_for 60 leader curl -sf "http://127.0.0.1:${PATRONI_PORTS[0]}/primary" ||
    die "pg1 did not become leader (see $LOGS/patroni-pg1.log)"
  log "pg1 is leader after $((SECONDS - t0))s"
  start_patroni 1
  wait_for 120 "streaming replica" healthy ||
    die "no Leader + streaming Replica (see $LOGS/patroni-pg*.log; $0 status)"
  log "Leader + streaming Replica after $((SECONDS - t0))s"

  write_haproxy_db
  start_haproxy db
  wait_for 30 "HAProxy to the primary" proxy_on_primary ||
    die "HAProxy on 127.0.0.1:$PG_PROXY_PORT does not reach the primary (see $LOGS/haproxy-db.log)"
  create_database

  if [ "$FLINT_INSTANCES" -gt 0 ]; then
    mkdir -p "$CLUSTER_DIR/flint"
    start_flint 1   # creates the CA on first start
    local n
    for n in $(seq 2 "$FLINT_INSTANCES"); do
      copy_ca "$n"
      start_flint "$n"
    done
    write_haproxy_acme
    start_haproxy acme
    wait_for 30 "HAProxy to flint" flint_answers "$ACME_PORT" ||
      die "HAProxy on 127.0.0.1:$ACME_PORT does not reach flint (see $LOGS/haproxy-acme.log)"
  fi

  log "up in $((SECONDS - t0))s"
  print_uris
}

print_uris() {
  local n
  echo "cluster dir:   $CLUSTER_DIR (logs in $LOGS)"
  echo "etcd (v2+v3):  http://127.0.0.1:$ETCD_CLIENT_PORT"
  echo "PostgreSQL:    $DEFAULT_DB_URI  (HAProxy -> primary; superuser: postgres)"
  for n in "${!NODES[@]}"; do
    echo "  ${NODES[$n]}:         127.0.0.1:${PG_PORTS[$n]}, Patroni REST http://127.0.0.1:${PATRONI_PORTS[$n]}, config $(patroni_conf "$n")"
  done
  echo "HAProxy stats: http://127.0.0.1:$DB_STATS_PORT/ (db)"
  if [ "$(cat "$CLUSTER_DIR/flint-instances" 2>/dev/null || echo 0)" -gt 0 ]; then
    echo "ACME:          $BASE_URL/directory  (HAProxy, TLS passthrough; trust $(flint_dir 1)/root.pem)"
    for n in $(seq "$(cat "$CLUSTER_DIR/flint-instances")"); do
      echo "  flint $n:     https://localhost:$((FLINT_PORT_BASE + n))/directory, data $(flint_dir "$n")"
    done
    echo "HAProxy stats: http://127.0.0.1:$ACME_STATS_PORT/ (acme)"
    echo "flint --db:    $FLINT_DB"
  fi
}

cmd_down() {
  [ -e "$CLUSTER_DIR" ] || { log "nothing at $CLUSTER_DIR"; return 0; }
  local f name
  # front to back: HAProxy (ACME), flint, HAProxy (db), Patroni replica(s), leader, etcd
  stop haproxy-acme 5
  for f in "$PIDS"/flint-*.pid; do
    [ -f "$f" ] || continue
    name=$(basename "$f" .pid); stop "$name" 20
  done
  stop haproxy-db 5
  local leader=""
  leader=$(cluster_state 2>/dev/null | cut -d' ' -f1) || true
  for name in "${NODES[@]}"; do [ "$name" = "$leader" ] || stop "patroni-$name" 60; done
  [ -n "$leader" ] && stop "patroni-$leader" 60
  # a postmaster that outlived its Patroni (e.g. Patroni was SIGKILLed)
  for name in "${NODES[@]}"; do
    local pm="$CLUSTER_DIR/$name/data/postmaster.pid" pid
    [ -f "$pm" ] || continue
    pid=$(head -1 "$pm")
    if alive "$pid" && [ "$(ps -o comm= -p "$pid")" = postgres ]; then
      log "stopping postmaster $pid of $name"
      as_pg "$PG_BIN/pg_ctl" -D "$CLUSTER_DIR/$name/data" stop -m fast -w -t 30 >/dev/null 2>&1 ||
        kill -KILL "$pid" 2>/dev/null || true
    fi
  done
  stop etcd 10
  # anything still recorded (an unknown name) gets the same treatment
  for f in "$PIDS"/*.pid; do [ -f "$f" ] && stop "$(basename "$f" .pid)" 10; done
  rm -rf "$CLUSTER_DIR"
  log "down; $CLUSTER_DIR removed"
}

cmd_status() {
  [ -d "$CLUSTER_DIR" ] || { echo "not up ($CLUSTER_DIR does not exist)"; exit 1; }
  local f name pid
  echo "processes:"
  for f in "$PIDS"/*.pid; do
    [ -f "$f" ] || continue
    name=$(basename "$f" .pid); pid=$(cat "$f")
    if alive "$pid"; then echo "  $name: pid $pid running"; else echo "  $name: pid $pid NOT running"; fi
  done
  echo "patroni:"
  patronictl -c "$(patroni_conf 0)" list 2>&1 | sed 's/^/  /' || true
  echo "HAProxy $PG_PROXY_PORT -> $(proxy_primary 2>/dev/null | sed 's/ / on port /' || echo 'no answer')"
  local count; count=$(cat "$CLUSTER_DIR/flint-instances" 2>/dev/null || echo 0)
  if [ "$count" -gt 0 ]; then
    echo "flint (FLINT_DB=$FLINT_DB):"
    local n port
    for n in $(seq "$count"); do
      port=$((FLINT_PORT_BASE + n))
      if flint_answers "$port"; then echo "  flint $n ($port): answers"; else echo "  flint $n ($port): NO ANSWER"; fi
    done
    if flint_answers "$ACME_PORT"; then echo "  HAProxy $ACME_PORT: answers"; else echo "  HAProxy $ACME_PORT: NO ANSWER"; fi
  fi
}

cmd_switchover() {
  [ -d "$CLUSTER_DIR" ] || die "not up"
  local state leader replica t0=$SECONDS
  state=$(cluster_state) || die "not healthy (need a Leader and a streaming Replica): $0 status"
  leader=${state% *}; replica=${state#* }
  log "switchover $leader -> $replica"
  patronictl -c "$(patroni_conf 0)" switchover --leader "$leader" --candidate "$replica" --force
  wait_for 60 "new leader" curl -sf "http://127.0.0.1:$(port_of_member "$replica" rest)/primary" ||
    die "$replica did not become leader"
  log "$replica is leader after $((SECONDS - t0))s"
  wait_for 30 "HAProxy to follow" proxy_on_primary "$(port_of_member "$replica")" ||
    die "HAProxy does not reach the new primary"
  log "HAProxy $PG_PROXY_PORT reaches $replica after $((SECONDS - t0))s"
  wait_for 90 "old leader streaming" healthy || die "$leader did not rejoin as a streaming replica"
  log "switchover done ($leader streaming replica again) after $((SECONDS - t0))s"
  patronictl -c "$(patroni_conf 0)" list
}

cmd_kill_flint() {
  local n=${1:?usage: kill-flint N} pid
  pid=$(pid_of "flint-$n")
  alive "$pid" || die "flint $n is not running"
  kill -KILL "$pid"
  local i
  for i in $(seq 50); do alive "$pid" || break; sleep 0.1; done
  log "flint $n (pid $pid) killed with SIGKILL; '$0 start-flint $n' starts it again"
}

cmd_start_flint() {
  local n=${1:?usage: start-flint N}
  [ -d "$CLUSTER_DIR" ] || die "not up"
  alive "$(pid_of "flint-$n")" && die "flint $n is running"
  if [ "$n" -lt 1 ] || [ "$n" -gt "$(cat "$CLUSTER_DIR/flint-instances")" ]; then die "no flint instance $n"; fi
  start_flint "$n"
}

# every command but up works on the cluster as up started it
if [ "${1:-}" != up ] && [ -f "$CLUSTER_DIR/flint-db" ]; then
  FLINT_DB=$(cat "$CLUSTER_DIR/flint-db")
  FLINT_BIN=$(cat "$CLUSTER_DIR/flint-bin")
  FLINT_EXTRA_ARGS=$(cat "$CLUSTER_DIR/flint-extra-args")
fi

case "${1:-}" in
  up) cmd_up ;;
  down) cmd_down ;;
  status) cmd_status ;;
  switchover) cmd_switchover ;;
  kill-flint) shift; cmd_kill_flint "$@" ;;
  start-flint) shift; cmd_start_flint "$@" ;;
  patronictl) shift; exec patronictl -c "$(patroni_conf 0)" "$@" ;;
  psql) shift; exec psql -h 127.0.0.1 -p "$PG_PROXY_PORT" -U "$DB_USER" -d "$DB_NAME" "$@" ;;
  *) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 2 ;;
esac
