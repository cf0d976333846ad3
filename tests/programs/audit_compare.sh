#!/bin/sh
# tests/programs/audit_compare.sh BUILD NAME [--status-only] -- COMMAND...: run a real, unmodified
# program plainly and under `tools/mpk-run --audit --log` (with the library of BUILD), and
# require the same exit status and output; the audit log must be one mpk-report can read, and
# hold no `error` record (libmpk's own trouble). --status-only compares the status and the last
# line only. Exit 77 when the program is not installed.
set -u
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
build=$1 name=$2
shift 2
mode=full
if [ "$1" = --status-only ]; then mode=status; shift; fi
[ "$1" = -- ] && shift
command -v "$1" >/dev/null 2>&1 || { echo "SKIP: $1 is not installed"; exit 77; }
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
unset LIBMPK_OPTIONS LIBMPK_CONFIG
"$@" >"$dir/plain.out" 2>"$dir/plain.err"; plain=$?
MPK_BUILD=$build "$root/tools/mpk-run" --no-build --audit --log "$dir/audit.log" -- "$@" \
    >"$dir/mpk.out" 2>"$dir/mpk.err"; mpk=$?
fail=0
if [ $plain -ne $mpk ]; then
    echo "$name: exit status $mpk under mpk-run --audit, $plain without"; fail=1
fi
if [ $mode = full ]; then
    cmp -s "$dir/plain.out" "$dir/mpk.out" || { echo "$name: output differs:"; diff "$dir/plain.out" "$dir/mpk.out" | head -20; fail=1; }
else
    [ "$(tail -n1 "$dir/plain.out")" = "$(tail -n1 "$dir/mpk.out")" ] || { echo "$name: last line differs"; fail=1; }
fi
summary=$(grep '^mpk-run: audit log' "$dir/mpk.err")
[ -n "$summary" ] || { echo "$name: no audit summary from mpk-run"; fail=1; }
python3 "$root/tools/mpk-report" --no-addr2line "$dir/audit.log" >"$dir/report.out" 2>&1 ||
    { echo "$name: mpk-report cannot read the log:"; head -5 "$dir/report.out"; fail=1; }
if grep -q '"event":"error"\| error msg=' "$dir/audit.log"; then
    echo "$name: libmpk reported an error:"; grep '"event":"error"\| error msg=' "$dir/audit.log" | head -5; fail=1
fi
if [ $fail -ne 0 ]; then echo "--- stderr under mpk-run"; tail -20 "$dir/mpk.err"; exit 1; fi
echo "PASS $name: same output ($(wc -l <"$dir/plain.out") lines), status $plain; ${summary#mpk-run: }"
