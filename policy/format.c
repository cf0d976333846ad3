/* policy/format.c: the library's printf subset (policy/format.h), shared by core's reports, the
 * config parser's messages and the audit log: every message goes through this one. */
#include "policy/format.h"

#include <stdbool.h>
#include <string.h>
#include <sys/types.h>

typedef struct {
    char *buf;
    size_t cap, len; /* len counts every byte asked for, written or not */
} out_t;

static void put(out_t *o, const char *s, size_t n)
{
    if (o->len + 1 < o->cap) {
        size_t room = o->cap - 1 - o->len;
        memcpy(o->buf + o->len, s, n < room ? n : room);
    }
    o->len += n;
}

static void put_unsigned(out_t *o, unsigned long long v, unsigned base)
{
    char digits[24];
    size_t i = sizeof digits;
    do {
        digits[--i] = "0123456789abcdef"[v % base];
        v /= base;
    } while (v);
    put(o, digits + i, sizeof digits - i);
}

static void put_signed(out_t *o, long long v)
{
    if (v < 0) {
        put(o, "-", 1);
        put_unsigned(o, 0ull - (unsigned long long)v, 10); /* LLONG_MIN has no positive twin */
    } else {
        put_unsigned(o, (unsigned long long)v, 10);
    }
}

/* One conversion; f is just past the '%'. Returns the format just past the conversion. */
static const char *convert(out_t *o, const char *f, va_list *ap)
{
    int precision = -1, longs = 0;
    bool size_arg = false;
    const char *s;
    char ch;

    if (f[0] == '.' && f[1] == '*') {
        precision = va_arg(*ap, int);
        f += 2;
    }
    for (; *f == 'l'; f++)
        longs++;
    if (*f == 'z') {
        size_arg = true;
        f++;
    }
    switch (*f) {
    case 's':
        s = va_arg(*ap, const char *);
        if (!s)
            s = "(null)"; /* handlers report what they have: never fault on it */
        put(o, s, precision >= 0 ? strnlen(s, (size_t)precision) : strlen(s));
        break;
    case 'c':
        ch = (char)va_arg(*ap, int);
        put(o, &ch, 1);
        break;
    case 'd':
        put_signed(o, size_arg     ? (long long)va_arg(*ap, ssize_t)
                      : longs >= 2 ? va_arg(*ap, long long)
                      : longs      ? va_arg(*ap, long)
                                   : va_arg(*ap, int));
        break;
    case 'u':
    case 'x':
        put_unsigned(o, size_arg     ? va_arg(*ap, size_t)
                        : longs >= 2 ? va_arg(*ap, unsigned long long)
                        : longs      ? va_arg(*ap, unsigned long)
                                     : va_arg(*ap, unsigned),
                     *f == 'x' ? 16 : 10);
        break;
    case 'p':
        put(o, "0x", 2);
        put_unsigned(o, (unsigned long long)(size_t)va_arg(*ap, void *), 16);
        break;
    case '%':
        put(o, "%", 1);
        break;
    default: /* not supported: show it rather than guess at the arguments */
        put(o, "%?", 2);
        return *f ? f + 1 : f;
    }
    return f + 1;
}

size_t _mpk_vformat(char *buf, size_t n, const char *fmt, va_list ap)
{
    out_t o = {buf, n, 0};
    va_list args;

    va_copy(args, ap);
    while (*fmt) {
        const char *pct = strchr(fmt, '%');
        if (!pct) {
            put(&o, fmt, strlen(fmt));
            break;
        }
        put(&o, fmt, (size_t)(pct - fmt));
        fmt = convert(&o, pct + 1, &args);
    }
    va_end(args);
    if (n)
        buf[_mpk_format_kept(o.len, n)] = '\0';
    return o.len;
}

size_t _mpk_format(char *buf, size_t n, const char *fmt, ...)
{
    va_list ap;
    size_t len;

    va_start(ap, fmt);
    len = _mpk_vformat(buf, n, fmt, ap);
    va_end(ap);
    return len;
}
