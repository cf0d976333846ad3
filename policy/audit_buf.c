/* policy/audit_buf.c: the bounded buffer of audit records and its encodings (decimal, hex,
 * JSON strings, quoted text values). */
#include "policy/audit_buf.h"

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
    char tmp[24];
    size_t i = sizeof tmp;
    do {
        tmp[--i] = (char)('0' + v % 10);
        v /= 10;
    } while (v && i > 0);
    while (sizeof tmp - i < width && i > 0)
        tmp[--i] = '0';
    put_number(b, tmp + i, sizeof tmp - i);
}

void mpk_abuf_dec(mpk_abuf_t *b, long long v)
{
    if (v < 0) {
        put_number(b, "-", 1);
        mpk_abuf_udec(b, 0ull - (unsigned long long)v, 0);
    } else {
        mpk_abuf_udec(b, (unsigned long long)v, 0);
    }
}

void mpk_abuf_hex(mpk_abuf_t *b, uintptr_t v)
{
    char tmp[20];
    size_t i = sizeof tmp;
    do {
        tmp[--i] = "0123456789abcdef"[v & 15];
        v >>= 4;
    } while (v);
    tmp[--i] = 'x';
    tmp[--i] = '0';
    put_number(b, tmp + i, sizeof tmp - i);
}

/* Length of the valid UTF-8 sequence at s (at most n bytes), or 0 if it is not one. Overlong
 * forms, surrogates and code points above U+10FFFF are invalid, as in JSON parsers. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
    unsigned c = s[0], need, cp;
    if (c < 0x80)
        return 1;
    if (c >= 0xc2 && c <= 0xdf)
        need = 1, cp = c & 0x1f;
    else if (c >= 0xe0 && c <= 0xef)
        need = 2, cp = c & 0x0f;
    else if (c >= 0xf0 && c <= 0xf4)
        need = 3, cp = c & 0x07;
    else
        return 0;
    if (n < need + 1)
        return 0;
    for (unsigned i = 1; i <= need; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[i] & 0x3f);
    }
    if ((need == 2 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
        (need == 3 && (cp < 0x10000 || cp > 0x10ffff)))
        return 0;
    return need + 1;
}

void mpk_abuf_json_str(mpk_abuf_t *b, const char *str)
{
    const unsigned char *s = (const unsigned char *)str;
    size_t n = strlen(str);
    char esc[8];
    mpk_abuf_close(b, "\"");
    for (size_t i = 0; i < n && !b->cut;) {
        size_t k = utf8_len(s + i, n - i);
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
