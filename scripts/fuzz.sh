#!/usr/bin/env bash
# Builds flint's libFuzzer targets (fuzz/, clang with ASan and UBSan, in ./build-fuzz) and runs
# each for SECONDS, starting from the checked-in seeds (fuzz/corpus/TARGET) plus what earlier runs
# found (build-fuzz/fuzz-work/TARGET/corpus). Findings go to build-fuzz/fuzz-work/TARGET/artifacts.
#   scripts/fuzz.sh SECONDS [TARGET...]
# The last line is exactly "N targets, N crashes"; the exit status is non-zero on any crash.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ $# -lt 1 ] || ! [[ "$1" =~ ^[0-9]+$ ]]; then
  echo "usage: scripts/fuzz.sh SECONDS [TARGET...]" >&2
  exit 2
fi
seconds=$1
shift
scripts/deps.sh --fuzz >/dev/null
CC=clang CXX=clang++ cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DFLINT_SANITIZE=fuzzer-no-link,address,undefined -DFLINT_FUZZ=ON -DFLINT_WERROR=OFF \
  -DFLINT_BUILD_TESTS=OFF >/dev/null
mkdir -p build-fuzz
if ! cmake --build build-fuzz -j"$(nproc)" --target fuzz_all >build-fuzz/build.log 2>&1; then
  grep -E "error|Error" build-fuzz/build.log | head -n 40 >&2
  echo "building the fuzz targets failed (build-fuzz/build.log)" >&2
  exit 1
fi

if [ $# -gt 0 ]; then
  targets=("$@")
else
  targets=()
  for src in fuzz/*_fuzz.cc; do targets+=("$(basename "$src" .cc)"); done
fi
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
crashes=0
for t in "${targets[@]}"; do
  work="build-fuzz/fuzz-work/$t"
  mkdir -p "$work/corpus" "$work/artifacts"
  seeds="fuzz/corpus/$t"
  [ -d "$seeds" ] || seeds=""
  before=$(find "$work/artifacts" -type f | wc -l)
  status=0
  "build-fuzz/fuzz/$t" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
    -max_len=65536 -print_final_stats=1 -artifact_prefix="$work/artifacts/" \
    "$work/corpus" $seeds >"$work/log" 2>&1 || status=$?
  found=$(( $(find "$work/artifacts" -type f | wc -l) - before ))
  if [ "$status" -ne 0 ] && [ "$found" -eq 0 ]; then found=1; fi
  runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$work/log" | grep -o '[0-9]*$' || echo "?")
  echo "$t: $runs executions in ${seconds}s, exit $status, $found crashes (log: $work/log)"
  if [ "$found" -gt 0 ]; then
    tail -n 30 "$work/log" | sed "s/^/  $t| /"
  fi
  crashes=$((crashes + found))
done
echo "${#targets[@]} targets, $crashes crashes"
[ "$crashes" -eq 0 ]
