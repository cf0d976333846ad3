#!/bin/sh
# tests/audit/expect.sh: runs a command and checks its exit status and output, for ctest.
# Usage: expect.sh STATUS [--no-stdout] [--not REGEX]... [REGEX]... -- COMMAND [ARG]...
# Every REGEX (grep -E) must match stdout+stderr, no --not REGEX may; --no-stdout wants it empty.
set -u
want_status=$1
shift
no_stdout=0
musts=$(mktemp)
nots=$(mktemp)
out=$(mktemp)
err=$(mktemp)
trap 'rm -f "$musts" "$nots" "$out" "$err"' EXIT
while [ $# -gt 0 ] && [ "$1" != "--" ]; do
    case $1 in
    --no-stdout) no_stdout=1 ;;
    --not) shift; printf '%s\n' "$1" >>"$nots" ;;
    *) printf '%s\n' "$1" >>"$musts" ;;
    esac
    shift
done
[ $# -gt 0 ] && shift
"$@" >"$out" 2>"$err"
status=$?
fail=0
if [ "$status" -ne "$want_status" ]; then
    echo "FAIL: exit status $status, expected $want_status"
    fail=1
fi
while IFS= read -r re; do
    if ! cat "$out" "$err" | grep -Eq -- "$re"; then
        echo "FAIL: no line matches: $re"
        fail=1
    fi
done <"$musts"
while IFS= read -r re; do
    if cat "$out" "$err" | grep -Eq -- "$re"; then
        echo "FAIL: a line matches what must not appear: $re"
        fail=1
    fi
done <"$nots"
if [ "$no_stdout" -eq 1 ] && [ -s "$out" ]; then
    echo "FAIL: stdout is not empty"
    fail=1
fi
echo "--- command: $*"
echo "--- stdout:"
cat "$out"
echo "--- stderr:"
cat "$err"
[ "$fail" -eq 0 ] && echo PASS
exit "$fail"
