/* policy/glob.h: shell-style wildcard matching for region file paths and thread names, written
 * here because fnmatch(3) may consult the locale and allocate, which the preload cannot afford. */
#ifndef MPK_POLICY_GLOB_H
#define MPK_POLICY_GLOB_H

#include <stdbool.h>
#include <stddef.h>

/* Does the whole of s match pattern? Bytes, not characters:
 *   *        any run of bytes, including '/' (so "*libc.so*" matches "/usr/lib/libc.so.6")
 *   ?        any one byte
 *   [abc]    one of the listed bytes; [a-z] a range; [!x] or [^x] any byte but those listed;
 *            a ']' first in the list and a '-' first or last are literal
 *   \c       the byte c itself (also inside [...])
 * An unterminated '[' matches a literal '[' and a trailing '\' a literal '\' (the config parser
 * refuses both, see mpk_glob_check). Linear space, O(len(pattern) * len(s)) time at worst. */
bool mpk_glob_match(const char *pattern, const char *s);

/* 0 when pattern[0..len) is a well-formed glob; else EINVAL with *bad the offset of the
 * offending byte and *why a short English reason. */
int mpk_glob_check(const char *pattern, size_t len, size_t *bad, const char **why);

#endif
