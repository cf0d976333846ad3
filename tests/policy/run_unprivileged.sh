#!/bin/sh
# tests/policy/run_unprivileged.sh TEST [ARGS...]: run a test binary as user nobody, because
# root reads mode-000 files and so never reaches the "permission denied" error path.
# Exits 77 (skipped) when that is impossible: not root, no setpriv, or nobody cannot run it.
[ "$(id -u)" = 0 ] || exit 77
command -v setpriv >/dev/null 2>&1 || exit 77
setpriv --reuid=65534 --regid=65534 --clear-groups test -x "$1" || exit 77
exec setpriv --reuid=65534 --regid=65534 --clear-groups "$@"
