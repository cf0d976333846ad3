#!/bin/sh
# tests/programs/wx_count.sh PRELOAD CONFIG NAME -- COMMAND...: a JIT under [wx] enable = on
# prints the same as without libmpk, makes at least 90% fewer flips of code memory to RX with
# mprotect, and makes no mprotect call at all on code memory (wx_code_calls.py: any range made
# executable and not unmapped since). The calls that remain are the program's others, its
# allocator's and garbage collector's, which are not W^X's business; all are counted and shown.
set -u
preload=$1 config=$2 name=$3
shift 4
command -v "$1" >/dev/null 2>&1 || { echo "SKIP: $1 is not installed"; exit 77; }
command -v strace >/dev/null 2>&1 || { echo "SKIP: strace is not installed"; exit 77; }
command -v python3 >/dev/null 2>&1 || { echo "SKIP: python3 is not installed"; exit 77; }
grep -qw ospke /proc/cpuinfo || { echo "SKIP: no PKU here: libmpk passes mprotect through"; exit 77; }
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
"$@" >"$dir/plain.out" 2>&1
LIBMPK_CONFIG="$config" LD_PRELOAD="$preload" "$@" >"$dir/wx.out" 2>&1
cmp -s "$dir/plain.out" "$dir/wx.out" || { echo "$name: output differs under W^X"; diff "$dir/plain.out" "$dir/wx.out" | head; exit 1; }
trace=mprotect,pkey_mprotect,munmap
strace -f -e trace=$trace -o "$dir/plain.st" "$@" >/dev/null 2>&1
LIBMPK_CONFIG="$config" LD_PRELOAD="$preload" strace -f -e trace=$trace -o "$dir/wx.st" "$@" >/dev/null 2>&1
flips() { grep -cE 'mprotect\(.*PROT_READ\|PROT_EXEC\) = 0' "$1"; }
pkeys() { grep -cE ' pkey_mprotect\(' "$1"; }
code_calls=$(dirname "$0")/wx_code_calls.py
p=$(flips "$dir/plain.st") w=$(flips "$dir/wx.st")
set -- $(python3 "$code_calls" "$dir/plain.st") $(python3 "$code_calls" "$dir/wx.st")
[ $# -eq 4 ] || { echo "$name: could not read the traces"; exit 1; }
echo "$name: flips to RX by mprotect: $p without libmpk, $w with W^X"
echo "$name: mprotect calls: $1 without libmpk ($2 on code), $3 with W^X ($4 on code, -$(( (100 * ($1 - $3)) / $1 ))%), plus $(pkeys "$dir/wx.st") pkey_mprotect (conversions)"
[ "$p" -gt 0 ] || { echo "$name: no flips to measure"; exit 1; }
[ $((w * 10)) -le "$p" ] || { echo "$name: fewer than 90% of the flips went"; exit 1; }
[ "$4" -eq 0 ] || { echo "$name: $4 mprotect calls on code memory reached the kernel under W^X"; exit 1; }
echo "PASS $name"
