/* tests/policy/test_glob.c: mpk_glob_match and mpk_glob_check against a table of patterns. */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <string.h>

#include "policy/glob.h"

/* Arrays, not pointers: Criterion copies parameters into each test's own process. */
struct glob_case {
    char pattern[40], s[48];
    bool match;
};

static struct glob_case cases[] = {
    { "", "", true },
    { "", "a", false },
    { "abc", "abc", true },
    { "abc", "abd", false },
    { "abc", "ab", false },
    { "ab", "abc", false },
    { "*", "", true },
    { "*", "anything/at/all", true },
    { "*libc.so*", "/usr/lib/x86_64-linux-gnu/libc.so.6", true },  /* '*' crosses '/' */
    { "/usr/*/libc.so.6", "/usr/lib/x86_64-linux-gnu/libc.so.6", true },
    { "/usr/*.so", "/usr/lib/a.so.1", false },
    { "a*b*c", "aXXbYYc", true },
    { "a*b*c", "aXXbYY", false },
    { "a*b", "abab", true },        /* backtracking: the star absorbs "ba" */
    { "*aab", "aaaab", true },
    { "**a", "a", true },
    { "a**", "a", true },
    { "?", "x", true },
    { "?", "", false },
    { "??", "x", false },
    { "a?c", "abc", true },
    { "a?c", "a/c", true },
    { "[abc]", "b", true },
    { "[abc]", "d", false },
    { "[a-z]x", "qx", true },
    { "[a-z]", "A", false },
    { "[!a-z]", "A", true },
    { "[!a-z]", "q", false },
    { "[^a-z]", "A", true },
    { "[]]", "]", true },           /* ']' first is literal */
    { "[]a]", "a", true },
    { "[!]]", "]", false },
    { "[!]]", "x", true },
    { "[a-]", "-", true },          /* '-' last is literal */
    { "[-a]", "-", true },
    { "[\\]]", "]", true },         /* escaped ']' inside a class */
    { "\\*", "*", true },
    { "\\*", "x", false },
    { "\\?", "?", true },
    { "\\[a]", "[a]", true },
    { "a\\", "a\\", true },         /* trailing '\' is literal */
    { "[abc", "[abc", true },       /* unterminated class is a literal '[' */
    { "[abc", "a", false },
    { "worker-*", "worker-12", true },
    { "worker-*", "main", false },
    { "*.[ch]", "/src/x.c", true },
    { "*.[ch]", "/src/x.o", false },
    { "\xc3\xa9*", "\xc3\xa9t\xc3\xa9", true },  /* bytes, so UTF-8 just works for literals */
};

ParameterizedTestParameters(glob, match)
{
    return cr_make_param_array(struct glob_case, cases, sizeof cases / sizeof cases[0]);
}

ParameterizedTest(struct glob_case *c, glob, match)
{
    cr_assert_eq(mpk_glob_match(c->pattern, c->s), c->match, "'%s' vs '%s': want %d",
                 c->pattern, c->s, c->match);
}

/* A hostile pattern must not take exponential time (a naive recursive matcher would). */
Test(glob, many_stars_is_fast, .timeout = 5)
{
    char pattern[201], s[4001];

    for (int i = 0; i < 100; i++) {
        pattern[2 * i] = '*';
        pattern[2 * i + 1] = 'a';
    }
    pattern[199] = 'b'; /* *a*a...*a*b never matches a run of a's */
    pattern[200] = '\0';
    memset(s, 'a', 4000);
    s[4000] = '\0';
    cr_assert_not(mpk_glob_match(pattern, s));
}

Test(glob, check_accepts_good_patterns)
{
    const char *good[] = { "*", "/usr/lib/*.so*", "[a-z]", "[!x]", "[]]", "\\[", "a\\*b" };
    size_t bad;
    const char *why;

    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
        cr_expect_eq(mpk_glob_check(good[i], strlen(good[i]), &bad, &why), 0, "%s", good[i]);
}

Test(glob, check_refuses_unterminated_class)
{
    size_t bad = 99;
    const char *why = NULL;

    cr_assert_neq(mpk_glob_check("ab[cd", 5, &bad, &why), 0);
    cr_expect_eq(bad, 2);
    cr_expect(strstr(why, "unterminated '['"));
}

Test(glob, check_refuses_lone_backslash)
{
    size_t bad = 99;
    const char *why = NULL;

    cr_assert_neq(mpk_glob_check("ab\\", 3, &bad, &why), 0);
    cr_expect_eq(bad, 2);
    cr_expect(strstr(why, "lone '\\'"));
}

Test(glob, check_refuses_backward_range)
{
    size_t bad = 99;
    const char *why = NULL;

    cr_assert_neq(mpk_glob_check("x[z-a]", 6, &bad, &why), 0);
    cr_expect_eq(bad, 2);
    cr_expect(strstr(why, "backwards"));
}
