#!/bin/sh
# tests/integration/bad_config.sh PRELOAD: a bad config stops a program before main, naming
# the file, line and column; so does a bad LIBMPK_OPTIONS; a good one lets it run. Needs no PKU.
set -u
preload=$1
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
fail=0

printf '[libmpk]\nmode = audit\nthis line is nonsense\n' > "$dir/bad.conf"
out=$(LIBMPK_CONFIG="$dir/bad.conf" LD_PRELOAD="$preload" /bin/echo started 2>&1); rc=$?
case "$out" in
*"libmpk: error: $dir/bad.conf:3:"*) ;;
*) echo "bad config: no error naming line 3: $out"; fail=1 ;;
esac
[ $rc -ne 0 ] || { echo "bad config: exit status 0"; fail=1; }
case "$out" in *started*) echo "bad config: the program ran"; fail=1 ;; esac

out=$(LIBMPK_OPTIONS="mode=audt" LD_PRELOAD="$preload" /bin/true 2>&1); rc=$?
case "$out" in
*"LIBMPK_OPTIONS:1:6:"*"did you mean 'audit'"*) ;;
*) echo "bad LIBMPK_OPTIONS: $out"; fail=1 ;;
esac
[ $rc -ne 0 ] || { echo "bad LIBMPK_OPTIONS: exit status 0"; fail=1; }

out=$(LIBMPK_CONFIG="$dir/missing.conf" LD_PRELOAD="$preload" /bin/true 2>&1); rc=$?
case "$out" in *"missing.conf"*) ;; *) echo "missing file: $out"; fail=1 ;; esac
[ $rc -ne 0 ] || { echo "missing file: exit status 0"; fail=1; }

printf '[libmpk]\nmode = off\n' > "$dir/off.conf"
out=$(LIBMPK_CONFIG="$dir/off.conf" LD_PRELOAD="$preload" /bin/echo ok 2>&1); rc=$?
[ "$out" = ok ] && [ $rc -eq 0 ] || { echo "good config: rc $rc: $out"; fail=1; }

[ $fail -eq 0 ] && echo "PASS bad_config"
exit $fail
