/* tests/policy/test_utf8.c: the one UTF-8 check (policy/utf8.c) behind config text, the audit
 * log's JSON and mpk-audit's JSON: strict RFC 3629, byte by byte at the edges. */
#include "policy/utf8.h"

#include <criterion/criterion.h>
#include <string.h>

/* The length of the sequence at the start of the byte string lit (its own size, no NUL). */
#define LEN(lit) _mpk_utf8_length((const unsigned char *)(lit), sizeof(lit) - 1)

Test(utf8, ascii_is_one_byte)
{
    cr_expect_eq(LEN("a"), 1);
    cr_expect_eq(LEN("\x7f"), 1);
    cr_expect_eq(_mpk_utf8_length((const unsigned char *)"", 1), 1, "NUL is ASCII");
    cr_expect_eq(_mpk_utf8_length((const unsigned char *)"a", 0), 0, "nothing to read");
}

Test(utf8, valid_sequences_at_each_length_and_edge)
{
    cr_expect_eq(LEN("\xc2\x80"), 2);         /* U+0080, the first two-byte one */
    cr_expect_eq(LEN("\xdf\xbf"), 2);         /* U+07FF */
    cr_expect_eq(LEN("\xe0\xa0\x80"), 3);     /* U+0800 */
    cr_expect_eq(LEN("\xe2\x82\xac"), 3);     /* U+20AC, the euro sign */
    cr_expect_eq(LEN("\xed\x9f\xbf"), 3);     /* U+D7FF, just below the surrogates */
    cr_expect_eq(LEN("\xee\x80\x80"), 3);     /* U+E000, just above them */
    cr_expect_eq(LEN("\xef\xbf\xbf"), 3);     /* U+FFFF */
    cr_expect_eq(LEN("\xf0\x90\x80\x80"), 4); /* U+10000 */
    cr_expect_eq(LEN("\xf4\x8f\xbf\xbf"), 4); /* U+10FFFF, the last code point */
    cr_expect_eq(LEN("\xc3\xa9tail"), 2, "only the first sequence counts");
}

Test(utf8, overlong_forms)
{
    cr_expect_eq(LEN("\xc0\x80"), 0);         /* NUL in two bytes */
    cr_expect_eq(LEN("\xc1\xbf"), 0);         /* U+007F in two bytes */
    cr_expect_eq(LEN("\xe0\x80\x80"), 0);
    cr_expect_eq(LEN("\xe0\x9f\xbf"), 0);     /* U+07FF in three bytes */
    cr_expect_eq(LEN("\xf0\x80\x80\x80"), 0);
    cr_expect_eq(LEN("\xf0\x8f\xbf\xbf"), 0); /* U+FFFF in four bytes */
}

Test(utf8, surrogates)
{
    cr_expect_eq(LEN("\xed\xa0\x80"), 0); /* U+D800 */
    cr_expect_eq(LEN("\xed\xbf\xbf"), 0); /* U+DFFF */
}

Test(utf8, beyond_u10ffff)
{
    cr_expect_eq(LEN("\xf4\x90\x80\x80"), 0); /* U+110000 */
    cr_expect_eq(LEN("\xf5\x80\x80\x80"), 0);
    cr_expect_eq(LEN("\xf7\xbf\xbf\xbf"), 0);
    cr_expect_eq(LEN("\xf8\x88\x80\x80\x80"), 0); /* the old five-byte forms */
    cr_expect_eq(LEN("\xfe"), 0);
    cr_expect_eq(LEN("\xff"), 0);
}

Test(utf8, stray_and_bad_continuations)
{
    cr_expect_eq(LEN("\x80"), 0);
    cr_expect_eq(LEN("\xbf\x80"), 0);
    cr_expect_eq(LEN("\xc3\x28"), 0);         /* the second byte is ASCII */
    cr_expect_eq(LEN("\xe2\x28\xa1"), 0);
    cr_expect_eq(LEN("\xe2\x82\x28"), 0);     /* the third byte is ASCII */
    cr_expect_eq(LEN("\xf0\x90\x28\xbc"), 0);
    cr_expect_eq(LEN("\xf0\x90\x8c\xc0"), 0); /* the fourth byte is a lead byte */
}

Test(utf8, truncated_sequences)
{
    const unsigned char euro[] = {0xe2, 0x82, 0xac};
    const unsigned char gothic[] = {0xf0, 0x90, 0x8c, 0xb0};
    for (size_t n = 1; n < sizeof euro; n++)
        cr_expect_eq(_mpk_utf8_length(euro, n), 0, "euro cut to %zu bytes", n);
    for (size_t n = 1; n < sizeof gothic; n++)
        cr_expect_eq(_mpk_utf8_length(gothic, n), 0, "U+10330 cut to %zu bytes", n);
    cr_expect_eq(_mpk_utf8_length(gothic, sizeof gothic), 4);
    cr_expect_eq(LEN("\xe2\x82"), 0, "cut short by the string's end (its NUL is not read)");
}
