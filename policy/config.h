/* policy/config.h: the libmpk configuration (file named by LIBMPK_CONFIG, LIBMPK_OPTIONS) as plain
 * values, and the parser that fills it. policy/README.md documents every key for users. */
#ifndef MPK_POLICY_CONFIG_H
#define MPK_POLICY_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "policy/defaults.h" /* the enums of the settings, and their defaults */

/* The parser runs inside the preload's constructor and may be reached from an interposed mmap
 * inside malloc, so it never allocates and never uses stdio: every limit below is a fixed
 * buffer. struct mpk_config is large (about 52 KiB): keep it in static storage. A parse uses
 * about 16 KiB of stack (a line buffer and the file reader's buffer). */
#define MPK_CONFIG_LINE_MAX 4096   /* bytes in one line, without its line ending */
#define MPK_CONFIG_PATH_MAX 4096   /* buffer for a path: at most 4095 bytes */
#define MPK_CONFIG_GLOB_MAX 256    /* buffer for a glob: at most 255 bytes */
#define MPK_CONFIG_NAME_MAX 64     /* buffer for a region name: at most 63 bytes */
#define MPK_CONFIG_REGIONS_MAX 64  /* [region NAME] sections */
#define MPK_CONFIG_MAX_KEYS_MAX 1048576u
#define MPK_CONFIG_SIZE_MAX (1ull << 47) /* min_size: the x86-64 user address space */

enum mpk_rights { MPK_RIGHTS_NONE, MPK_RIGHTS_READ, MPK_RIGHTS_RW };

/* Region `flags`: every flag given must hold for a mapping to match. */
enum mpk_map_flag {
    MPK_MAP_ANON = 1u << 0,
    MPK_MAP_FILE = 1u << 1,
    MPK_MAP_PRIVATE = 1u << 2,
    MPK_MAP_SHARED = 1u << 3,
    MPK_MAP_EXEC = 1u << 4,
    MPK_MAP_WRITE = 1u << 5,
};

/* Settings of [libmpk] and [wx], in table order; the index into mpk_config.pos. */
enum mpk_config_key {
    MPK_KEY_MODE,
    MPK_KEY_LOG,
    MPK_KEY_LOG_FORMAT,
    MPK_KEY_BACKTRACE,
    MPK_KEY_VERBOSE,
    MPK_KEY_MAX_KEYS,
    MPK_KEY_HW_KEYS,
    MPK_KEY_EVICT,
    MPK_KEY_PIN,
    MPK_KEY_ON_FREE_IN_USE,
    MPK_KEY_ON_BAD_KEY,
    MPK_KEY_SYNC_SIGNAL,
    MPK_KEY_NEW_KEY,
    MPK_KEY_ON_REMAP,
    MPK_KEY_SELF_WRITE,
    MPK_KEY_SEALED,
    MPK_KEY_NUMBERS,
    MPK_KEY_WX_ENABLE,
    MPK_KEY_WX_CROSS_THREAD,
    MPK_KEY_WX_RWX,
    MPK_KEY_WX_FILE,
    MPK_KEY_WX_MIN_SIZE,
    MPK_CONFIG_NKEYS
};

/* Settings of a [region NAME] section; the index into mpk_region.pos. */
enum mpk_region_key {
    MPK_RKEY_FILE,
    MPK_RKEY_MIN_SIZE,
    MPK_RKEY_FLAGS,
    MPK_RKEY_RIGHTS,
    MPK_RKEY_THREADS,
    MPK_RKEY_SEALED,
    MPK_REGION_NKEYS
};

enum mpk_config_source { MPK_SRC_DEFAULT, MPK_SRC_FILE, MPK_SRC_OPTIONS };

/* Where a setting was made, so that later errors (a log file that cannot be opened, a policy
 * conflict) can point at it. source FILE means mpk_config.file; gen is the parse call that made
 * it (0 = built-in default), which is how duplicates within one file are told from overrides. */
struct mpk_config_pos {
    unsigned char source;
    unsigned gen, line, col;
};

struct mpk_region {
    char name[MPK_CONFIG_NAME_MAX];
    char file[MPK_CONFIG_GLOB_MAX];    /* glob on a file-backed mapping's path; "" = any mapping */
    uint64_t min_size;                 /* bytes; 0 = any size */
    unsigned flags;                    /* mpk_map_flag bits that must all hold; 0 = any */
    enum mpk_rights rights;
    char threads[MPK_CONFIG_GLOB_MAX]; /* glob on the thread name; "" = all threads */
    enum mpk_seal sealed;            /* mprotect, mremap, madvise of its pages by the program */
    struct mpk_config_pos header;      /* the [region NAME] line */
    struct mpk_config_pos pos[MPK_REGION_NKEYS];
};

