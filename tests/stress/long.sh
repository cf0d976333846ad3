#!/bin/sh
# tests/stress/long.sh: the long stress run, on demand (CI runs stress.short only).
#   tests/stress/long.sh [BUILD_DIR [FIRST_SEED [SEEDS [STRESS ARGS...]]]]
# Runs the stress once per seed (default: seeds 1..10 with 16 threads, 400 shared keys, 64
# global keys and 100,000 operations per thread), natively where the CPU has PKU, otherwise in
# the PKU guest (tests/vm/pku-vm; about 30,000 operations a minute there, all threads together:
# an hour per seed with the defaults).
# A failing seed is printed with the command that replays it; exit status 1 if any failed.
set -u
here=$(cd "$(dirname "$0")" && pwd)
build=$(realpath "${1:-$here/../../build}")
first=${2:-1}
count=${3:-10}
[ $# -gt 3 ] && shift 3 || set --
[ $# -gt 0 ] || set -- -t 16 -k 400 -p 24 -g 64 -n 100000
preload=$build/preload/libmpk_preload.so
stress=$build/tests/stress/stress
[ -x "$stress" ] || { echo "long.sh: no $stress (build first)" >&2; exit 2; }
vm=""
grep -qw pku /proc/cpuinfo && grep -qw ospke /proc/cpuinfo || vm="$here/../vm/pku-vm --tcg single --timeout 36000 --"
failed=0
seed=$first
while [ "$seed" -lt $((first + count)) ]; do
  # shellcheck disable=SC2086
  if ! $vm env LD_PRELOAD="$preload" "$stress" "$@" -s "$seed"; then
    echo "long.sh: seed $seed FAILED; replay: LD_PRELOAD=$preload $stress $* -s $seed" >&2
    failed=1
  fi
  seed=$((seed + 1))
done
exit $failed
