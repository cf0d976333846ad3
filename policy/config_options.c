/* policy/config_options.c: LIBMPK_OPTIONS, "key=value:key=value" setting [libmpk] keys without
 * a file (as ASAN_OPTIONS does for AddressSanitizer); errors are LIBMPK_OPTIONS:1:COL. */
#include <string.h>

#include "policy/config_parser.h"

/* One key=value at *s; *s moves past it. */
static int parse_option(struct cfg_parser *p, const char **s, const char *end)
{
    const char *t = *s, *key = t, *key_end, *value, *after;
    size_t len;

    p->quote = NULL;
    while (t < end && *t != '=' && *t != ':' && !cfg_is_space(*t))
        t++;
    key_end = t;
    if (key == key_end)
        return cfg_fail(p, key, "expected a key name before '='");
    t = cfg_skip_space(t, end);
    if (t == end || *t != '=')
        return cfg_fail(p, t, "expected '=' after '%.*s%s' (LIBMPK_OPTIONS is key=value pairs "
                              "separated by ':')", CFG_SHOW(key, (size_t)(key_end - key)));
    t = cfg_skip_space(t + 1, end);
    if (t < end && *t == '"') {
        if (cfg_unquote(p, t, end, &len, &after) < 0)
            return -1;
        after = cfg_skip_space(after, end);
        if (after < end && *after != ':')
            return cfg_fail(p, after, "unexpected text after the closing quote: expected ':' "
                                      "or the end");
        *s = after;
        return cfg_assign(p, key, (size_t)(key_end - key), p->value, len);
    }
    value = t;
    while (t < end && *t != ':')
        t++;
    *s = t;
    return cfg_assign(p, key, (size_t)(key_end - key), value,
                      (size_t)(cfg_trim_end(value, t) - value));
}

int mpk_config_parse_options(struct mpk_config *c, const char *opts, struct mpk_config_error *e)
{
    struct cfg_parser p;
    const char *s = opts, *end = opts + strlen(opts);

    cfg_parser_init(&p, c, e, "LIBMPK_OPTIONS", MPK_SRC_OPTIONS);
    p.line = 1;
    p.text = opts;
    p.section = SEC_LIBMPK;
    if (cfg_check_text(&p, opts, (size_t)(end - opts)) < 0)
        return -1;
    while (s < end) {
        s = cfg_skip_space(s, end);
        if (s < end && *s == ':') { /* empty entries, as in "mode=audit:", are fine */
            s++;
            continue;
        }
        if (s < end && parse_option(&p, &s, end) < 0)
            return -1;
    }
    return 0;
}
