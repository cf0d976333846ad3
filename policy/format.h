/* policy/format.h: the one printf subset of the library, safe in signal handlers and in the
 * preload's constructor (no allocation, no locale, no stdio). */
#ifndef MPK_POLICY_FORMAT_H
#define MPK_POLICY_FORMAT_H

#include <stdarg.h>
#include <stddef.h>

/* Format into buf, truncated to n - 1 bytes and NUL-terminated when n > 0. Conversions: %s
 * (and %.*s), %c, %d %u %x with the l, ll and z modifiers, %p, %%; anything else is written as
 * "%?". Returns the length the whole output would have, as vsnprintf does. */
size_t _mpk_vformat(char *buf, size_t n, const char *fmt, va_list ap);
size_t _mpk_format(char *buf, size_t n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* The bytes _mpk_format(buf, n, ...) actually left in buf for a returned length len. */
static inline size_t _mpk_format_kept(size_t len, size_t n) { return len < n ? len : n ? n - 1 : 0; }

#endif
