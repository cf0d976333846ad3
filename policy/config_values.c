/* policy/config_values.c: turning a value's text into what its key stores: words, numbers,
 * sizes, paths and globs, with messages that say what was expected. */
#include <errno.h>
#include <string.h>

#include "policy/config_parser.h"
#include "policy/glob.h"

static bool equals(const char *v, size_t n, const char *word)
{
    return strlen(word) == n && memcmp(v, word, n) == 0;
}

static size_t count_words(const char *const *words)
{
    size_t n = 0;

    while (words[n])
        n++;
    return n;
}

void cfg_expected(const struct cfg_key *key, char *buf, size_t cap)
{
    switch ((enum cfg_kind)key->kind) {
    case KIND_WORD:
        cfg_join_words(buf, cap, key->words, count_words(key->words));
        break;
    case KIND_COUNT:
        _mpk_format(buf, cap, "a number from %llu to %llu", (unsigned long long)key->min,
                    (unsigned long long)key->max);
        break;
    case KIND_SIZE:
        _mpk_format(buf, cap, "a size from 0 to 128T, such as 4096, 64K or 1G");
        break;
    case KIND_LOG:
        _mpk_format(buf, cap, "stderr or a file path");
        break;
    case KIND_GLOB:
        _mpk_format(buf, cap, "a glob on file paths, such as /usr/lib/*.so*");
        break;
    case KIND_THREADS:
        _mpk_format(buf, cap, "all or a glob on thread names");
        break;
    case KIND_HW_KEYS:
        _mpk_format(buf, cap, "auto or a number from 1 to 15");
        break;
    case KIND_PIN:
        _mpk_format(buf, cap, "none or key numbers from 1 to 15 separated by commas");
        break;
    case KIND_SIGNAL:
        _mpk_format(buf, cap, "a signal number from 1 to 64, SIGUSR1, SIGUSR2, SIGRTMIN+N or "
                              "SIGRTMAX-N");
        break;
    case KIND_FLAGS:
        _mpk_format(buf, cap, "flags separated by '|' from anon, file, private, shared, exec and "
                              "write");
        break;
    }
}

/* ---- numbers ---- */

static int digit(char ch)
{
    if (ch >= '0' && ch <= '9')
        return ch - '0';
    if (ch >= 'a' && ch <= 'f')
        return ch - 'a' + 10;
    if (ch >= 'A' && ch <= 'F')
        return ch - 'A' + 10;
    return 99;
}

