#!/bin/sh
# tests/policy/check_symbols.sh OBJECT...: fail if the policy objects need any libc function
# outside the list below (the parser must not allocate, use stdio or consult the locale).
allowed='__errno_location __libc_current_sigrtmax __libc_current_sigrtmin __stack_chk_fail
close fstat fstat64 __fxstat __fxstat64 memchr memcmp memcpy memmove memset open open64 read
strchr strcmp strlen strncmp strnlen'
[ $# -gt 0 ] || { echo "usage: $0 OBJECT..." >&2; exit 2; }
for f in "$@"; do [ -f "$f" ] || { echo "missing object $f (build mpk_policy first)" >&2; exit 2; }; done
defined=$(nm --defined-only "$@" | awk 'NF == 3 { print $3 }' | sort -u)
needed=$(nm --undefined-only "$@" | awk 'NF == 2 { print $2 }' | sort -u)
bad=0
for sym in $needed; do
  echo "$defined" | grep -qx "$sym" && continue
  echo " $allowed " | tr '\n' ' ' | grep -q " $sym " && continue
  echo "policy/ calls $sym, which the preload's constructor cannot afford" >&2
  bad=1
done
[ $bad -eq 0 ] && echo "policy/ needs only: $(echo "$needed" | while read -r s; do echo "$defined" | grep -qx "$s" || printf '%s ' "$s"; done)"
exit $bad
