#!/usr/bin/env bash
# tests/meta/run.sh CASE BUILD_DIR: one check of tests/run or .ci/run (see CMakeLists.txt), run from the
# source tree. Exit 0 pass, 1 fail (with what differed), 77 skip.
#   stage_without_tests  a stage whose filters find no test fails, naming the stage
#   configure            tests/run --list reconfigures a build directory that tools/mpk-run
#                        configured without the tests, with other options on top, and one
#                        from another source tree; every stage then has tests
#   quickstart           .ci/run reads exactly the README's two Quick-start commands, the
#                        second being the README's test command, tests/run
set -uo pipefail
root=$PWD
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fails=0
check() { # check DESCRIPTION COMMAND...: COMMAND must succeed
  local what=$1
  shift
  if ! "$@"; then
    echo "FAIL: $what" >&2
    fails=$((fails + 1))
  fi
}
cache_has() { grep -qx "$2" "$1/CMakeCache.txt"; }

case ${1:?usage: run.sh CASE BUILD_DIR} in
  stage_without_tests)
    mkdir "$work/empty"
    out=$(. tests/run-lib.sh && stage_tests guest "$work/empty" -L unit 2>&1)
    st=$?
    check "a stage with no tests fails (status $st)" test $st -ne 0
    check "the message names the stage: $out" grep -q "the guest stage found no tests" <<<"$out"
    # The build this test runs from has tests: the same function counts them.
    out=$(. tests/run-lib.sh && stage_tests native "${2:?the build directory}" 2>&1)
    check "a stage with tests passes: $out" grep -qE "the native stage runs [1-9][0-9]* tests" <<<"$out"
    ;;
  configure)
    b=$work/build
    # As tools/mpk-run leaves it, plus options tests/run must not keep.
    cmake -S "$root" -B "$b" -DMPK_TESTS=OFF -DMPK_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug >/dev/null ||
      { echo "FAIL: could not configure $b" >&2; exit 1; }
    # DIR-sanitize from another source tree (a copied build folder).
    mkdir -p "$b-sanitize"
    printf 'CMAKE_HOME_DIRECTORY:INTERNAL=/nonexistent/libmpk\n' >"$b-sanitize/CMakeCache.txt"
    out=$(tests/run --no-install --list --build "$b" 2>&1)
    st=$?
    if [ $st -eq 2 ] && grep -q "missing packages" <<<"$out"; then
      echo "SKIP: $out"
      exit 77
    fi
    check "tests/run --list succeeds (status $st): $out" test $st -eq 0
    for stage in native sanitizers; do
      check "the $stage stage has tests" grep -qE "the $stage stage runs [1-9][0-9]* tests" <<<"$out"
    done
    check "the PKU stage has tests" grep -qE "the (guest|no-PKU path) stage runs [1-9][0-9]* tests" <<<"$out"
    check "$b: MPK_TESTS on" cache_has "$b" 'MPK_TESTS:BOOL=ON'
    check "$b: MPK_SANITIZE back to off" cache_has "$b" 'MPK_SANITIZE:BOOL=OFF'
    check "$b: MPK_WERROR on" cache_has "$b" 'MPK_WERROR:BOOL=ON'
    check "$b: RelWithDebInfo" cache_has "$b" 'CMAKE_BUILD_TYPE:STRING=RelWithDebInfo'
    check "$b-sanitize: reconfigured from this tree" cache_has "$b-sanitize" "CMAKE_HOME_DIRECTORY:INTERNAL=$root"
    check "$b-sanitize: MPK_SANITIZE on" cache_has "$b-sanitize" 'MPK_SANITIZE:BOOL=ON'
    check "$b-fuzz: MPK_FUZZ on" cache_has "$b-fuzz" 'MPK_FUZZ:BOOL=ON'
    check "$b-fuzz: MPK_TESTS on (the fuzz targets live in tests/)" cache_has "$b-fuzz" 'MPK_TESTS:BOOL=ON'
    ;;
  quickstart)
    out=$(.ci/run --print)
    check ".ci/run --print succeeds" test $? -eq 0
    mapfile -t cmds <<<"$out"
    check "two commands, not ${#cmds[@]}: $out" test ${#cmds[@]} -eq 2
    check "the second is tests/run: ${cmds[1]:-}" test "${cmds[1]:-}" = tests/run
    check "the first shows keys at work: ${cmds[0]}" test "${cmds[0]%% *}" = examples/run
    # Each command .ci/run found is in the README's Quick start block, as written.
    block=$(sed -n '/^## Quick start/,/^## /p' README.md)
    for c in "${cmds[@]}"; do
      check "in README.md's Quick start: $c" grep -qxF -- "$c" <<<"$block"
    done
    # A README whose block lost its test command is refused, not half-run.
    mkdir -p "$work/tree/.ci"
    cp .ci/run "$work/tree/.ci/run"
    sed '/^tests\/run$/d' README.md >"$work/tree/README.md"
    "$work/tree/.ci/run" --print >/dev/null 2>&1
    check "a Quick start without tests/run is refused" test $? -ne 0
    ;;
  *) echo "run.sh: unknown case $1" >&2; exit 2 ;;
esac
[ $fails -eq 0 ] && echo "PASS $1" || echo "FAIL $1: $fails checks"
[ $fails -eq 0 ]
