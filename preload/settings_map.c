/* preload/settings_map.c: the policy's config turned into the manager's settings. The choices
 * share their enums (policy/defaults.h), so this copies; only what core keeps as a flag is
 * compared. Pure: tests/unit/test_settings.c links it without the preload. */
#include "preload/settings_map.h"

void _mpk_settings_from_config(const struct mpk_config *c, mpk_settings_t *s)
{
    _mpk_settings_default(s); /* for what the config does not carry: regions, callbacks */
    s->max_keys = c->max_keys;
    s->hw_budget = c->hw_keys;
    /* evict = none keeps the kernel's limit: nothing is evicted, so the victim rule is moot. */
    s->evict = c->evict == MPK_EVICT_NONE ? MPK_EVICT_LRU : (int)c->evict;
    s->virtualize = c->evict != MPK_EVICT_NONE;
    s->pins = c->pin;
    s->on_free_in_use = (int)c->on_free_in_use;
    s->on_bad_key_abort = c->on_bad_key == MPK_BAD_KEY_ABORT;
    s->sync_signal = c->sync_signal;
    s->new_key = (int)c->new_key;
    s->on_remap = (int)c->on_remap;
    s->self_write = (int)c->self_write;
    s->sealed = (int)c->sealed;
    s->numbers = (int)c->numbers;
    s->wx_enable = c->wx.enable;
    s->wx_cross_allow = c->wx.cross_thread == MPK_WX_CROSS_ALLOW;
    s->wx_rwx = (int)c->wx.rwx;
    s->wx_min_size = (size_t)c->wx.min_size;
}
