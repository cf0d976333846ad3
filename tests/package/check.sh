#!/bin/sh
# tests/package/check.sh SOURCE_DIR: build the Debian packages from a copy of the tracked tree,
# fail on any lintian error, unpack the .debs into a scratch root and run programs from it.
set -eu
src=$1
tmp=$(mktemp -d "${TMPDIR:-/tmp}/mpk-package.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
mkdir "$tmp/src" "$tmp/root"
(cd "$src" && git ls-files -z | xargs -0 cp --parents -t "$tmp/src")
(cd "$tmp/src" && dpkg-buildpackage -b -us -uc >"$tmp/build.log" 2>&1) || { tail -40 "$tmp/build.log"; exit 1; }
lintian --fail-on error "$tmp"/libmpk_*.changes || { echo "lintian reports errors"; exit 1; }
for p in libmpk0 libmpk-dev mpk-tools; do
  dpkg -x "$tmp"/${p}_*.deb "$tmp/root"
done
lib=$tmp/root/usr/lib/x86_64-linux-gnu/libmpk_preload.so
[ -e "$lib" ] || { echo "no preload at $lib"; exit 1; }
LD_PRELOAD=$lib true || { echo "true under the installed preload failed"; exit 1; }
"$tmp/root/usr/bin/mpk-audit" --help >/dev/null || { echo "installed mpk-audit --help failed"; exit 1; }
grep -q '^installed_lib="/usr/lib/x86_64-linux-gnu/libmpk_preload.so"' "$tmp/root/usr/bin/mpk-run" ||
  { echo "installed mpk-run does not name the installed preload"; exit 1; }
echo "packages built, lintian clean of errors, installed preload and mpk-audit run"
