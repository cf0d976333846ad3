#!/bin/sh
# tests/fuzz/run.sh: run every fuzz_* target of a -DMPK_FUZZ=ON build for a while, each on a
# copy of its seed corpus (the repository's stays as it is), and fail on the first crash, leak,
# sanitizer report or timeout. What tests/run's fuzz stage does; longer runs on demand:
#   tests/fuzz/run.sh BUILD_DIR [SECONDS_PER_TARGET] [TARGET...]
# A crashing input is kept as BUILD_DIR/fuzz-work/TARGET/crash-* and printed for replay
# (BUILD_DIR/tests/fuzz/TARGET FILE). Prints each target's executions ("Done N runs").
set -u
here=$(cd "$(dirname "$0")" && pwd)
build=$(realpath "${1:?usage: run.sh BUILD_DIR [SECONDS] [TARGET...]}")
secs=${2:-30}
[ $# -gt 2 ] && shift 2 || set -- fuzz_config fuzz_ranges fuzz_elf
status=0
for t in "$@"; do
  bin=$build/tests/fuzz/$t
  work=$build/fuzz-work/$t
  [ -x "$bin" ] || { echo "fuzz: no $bin (configure with -DCMAKE_C_COMPILER=clang -DMPK_FUZZ=ON)" >&2; exit 2; }
  rm -rf "$work" && mkdir -p "$work/corpus"
  cp "$here/corpus/$t/"* "$work/corpus/"
  # -timeout: one input taking this long is a hang; -rss_limit_mb: a leak or blow-up fails.
  if "$bin" -max_total_time="$secs" -timeout=20 -rss_limit_mb=2048 -print_final_stats=1 \
       -artifact_prefix="$work/" "$work/corpus" >"$work/log" 2>&1; then
    runs=$(grep -o 'Done [0-9]* runs in [0-9]* second' "$work/log" | tail -1)
    echo "fuzz: $t: ${runs:-no summary} (corpus $(ls "$work/corpus" | wc -l) inputs)"
  else
    status=1
    echo "fuzz: $t FAILED:" >&2
    grep -E 'ERROR|SUMMARY|Test unit written|runtime error' "$work/log" | head -20 >&2
    for c in "$work"/crash-* "$work"/leak-* "$work"/timeout-* "$work"/oom-*; do
      [ -e "$c" ] && echo "fuzz: replay: $bin $c" >&2
    done
  fi
done
exit $status
