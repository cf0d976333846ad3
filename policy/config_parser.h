/* policy/config_parser.h: what the policy/config_*.c files share (parser state, the key table,
 * value parsers, error helpers). Internal to policy/: users include policy/config.h. */
#ifndef MPK_POLICY_CONFIG_PARSER_H
#define MPK_POLICY_CONFIG_PARSER_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "policy/config.h"
#include "policy/format.h"

enum cfg_section { SEC_NONE, SEC_LIBMPK, SEC_WX, SEC_REGION };

struct cfg_parser {
    struct mpk_config *c;
    struct mpk_config_error *e;
    const char *where;          /* names the input in errors */
    unsigned char source;       /* MPK_SRC_FILE or MPK_SRC_OPTIONS */
    unsigned line;              /* current line, 1-based */
    const char *text;           /* start of the current line: columns count from here */
    enum cfg_section section;
    struct mpk_region *region;  /* the open [region NAME], if section is SEC_REGION */
    const char *quote;          /* the opening '"' of the value in value[], for columns */
    char value[MPK_CONFIG_LINE_MAX + 1]; /* a quoted value, unescaped */
};

/* Starts a parse call on c: a new generation, so duplicates within this input are found. */
void cfg_parser_init(struct cfg_parser *p, struct mpk_config *c, struct mpk_config_error *e,
                     const char *where, unsigned char source);

/* ---- errors (config_error.c) ---- */

