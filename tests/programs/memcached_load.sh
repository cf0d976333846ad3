#!/bin/sh
# tests/programs/memcached_load.sh: memcached (4 worker threads) on a unix socket of its own
# (no port to collide with another server on the machine), driven by
# memcslap (4 client threads: sets, then gets), then a value stored and read back and the
# server's own counters. Prints only what must not change from run to run (the counters, the
# value read back, errors seen); timings go to stderr with a throughput floor. Run it plainly
# and under the preload or mpk-run (tests/programs: both memcached and memcslap then run under
# libmpk). Exit 77 when memcached or memcslap is missing.
#   memcached_load.sh [OPERATIONS_PER_CLIENT_THREAD] (default 2000)
set -u
ops=${1:-2000}
for p in memcached memcslap memcstat memccp memccat; do
  command -v $p >/dev/null 2>&1 || { echo "SKIP: $p is not installed"; exit 77; }
done
dir=$(mktemp -d)
user=""
[ "$(id -u)" -eq 0 ] && user="-u root"
# shellcheck disable=SC2086
memcached -s "$dir/socket" -t 4 -m 64 $user 2>"$dir/server.err" &
server=$!
trap 'kill $server 2>/dev/null; wait $server 2>/dev/null; rm -rf "$dir"' EXIT
s="--servers=$dir/socket"
i=0
until memcstat "$s" >/dev/null 2>&1; do i=$((i + 1)); [ $i -lt 600 ] || { echo "memcached did not start"; cat "$dir/server.err"; exit 1; }; sleep 0.1; done 2>/dev/null
start=$(date +%s.%N)
memcslap "$s" --concurrency=4 --execute-number="$ops" --test=set >"$dir/set.out" 2>"$dir/set.err"; st1=$?
memcslap "$s" --concurrency=4 --execute-number="$ops" --test=get >"$dir/get.out" 2>"$dir/get.err"; st2=$?
end=$(date +%s.%N)
printf 'the value of libmpk\n%.0s' 1 2 3 >"$dir/value"
(cd "$dir" && memccp "$s" value) && memccat "$s" value >"$dir/back"
echo "memcslap status: set $st1, get $st2"
echo "memcslap errors: $(cat "$dir/set.err" "$dir/get.err" | grep -c 'error\|FAIL')"
# (memccat adds a newline of its own: compare without trailing newlines)
echo "value read back: $([ "$(cat "$dir/value")" = "$(cat "$dir/back")" ] && echo same || echo DIFFERENT)"
# The server's counters: as many sets and gets as were sent (memcslap's plus ours).
memcstat "$s" | awk '$1 ~ /^(cmd_set|cmd_get|curr_items|threads):?$/ { print $1, $2 }' | sort
total=$((4 * ops * 2))
awk -v t="$total" -v a="$start" -v b="$end" 'BEGIN {
  s = b - a; printf "memcached_load: %d operations in %.2f s (%.0f/s)\n", t, s, t / s > "/dev/stderr"
  if (t / s < 50) { print "memcached_load: throughput below 50 operations/s" > "/dev/stderr"; exit 1 } }'
