#!/bin/sh
# tests/install/check.sh BUILD_DIR: install libmpk into a temporary prefix, then build a program
# against the installed copy both ways (pkg-config, and CMake's find_package) and run it.
set -eu
build=$1
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d "${TMPDIR:-/tmp}/mpk-install.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
prefix=$tmp/prefix
cmake --install "$build" --prefix "$prefix" >"$tmp/install.log"
for f in include/mpk.h bin/mpk-run; do
  [ -e "$prefix/$f" ] || { echo "not installed: $f"; exit 1; }
done
libdir=$(dirname "$(find "$prefix" -name libmpk.so.0 | head -n1)")
[ -n "$libdir" ] && [ -e "$libdir/libmpk_preload.so" ] || { echo "libraries not installed"; exit 1; }

# 1. pkg-config
export PKG_CONFIG_PATH="$libdir/pkgconfig"
cc -o "$tmp/prog-pc" "$here/prog.c" $(pkg-config --cflags --libs libmpk)
out=$(LD_LIBRARY_PATH="$libdir" "$tmp/prog-pc")
echo "pkg-config build: $out"
case "$out" in ok|"no PKU") ;; *) exit 1 ;; esac

# 2. CMake package
mkdir "$tmp/proj"
cp "$here/prog.c" "$tmp/proj/"
cp "$here/CMakeLists.txt.in" "$tmp/proj/CMakeLists.txt"
cmake -S "$tmp/proj" -B "$tmp/proj/build" -DCMAKE_PREFIX_PATH="$prefix" >"$tmp/cmake.log" ||
  { cat "$tmp/cmake.log"; exit 1; }
cmake --build "$tmp/proj/build" >"$tmp/build.log" || { cat "$tmp/build.log"; exit 1; }
out=$("$tmp/proj/build/prog")
echo "find_package build: $out"
case "$out" in ok|"no PKU") ;; *) exit 1 ;; esac
echo "PASS install"
