#!/bin/sh
# tests/programs/compare.sh PRELOAD NAME [--status-only] -- COMMAND...: run a real, unmodified
# program with and without libmpk preloaded (LIBMPK_OPTIONS and LIBMPK_CONFIG pass through)
# and require the same exit status and the same output. --status-only compares exit status
# and the last line only (for programs whose output has timings in it). Exit 77 when the
# program is not installed.
set -u
preload=$1 name=$2
shift 2
mode=full
if [ "$1" = --status-only ]; then mode=status; shift; fi
[ "$1" = -- ] && shift
command -v "$1" >/dev/null 2>&1 || { echo "SKIP: $1 is not installed"; exit 77; }
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
"$@" >"$dir/plain.out" 2>"$dir/plain.err"; plain=$?
LD_PRELOAD="$preload" "$@" >"$dir/mpk.out" 2>"$dir/mpk.err"; mpk=$?
fail=0
if [ $plain -ne $mpk ]; then
    echo "$name: exit status $mpk under libmpk, $plain without"; fail=1
fi
if [ $mode = full ]; then
    cmp -s "$dir/plain.out" "$dir/mpk.out" || { echo "$name: output differs:"; diff "$dir/plain.out" "$dir/mpk.out" | head -20; fail=1; }
else
    [ "$(tail -n1 "$dir/plain.out")" = "$(tail -n1 "$dir/mpk.out")" ] || { echo "$name: last line differs"; fail=1; }
fi
if grep -q 'libmpk: error' "$dir/mpk.err"; then echo "$name: libmpk reported an error:"; cat "$dir/mpk.err"; fail=1; fi
if [ $fail -ne 0 ]; then echo "--- stderr under libmpk"; tail -20 "$dir/mpk.err"; exit 1; fi
echo "PASS $name: same output ($(wc -l <"$dir/plain.out") lines), status $plain"
