/* policy/config_sections.c: section headers ([libmpk], [wx], [region NAME]) and the checks that
 * need a whole section, such as a region's required rights. */
#include <string.h>

#include "policy/config_parser.h"

static const char *const section_words[] = { "libmpk", "wx", "region" };

static struct mpk_config_pos here(const struct cfg_parser *p, const char *at)
{
    struct mpk_config_pos pos = { p->source, p->c->gen, p->line, cfg_col(p, at) };

    return pos;
}

static bool is_name_char(char ch)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
           ch == '_' || ch == '.' || ch == '-';
}

/* [libmpk] or [wx]: no name, and once per file. */
static int begin_single(struct cfg_parser *p, enum cfg_section section,
                        struct mpk_config_pos *header, const char *open, const char *arg,
                        const char *end)
{
    char first[64];

    if (arg < end)
        return cfg_fail(p, arg, "section %s takes no name", cfg_section_name(section));
    if (header->gen == p->c->gen) {
        cfg_describe_pos(p, header, first, sizeof first);
        return cfg_fail(p, open, "duplicate section %s (first at %s): put its keys in one section",
                        cfg_section_name(section), first);
    }
    *header = here(p, open);
    p->section = section;
    return 0;
}

static int check_region_name(struct cfg_parser *p, const char *name, const char *end)
{
    size_t n = (size_t)(end - name);

    if (n == 0)
        return cfg_fail(p, name, "section [region] needs a name: [region NAME]");
    for (const char *s = name; s < end; s++)
        if (!is_name_char(*s))
            return cfg_fail(p, s, "invalid character in region name '%.*s%s': use letters, "
                                  "digits, '_', '.' and '-'", CFG_SHOW(name, n));
    if (n >= MPK_CONFIG_NAME_MAX)
        return cfg_fail(p, name, "region name too long: at most %u characters",
                        MPK_CONFIG_NAME_MAX - 1);
    for (unsigned i = 0; i < p->c->nregions; i++) {
        const struct mpk_region *r = &p->c->regions[i];
        char first[300]; /* a long path is cut: the message holds 511 bytes anyway */

        if (strlen(r->name) == n && memcmp(r->name, name, n) == 0) {
            cfg_describe_pos(p, &r->header, first, sizeof first);
            return cfg_fail(p, name, "duplicate region name '%s' (first at %s)", r->name, first);
        }
    }
    return 0;
}

static int begin_region(struct cfg_parser *p, const char *open, const char *name,
                        const char *end)
{
    struct mpk_region *r;

    if (check_region_name(p, name, end) < 0)
        return -1;
    if (p->c->nregions == MPK_CONFIG_REGIONS_MAX)
        return cfg_fail(p, open, "too many [region] sections: at most %u",
                        MPK_CONFIG_REGIONS_MAX);
    r = &p->c->regions[p->c->nregions++];
    memset(r, 0, sizeof *r);
    cfg_copy(r->name, sizeof r->name, name, (size_t)(end - name));
    r->header = here(p, open);
    p->region = r;
    p->section = SEC_REGION;
    return 0;
}

int cfg_section_begin(struct cfg_parser *p, const char *s, const char *end)
{
    const char *open = s - 1, *word, *word_end, *arg;
    const char *hint;
    size_t n;

    if (cfg_section_end(p) < 0)
        return -1;
    s = cfg_skip_space(s, end);
    end = cfg_trim_end(s, end);
    word = s;
    while (s < end && !cfg_is_space(*s))
        s++;
    word_end = s;
    arg = cfg_skip_space(s, end);
    n = (size_t)(word_end - word);
    if (n == 6 && memcmp(word, "libmpk", 6) == 0)
        return begin_single(p, SEC_LIBMPK, &p->c->libmpk_header, open, arg, end);
    if (n == 2 && memcmp(word, "wx", 2) == 0)
        return begin_single(p, SEC_WX, &p->c->wx_header, open, arg, end);
    if (n == 6 && memcmp(word, "region", 6) == 0)
        return begin_region(p, open, arg, end);
    if (n == 0)
        return cfg_fail(p, open, "empty section header: expected [libmpk], [wx] or "
                                 "[region NAME]");
    hint = cfg_suggest(word, n, section_words, 3);
    return cfg_fail(p, word, "unknown section [%.*s%s]: expected [libmpk], [wx] or [region NAME]"
                             "%s%s%s%s", CFG_SHOW(word, n), hint ? "; did you mean [" : "",
                    hint ? hint : "", hint && hint[0] == 'r' ? " NAME" : "", hint ? "]?" : "");
}

int cfg_section_end(struct cfg_parser *p)
{
    struct mpk_region *r = p->region;

    if (p->section != SEC_REGION) {
        p->section = SEC_NONE;
        return 0;
    }
    p->section = SEC_NONE;
    p->region = NULL;
    if (r->pos[MPK_RKEY_RIGHTS].gen == 0)
        return cfg_fail_pos(p, &r->header, "region '%s' has no rights: add rights = none, read "
                                           "or rw", r->name);
    if (!r->file[0] && r->min_size == 0 && !r->flags)
        return cfg_fail_pos(p, &r->header, "region '%s' would match every mapping: give it a "
                                           "file, a min_size above 0 or flags", r->name);
    return 0;
}
