/* policy/config_suggest.c: "did you mean 'X'?" for unknown keys, sections and values, by edit
 * distance (optimal string alignment: a swap of two letters counts once). */
#include <string.h>

#include "policy/config_parser.h"

#define WORD_MAX 64 /* longer words get no suggestion: no key or value is that long */
#define FAR (WORD_MAX + 1)

static char lower(char ch)
{
    return ch >= 'A' && ch <= 'Z' ? (char)(ch - 'A' + 'a') : ch;
}

/* Edit distance of a[0..n) and b ignoring ASCII case, or FAR when a is too long to bother. */
static unsigned distance(const char *a, size_t n, const char *b)
{
    unsigned rows[3][WORD_MAX + 1]; /* two rows back, one back, current */
    size_t m = strlen(b);

    if (n > WORD_MAX || m > WORD_MAX)
        return FAR;
    for (size_t j = 0; j <= m; j++)
        rows[1][j] = (unsigned)j;
    for (size_t i = 1; i <= n; i++) {
        unsigned *prev2 = rows[0], *prev = rows[1], *cur = rows[2];

        cur[0] = (unsigned)i;
        for (size_t j = 1; j <= m; j++) {
            unsigned cost = lower(a[i - 1]) != lower(b[j - 1]);
            unsigned best = prev[j - 1] + cost;

            if (prev[j] + 1 < best)
                best = prev[j] + 1;
            if (cur[j - 1] + 1 < best)
                best = cur[j - 1] + 1;
            if (i > 1 && j > 1 && lower(a[i - 1]) == lower(b[j - 2]) &&
                lower(a[i - 2]) == lower(b[j - 1]) &&
                prev2[j - 2] + 1 < best)
                best = prev2[j - 2] + 1;
            cur[j] = best;
        }
        memcpy(rows[0], rows[1], sizeof rows[0]);
        memcpy(rows[1], rows[2], sizeof rows[1]);
    }
    return rows[1][m];
}

static bool is_prefix(const char *word, size_t n, const char *cand)
{
    if (n < 3 || n >= strlen(cand))
        return false;
    for (size_t i = 0; i < n; i++)
        if (lower(word[i]) != lower(cand[i]))
            return false;
    return true;
}

const char *cfg_suggest(const char *word, size_t n, const char *const *cands, size_t ncands)
{
    const char *best = NULL;
    unsigned best_d = FAR;

    for (size_t i = 0; i < ncands; i++) {
        unsigned d = distance(word, n, cands[i]);

        /* Within 2 edits, but not when the edits are most of the word ("a" is not "on"). */
        if (d <= 2 && d < n && d < best_d) {
            best = cands[i];
            best_d = d;
        }
    }
    if (best)
        return best;
    for (size_t i = 0; i < ncands; i++)
        if (is_prefix(word, n, cands[i]))
            return cands[i];
    return NULL;
}

void cfg_did_you_mean(char *buf, size_t cap, const char *word, size_t n,
                      const char *const *cands, size_t ncands)
{
    const char *s = cfg_suggest(word, n, cands, ncands);

    if (s)
        _mpk_format(buf, cap, "; did you mean '%s'?", s);
    else if (cap)
        buf[0] = '\0';
}

void cfg_join_words(char *buf, size_t cap, const char *const *words, size_t nwords)
{
    size_t len = 0;

    if (cap)
        buf[0] = '\0';
    for (size_t i = 0; i < nwords && len < cap; i++) {
        const char *sep = i == 0 ? "" : i + 1 == nwords ? " or " : ", ";

        len += _mpk_format(buf + len, cap - len, "%s%s", sep, words[i]);
    }
}
