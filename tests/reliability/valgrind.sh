#!/bin/sh
# tests/reliability/valgrind.sh: memcheck over what can run under valgrind (what tests/run's
# valgrind stage does). Valgrind's synthetic CPU has no PKU (it neither reports nor emulates
# PKRU), so under it the preload always takes its no-PKU path, as on a machine without keys:
# start-up, the config parser and the audit log set-up, the interposed mmap/mprotect/munmap,
# pthread_create, fork, sigaction and signal masks, and the pkey calls failing as the kernel
# makes them fail. Also the auditor, whose ELF scanner reads untrusted files.
#   tests/reliability/valgrind.sh BUILD_DIR
# Fails on any memcheck error (invalid access, uninitialised value used, bad free), on a
# definite leak in our own programs, or on an unexpected exit status.
set -u
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
build=$(realpath "${1:?usage: valgrind.sh BUILD_DIR}")
preload=$build/preload/libmpk_preload.so
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
command -v valgrind >/dev/null || { echo "valgrind.sh: no valgrind" >&2; exit 2; }
# Its programs come from a build with the test suite; without them it would test nothing.
for f in "$preload" "$build/tests/integration/it_no_pku" "$build/tools/mpk-audit"; do
  [ -f "$f" ] || { echo "valgrind.sh: the valgrind stage has nothing to run: no $f (build $build with -DMPK_TESTS=ON)" >&2; exit 2; }
done
fails=0
runs=0

# vg NAME EXPECTED_STATUS LEAKS(full|no) CMD...: one run under memcheck.
vg() {
  name=$1 expect=$2 leaks=$3
  shift 3
  runs=$((runs + 1))
  valgrind -q --error-exitcode=99 --leak-check="$leaks" --errors-for-leak-kinds=definite \
    --show-leak-kinds=definite --track-origins=yes --log-file="$work/$name.vg" "$@" \
    >"$work/$name.out" 2>"$work/$name.err" </dev/null
  st=$?
  if [ "$st" = 99 ] || [ -s "$work/$name.vg" ] || { [ "$expect" != any ] && [ "$st" != "$expect" ]; }; then
    fails=$((fails + 1))
    echo "valgrind: $name FAILED (status $st, expected $expect)" >&2
    cat "$work/$name.vg" >&2
    tail -5 "$work/$name.err" >&2
  else
    echo "valgrind: $name: clean (status $st)"
  fi
}

P="LD_PRELOAD=$preload"
vg it_no_pku 0 full env "$P" "$build/tests/integration/it_no_pku"
vg it_no_pku.config 0 full env "$P" LIBMPK_CONFIG="$src/tests/fuzz/corpus/fuzz_config/full.conf" \
  LIBMPK_OPTIONS="log=$work/audit.log" "$build/tests/integration/it_no_pku"
vg bad_config any full env "$P" LIBMPK_CONFIG="$src/tests/fuzz/corpus/fuzz_config/bad_values.conf" /bin/true
vg bash 0 no env "$P" bash -c 'for i in 1 2 3; do echo $i; done | sort -r'
vg python3 0 no env "$P" python3 "$src/tests/programs/workload.py"
vg mpk-audit.deps any full "$build/tools/mpk-audit" -d /bin/bash
for f in "$src"/tests/fuzz/corpus/fuzz_elf/*; do
  vg "mpk-audit.$(basename "$f")" any full "$build/tools/mpk-audit" -j "$f"
done
echo "valgrind: $runs runs, $fails failed"
[ $fails -eq 0 ]
