/* policy/config_syntax.c: the shape of one config line: a [section] header, key = value with
 * an optional double-quoted value, comments and blank lines. */
#include <string.h>

#include "policy/config_parser.h"

const char *cfg_skip_space(const char *s, const char *end)
{
    while (s < end && cfg_is_space(*s))
        s++;
    return s;
}

const char *cfg_trim_end(const char *s, const char *end)
{
    while (end > s && cfg_is_space(end[-1]))
        end--;
    return end;
}

/* Nothing but blanks and perhaps a comment from s to end? */
static bool at_line_end(const char *s, const char *end)
{
    s = cfg_skip_space(s, end);
    return s == end || *s == '#';
}

/* Bytes in the UTF-8 character at s, so messages never show half of one. */
static size_t char_length(const char *s, const char *end)
{
    const char *t = s + 1;

    while (t < end && ((unsigned char)*t & 0xC0) == 0x80)
        t++;
    return (size_t)(t - s);
}

int cfg_unquote(struct cfg_parser *p, const char *q, const char *end, size_t *len,
                const char **after)
{
    const char *s = q + 1;
    size_t n = 0;

    p->quote = q;
    while (s < end && *s != '"') {
        if (n == MPK_CONFIG_LINE_MAX)
            return cfg_fail(p, q, "quoted value too long: more than %u bytes",
                            MPK_CONFIG_LINE_MAX);
        if (*s == '\\' && s + 1 < end) {
            if (s[1] != '"' && s[1] != '\\')
                return cfg_fail(p, s, "unknown escape '\\%.*s' in a quoted value: only \\\" and "
                                      "\\\\ are escapes (a lone \\ is written \\\\)",
                                (int)char_length(s + 1, end), s + 1);
            s++;
        }
        p->value[n++] = *s++;
    }
    if (s >= end)
        return cfg_fail(p, q, "unterminated quoted value: expected a closing '\"'");
    p->value[n] = '\0';
    *len = n;
    *after = s + 1;
    return 0;
}

static int parse_header(struct cfg_parser *p, const char *open, const char *end)
{
    const char *close = memchr(open, ']', (size_t)(end - open));

    if (!close)
        return cfg_fail(p, end, "unterminated section header: expected ']'");
    if (!at_line_end(close + 1, end))
        return cfg_fail(p, cfg_skip_space(close + 1, end),
                        "unexpected text after the section header: expected the end of the line "
                        "or a # comment");
    return cfg_section_begin(p, open + 1, close);
}

/* The unquoted value from s: up to a '#' that follows a blank, trimmed. */
static const char *value_end(const char *s, const char *end)
{
    const char *t;

    for (t = s; t < end; t++)
        if (*t == '#' && cfg_is_space(t[-1])) /* t[-1] exists: the '=' at least */
            break;
    return cfg_trim_end(s, t);
}

static int parse_assignment(struct cfg_parser *p, const char *s, const char *end)
{
    const char *key = s, *key_end, *after;
    size_t len;

    while (s < end && *s != '=' && !cfg_is_space(*s))
        s++;
    key_end = s;
    if (key == key_end)
        return cfg_fail(p, key, "expected a key name before '='");
    s = cfg_skip_space(s, end);
    if (s == end || *s != '=')
        return cfg_fail(p, s, "expected '=' after '%.*s%s' (a setting is written key = value)",
                        CFG_SHOW(key, (size_t)(key_end - key)));
    s = cfg_skip_space(s + 1, end);
    if (s == end || *s != '"')
        return cfg_assign(p, key, (size_t)(key_end - key), s, (size_t)(value_end(s, end) - s));
    if (cfg_unquote(p, s, end, &len, &after) < 0)
        return -1;
    if (!at_line_end(after, end))
        return cfg_fail(p, cfg_skip_space(after, end),
                        "unexpected text after the closing quote: expected the end of the line "
                        "or a # comment");
    return cfg_assign(p, key, (size_t)(key_end - key), p->value, len);
}

int cfg_parse_line(struct cfg_parser *p, const char *line, size_t n)
{
    const char *end = line + n, *s = cfg_skip_space(line, end);

    p->quote = NULL;
    if (s == end || *s == '#')
        return 0;
    if (*s == '[')
        return parse_header(p, s, end);
    return parse_assignment(p, s, end);
}
