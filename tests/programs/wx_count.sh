#!/bin/sh
# tests/programs/wx_count.sh PRELOAD CONFIG NAME -- COMMAND...: a JIT under [wx] enable = on
# prints the same as without libmpk and makes at least 90% fewer flips of code memory with
# mprotect: strace counts the calls that make memory RX (a flip to RW is not told apart from
# the read-write mprotect calls a program makes for other reasons, its garbage collector say,
# which are not W^X's business and stay).
set -u
preload=$1 config=$2 name=$3
shift 4
command -v "$1" >/dev/null 2>&1 || { echo "SKIP: $1 is not installed"; exit 77; }
command -v strace >/dev/null 2>&1 || { echo "SKIP: strace is not installed"; exit 77; }
grep -qw ospke /proc/cpuinfo || { echo "SKIP: no PKU here: libmpk passes mprotect through"; exit 77; }
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
"$@" >"$dir/plain.out" 2>&1
LIBMPK_CONFIG="$config" LD_PRELOAD="$preload" "$@" >"$dir/wx.out" 2>&1
cmp -s "$dir/plain.out" "$dir/wx.out" || { echo "$name: output differs under W^X"; diff "$dir/plain.out" "$dir/wx.out" | head; exit 1; }
strace -f -e trace=mprotect -o "$dir/plain.st" "$@" >/dev/null 2>&1
LIBMPK_CONFIG="$config" LD_PRELOAD="$preload" strace -f -e trace=mprotect,pkey_mprotect -o "$dir/wx.st" "$@" >/dev/null 2>&1
flips() { grep -cE 'mprotect\(.*PROT_READ\|PROT_EXEC\) = 0' "$1"; }
all() { grep -cE ' (pkey_)?mprotect\(' "$1"; }
p=$(flips "$dir/plain.st") w=$(flips "$dir/wx.st")
echo "$name: flips to RX by mprotect: $p without libmpk, $w with W^X; all mprotect/pkey_mprotect calls: $(all "$dir/plain.st") -> $(all "$dir/wx.st")"
[ "$p" -gt 0 ] || { echo "$name: no flips to measure"; exit 1; }
[ $((w * 10)) -le "$p" ] || { echo "$name: fewer than 90% of the flips went"; exit 1; }
echo "PASS $name"
