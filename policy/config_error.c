/* policy/config_error.c: building config errors (where, line, column, message) and printing
 * them as "libmpk: error: FILE:LINE:COL: what is wrong". */
#include <errno.h>
#include <string.h>

#include "policy/config_parser.h"

static unsigned count_chars(const char *s, const char *end)
{
    unsigned n = 0;

    for (; s < end; s++)
        if (((unsigned char)*s & 0xC0) != 0x80)
            n++;
    return n;
}

unsigned cfg_col(const struct cfg_parser *p, const char *at)
{
    if (p->quote && at >= p->value && at <= p->value + sizeof p->value)
        return cfg_col(p, p->quote) + 1 + count_chars(p->value, at);
    return 1 + count_chars(p->text, at);
}

size_t cfg_clip(const char *s, size_t n)
{
    if (n <= CFG_SHOW_MAX)
        return n;
    n = CFG_SHOW_MAX;
    while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
        n--; /* s[n] continues a character: cut before that character starts */
    return n;
}

static void set_where(struct mpk_config_error *e, const char *where)
{
    size_t len = strlen(where);

    if (len < sizeof e->where) {
        memcpy(e->where, where, len + 1);
        return;
    }
    memcpy(e->where, where, sizeof e->where - 4);
    memcpy(e->where + sizeof e->where - 4, "...", 4);
}

void cfg_error_v(struct mpk_config_error *e, const char *where, unsigned line, unsigned col,
                 const char *fmt, va_list ap)
{
    set_where(e, where);
    e->line = line;
    e->col = col;
    _mpk_vformat(e->msg, sizeof e->msg, fmt, ap);
}

int cfg_fail(struct cfg_parser *p, const char *at, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    cfg_error_v(p->e, p->where, p->line, at ? cfg_col(p, at) : 0, fmt, ap);
    va_end(ap);
    return -1;
}

int cfg_fail_pos(struct cfg_parser *p, const struct mpk_config_pos *pos, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    cfg_error_v(p->e, cfg_pos_where(p->c, pos), pos->line, pos->col, fmt, ap);
    va_end(ap);
    return -1;
}

int cfg_fail_input(struct mpk_config_error *e, const char *where, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    cfg_error_v(e, where, 0, 0, fmt, ap);
    va_end(ap);
    return -1;
}

int mpk_config_error_at(const struct mpk_config *c, const struct mpk_config_pos *pos,
                        struct mpk_config_error *e, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    cfg_error_v(e, cfg_pos_where(c, pos), pos->line, pos->col, fmt, ap);
    va_end(ap);
    return -1;
}

const char *cfg_pos_where(const struct mpk_config *c, const struct mpk_config_pos *pos)
{
    switch (pos->source) {
    case MPK_SRC_FILE:
        return c->file;
    case MPK_SRC_OPTIONS:
        return "LIBMPK_OPTIONS";
    default:
        return "built-in default";
    }
}

void cfg_describe_pos(const struct cfg_parser *p, const struct mpk_config_pos *pos, char *buf,
                      size_t n)
{
    if (pos->gen != p->c->gen)
        _mpk_format(buf, n, "%s:%u:%u", cfg_pos_where(p->c, pos), pos->line, pos->col);
    else if (p->source == MPK_SRC_OPTIONS)
        _mpk_format(buf, n, "column %u", pos->col);
    else
        _mpk_format(buf, n, "line %u", pos->line);
}

const char *cfg_errno_text(int err)
{
    switch (err) {
    case ENOENT: return "No such file or directory";
    case ENOTDIR: return "Not a directory";
    case EISDIR: return "Is a directory";
    case EACCES: return "Permission denied";
    case EPERM: return "Operation not permitted";
    case ELOOP: return "Too many levels of symbolic links";
    case ENAMETOOLONG: return "File name too long";
    case EROFS: return "Read-only file system";
    case ENOSPC: return "No space left on device";
    case EDQUOT: return "Disk quota exceeded";
    case EMFILE: return "Too many open files";
    case ENFILE: return "Too many open files in system";
    case EIO: return "Input/output error";
    case ENXIO: return "No such device or address";
    case ENODEV: return "No such device";
    case ETXTBSY: return "Text file busy";
    case EFBIG: return "File too large";
    case EOVERFLOW: return "Value too large for defined data type";
    case ENOMEM: return "Cannot allocate memory";
    case EINVAL: return "Invalid argument";
    case EBADF: return "Bad file descriptor";
    case EAGAIN: return "Resource temporarily unavailable";
    default: return "unexpected system error";
    }
}

size_t mpk_config_format_error(const struct mpk_config_error *e, char *buf, size_t n)
{
    if (e->line == 0)
        return _mpk_format(buf, n, "libmpk: error: %s: %s\n", e->where, e->msg);
    return _mpk_format(buf, n, "libmpk: error: %s:%u:%u: %s\n", e->where, e->line, e->col, e->msg);
}
