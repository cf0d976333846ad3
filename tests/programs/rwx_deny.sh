#!/bin/sh
# tests/programs/rwx_deny.sh PRELOAD CONFIG: grep -P (PCRE2, whose JIT asks for memory both
# writable and executable) under [wx] rwx = deny finds the same matches as without libmpk,
# and the audit log shows that its RWX request was refused (so the interpreter did the work).
set -u
preload=$1 config=$2
command -v grep >/dev/null 2>&1 || { echo "SKIP: no grep"; exit 77; }
grep -qw ospke /proc/cpuinfo || { echo "SKIP: no PKU here: libmpk passes mmap through"; exit 77; }
echo x | grep -P 'x' >/dev/null 2>&1 || { echo "SKIP: this grep has no -P"; exit 77; }
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
i=0
while [ $i -lt 4000 ]; do
  if [ $((i % 2)) -eq 0 ]; then echo "id=$i user$i@example.org ok"; else echo "id=$i nobody"; fi
  i=$((i + 1))
done >"$dir/in.txt"
pattern='^id=\d+ (\w+)@(?:example)\.org\s+ok$'
plain=$(grep -cP "$pattern" "$dir/in.txt")
denied=$(LIBMPK_CONFIG="$config" LIBMPK_OPTIONS="mode=audit:log_format=json:log=$dir/audit.json" \
         LD_PRELOAD="$preload" grep -cP "$pattern" "$dir/in.txt")
status=$?
refused=$(grep -c '"event":"wx".*refused (rwx = deny)' "$dir/audit.json" 2>/dev/null || true)
echo "grep -P: $plain matches without libmpk, $denied under rwx = deny (status $status); RWX requests refused: $refused"
[ "$plain" = 2000 ] || { echo "FAIL: expected 2000 matches without libmpk"; exit 1; }
[ "$denied" = "$plain" ] && [ "$status" = 0 ] || { echo "FAIL: different matches under rwx = deny"; exit 1; }
[ "${refused:-0}" -ge 1 ] || { echo "FAIL: no RWX request was refused (did PCRE2 use its JIT?)"; exit 1; }
echo "PASS grep-rwx-deny"