struct mpk_wx {
    bool enable;
    enum mpk_wx_cross_thread cross_thread;
    enum mpk_wx_rwx rwx;
    char file[MPK_CONFIG_GLOB_MAX]; /* "" = every mapping, anonymous or file-backed */
    uint64_t min_size;
};

struct mpk_config {
    enum mpk_mode mode;
    char log[MPK_CONFIG_PATH_MAX]; /* "" = stderr */
    enum mpk_log_format log_format;
    bool backtrace;
    bool verbose;
    unsigned max_keys;       /* 1..MPK_CONFIG_MAX_KEYS_MAX virtual keys */
    unsigned hw_keys;        /* 1..15 hardware keys at most; 0 = auto */
    enum mpk_evict evict;
    uint16_t pin;            /* bit k set: key k (1..15) is never evicted */
    enum mpk_on_free_in_use on_free_in_use;
    enum mpk_on_bad_key on_bad_key;
    int sync_signal;         /* a signal number */
    enum mpk_new_key new_key; /* which threads get a new key's initial rights */
    enum mpk_on_remap on_remap; /* a fresh mapping over a live key's pages: reset or keep */
    enum mpk_self_write self_write; /* writes to this process past PKRU, through the kernel */
    enum mpk_seal sealed; /* mprotect, mremap, madvise of a key's pages outside the API */
    enum mpk_numbers numbers; /* unique: a freed number never comes back; kernel: as the kernel's */
    struct mpk_wx wx;
    unsigned nregions;
    struct mpk_region regions[MPK_CONFIG_REGIONS_MAX];

    /* Where each setting came from. */
    struct mpk_config_pos pos[MPK_CONFIG_NKEYS];
    struct mpk_config_pos libmpk_header, wx_header; /* to refuse a section given twice */
    char file[MPK_CONFIG_PATH_MAX]; /* name of the last file (or text) parsed */
    unsigned gen;                   /* parse calls so far */
};

/* One error. where is the file path, "LIBMPK_OPTIONS" or "LIBMPK_CONFIG"; line and col are
 * 1-based (col counts characters, a tab as one), or 0 when the error has no position (a file
 * that cannot be opened). */
struct mpk_config_error {
    char where[MPK_CONFIG_PATH_MAX];
    unsigned line, col;
    char msg[512];
};

/* The built-in defaults (policy/default.conf spells out the same values). */
void mpk_config_defaults(struct mpk_config *c);

/* Each parse function applies what it reads on top of c and returns 0, or -1 with e filled.
 * After an error c is partly updated and must not be used. A key given twice in one file (or in
 * one LIBMPK_OPTIONS string) is an error; a later parse call overrides an earlier one. */
int mpk_config_parse_file(struct mpk_config *c, const char *path, struct mpk_config_error *e);

/* text need not be NUL-terminated; where names it in errors (NULL: "<text>"). */
int mpk_config_parse_text(struct mpk_config *c, const char *text, size_t len, const char *where,
                          struct mpk_config_error *e);

/* LIBMPK_OPTIONS: "key=value:key=value", [libmpk] keys only; errors are LIBMPK_OPTIONS:1:COL. */
int mpk_config_parse_options(struct mpk_config *c, const char *opts, struct mpk_config_error *e);

/* Checks between settings (pinned keys against hw_keys and max_keys); 0 or -1 with e filled,
 * pointing at the setting to change. */
int mpk_config_check(const struct mpk_config *c, struct mpk_config_error *e);

/* Everything, for the preload: defaults, then the file named by LIBMPK_CONFIG (if set; set but
 * empty is an error), then LIBMPK_OPTIONS (if set), then mpk_config_check. envp may be NULL. */
int mpk_config_load(struct mpk_config *c, char *const envp[], struct mpk_config_error *e);

/* The log sink: 2 for stderr, else a new O_APPEND|O_CLOEXEC descriptor of the log file (created
 * 0644 if missing); or -1 with an error pointing at where `log` was set. */
int mpk_config_open_log(const struct mpk_config *c, struct mpk_config_error *e);

/* An error about a setting made at pos (e.g. c->pos[MPK_KEY_LOG]), for callers that find a
 * problem after parsing. Supports %s %.*s %c %d %u %zu %llu %x and %%. Returns -1. */
int mpk_config_error_at(const struct mpk_config *c, const struct mpk_config_pos *pos,
                        struct mpk_config_error *e, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* "libmpk: error: WHERE:LINE:COL: MSG\n" (or "WHERE: MSG" when line is 0) into buf, always
 * NUL-terminated when n > 0; returns the full length, as snprintf does. A buffer of
 * sizeof(struct mpk_config_error) + 64 bytes always holds it. */
size_t mpk_config_format_error(const struct mpk_config_error *e, char *buf, size_t n);

#endif
