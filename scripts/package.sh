#!/usr/bin/env bash
# Builds the Debian package build/flint_<version>_<arch>.deb with CPack (cmake/package.cmake):
# configures ./build (Release) if needed, builds only the flint binary, and packs it with the
# systemd unit, /etc/flint/flint.toml and the maintainer scripts. Prints the package's path.
set -euo pipefail
cd "$(dirname "$0")/.."
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j"$(nproc)" --target flint
cd build
cpack -G DEB >/dev/null
version=$(sed -n 's/^CMAKE_PROJECT_VERSION:STATIC=//p' CMakeCache.txt)
deb="$PWD/flint_${version}_$(dpkg --print-architecture).deb"
test -f "$deb"
echo "$deb"
