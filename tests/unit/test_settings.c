/* tests/unit/test_settings.c: the defaults are one table (policy/defaults.h): the manager's own
 * defaults, the config parser's and policy/default.conf's, once turned into settings, agree
 * field by field; and each choice of the config reaches the manager as the same choice. */
#include "core/state.h"
#include "policy/config.h"
#include "policy/format.h"
#include "preload/settings_map.h"

#include <criterion/criterion.h>
#include <string.h>

/* The settings the config decides, as one line: two that differ show where at a glance. */
static const char *describe(const mpk_settings_t *s, char *buf, size_t n)
{
    _mpk_format(buf, n,
                "max_keys=%u hw_keys=%u evict=%d virtualize=%d pin=%x on_free_in_use=%d "
                "on_bad_key_abort=%d sync_signal=%d new_key=%d on_remap=%d wx.enable=%d wx.cross_allow=%d wx.rwx=%d "
                "wx.min_size=%zu self_write=%d sealed=%d numbers=%d",
                s->max_keys, s->hw_budget, s->evict, s->virtualize, (unsigned)s->pins,
                s->on_free_in_use, s->on_bad_key_abort, s->sync_signal, s->new_key, s->on_remap,
                s->wx_enable,
                s->wx_cross_allow, s->wx_rwx, s->wx_min_size, s->self_write, s->sealed, s->numbers);
    return buf;
}

static void expect_same_settings(const mpk_settings_t *a, const mpk_settings_t *b, const char *what)
{
    char da[512], db[512];
    cr_expect_str_eq(describe(a, da, sizeof da), describe(b, db, sizeof db), "%s", what);
    cr_expect_eq(memcmp(a, b, sizeof *a), 0, "%s: a field the config does not carry differs", what);
}

Test(settings, core_defaults_are_the_config_defaults)
{
    struct mpk_config c;
    mpk_settings_t core, from_config;
    mpk_config_defaults(&c);
    _mpk_settings_from_config(&c, &from_config);
    _mpk_settings_default(&core);
    expect_same_settings(&core, &from_config, "built-in config");
}

Test(settings, default_conf_gives_core_defaults)
{
    static struct mpk_config c; /* large: not on the stack */
    struct mpk_config_error e;
    mpk_settings_t core, from_file;
    cr_assert_eq(mpk_config_parse_file(&c, MPK_SOURCE_DIR "/policy/default.conf", &e), 0, "%s",
                 e.msg);
    _mpk_settings_from_config(&c, &from_file);
    _mpk_settings_default(&core);
    expect_same_settings(&core, &from_file, "policy/default.conf");
}

/* Every value of each choice, so a value added to an enum without the manager knowing it shows. */
Test(settings, each_choice_reaches_the_manager)
{
    static struct mpk_config c;
    mpk_settings_t s;
    mpk_config_defaults(&c);
    c.evict = MPK_EVICT_RANDOM;
    c.on_free_in_use = MPK_FREE_REVOKE;
    c.on_bad_key = MPK_BAD_KEY_ABORT;
    c.wx.cross_thread = MPK_WX_CROSS_ALLOW;
    c.wx.rwx = MPK_WX_RWX_AUDIT;
    c.new_key = MPK_NEW_KEY_ALL_THREADS;
    c.on_remap = MPK_REMAP_KEEP;
    c.self_write = MPK_SELF_WRITE_REFUSE;
    c.sealed = MPK_SEALED_REFUSE;
    c.numbers = MPK_NUMBERS_KERNEL;
    _mpk_settings_from_config(&c, &s);
    cr_expect_eq(s.evict, MPK_EVICT_RANDOM);
    cr_expect_eq(s.virtualize, 1);
    cr_expect_eq(s.on_free_in_use, MPK_FREE_REVOKE);
    cr_expect_eq(s.on_bad_key_abort, 1);
    cr_expect_eq(s.wx_cross_allow, 1);
    cr_expect_eq(s.wx_rwx, MPK_WX_RWX_AUDIT);
    cr_expect_eq(s.new_key, MPK_NEW_KEY_ALL_THREADS);
    cr_expect_eq(s.on_remap, MPK_REMAP_KEEP);
    cr_expect_eq(s.self_write, MPK_SELF_WRITE_REFUSE);
    cr_expect_eq(s.sealed, MPK_SEALED_REFUSE);
    cr_expect_eq(s.numbers, MPK_NUMBERS_KERNEL);

    c.evict = MPK_EVICT_NONE;
    c.on_free_in_use = MPK_FREE_REFUSE;
    c.wx.rwx = MPK_WX_RWX_DENY;
    c.new_key = MPK_NEW_KEY_THIS_THREAD;
    c.on_remap = MPK_REMAP_RESET;
    c.self_write = MPK_SELF_WRITE_ALLOW;
    c.sealed = MPK_SEALED_AUDIT;
    c.numbers = MPK_NUMBERS_UNIQUE;
    _mpk_settings_from_config(&c, &s);
    cr_expect_eq(s.virtualize, 0, "evict = none: no virtualisation");
    cr_expect_eq(s.evict, MPK_EVICT_LRU);
    cr_expect_eq(s.on_free_in_use, MPK_FREE_REFUSE);
    cr_expect_eq(s.wx_rwx, MPK_WX_RWX_DENY);
    cr_expect_eq(s.new_key, MPK_NEW_KEY_THIS_THREAD);
    cr_expect_eq(s.on_remap, MPK_REMAP_RESET);
    cr_expect_eq(s.self_write, MPK_SELF_WRITE_ALLOW);
    cr_expect_eq(s.sealed, MPK_SEALED_AUDIT);
    cr_expect_eq(s.numbers, MPK_NUMBERS_UNIQUE);

    c.evict = MPK_EVICT_LRU;
    c.on_free_in_use = MPK_FREE_KEEP;
    c.wx.rwx = MPK_WX_RWX_ALLOW;
    c.max_keys = 77;
    c.hw_keys = 5;
    c.pin = 0x6;
    c.sync_signal = 40;
    c.wx.enable = true;
    c.wx.min_size = 1 << 20;
    _mpk_settings_from_config(&c, &s);
    cr_expect_eq(s.evict, MPK_EVICT_LRU);
    cr_expect_eq(s.on_free_in_use, MPK_FREE_KEEP);
    cr_expect_eq(s.wx_rwx, MPK_WX_RWX_ALLOW);
    cr_expect_eq(s.max_keys, 77);
    cr_expect_eq(s.hw_budget, 5);
    cr_expect_eq(s.pins, 0x6);
    cr_expect_eq(s.sync_signal, 40);
    cr_expect_eq(s.wx_enable, 1);
    cr_expect_eq(s.wx_min_size, (size_t)1 << 20);
}
