/* policy/glob.c: shell-style wildcard matching (see glob.h), iterative so that a hostile
 * pattern costs time proportional to its size, never stack. */
#include "policy/glob.h"

#include <errno.h>
#include <string.h>

/* One byte of a class, honouring '\' escapes; false at a '\' with nothing after it. */
static bool take_byte(const char **p, const char *end, unsigned char *out)
{
    if (**p == '\\') {
        if (*p + 1 >= end)
            return false;
        *out = (unsigned char)(*p)[1];
        *p += 2;
        return true;
    }
    *out = (unsigned char)**p;
    (*p)++;
    return true;
}

/* p is just past a '['. Returns the byte just past the closing ']', or NULL when the class is
 * unterminated. *hit says whether byte c is in the class (c < 0: nobody asks); *reversed, when
 * wanted, gets the first range written backwards ("[z-a]" would match nothing). */
static const char *scan_class(const char *p, const char *end, int c, bool *hit,
                              const char **reversed)
{
    bool negate = false, in = false, first = true;

    if (p < end && (*p == '!' || *p == '^')) {
        negate = true;
        p++;
    }
    while (p < end && (*p != ']' || first)) {
        const char *item = p;
        unsigned char lo, hi;

        first = false;
        if (!take_byte(&p, end, &lo))
            return NULL;
        hi = lo;
        if (p + 1 < end && *p == '-' && p[1] != ']') {
            p++;
            if (!take_byte(&p, end, &hi))
                return NULL;
            if (hi < lo && reversed && !*reversed)
                *reversed = item;
        }
        if (c >= lo && c <= hi)
            in = true;
    }
    if (p >= end)
        return NULL;
    *hit = in != negate;
    return p + 1;
}

/* If the pattern element at p matches byte c, the element after it; else NULL. */
static const char *match_one(const char *p, const char *end, unsigned char c)
{
    const char *next;
    bool hit;

    switch (*p) {
    case '?':
        return p + 1;
    case '[':
        next = scan_class(p + 1, end, c, &hit, NULL);
        if (next)
            return hit ? next : NULL;
        return c == '[' ? p + 1 : NULL;
    case '\\':
        if (p + 1 < end)
            return (unsigned char)p[1] == c ? p + 2 : NULL;
        return c == '\\' ? p + 1 : NULL;
    default:
        return (unsigned char)*p == c ? p + 1 : NULL;
    }
}

bool mpk_glob_match(const char *pattern, const char *s)
{
    const char *p = pattern, *end = pattern + strlen(pattern);
    const char *star_p = NULL, *star_s = NULL;

    /* Only the most recent '*' needs a backtrack point: since '*' crosses '/', letting an
     * earlier star absorb more can never help where the later one could not. */
    while (*s) {
        const char *next;

        if (p < end && *p == '*') {
            star_p = ++p;
            star_s = s;
            continue;
        }
        if (p < end && (next = match_one(p, end, (unsigned char)*s))) {
            p = next;
            s++;
            continue;
        }
        if (!star_p)
            return false;
        p = star_p;
        s = ++star_s;
    }
    while (p < end && *p == '*')
        p++;
    return p == end;
}

int mpk_glob_check(const char *pattern, size_t len, size_t *bad, const char **why)
{
    const char *p = pattern, *end = pattern + len;

    while (p < end) {
        const char *reversed = NULL, *next;
        bool hit;

        if (*p == '\0') {
            *why = "a NUL byte";
            break;
        }
        if (*p == '\\') {
            if (p + 1 < end) {
                p += 2;
                continue;
            }
            *why = "a lone '\\' at the end (write '\\\\' for a backslash)";
            break;
        }
        if (*p != '[') {
            p++;
            continue;
        }
        next = scan_class(p + 1, end, -1, &hit, &reversed);
        if (!next) {
            *why = "an unterminated '[' (write '\\[' for a literal '[')";
            break;
        }
        if (reversed) {
            p = reversed;
            *why = "a range that goes backwards, which matches nothing";
            break;
        }
        p = next;
    }
    if (p >= end)
        return 0;
    *bad = (size_t)(p - pattern);
    return EINVAL;
}
