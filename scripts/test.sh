#!/usr/bin/env bash
# One command to run every test: installs missing Debian packages (build and test), builds, and
# runs the unit and integration tests through CTest, then each fuzz target for
# FLINT_FUZZ_SECONDS (default 20; docs/FUZZING.md).
#   scripts/test.sh [CTEST ARGS...]             the Release build in ./build
#   scripts/test.sh --sanitize [CTEST ARGS...]  the same suite built with ASan and UBSan in
#                                               ./build-asan (any finding fails its test)
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh --test
sanitize=""
if [ "${1:-}" = "--sanitize" ]; then
  sanitize=1
  shift
  cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DFLINT_SANITIZE=address,undefined >/dev/null
  cmake --build build-asan -j"$(nproc)"
  export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1:strict_string_checks=1:detect_stack_use_after_return=1"
  export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
  cd build-asan
else
  scripts/build.sh
  cd build
fi
ctest --output-on-failure -j"$(nproc)" "$@"
# Then every libFuzzer target for a short time from its seeds (docs/FUZZING.md).
if [ -z "${sanitize:-}" ]; then
  cd ..
  scripts/fuzz.sh "${FLINT_FUZZ_SECONDS:-20}"
fi
