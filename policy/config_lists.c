/* policy/config_lists.c: the two list values: pin (key numbers separated by commas) and a
 * region's flags (names separated by '|'), each entry checked on its own. */
#include <string.h>

#include "policy/config_parser.h"

/* The next entry of a list separated by sep, trimmed: [*item, *item_end); *s moves past the
 * separator. False when there was no separator (the entry was the last). */
static bool next_entry(const char **s, const char *end, char sep, const char **item,
                       const char **item_end)
{
    const char *t = cfg_skip_space(*s, end);

    *item = t;
    while (t < end && *t != sep)
        t++;
    *item_end = cfg_trim_end(*item, t);
    *s = t < end ? t + 1 : t;
    return t < end;
}

int cfg_parse_pin(struct cfg_parser *p, const struct cfg_key *k, const char *v, size_t n,
                  uint64_t *out)
{
    const char *s = v, *end = v + n, *item, *item_end;
    bool more = true;

    *out = 0;
    if (n == 4 && memcmp(v, "none", 4) == 0)
        return 0;
    while (more) {
        uint64_t key;

        more = next_entry(&s, end, ',', &item, &item_end);
        if (item == item_end)
            return cfg_fail(p, item, "empty entry in the pin list: expected key numbers from 1 "
                                     "to 15 separated by commas");
        if (cfg_parse_count(p, k, item, (size_t)(item_end - item), &key) < 0)
            return -1;
        if (*out & (1u << key))
            return cfg_fail(p, item, "key %llu is pinned twice", (unsigned long long)key);
        *out |= 1u << key;
    }
    return 0;
}

static const char *const flag_names[] = { "anon", "file", "private", "shared", "exec", "write" };

#define NFLAGS (sizeof flag_names / sizeof flag_names[0])

static int flag_bit(const char *s, size_t n)
{
    for (size_t i = 0; i < NFLAGS; i++)
        if (strlen(flag_names[i]) == n && memcmp(s, flag_names[i], n) == 0)
            return (int)i; /* flag_names is in the order of enum mpk_map_flag */
    return -1;
}

/* Pairs no mapping can have at once: a region with both would silently match nothing. */
static const char *contradiction(uint64_t flags)
{
    if ((flags & MPK_MAP_ANON) && (flags & MPK_MAP_FILE))
        return "'anon' and 'file'";
    if ((flags & MPK_MAP_PRIVATE) && (flags & MPK_MAP_SHARED))
        return "'private' and 'shared'";
    return NULL;
}

int cfg_parse_flags(struct cfg_parser *p, const struct cfg_key *k, const char *v, size_t n,
                    uint64_t *out)
{
    const char *s = v, *end = v + n, *item, *item_end, *clash;
    bool more = true;
    char hint[80];

    *out = 0;
    while (more) {
        size_t len;
        int bit;

        more = next_entry(&s, end, '|', &item, &item_end);
        len = (size_t)(item_end - item);
        if (len == 0)
            return cfg_fail(p, item, "empty entry in flags: expected names separated by '|' "
                                     "from anon, file, private, shared, exec and write");
        bit = flag_bit(item, len);
        if (bit < 0) {
            cfg_did_you_mean(hint, sizeof hint, item, len, flag_names, NFLAGS);
            return cfg_fail(p, item, "unknown flag '%.*s%s': expected anon, file, private, "
                                     "shared, exec or write%s", CFG_SHOW(item, len), hint);
        }
        if (*out & (1u << bit))
            return cfg_fail(p, item, "flag '%s' is given twice", flag_names[bit]);
        *out |= 1u << bit;
        clash = contradiction(*out);
        if (clash)
            return cfg_fail(p, item, "flags %s can never both hold: this region would match "
                                     "nothing", clash);
    }
    (void)k;
    return 0;
}
