# tests/run-lib.sh: the functions tests/run uses to put its build directories in the state its
# stages need and to refuse a stage that would run no test; sourced by tests/run and by its own
# test (tests/meta/run.sh). Needs $root, the source tree.

# configure DIR [CMAKE ARGS...]: DIR configured for this run whatever it held before. Every
# MPK_* option not given here goes back to its default (-U), so no earlier choice survives; a
# cache made from another source tree cannot be reused at all.
configure() {
  local dir=$1 home
  shift
  home=$(sed -n 's/^CMAKE_HOME_DIRECTORY:INTERNAL=//p' "$dir/CMakeCache.txt" 2>/dev/null || true)
  if [ -n "$home" ] && [ "$(realpath -m "$home")" != "$(realpath "$root")" ]; then
    echo "tests/run: $dir was configured from another source tree: configuring it afresh"
    rm -rf "$dir/CMakeCache.txt" "$dir/CMakeFiles"
  fi
  cmake -S "$root" -B "$dir" -U 'MPK_*' -DMPK_TESTS=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@" >/dev/null
}

# stage_tests STAGE DIR [CTEST FILTERS...]: how many tests the stage will run; none is a failure.
stage_tests() {
  local stage=$1 dir=$2 n
  shift 2
  n=$(ctest --test-dir "$dir" -N "$@" 2>/dev/null | sed -n 's/^Total Tests: \([0-9]*\)$/\1/p')
  if [ "${n:-0}" -eq 0 ]; then
    echo "tests/run: the $stage stage found no tests in $dir (ctest $*)" >&2
    exit 1
  fi
  echo "tests/run: the $stage stage runs $n tests"
}
