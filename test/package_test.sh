#!/usr/bin/env bash
# Issue 15, package: scripts/package.sh builds build/flint_<version>_<arch>.deb; its contents
# (dpkg-deb -c) and control data (dpkg-deb -I) hold what docs/OPERATIONS.md "Package" promises,
# and `systemd-analyze verify` accepts the unit as installed in the unpacked tree.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
fail() { echo "FAIL: $*" >&2; exit 1; }

deb=$("$root/scripts/package.sh" | tail -n 1)
[[ "$(basename "$deb")" =~ ^flint_[0-9]+\.[0-9]+\.[0-9]+_[a-z0-9]+\.deb$ ]] \
  || fail "package name $(basename "$deb")"
echo "package: $deb"

contents=$(dpkg-deb -c "$deb")
echo "$contents"
for path in ./usr/bin/flint ./lib/systemd/system/flint.service ./etc/flint/flint.toml \
    ./usr/share/doc/flint/OPERATIONS.md; do
  grep -q " $path\$" <<<"$contents" || fail "$path not in the package"
done
grep -q -- "-rwxr-xr-x root/root .* ./usr/bin/flint$" <<<"$contents" || fail "/usr/bin/flint mode"

info=$(dpkg-deb -I "$deb")
echo "$info"
grep -q "^ Package: flint$" <<<"$info" || fail "Package field"
grep -q "^ Depends: .*adduser" <<<"$info" || fail "Depends on adduser"
grep -q "^ Depends: .*libssl3" <<<"$info" || fail "shared library dependencies"
for f in postinst prerm postrm conffiles; do
  grep -qw "$f" <<<"$info" || fail "control file $f missing"
done

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
dpkg-deb -R "$deb" "$tmp/pkg"
grep -qx "/etc/flint/flint.toml" "$tmp/pkg/DEBIAN/conffiles" || fail "flint.toml is not a conffile"
grep -q "adduser --system" "$tmp/pkg/DEBIAN/postinst" || fail "postinst does not create the user"
grep -q "deluser --system" "$tmp/pkg/DEBIAN/postrm" || fail "postrm does not remove the user"
for f in postinst prerm postrm; do sh -n "$tmp/pkg/DEBIAN/$f" || fail "$f syntax"; done

unit="$tmp/pkg/lib/systemd/system/flint.service"
for directive in "User=flint" "ProtectSystem=strict" "NoNewPrivileges=true" "PrivateTmp=true" \
    "ProtectHome=true" "CapabilityBoundingSet=CAP_NET_BIND_SERVICE" \
    "AmbientCapabilities=CAP_NET_BIND_SERVICE" "StateDirectory=flint" "LimitNOFILE=65536" \
    "ExecStart=/usr/bin/flint serve --config /etc/flint/flint.toml"; do
  grep -qx "$directive" "$unit" || fail "unit lacks $directive"
done
# The unit, verified against the host's systemd with its ExecStart pointing at the unpacked
# binary (the package is not installed here); the rest of the unit is as shipped, and any
# warning fails the test.
mkdir "$tmp/unit"
sed "s|^ExecStart=/usr/bin/flint |ExecStart=$tmp/pkg/usr/bin/flint |" "$unit" >"$tmp/unit/flint.service"
out=$(systemd-analyze verify "$tmp/unit/flint.service" 2>&1) || fail "systemd-analyze verify: $out"
[ -z "$out" ] || fail "systemd-analyze verify warns: $out"

# Every key of the shipped configuration is a flint serve flag.
help=$("$tmp/pkg/usr/bin/flint" serve --help)
for key in $(/usr/bin/python3 -c 'import sys, tomllib; print(*tomllib.load(open(sys.argv[1], "rb")))' \
    "$tmp/pkg/etc/flint/flint.toml"); do
  grep -q -- "--$key\b" <<<"$help" || fail "flint.toml key $key is not a flint serve flag"
done
echo "PASS"
