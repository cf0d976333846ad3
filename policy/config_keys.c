/* policy/config_keys.c: the table of every key: its section, the field it sets and the kind of
 * value it takes. Adding a key starts here (and in config.h, config_assign.c, README.md). */
#include <string.h>

#include "policy/config_parser.h"

static const char *const modes[] = { "enforce", "audit", "off", NULL };
static const char *const log_formats[] = { "text", "json", NULL };
static const char *const off_on[] = { "off", "on", NULL };
static const char *const evictions[] = { "lru", "random", "none", NULL };
static const char *const free_actions[] = { "keep", "revoke", "refuse", NULL };
static const char *const bad_key_actions[] = { "refuse", "abort", NULL };
static const char *const new_key_rules[] = { "this_thread", "all_threads", NULL };
static const char *const remap_rules[] = { "reset", "keep", NULL };
static const char *const self_write_actions[] = { "allow", "audit", "refuse", NULL };
static const char *const sealed_actions[] = { "no", "audit", "refuse", NULL };
static const char *const number_rules[] = { "unique", "kernel", NULL };
static const char *const rights[] = { "none", "read", "rw", NULL };
static const char *const deny_allow[] = { "deny", "allow", NULL };
static const char *const rwx_actions[] = { "allow", "audit", "deny", NULL };

/* Word lists are in the order of the enums in config.h: a word's index is its value. */
static const struct cfg_key keys[] = {
    { "mode", SEC_LIBMPK, MPK_KEY_MODE, KIND_WORD, modes, 0, 0 },
    { "log", SEC_LIBMPK, MPK_KEY_LOG, KIND_LOG, NULL, 0, 0 },
    { "log_format", SEC_LIBMPK, MPK_KEY_LOG_FORMAT, KIND_WORD, log_formats, 0, 0 },
    { "backtrace", SEC_LIBMPK, MPK_KEY_BACKTRACE, KIND_WORD, off_on, 0, 0 },
    { "verbose", SEC_LIBMPK, MPK_KEY_VERBOSE, KIND_WORD, off_on, 0, 0 },
    { "max_keys", SEC_LIBMPK, MPK_KEY_MAX_KEYS, KIND_COUNT, NULL, 1, MPK_CONFIG_MAX_KEYS_MAX },
    { "hw_keys", SEC_LIBMPK, MPK_KEY_HW_KEYS, KIND_HW_KEYS, NULL, 1, 15 },
    { "evict", SEC_LIBMPK, MPK_KEY_EVICT, KIND_WORD, evictions, 0, 0 },
    { "pin", SEC_LIBMPK, MPK_KEY_PIN, KIND_PIN, NULL, 1, 15 },
    { "on_free_in_use", SEC_LIBMPK, MPK_KEY_ON_FREE_IN_USE, KIND_WORD, free_actions, 0, 0 },
    { "on_bad_key", SEC_LIBMPK, MPK_KEY_ON_BAD_KEY, KIND_WORD, bad_key_actions, 0, 0 },
    { "sync_signal", SEC_LIBMPK, MPK_KEY_SYNC_SIGNAL, KIND_SIGNAL, NULL, 1, 64 },
    { "new_key", SEC_LIBMPK, MPK_KEY_NEW_KEY, KIND_WORD, new_key_rules, 0, 0 },
    { "on_remap", SEC_LIBMPK, MPK_KEY_ON_REMAP, KIND_WORD, remap_rules, 0, 0 },
    { "self_write", SEC_LIBMPK, MPK_KEY_SELF_WRITE, KIND_WORD, self_write_actions, 0, 0 },
    { "sealed", SEC_LIBMPK, MPK_KEY_SEALED, KIND_WORD, sealed_actions, 0, 0 },
    { "numbers", SEC_LIBMPK, MPK_KEY_NUMBERS, KIND_WORD, number_rules, 0, 0 },
    { "enable", SEC_WX, MPK_KEY_WX_ENABLE, KIND_WORD, off_on, 0, 0 },
    { "cross_thread", SEC_WX, MPK_KEY_WX_CROSS_THREAD, KIND_WORD, deny_allow, 0, 0 },
    { "rwx", SEC_WX, MPK_KEY_WX_RWX, KIND_WORD, rwx_actions, 0, 0 },
    { "file", SEC_WX, MPK_KEY_WX_FILE, KIND_GLOB, NULL, 0, 0 },
    { "min_size", SEC_WX, MPK_KEY_WX_MIN_SIZE, KIND_SIZE, NULL, 0, MPK_CONFIG_SIZE_MAX },
    { "file", SEC_REGION, MPK_RKEY_FILE, KIND_GLOB, NULL, 0, 0 },
    { "min_size", SEC_REGION, MPK_RKEY_MIN_SIZE, KIND_SIZE, NULL, 0, MPK_CONFIG_SIZE_MAX },
    { "flags", SEC_REGION, MPK_RKEY_FLAGS, KIND_FLAGS, NULL, 0, 0 },
    { "rights", SEC_REGION, MPK_RKEY_RIGHTS, KIND_WORD, rights, 0, 0 },
    { "threads", SEC_REGION, MPK_RKEY_THREADS, KIND_THREADS, NULL, 0, 0 },
    { "sealed", SEC_REGION, MPK_RKEY_SEALED, KIND_WORD, sealed_actions, 0, 0 },
};

#define NKEYS (sizeof keys / sizeof keys[0])

static bool named(const struct cfg_key *k, const char *name, size_t n)
{
    return strlen(k->name) == n && memcmp(k->name, name, n) == 0;
}

const struct cfg_key *cfg_key_find(enum cfg_section section, const char *name, size_t n)
{
    for (size_t i = 0; i < NKEYS; i++)
        if (keys[i].section == section && named(&keys[i], name, n))
            return &keys[i];
    return NULL;
}

const char *cfg_key_home(const char *name, size_t n)
{
    bool in[SEC_REGION + 1] = { false };

    for (size_t i = 0; i < NKEYS; i++)
        if (named(&keys[i], name, n))
            in[keys[i].section] = true;
    if (in[SEC_REGION] && in[SEC_WX])
        return "[region NAME] or [wx]";
    if (in[SEC_REGION])
        return "[region NAME]";
    if (in[SEC_WX])
        return "[wx]";
    if (in[SEC_LIBMPK])
        return "[libmpk]";
    return NULL;
}

size_t cfg_key_names(enum cfg_section section, const char **out, size_t cap)
{
    size_t n = 0;

    /* SEC_NONE: every name once, for a key written before any section header. */
    for (size_t i = 0; i < NKEYS && n + 1 < cap; i++) {
        bool seen = false;

        if (section != SEC_NONE && keys[i].section != section)
            continue;
        for (size_t j = 0; j < n; j++)
            seen = seen || strcmp(out[j], keys[i].name) == 0;
        if (!seen)
            out[n++] = keys[i].name;
    }
    out[n] = NULL;
    return n;
}

const char *cfg_section_name(enum cfg_section section)
{
    switch (section) {
    case SEC_LIBMPK:
        return "[libmpk]";
    case SEC_WX:
        return "[wx]";
    case SEC_REGION:
        return "[region NAME]";
    default:
        return "no section";
    }
}