/* The error at `at` in the current line (NULL: no column); returns -1. */
int cfg_fail(struct cfg_parser *p, const char *at, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* The error at a recorded position (a section header, a setting); returns -1. */
int cfg_fail_pos(struct cfg_parser *p, const struct mpk_config_pos *pos, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* The error with no line (the input as a whole: a missing file); returns -1. */
int cfg_fail_input(struct mpk_config_error *e, const char *where, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void cfg_error_v(struct mpk_config_error *e, const char *where, unsigned line, unsigned col,
                 const char *fmt, va_list ap);
/* strerror(3) for the errors that opening and reading files give; ours because strerror may
 * translate through the locale. */
const char *cfg_errno_text(int err);
/* 1-based character column of at in the current line (or in the quoted value). */
unsigned cfg_col(const struct cfg_parser *p, const char *at);
/* Where a setting at pos was made, as errors name it. */
const char *cfg_pos_where(const struct mpk_config *c, const struct mpk_config_pos *pos);
/* "line 3" or "column 7" (LIBMPK_OPTIONS is one line) or "FILE:3:1" in another input. */
void cfg_describe_pos(const struct cfg_parser *p, const struct mpk_config_pos *pos, char *buf,
                      size_t n);

/* Echo user text in messages: printf arguments for "%.*s%s", at most CFG_SHOW_MAX bytes cut on
 * a character boundary, then "..." if cut. */
#define CFG_SHOW_MAX 40
#define CFG_SHOW(s, n) (int)cfg_clip((s), (n)), (s), ((n) > CFG_SHOW_MAX ? "..." : "")
size_t cfg_clip(const char *s, size_t n);

/* ---- copying (config_fmt.c); messages use _mpk_format (policy/format.h) ---- */

/* Copies s[0..len) and a NUL into dst[cap], zeroing the rest; false if it does not fit. */
bool cfg_copy(char *dst, size_t cap, const char *s, size_t len);

/* ---- reading lines (config_lines.c) ---- */

struct cfg_reader {
    int fd;                  /* -1: read text[0..len) instead */
    const char *text;
    size_t len, off;
    size_t start, end;       /* unread bytes: buf[start..end) */
    bool eof;
    char buf[2 * MPK_CONFIG_LINE_MAX];
};

void cfg_reader_text(struct cfg_reader *r, const char *text, size_t len);
void cfg_reader_fd(struct cfg_reader *r, int fd);
/* The next line without its line ending in *line, *n: 1; the end of input: 0; an error: -1.
 * Refuses overlong lines, control bytes and invalid UTF-8; skips a UTF-8 byte-order mark. */
int cfg_reader_next(struct cfg_parser *p, struct cfg_reader *r, const char **line, size_t *n);
/* 0 when s[0..n) is text (UTF-8 with no control bytes but tab); else -1 with the error. */
int cfg_check_text(struct cfg_parser *p, const char *s, size_t n);

/* Every line of r, then the end of the last section (config_parse.c). */
int cfg_parse_stream(struct cfg_parser *p, struct cfg_reader *r);

/* ---- syntax (config_syntax.c) ---- */

static inline bool cfg_is_space(char ch) { return ch == ' ' || ch == '\t'; }
const char *cfg_skip_space(const char *s, const char *end);
const char *cfg_trim_end(const char *s, const char *end);
/* One line of a config file. */
int cfg_parse_line(struct cfg_parser *p, const char *line, size_t n);
/* A quoted value starting at q (a '"'), unescaped into p->value; *after is just past the
 * closing quote. */
int cfg_unquote(struct cfg_parser *p, const char *q, const char *end, size_t *len,
                const char **after);

/* ---- sections (config_sections.c) ---- */

/* A section header; s..end is what lies between its '[' (at s - 1) and ']'. */
int cfg_section_begin(struct cfg_parser *p, const char *s, const char *end);
/* Checks that need the whole section (a region's rights); at every header and at the end. */
int cfg_section_end(struct cfg_parser *p);

/* ---- keys (config_keys.c) and values (config_values.c, config_signal.c) ---- */

enum cfg_kind {
    KIND_WORD,    /* one of key->words; stores its index */
    KIND_COUNT,   /* a number in key->min..key->max */
    KIND_SIZE,    /* a number with an optional K/M/G/T suffix */
    KIND_LOG,     /* "stderr" or a path */
    KIND_GLOB,    /* a glob on a mapping's file path */
    KIND_THREADS, /* "all" or a glob on thread names */
    KIND_HW_KEYS, /* "auto" or 1..15 */
    KIND_PIN,     /* "none" or a comma-separated list of keys 1..15 */
    KIND_SIGNAL,  /* a signal number or name */
    KIND_FLAGS,   /* '|'-separated mapping flags */
};

struct cfg_key {
    const char *name;
    unsigned char section;
    unsigned char id;          /* enum mpk_config_key, or enum mpk_region_key in a region */
    unsigned char kind;
    const char *const *words;  /* KIND_WORD: the allowed values, NULL-terminated */
    uint64_t min, max;         /* KIND_COUNT */
};

/* The key called name in section, or NULL. */
const struct cfg_key *cfg_key_find(enum cfg_section section, const char *name, size_t n);
/* "[libmpk]", "[wx]", "[region NAME]", or "[region NAME] or [wx]": where a key belongs. */
const char *cfg_key_home(const char *name, size_t n);
/* key = value in the current section. value may lie in p->value (quoted). */
int cfg_assign(struct cfg_parser *p, const char *key, size_t klen, const char *value,
               size_t vlen);
/* The section's key names, NULL-terminated, for suggestions and lists. */
size_t cfg_key_names(enum cfg_section section, const char **out, size_t cap);
const char *cfg_section_name(enum cfg_section section);

struct cfg_value {
    uint64_t num;
    const char *str;  /* KIND_LOG, KIND_GLOB, KIND_THREADS: the text to store */
    size_t len;
};

/* Parses value v[0..n) for key into out; 0 or -1 with the error. */
int cfg_parse_value(struct cfg_parser *p, const struct cfg_key *key, const char *v, size_t n,
                    struct cfg_value *out);
/* What key takes, in words ("enforce, audit or off"), for messages. */
void cfg_expected(const struct cfg_key *key, char *buf, size_t cap);
int cfg_parse_signal(struct cfg_parser *p, const char *v, size_t n, int *out);
/* A number in key->min..key->max with nothing after it. */
int cfg_parse_count(struct cfg_parser *p, const struct cfg_key *k, const char *v, size_t n,
                    uint64_t *out);
/* "invalid value 'V' for KEY: expected ..." and "'V' is out of range for KEY: expected ...". */
int cfg_bad_value(struct cfg_parser *p, const struct cfg_key *k, const char *v, size_t n);
int cfg_out_of_range(struct cfg_parser *p, const struct cfg_key *k, const char *v, size_t n);
/* Lists (config_lists.c): pin's keys as a bit mask, flags as mpk_map_flag bits. */
int cfg_parse_pin(struct cfg_parser *p, const struct cfg_key *k, const char *v, size_t n,
                  uint64_t *out);
int cfg_parse_flags(struct cfg_parser *p, const struct cfg_key *k, const char *v, size_t n,
                    uint64_t *out);
/* Digits of a decimal or 0x-hex number at the start of s[0..n): 0, EINVAL (no digits) or
 * ERANGE (more than 64 bits); *used counts the bytes taken. */
int cfg_number(const char *s, size_t n, uint64_t *out, size_t *used);

/* ---- suggestions (config_suggest.c) ---- */

/* The candidate closest to word[0..n) (edit distance at most 2, ignoring case, or word a
 * prefix of it), or NULL. */
const char *cfg_suggest(const char *word, size_t n, const char *const *cands, size_t ncands);
/* "; did you mean 'X'?" into buf if a candidate is close, else "". */
void cfg_did_you_mean(char *buf, size_t cap, const char *word, size_t n, const char *const *cands,
                      size_t ncands);
/* "a, b or c" into buf. */
void cfg_join_words(char *buf, size_t cap, const char *const *words, size_t nwords);

#endif
