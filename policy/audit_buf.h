/* policy/audit_buf.h: a bounded output buffer for audit records, with the number and string
 * encodings the text and JSON formats need. Async-signal-safe: no allocation, no locale. */
#ifndef MPK_POLICY_AUDIT_BUF_H
#define MPK_POLICY_AUDIT_BUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Content stops at `limit`; the bytes between limit and cap are kept for the tokens that close a
 * record (quotes, brackets, the newline), so that a record cut short is still well formed. */
typedef struct mpk_abuf {
    char *p;
    size_t len, limit, cap;
    bool cut; /* some content did not fit */
} mpk_abuf_t;

#define MPK_ABUF_RESERVE 768

void mpk_abuf_init(mpk_abuf_t *b, char *mem, size_t cap);

/* Content, cut at the limit (sets b->cut). */
void mpk_abuf_put(mpk_abuf_t *b, const char *s, size_t n);
void mpk_abuf_str(mpk_abuf_t *b, const char *s);
/* Closing tokens: may use the reserve (never beyond cap). */
void mpk_abuf_close(mpk_abuf_t *b, const char *s);

void mpk_abuf_dec(mpk_abuf_t *b, long long v);
void mpk_abuf_udec(mpk_abuf_t *b, unsigned long long v, unsigned width); /* zero-padded to width */
void mpk_abuf_hex(mpk_abuf_t *b, uintptr_t v);                         /* 0x... */

/* A JSON string literal, quotes included: ", \ and control bytes escaped, bytes that are not
 * valid UTF-8 replaced by U+FFFD. Cut at the limit, but always closed. */
void mpk_abuf_json_str(mpk_abuf_t *b, const char *s);

/* A text-format value: as is when it is one plain word, else double-quoted with \" \\ \n \t
 * and \xNN for other control bytes. */
void mpk_abuf_text_value(mpk_abuf_t *b, const char *s);

#endif
