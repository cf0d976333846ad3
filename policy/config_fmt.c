/* policy/config_fmt.c: a small snprintf for error messages, because the parser must not reach
 * stdio (which may allocate or consult the locale) from inside the preload. */
#include <string.h>

#include "policy/config_parser.h"

struct out {
    char *buf;
    size_t cap, len; /* len counts every byte asked for, written or not */
};

static void put(struct out *o, const char *s, size_t n)
{
    if (o->len + 1 < o->cap) {
        size_t room = o->cap - 1 - o->len;

        memcpy(o->buf + o->len, s, n < room ? n : room);
    }
    o->len += n;
}

static void put_unsigned(struct out *o, unsigned long long v, unsigned base)
{
    char digits[24];
    size_t i = sizeof digits;

    do {
        digits[--i] = "0123456789abcdef"[v % base];
        v /= base;
    } while (v);
    put(o, digits + i, sizeof digits - i);
}

static void put_signed(struct out *o, long long v)
{
    if (v < 0) {
        put(o, "-", 1);
        put_unsigned(o, 0ull - (unsigned long long)v, 10);
    } else {
        put_unsigned(o, (unsigned long long)v, 10);
    }
}

/* One conversion after '%'; returns the format just past it. */
static const char *convert(struct out *o, const char *f, va_list *ap)
{
    int precision = -1, longs = 0;
    bool size_t_arg = false;
    const char *s;
    char ch;

    if (f[0] == '.' && f[1] == '*') {
        precision = va_arg(*ap, int);
        f += 2;
    }
    for (; *f == 'l'; f++)
        longs++;
    if (*f == 'z') {
        size_t_arg = true;
        f++;
    }
    switch (*f) {
    case 's':
        s = va_arg(*ap, const char *);
        if (!s)
            s = "(null)";
        put(o, s, precision >= 0 ? strnlen(s, (size_t)precision) : strlen(s));
        break;
    case 'c':
        ch = (char)va_arg(*ap, int);
        put(o, &ch, 1);
        break;
    case 'd':
        put_signed(o, longs >= 2 ? va_arg(*ap, long long)
                      : longs   ? va_arg(*ap, long)
                                : va_arg(*ap, int));
        break;
    case 'u':
    case 'x':
        put_unsigned(o, size_t_arg  ? va_arg(*ap, size_t)
                        : longs >= 2 ? va_arg(*ap, unsigned long long)
                        : longs      ? va_arg(*ap, unsigned long)
                                     : va_arg(*ap, unsigned),
                     *f == 'x' ? 16 : 10);
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

size_t cfg_vfmt(char *buf, size_t n, const char *fmt, va_list ap)
{
    struct out o = { buf, n, 0 };
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
        buf[o.len < n ? o.len : n - 1] = '\0';
    return o.len;
}

size_t cfg_fmt(char *buf, size_t n, const char *fmt, ...)
{
    va_list ap;
    size_t len;

    va_start(ap, fmt);
    len = cfg_vfmt(buf, n, fmt, ap);
    va_end(ap);
    return len;
}

bool cfg_copy(char *dst, size_t cap, const char *s, size_t len)
{
    if (len >= cap)
        return false;
    memmove(dst, s, len); /* s may be dst itself */
    memset(dst + len, 0, cap - len);
    return true;
}