int cfg_number(const char *s, size_t n, uint64_t *out, size_t *used)
{
    unsigned base = 10;
    size_t i = 0, first;
    uint64_t v = 0;

    if (n > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
        base = 16, i = 2;
    first = i;
    for (; i < n && digit(s[i]) < (int)base; i++) {
        unsigned d = (unsigned)digit(s[i]);

        if (v > (UINT64_MAX - d) / base)
            return ERANGE;
        v = v * base + d;
    }
    *used = i;
    if (i == first) {
        *used = 0;
        return EINVAL;
    }
    *out = v;
    return 0;
}

int cfg_bad_value(struct cfg_parser *p, const struct cfg_key *k, const char *v, size_t n)
{
    char expected[300];

    cfg_expected(k, expected, sizeof expected);
    return cfg_fail(p, v, "invalid value '%.*s%s' for %s: expected %s", CFG_SHOW(v, n), k->name,
                    expected);
}

int cfg_out_of_range(struct cfg_parser *p, const struct cfg_key *k, const char *v, size_t n)
{
    char expected[300];

    cfg_expected(k, expected, sizeof expected);
    return cfg_fail(p, v, "'%.*s%s' is out of range for %s: expected %s", CFG_SHOW(v, n),
                    k->name, expected);
}

static int after_number(struct cfg_parser *p, const struct cfg_key *k, const char *at,
                        const char *end)
{
    char expected[300];

    cfg_expected(k, expected, sizeof expected);
    return cfg_fail(p, at, "unexpected '%.*s%s' after the number in %s: expected %s",
                    CFG_SHOW(at, (size_t)(end - at)), k->name, expected);
}

int cfg_parse_count(struct cfg_parser *p, const struct cfg_key *k, const char *v, size_t n,
                    uint64_t *out)
{
    size_t used;
    int err = cfg_number(v, n, out, &used);

    if (err == EINVAL)
        return cfg_bad_value(p, k, v, n);
    if (err == ERANGE)
        return cfg_out_of_range(p, k, v, n);
    if (used < n)
        return after_number(p, k, v + used, v + n);
    if (*out < k->min || *out > k->max)
        return cfg_out_of_range(p, k, v, n);
    return 0;
}

static unsigned suffix_shift(char ch)
{
    switch (ch) {
    case 'K': case 'k': return 10;
    case 'M': case 'm': return 20;
    case 'G': case 'g': return 30;
    case 'T': case 't': return 40;
    default: return 0;
    }
}

static int parse_size(struct cfg_parser *p, const struct cfg_key *k, const char *v, size_t n,
                      uint64_t *out)
{
    size_t used;
    unsigned shift = 0;
    int err = cfg_number(v, n, out, &used);

    if (err == EINVAL)
        return cfg_bad_value(p, k, v, n);
    if (err == ERANGE)
        return cfg_out_of_range(p, k, v, n);
    if (used < n) {
        shift = suffix_shift(v[used]);
        if (!shift || used + 1 < n)
            return after_number(p, k, v + used, v + n);
    }
    if (*out > (k->max >> shift))
        return cfg_out_of_range(p, k, v, n);
    *out <<= shift;
    return 0;
}

static int parse_word(struct cfg_parser *p, const struct cfg_key *k, const char *v, size_t n,
                      uint64_t *out)
{
    char expected[300], hint[80];
    size_t count = count_words(k->words);

    for (size_t i = 0; i < count; i++)
        if (equals(v, n, k->words[i])) {
            *out = i;
            return 0;
        }
    cfg_expected(k, expected, sizeof expected);
    cfg_did_you_mean(hint, sizeof hint, v, n, k->words, count);
    return cfg_fail(p, v, "invalid value '%.*s%s' for %s: expected %s%s", CFG_SHOW(v, n),
                    k->name, expected, hint);
}

/* ---- paths and globs ---- */

static int parse_glob(struct cfg_parser *p, const struct cfg_key *k, const char *v, size_t n)
{
    const char *why;
    size_t bad;
    char first;

    if (n >= MPK_CONFIG_GLOB_MAX)
        return cfg_fail(p, v, "glob too long for %s: at most %u bytes", k->name,
                        MPK_CONFIG_GLOB_MAX - 1);
    if (mpk_glob_check(v, n, &bad, &why) != 0)
        return cfg_fail(p, v + bad, "invalid glob for %s: %s", k->name, why);
    if (k->kind != KIND_GLOB)
        return 0;
    /* Mapping paths are absolute: a pattern whose first character is some other literal can
     * never match, and the user surely meant a suffix. */
    first = v[0] == '\\' && n > 1 ? v[1] : v[0];
    if (first != '/' && (v[0] == '\\' || (first != '*' && first != '?' && first != '[')))
        return cfg_fail(p, v, "%s = '%.*s%s' can never match: mapping paths are absolute, so "
                              "start it with '/' or '*' (e.g. '*/%.*s%s')", k->name,
                        CFG_SHOW(v, n), CFG_SHOW(v, n));
    return 0;
}

static int parse_log(struct cfg_parser *p, const struct cfg_key *k, const char *v, size_t n,
                     struct cfg_value *out)
{
    if (equals(v, n, "stderr")) {
        out->len = 0; /* "" is stderr */
        return 0;
    }
    if (equals(v, n, "stdout"))
        return cfg_fail(p, v, "log = stdout would write to a file named 'stdout': libmpk logs "
                              "to stderr or to a file (write ./stdout for such a file)");
    if (n >= MPK_CONFIG_PATH_MAX)
        return cfg_fail(p, v, "log path too long: at most %u bytes", MPK_CONFIG_PATH_MAX - 1);
    (void)k;
    return 0;
}

int cfg_parse_value(struct cfg_parser *p, const struct cfg_key *k, const char *v, size_t n,
                    struct cfg_value *out)
{
    int sig;

    out->str = v;
    out->len = n;
    switch ((enum cfg_kind)k->kind) {
    case KIND_WORD:
        return parse_word(p, k, v, n, &out->num);
    case KIND_COUNT:
        return cfg_parse_count(p, k, v, n, &out->num);
    case KIND_SIZE:
        return parse_size(p, k, v, n, &out->num);
    case KIND_LOG:
        return parse_log(p, k, v, n, out);
    case KIND_GLOB:
        return parse_glob(p, k, v, n);
    case KIND_THREADS:
        if (equals(v, n, "all")) {
            out->len = 0; /* "" is every thread */
            return 0;
        }
        return parse_glob(p, k, v, n);
    case KIND_HW_KEYS:
        if (equals(v, n, "auto")) {
            out->num = 0;
            return 0;
        }
        return cfg_parse_count(p, k, v, n, &out->num);
    case KIND_PIN:
        return cfg_parse_pin(p, k, v, n, &out->num);
    case KIND_SIGNAL:
        if (cfg_parse_signal(p, v, n, &sig) < 0)
            return -1;
        out->num = (uint64_t)sig;
        return 0;
    case KIND_FLAGS:
        return cfg_parse_flags(p, k, v, n, &out->num);
    }
    return 0;
}
