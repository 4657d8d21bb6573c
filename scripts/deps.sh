#!/usr/bin/env bash
# Installs the Debian 12 packages flint needs to build, run and test (idempotent, needs root).
# Usage: scripts/deps.sh [--test | --cluster | --fuzz]
set -euo pipefail
BUILD_PKGS="build-essential cmake pkg-config libboost1.81-dev libboost-json1.81-dev
  libboost-url1.81-dev libssl-dev openssl libpq-dev libsqlite3-dev sqlite3 libunbound-dev libevent-dev libpsl-dev
  libtomlplusplus-dev libspdlog-dev libfmt-dev libcli11-dev prometheus-cpp-dev libgtest-dev libgmock-dev
  libbenchmark-dev curl
  ca-certificates python3"
# Needed where `flint serve` runs, not only to build: the Public Suffix List it loads at start
# (/usr/share/publicsuffix, docs/CONFIGURATION.md --public-suffix-file).
# libprometheus-cpp-core1.0: the shared library flint links for its metrics (--metrics-listen).
RUN_PKGS="publicsuffix libprometheus-cpp-core1.0"
TEST_PKGS="postgresql-15 dnsutils wrk python3-acme python3-cryptography certbot lego uacme dehydrated
  acme-tiny pebble caddy apache2 haproxy prometheus"
# prometheus: promtool, which checks the /metrics output (test/integration/test_metrics.py).
# scripts/cluster.sh (docs/SCALE-OUT.md): etcd + Patroni-managed PostgreSQL 15 + HAProxy on loopback.
# python3-etcd is Patroni's client for etcd's v2 API; patronictl needs python3-psycopg2 (pulled by patroni).
CLUSTER_PKGS="postgresql-15 etcd-server etcd-client patroni python3-etcd python3-psycopg2 haproxy curl"
# scripts/fuzz.sh: clang 14 with libFuzzer and the sanitizer runtimes (libclang-rt-14-dev).
FUZZ_PKGS="clang libclang-rt-14-dev"
want="$BUILD_PKGS $RUN_PKGS"
case "${1:-}" in
  # The tests include the chaos test on the Patroni cluster (test/integration/test_chaos.py).
  # .ci/run also runs each fuzz target briefly (scripts/fuzz.sh).
  --test) want="$want $TEST_PKGS $CLUSTER_PKGS $FUZZ_PKGS" ;;
  --fuzz) want="$want $FUZZ_PKGS" ;;
  --cluster) want="$want $CLUSTER_PKGS" ;;
esac
missing=""
for p in $want; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
  echo "installing:$missing"
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y --no-install-recommends $missing
fi
