/* policy/config_parse.c: parsing a config held in memory, and the line loop that files share. */
#include <string.h>

#include "policy/config_parser.h"

void cfg_parser_init(struct cfg_parser *p, struct mpk_config *c, struct mpk_config_error *e,
                     const char *where, unsigned char source)
{
    c->gen++;
    p->c = c;
    p->e = e;
    p->source = source;
    p->line = 0;
    p->text = NULL;
    p->section = SEC_NONE;
    p->region = NULL;
    p->quote = NULL;
    p->where = where;
    if (source == MPK_SRC_FILE) {
        size_t len = strnlen(where, sizeof c->file - 1); /* a long name is only cut short */

        cfg_copy(c->file, sizeof c->file, where, len);
        p->where = c->file;
    }
}

int cfg_parse_stream(struct cfg_parser *p, struct cfg_reader *r)
{
    const char *line;
    size_t n;
    int got;

    while ((got = cfg_reader_next(p, r, &line, &n)) > 0)
        if (cfg_parse_line(p, line, n) < 0)
            return -1;
    if (got < 0)
        return -1;
    return cfg_section_end(p);
}

int mpk_config_parse_text(struct mpk_config *c, const char *text, size_t len, const char *where,
                          struct mpk_config_error *e)
{
    struct cfg_parser p;
    struct cfg_reader r;

    cfg_parser_init(&p, c, e, where ? where : "<text>", MPK_SRC_FILE);
    cfg_reader_text(&r, text, len);
    return cfg_parse_stream(&p, &r);
}
