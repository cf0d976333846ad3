/* policy/audit_buf.c: the bounded buffer of audit records and its encodings (decimal and hex
 * through policy/format.c, JSON strings, quoted text values). */
#include "policy/audit_buf.h"

#include "policy/format.h"
#include "policy/utf8.h"

#include <string.h>

void mpk_abuf_init(mpk_abuf_t *b, char *mem, size_t cap)
{
    b->p = mem;
    b->len = 0;
    b->cap = cap;
    b->limit = cap > 2 * MPK_ABUF_RESERVE ? cap - MPK_ABUF_RESERVE : cap / 2;
    b->cut = false;
}

static bool room(const mpk_abuf_t *b, size_t end, size_t n) { return b->len + n <= end; }

void mpk_abuf_put(mpk_abuf_t *b, const char *s, size_t n)
{
    if (!room(b, b->limit, n)) {
        n = b->limit > b->len ? b->limit - b->len : 0;
        b->cut = true;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
}

void mpk_abuf_str(mpk_abuf_t *b, const char *s) { mpk_abuf_put(b, s, strlen(s)); }

void mpk_abuf_close(mpk_abuf_t *b, const char *s)
{
    size_t n = strlen(s);
    if (!room(b, b->cap, n)) {
        n = b->cap - b->len;
        b->cut = true;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
}

/* Numbers are short and part of the structure: they use the reserve rather than vanish, which
 * would leave a JSON member without a value. */
static void put_number(mpk_abuf_t *b, const char *s, size_t n)
{
    if (room(b, b->cap, n)) {
        memcpy(b->p + b->len, s, n);
        b->len += n;
    } else {
        b->cut = true;
    }
}

void mpk_abuf_udec(mpk_abuf_t *b, unsigned long long v, unsigned width)
{
    char digits[24], padded[48];
    size_t n = _mpk_format(digits, sizeof digits, "%llu", v);
    size_t pad = width > n ? width - n : 0;
    if (pad > sizeof padded - sizeof digits)
        pad = sizeof padded - sizeof digits;
    memset(padded, '0', pad);
    memcpy(padded + pad, digits, n);
    put_number(b, padded, pad + n);
}

void mpk_abuf_dec(mpk_abuf_t *b, long long v)
{
    char tmp[24];
    put_number(b, tmp, _mpk_format(tmp, sizeof tmp, "%lld", v));
}

void mpk_abuf_hex(mpk_abuf_t *b, uintptr_t v)
{
    char tmp[24];
    put_number(b, tmp, _mpk_format(tmp, sizeof tmp, "0x%lx", (unsigned long)v));
}

void mpk_abuf_json_str(mpk_abuf_t *b, const char *str)
{
    const unsigned char *s = (const unsigned char *)str;
    size_t n = strlen(str);
    char esc[8];
    mpk_abuf_close(b, "\"");
    for (size_t i = 0; i < n && !b->cut;) {
        size_t k = _mpk_utf8_length(s + i, n - i);
        const char *out = (const char *)s + i;
        size_t outlen = k;
        if (k == 0) {
            out = "\\ufffd";
            outlen = 6;
            k = 1;
        } else if (s[i] == '"' || s[i] == '\\') {
            esc[0] = '\\';
            esc[1] = (char)s[i];
            out = esc;
            outlen = 2;
        } else if (s[i] < 0x20) {
            memcpy(esc, "\\u00", 4);
            esc[4] = "0123456789abcdef"[s[i] >> 4];
            esc[5] = "0123456789abcdef"[s[i] & 15];
            out = esc;
            outlen = 6;
        }
        if (!room(b, b->limit, outlen)) {
            b->cut = true; /* never half an escape or half a character */
            break;
        }
        memcpy(b->p + b->len, out, outlen);
        b->len += outlen;
        i += k;
    }
    mpk_abuf_close(b, "\"");
}

static bool plain_word(const char *s)
{
    if (!*s)
        return false;
    for (; *s; s++)
        if ((unsigned char)*s <= ' ' || *s == '"' || *s == '\\' || *s == 0x7f)
            return false;
    return true;
}

void mpk_abuf_text_value(mpk_abuf_t *b, const char *s)
{
    char esc[4];
    if (plain_word(s)) {
        mpk_abuf_str(b, s);
        return;
    }
    mpk_abuf_close(b, "\"");
    for (; *s && !b->cut; s++) {
        unsigned char c = (unsigned char)*s;
        size_t n = 1;
        esc[0] = (char)c;
        if (c == '"' || c == '\\' || c == '\n' || c == '\t') {
            esc[0] = '\\';
            esc[1] = c == '\n' ? 'n' : c == '\t' ? 't' : (char)c;
            n = 2;
        } else if (c < 0x20 || c == 0x7f) {
            esc[0] = '\\';
            esc[1] = 'x';
            esc[2] = "0123456789abcdef"[c >> 4];
            esc[3] = "0123456789abcdef"[c & 15];
            n = 4;
        }
        if (!room(b, b->limit, n)) {
            b->cut = true;
            break;
        }
        memcpy(b->p + b->len, esc, n);
        b->len += n;
    }
    mpk_abuf_close(b, "\"");
}
