/* tests/unit/test_report.c: the signal-safe formatter every message of the library goes through. */
#include "core/report.h"

#include <criterion/criterion.h>
#include <limits.h>
#include <string.h>

Test(format, conversions)
{
    char buf[128];
    cr_assert_eq(_mpk_format(buf, sizeof buf, "a%sb", "xy"), 4);
    cr_assert_str_eq(buf, "axyb");
    _mpk_format(buf, sizeof buf, "%d %d %u %x", -42, INT_MIN, 4000000000u, 0xbeefu);
    cr_assert_str_eq(buf, "-42 -2147483648 4000000000 beef");
    _mpk_format(buf, sizeof buf, "%p %zu %ld %%", (void *)0x1000, (size_t)7, -9L);
    cr_assert_str_eq(buf, "0x1000 7 -9 %");
    {
        const char *volatile none = NULL; /* the formatter must cope, as it runs in handlers */
        _mpk_format(buf, sizeof buf, "%s", none);
        cr_assert_str_eq(buf, "(null)");
    }
}

Test(format, truncates_and_terminates)
{
    char buf[8];
    memset(buf, 'z', sizeof buf);
    cr_assert_eq(_mpk_format(buf, sizeof buf, "0123456789"), 7);
    cr_assert_str_eq(buf, "0123456");
    cr_assert_eq(_mpk_format(buf, 1, "abc"), 0);
    cr_assert_str_eq(buf, "");
}
