#!/usr/bin/env bash
# bench/memcached.sh PRELOAD [ROUNDS] [EXECUTE] [CONCURRENCY]: unmodified memcached, plain and
# under LD_PRELOAD=PRELOAD, each round starting a fresh server for each case (order alternating)
# and driving it with memcslap over loopback; prints the usual table and RESULT lines (GET
# throughput and the SET load phase, median/min/max over rounds, preloaded/plain).
set -euo pipefail
preload=${1:?usage: memcached.sh PRELOAD [ROUNDS] [EXECUTE] [CONCURRENCY]}
rounds=${2:-5} execute=${3:-20000} conc=${4:-4}
for p in memcached memcslap; do
  command -v $p >/dev/null || { echo "memcached: SKIP: $p is not installed (bench/run --setup)"; exit 77; }
done
user=()
[ "$(id -u)" -ne 0 ] || user=(-u root) # memcached refuses to run as root without it
dir=$(mktemp -d)
server=
trap '[ -z "$server" ] || kill "$server" 2>/dev/null; rm -rf "$dir"' EXIT

free_port() {
  local p
  while :; do
    p=$((20000 + RANDOM % 20000))
    (exec 3<>/dev/tcp/127.0.0.1/$p) 2>/dev/null || { echo $p; return; }
  done
}

# start_server CASE PORT: memcached in the background, returns once it accepts connections.
start_server() {
  local env=() i
  [ "$1" = plain ] || env=(LD_PRELOAD="$preload")
  env "${env[@]}" memcached -p "$2" -U 0 -t 2 -m 64 "${user[@]}" &
  server=$!
  for i in $(seq 200); do
    (exec 3<>/dev/tcp/127.0.0.1/"$2") 2>/dev/null && return
    sleep 0.05
  done
  echo "memcached: the $1 server did not start" >&2; exit 1
}

# stop_server CASE: a server that is gone already died during the run, which is an error.
stop_server() {
  local status=0
  if ! kill "$server" 2>/dev/null; then
    wait "$server" || status=$?
    echo "memcached: the $1 server exited during the run (status $status)" >&2; exit 1
  fi
  wait "$server" 2>/dev/null || true
  server=
}

# One round of one case: "get_rate set_rate" in requests/s, from memcslap's own timings. Its
# stdout is the data; every complaint goes to stderr, so that it is seen even when the data is
# discarded (the warm-up).
one_run() {
  local port out n=${2:-$execute} status=0
  port=$(free_port)
  start_server "$1" "$port"
  if [ "$1" = preload ] && ! grep -q libmpk "/proc/$server/maps"; then
    echo "memcached: the preload is not in the server" >&2; exit 1
  fi
  out=$(memcslap --servers=127.0.0.1:"$port" --concurrency="$conc" --execute-number="$n" --test=get 2>&1) ||
    status=$?
  stop_server "$1"
  [ $status = 0 ] || { echo "memcached: memcslap failed (status $status, $1 case):" >&2; echo "$out" >&2; exit 1; }
  # A phase too short for memcslap's millisecond clock (0.000 s) has no rate: an error too.
  awk '/Time to set/ && !/threads/ && $(NF-1) > 0 {set = $4 / $(NF-1)}
       /Time to get/ && $(NF-1) > 0 {get = $4 / $(NF-1)}
       END {if (!get || !set) exit 1; printf "%.0f %.0f\n", get, set}' <<<"$out" ||
    { echo "memcached: could not read memcslap's output ($1 case):" >&2; echo "$out" >&2; exit 1; }
}

# Warm-up, discarded: the binaries and libraries into the page cache, loopback set up.
one_run plain 500 >/dev/null
one_run preload 500 >/dev/null
for r in $(seq "$rounds"); do
  order=(plain preload)
  [ $((r % 2)) -eq 1 ] || order=(preload plain)
  for c in "${order[@]}"; do
    one_run "$c" >>"$dir/$c"
  done
done
# Each round's preloaded/plain ratios (the two ran back to back): less hurt by load drift.
paste -d' ' "$dir/plain" "$dir/preload" | awk '{printf "%.4f %.4f\n", $3 / $1, $4 / $2}' >"$dir/paired"

# stats FILE COLUMN: "median min max q1 q3" (the same order statistics as bench.h's)
stats() {
  cut -d' ' -f"$2" "$1" | sort -g |
    awk '{v[NR - 1] = $1} END {n = NR; print v[int(n / 2)], v[0], v[n - 1], v[int(n / 4)], v[int(3 * n / 4)]}'
}

echo
echo "### memcached $(memcached -V | cut -d' ' -f2), -t 2, memcslap --concurrency=$conc --execute-number=$execute over loopback, $rounds rounds"
echo "| what | plain req/s (min-max) | preloaded req/s (min-max) | ratio |"
for col in 1 2; do
  what=$([ $col = 1 ] && echo get || echo set)
  read -r pm pl ph pq1 pq3 <<<"$(stats "$dir/plain" $col)"
  read -r lm ll lh lq1 lq3 <<<"$(stats "$dir/preload" $col)"
  ratio=$(awk -v a="$lm" -v b="$pm" 'BEGIN {printf "%.4f", a / b}')
  echo "| $what | $pm ($pl-$ph) | $lm ($ll-$lh) | ${ratio}x |"
  extra="how=plain op=$what rounds=$rounds"
  echo "RESULT name=memcached.$what.plain label=\"memcached $what, plain\" unit=req/s median=$pm min=$pl max=$ph q1=$pq1 q3=$pq3 n=$rounds baseline=memcached.$what.plain ratio=1 $extra"
  echo "RESULT name=memcached.$what.preload label=\"memcached $what, under the preload\" unit=req/s median=$lm min=$ll max=$lh q1=$lq1 q3=$lq3 n=$rounds baseline=memcached.$what.plain ratio=$ratio ${extra/plain/preload}"
done
read -r gm gl gh gq1 gq3 <<<"$(stats "$dir/paired" 1)"
read -r sm sl sh sq1 sq3 <<<"$(stats "$dir/paired" 2)"
# The paired ratios are what the targets judge: the two cases of a round ran back to back, so a
# change in the machine's load between rounds cancels out.
for what in get set; do
  if [ $what = get ]; then set -- "$gm" "$gl" "$gh" "$gq1" "$gq3"; else set -- "$sm" "$sl" "$sh" "$sq1" "$sq3"; fi
  echo "RESULT name=memcached.$what.paired label=\"memcached $what, preloaded / plain, per round\" unit=x median=$1 min=$2 max=$3 q1=$4 q3=$5 n=$rounds baseline=memcached.$what.paired ratio=1 op=$what rounds=$rounds"
done
echo "| per-round ratio, median (min-max) | get ${gm}x ($gl-$gh) | set ${sm}x ($sl-$sh) | |"
echo "INFO name=memcached text=\"memcached -t 2, not pinned. GET: memcslap's timed phase ($conc client threads); SET: its load phase before it (one thread). Medians of $rounds rounds, each with a fresh server per case, cases alternating. Per-round preloaded/plain ratios: GET median ${gm}x (${gl}-${gh}), SET median ${sm}x (${sl}-${sh}).\""
