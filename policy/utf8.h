/* policy/utf8.h: the one UTF-8 check of the library (config text, audit log JSON, mpk-audit's
 * JSON). Async-signal-safe: no allocation, no locale. */
#ifndef MPK_POLICY_UTF8_H
#define MPK_POLICY_UTF8_H

#include <stddef.h>

/* Length (1 to 4) of the valid UTF-8 sequence that starts s[0..n), or 0 when there is none
 * (n == 0, a stray continuation byte, an overlong form, a surrogate, a code point above
 * U+10FFFF, a sequence cut short by n). Strict RFC 3629; an ASCII byte, NUL included, is 1. */
size_t _mpk_utf8_length(const unsigned char *s, size_t n);

#endif
