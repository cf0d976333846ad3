#!/bin/sh
# tests/docs/check.sh SOURCE_DIR: every man page renders without a warning, and libmpk.conf.5
# names every setting that policy/README.md documents (so the page cannot drift from it).
set -eu
src=$1
fail=0
pages=$(ls "$src"/man/*.[1-8])
[ -n "$pages" ] || { echo "no man pages in $src/man"; exit 1; }
for page in $pages; do
  warnings=$(MANROFFSEQ='' MANWIDTH=80 man --warnings -E UTF-8 -l -Tutf8 "$page" 2>&1 >/dev/null) || {
    echo "$page: man failed"; fail=1; }
  [ -z "$warnings" ] || { echo "$page: warnings:"; echo "$warnings"; fail=1; }
done

# The settings: the first column of every "| key | values | default |" table, and every
# "**`key`**:" paragraph, of policy/README.md.
settings=$(awk '
  /^\| key \| values \| default \|/ { table = 1; next }
  table && /^\| `/ { split($0, c, "`"); print c[2]; next }
  table && !/^\|/ { table = 0 }
  { while (match($0, /\*\*`[a-z_]+`\*\*:/)) { print substr($0, RSTART + 3, RLENGTH - 7); $0 = substr($0, RSTART + RLENGTH) } }
' "$src/policy/README.md" | sort -u)
[ -n "$settings" ] || { echo "no settings found in policy/README.md"; exit 1; }
n=0
for s in $settings; do
  n=$((n + 1))
  grep -q -- "^\.BR* $s " "$src/man/libmpk.conf.5" ||
    { echo "libmpk.conf.5: no entry for the setting '$s' of policy/README.md"; fail=1; }
done
for section in '\[libmpk\]' '\[wx\]' '\[region NAME\]'; do
  grep -q "^\.SH \"$section" "$src/man/libmpk.conf.5" ||
    { echo "libmpk.conf.5: no section $section"; fail=1; }
done
[ $fail -eq 0 ] && echo "$(echo "$pages" | wc -l) pages without warnings; $n settings of policy/README.md in libmpk.conf.5"
exit $fail
