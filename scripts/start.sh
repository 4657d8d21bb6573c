#!/usr/bin/env bash
# One command to a working CA: installs missing Debian packages, builds, and serves ACME on
# https://localhost:14000/directory with its data (CA, SQLite store) in ./flint-data.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
scripts/build.sh --target flint  # only the server: the tests are built by scripts/test.sh
exec build/flint serve --data ./flint-data --listen 127.0.0.1:14000 "$@"
