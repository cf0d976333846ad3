#!/bin/sh
# tests/policy/check_audit_symbols.sh OBJECT...: fail if the audit log's objects need a libc
# function outside the list below. Records are written from signal handlers and with libmpk's
# lock held: no malloc, no stdio, no gmtime/localtime, no dladdr (the loader's lock).
# Normal context only (start-up, after dlopen): dl_iterate_phdr, dlsym, dlerror.
allowed='__errno_location __stack_chk_fail clock_gettime memchr memcmp memcpy memmove memset
strcmp strlen strncmp strncpy strnlen strrchr dl_iterate_phdr dlsym dlerror
_GLOBAL_OFFSET_TABLE_'
[ $# -gt 0 ] || { echo "usage: $0 OBJECT..." >&2; exit 2; }
for f in "$@"; do [ -f "$f" ] || { echo "missing object $f (build mpk_audit first)" >&2; exit 2; }; done
defined=$(nm --defined-only "$@" | awk 'NF == 3 { print $3 }' | sort -u)
needed=$(nm --undefined-only "$@" | awk 'NF == 2 { print $2 }' | sort -u)
bad=0
for sym in $needed; do
  echo "$defined" | grep -qx "$sym" && continue
  case "$sym" in _mpk_*) continue ;; esac # core's signal-safe formatter and report path
  echo " $allowed " | tr '\n' ' ' | grep -q " $sym " && continue
  echo "policy/audit*.c calls $sym, which a signal handler cannot afford" >&2
  bad=1
done
[ $bad -eq 0 ] && echo "policy/audit*.c needs only allowed functions"
exit $bad
