#!/usr/bin/env bash
# One command to run every test: installs missing Debian packages (build and test), builds, and
# runs the unit and integration tests through CTest.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh --test
scripts/build.sh
cd build
ctest --output-on-failure -j"$(nproc)" "$@"
