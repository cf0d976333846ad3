/* policy/config_lines.c: splitting the input into lines (from memory, or streamed from a file
 * descriptor through a fixed buffer) and refusing what is not text. */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "policy/config_parser.h"
#include "policy/utf8.h"

/* A line may be followed by "\r\n": the most bytes to search for its end. */
#define WINDOW (MPK_CONFIG_LINE_MAX + 2)

void cfg_reader_text(struct cfg_reader *r, const char *text, size_t len)
{
    r->fd = -1;
    r->text = text;
    r->len = len;
    r->off = 0;
    r->start = r->end = 0;
    r->eof = true;
}

void cfg_reader_fd(struct cfg_reader *r, int fd)
{
    r->fd = fd;
    r->text = NULL;
    r->len = r->off = 0;
    r->start = r->end = 0;
    r->eof = false;
}

static int binary_at(struct cfg_parser *p, const char *at, const char *what)
{
    static const char hex[] = "0123456789abcdef";
    unsigned char b = (unsigned char)*at;

    return cfg_fail(p, at, "binary data (%s 0x%c%c): expected a text file", what, hex[b >> 4],
                    hex[b & 15]);
}

/* cut: s[0..n) is the start of a longer line, so a character may be cut at its end. */
static int check_text(struct cfg_parser *p, const char *s, size_t n, bool cut)
{
    const unsigned char *u = (const unsigned char *)s;

    for (size_t i = 0; i < n;) {
        if (u[i] == '\t' || (u[i] >= 0x20 && u[i] < 0x7F)) {
            i++;
        } else if (u[i] >= 0x80) {
            size_t len = _mpk_utf8_length(u + i, n - i);

            if (!len && cut && n - i < 4 && _mpk_utf8_length(u + i, 4) != 0)
                break;
            if (!len)
                return binary_at(p, s + i, "invalid UTF-8 byte");
            i += len;
        } else if (u[i] == '\r') {
            return cfg_fail(p, s + i, "a carriage return inside a line: expected a line feed "
                                      "after it (lines end in LF or CRLF)");
        } else {
            return binary_at(p, s + i, "control byte");
        }
    }
    return 0;
}

int cfg_check_text(struct cfg_parser *p, const char *s, size_t n)
{
    return check_text(p, s, n, false);
}

/* A line with no end in sight: binary data explains it better if there is some. */
static int too_long(struct cfg_parser *p, const char *s)
{
    p->text = s;
    if (check_text(p, s, MPK_CONFIG_LINE_MAX, true) < 0)
        return -1;
    return cfg_fail(p, s + MPK_CONFIG_LINE_MAX, "line too long: more than %u bytes",
                    MPK_CONFIG_LINE_MAX);
}

/* The next raw line (with a possible '\r') of in-memory text. */
static int next_text(struct cfg_parser *p, struct cfg_reader *r, const char **line, size_t *n)
{
    const char *s = r->text + r->off;
    size_t left = r->len - r->off;
    const char *nl;

    if (left == 0)
        return 0;
    nl = memchr(s, '\n', left < WINDOW ? left : WINDOW);
    if (!nl && left > MPK_CONFIG_LINE_MAX + 1)
        return too_long(p, s);
    *line = s;
    *n = nl ? (size_t)(nl - s) : left;
    r->off += nl ? *n + 1 : left;
    return 1;
}

/* Reads more of the file after the unread bytes; 0, or -1 with the error. */
static int fill(struct cfg_parser *p, struct cfg_reader *r)
{
    size_t have = r->end - r->start;
    ssize_t got;

    if (r->start > 0) {
        memmove(r->buf, r->buf + r->start, have);
        r->start = 0;
        r->end = have;
    }
    do
        got = read(r->fd, r->buf + r->end, sizeof r->buf - r->end);
    while (got < 0 && errno == EINTR);
    if (got < 0)
        return cfg_fail_input(p->e, p->where, "cannot read the config file: %s",
                              cfg_errno_text(errno));
    if (got == 0)
        r->eof = true;
    r->end += (size_t)got;
    return 0;
}

/* The next raw line of a file, streamed: at most WINDOW bytes of it are ever held. */
static int next_fd(struct cfg_parser *p, struct cfg_reader *r, const char **line, size_t *n)
{
    for (;;) {
        char *s = r->buf + r->start;
        size_t have = r->end - r->start;
        const char *nl = memchr(s, '\n', have < WINDOW ? have : WINDOW);

        if (nl) {
            *line = s;
            *n = (size_t)(nl - s);
            r->start += *n + 1;
            return 1;
        }
        if (have > MPK_CONFIG_LINE_MAX + 1)
            return too_long(p, s);
        if (r->eof) {
            if (have == 0)
                return 0;
            *line = s;
            *n = have;
            r->start = r->end;
            return 1;
        }
        if (fill(p, r) < 0)
            return -1;
    }
}

int cfg_reader_next(struct cfg_parser *p, struct cfg_reader *r, const char **line, size_t *n)
{
    int got;

    p->line++;
    got = r->fd < 0 ? next_text(p, r, line, n) : next_fd(p, r, line, n);
    if (got <= 0)
        return got;
    if (*n > 0 && (*line)[*n - 1] == '\r')
        (*n)--;
    if (p->line == 1 && *n >= 3 && memcmp(*line, "\xEF\xBB\xBF", 3) == 0) {
        *line += 3; /* a byte-order mark, as some Windows editors write */
        *n -= 3;
    }
    p->text = *line;
    if (*n > MPK_CONFIG_LINE_MAX)
        return too_long(p, *line);
    if (cfg_check_text(p, *line, *n) < 0)
        return -1;
    return 1;
}
