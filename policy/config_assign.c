/* policy/config_assign.c: one "key = value": finding the key in the current section (or saying
 * where it belongs), refusing duplicates, then storing the parsed value in its field. */
#include <string.h>

#include "policy/config_parser.h"

static int outside_section(struct cfg_parser *p, const char *key, size_t n)
{
    const char *names[32], *home = cfg_key_home(key, n), *hint;
    size_t count;

    if (home)
        return cfg_fail(p, key, "key '%.*s%s' before any section header: put it under %s",
                        CFG_SHOW(key, n), home);
    count = cfg_key_names(SEC_NONE, names, 32);
    hint = cfg_suggest(key, n, names, count);
    if (hint)
        return cfg_fail(p, key, "unknown key '%.*s%s' before any section header; did you mean "
                                "'%s' (under %s)?", CFG_SHOW(key, n), hint,
                        cfg_key_home(hint, strlen(hint)));
    return cfg_fail(p, key, "unknown key '%.*s%s' before any section header: a config file "
                            "starts with [libmpk], [wx] or [region NAME]", CFG_SHOW(key, n));
}

static int unknown_key(struct cfg_parser *p, const char *key, size_t n)
{
    const char *names[32], *home = cfg_key_home(key, n), *hint;
    const char *in = p->source == MPK_SRC_OPTIONS ? "LIBMPK_OPTIONS" : cfg_section_name(p->section);
    char list[400];
    size_t count;

    if (home && p->source == MPK_SRC_OPTIONS)
        return cfg_fail(p, key, "'%.*s%s' cannot be set in LIBMPK_OPTIONS, which sets [libmpk] "
                                "keys only: it goes under %s in the config file",
                        CFG_SHOW(key, n), home);
    if (home)
        return cfg_fail(p, key, "key '%.*s%s' does not belong in %s: it goes under %s",
                        CFG_SHOW(key, n), in, home);
    count = cfg_key_names(p->section, names, 32);
    hint = cfg_suggest(key, n, names, count);
    if (hint)
        return cfg_fail(p, key, "unknown key '%.*s%s' in %s; did you mean '%s'?",
                        CFG_SHOW(key, n), in, hint);
    cfg_join_words(list, sizeof list, names, count);
    return cfg_fail(p, key, "unknown key '%.*s%s' in %s: expected %s", CFG_SHOW(key, n), in,
                    list);
}

static void apply_main(struct mpk_config *c, const struct cfg_key *k, const struct cfg_value *v)
{
    switch ((enum mpk_config_key)k->id) {
    case MPK_KEY_MODE: c->mode = (enum mpk_mode)v->num; break;
    case MPK_KEY_LOG: cfg_copy(c->log, sizeof c->log, v->str, v->len); break;
    case MPK_KEY_LOG_FORMAT: c->log_format = (enum mpk_log_format)v->num; break;
    case MPK_KEY_BACKTRACE: c->backtrace = v->num != 0; break;
    case MPK_KEY_VERBOSE: c->verbose = v->num != 0; break;
    case MPK_KEY_MAX_KEYS: c->max_keys = (unsigned)v->num; break;
    case MPK_KEY_HW_KEYS: c->hw_keys = (unsigned)v->num; break;
    case MPK_KEY_EVICT: c->evict = (enum mpk_evict)v->num; break;
    case MPK_KEY_PIN: c->pin = (uint16_t)v->num; break;
    case MPK_KEY_ON_FREE_IN_USE: c->on_free_in_use = (enum mpk_on_free_in_use)v->num; break;
    case MPK_KEY_ON_BAD_KEY: c->on_bad_key = (enum mpk_on_bad_key)v->num; break;
    case MPK_KEY_SYNC_SIGNAL: c->sync_signal = (int)v->num; break;
    case MPK_KEY_NEW_KEY: c->new_key = (enum mpk_new_key)v->num; break;
    case MPK_KEY_ON_REMAP: c->on_remap = (enum mpk_on_remap)v->num; break;
    case MPK_KEY_SELF_WRITE: c->self_write = (enum mpk_self_write)v->num; break;
    case MPK_KEY_SEALED: c->sealed = (enum mpk_seal)v->num; break;
    case MPK_KEY_NUMBERS: c->numbers = (enum mpk_numbers)v->num; break;
    case MPK_KEY_WX_ENABLE: c->wx.enable = v->num != 0; break;
    case MPK_KEY_WX_CROSS_THREAD: c->wx.cross_thread = (enum mpk_wx_cross_thread)v->num; break;
    case MPK_KEY_WX_RWX: c->wx.rwx = (enum mpk_wx_rwx)v->num; break;
    case MPK_KEY_WX_FILE: cfg_copy(c->wx.file, sizeof c->wx.file, v->str, v->len); break;
    case MPK_KEY_WX_MIN_SIZE: c->wx.min_size = v->num; break;
    case MPK_CONFIG_NKEYS: break;
    }
}

static void apply_region(struct mpk_region *r, const struct cfg_key *k, const struct cfg_value *v)
{
    switch ((enum mpk_region_key)k->id) {
    case MPK_RKEY_FILE: cfg_copy(r->file, sizeof r->file, v->str, v->len); break;
    case MPK_RKEY_MIN_SIZE: r->min_size = v->num; break;
    case MPK_RKEY_FLAGS: r->flags = (unsigned)v->num; break;
    case MPK_RKEY_RIGHTS: r->rights = (enum mpk_rights)v->num; break;
    case MPK_RKEY_THREADS: cfg_copy(r->threads, sizeof r->threads, v->str, v->len); break;
    case MPK_RKEY_SEALED: r->sealed = (enum mpk_seal)v->num; break;
    case MPK_REGION_NKEYS: break;
    }
}

int cfg_assign(struct cfg_parser *p, const char *key, size_t klen, const char *value,
               size_t vlen)
{
    const struct cfg_key *k;
    struct mpk_config_pos *pos;
    struct cfg_value v = { 0, NULL, 0 };
    char buf[300];

    if (p->section == SEC_NONE)
        return outside_section(p, key, klen);
    k = cfg_key_find(p->section, key, klen);
    if (!k)
        return unknown_key(p, key, klen);
    pos = p->section == SEC_REGION ? &p->region->pos[k->id] : &p->c->pos[k->id];
    if (pos->gen == p->c->gen) {
        cfg_describe_pos(p, pos, buf, sizeof buf);
        return cfg_fail(p, key, "duplicate key '%s' (first set at %s)", k->name, buf);
    }
    if (vlen == 0) {
        cfg_expected(k, buf, sizeof buf);
        return cfg_fail(p, value, "empty value for '%s': expected %s", k->name, buf);
    }
    if (cfg_parse_value(p, k, value, vlen, &v) < 0)
        return -1;
    if (p->section == SEC_REGION)
        apply_region(p->region, k, &v);
    else
        apply_main(p->c, k, &v);
    pos->source = p->source;
    pos->gen = p->c->gen;
    pos->line = p->line;
    pos->col = cfg_col(p, value);
    return 0;
}
