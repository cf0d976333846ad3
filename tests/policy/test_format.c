/* tests/policy/test_format.c: the one printf subset (policy/format.c) that core's reports, the
 * config parser's messages and the audit log all format with. */
#include "policy/format.h"

#include <criterion/criterion.h>
#include <limits.h>
#include <stdint.h>
#include <string.h>

/* Formats into a fresh buffer and checks both the text and the length returned. */
#define EXPECT_FORMAT(want, ...)                                                                   \
    do {                                                                                           \
        char b_[128];                                                                              \
        memset(b_, 'z', sizeof b_);                                                                \
        size_t n_ = _mpk_format(b_, sizeof b_, __VA_ARGS__);                                       \
        cr_expect_str_eq(b_, want);                                                                \
        cr_expect_eq(n_, strlen(want), "length of \"%s\"", want);                                  \
    } while (0)

Test(format, strings_and_characters)
{
    const char *volatile none = NULL; /* handlers report what they have: no fault on NULL */
    EXPECT_FORMAT("axyb", "a%sb", "xy");
    EXPECT_FORMAT("", "%s", "");
    EXPECT_FORMAT("(null)", "%s", none);
    EXPECT_FORMAT("ab|", "%.*s|", 2, "abcdef");
    EXPECT_FORMAT("abc|", "%.*s|", 10, "abc");
    EXPECT_FORMAT("[q]", "[%c]", 'q');
    EXPECT_FORMAT("100%", "100%%");
    EXPECT_FORMAT("no conversions", "no conversions");
}

Test(format, signed_numbers)
{
    EXPECT_FORMAT("0 -42 2147483647 -2147483648", "%d %d %d %d", 0, -42, INT_MAX, INT_MIN);
    EXPECT_FORMAT("-9 9223372036854775807", "%ld %ld", -9L, LONG_MAX);
    EXPECT_FORMAT("-9223372036854775808", "%ld", LONG_MIN);
    EXPECT_FORMAT("-9223372036854775808", "%lld", LLONG_MIN);
    EXPECT_FORMAT("-3", "%zd", (ssize_t)-3);
}

Test(format, unsigned_numbers)
{
    EXPECT_FORMAT("0 4000000000 beef", "%u %u %x", 0u, 4000000000u, 0xbeefu);
    EXPECT_FORMAT("18446744073709551615", "%lu", ULONG_MAX);
    EXPECT_FORMAT("ffffffffffffffff", "%lx", ULONG_MAX);
    EXPECT_FORMAT("18446744073709551615", "%llu", ULLONG_MAX);
    EXPECT_FORMAT("7 0", "%zu %zu", (size_t)7, (size_t)0);
    EXPECT_FORMAT("ff", "%zx", (size_t)255);
}

Test(format, pointers)
{
    EXPECT_FORMAT("0x1000", "%p", (void *)0x1000);
    EXPECT_FORMAT("0x0", "%p", (void *)0);
    EXPECT_FORMAT("0x7fffffffffff", "%p", (void *)(uintptr_t)0x7fffffffffffull);
}

Test(format, truncates_terminates_and_counts)
{
    char b[8];
    memset(b, 'z', sizeof b);
    cr_expect_eq(_mpk_format(b, sizeof b, "0123456789"), 10, "the whole length, as snprintf");
    cr_expect_str_eq(b, "0123456");
    cr_expect_eq(_mpk_format_kept(10, sizeof b), 7);
    cr_expect_eq(_mpk_format(b, sizeof b, "%s-%d", "abcde", 12345), 11);
    cr_expect_str_eq(b, "abcde-1", "cut inside a number too");
    memset(b, 'z', sizeof b);
    cr_expect_eq(_mpk_format(b, 1, "abc"), 3);
    cr_expect_eq(b[0], '\0');
    cr_expect_eq(b[1], 'z', "nothing written past n");
    cr_expect_eq(_mpk_format(b, 0, "abc"), 3, "n = 0 writes nothing at all");
    cr_expect_eq(b[0], '\0');
    cr_expect_eq(_mpk_format_kept(3, 0), 0);
    cr_expect_eq(_mpk_format_kept(3, 4), 3);
}

/* The va_list form serves callers with their own variadic functions (the config's errors). */
static size_t wrapped(char *b, size_t n, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    size_t len = _mpk_vformat(b, n, fmt, ap);
    va_end(ap);
    return len;
}

Test(format, va_list_form)
{
    char b[32];
    cr_expect_eq(wrapped(b, sizeof b, "%s=%u", "k", 5u), 3);
    cr_expect_str_eq(b, "k=5");
}

Test(format, unsupported_conversions_show)
{
    char b[32];
    /* Not part of the subset: written as %? and no argument taken, so nothing is misread. (Through
     * wrapped(), which the compiler does not check, as these formats are wrong on purpose.) */
    cr_expect_eq(wrapped(b, sizeof b, "a%qb"), 4);
    cr_expect_str_eq(b, "a%?b");
    wrapped(b, sizeof b, "end%");
    cr_expect_str_eq(b, "end%?");
}
