/* policy/config_defaults.c: the built-in config, from the table in policy/defaults.h (which
 * policy/default.conf spells out; a unit test keeps the two equal). */
#include <string.h>

#include "policy/config.h"

void mpk_config_defaults(struct mpk_config *c)
{
    memset(c, 0, sizeof *c); /* also: log "" (stderr), no regions, wx.file "" */
    c->mode = MPK_DEFAULT_MODE;
    c->log_format = MPK_DEFAULT_LOG_FORMAT;
    c->backtrace = MPK_DEFAULT_BACKTRACE;
    c->verbose = MPK_DEFAULT_VERBOSE;
    c->max_keys = MPK_DEFAULT_MAX_KEYS;
    c->hw_keys = MPK_DEFAULT_HW_KEYS;
    c->evict = MPK_DEFAULT_EVICT;
    c->pin = MPK_DEFAULT_PINS;
    c->on_free_in_use = MPK_DEFAULT_ON_FREE_IN_USE;
    c->on_bad_key = MPK_DEFAULT_ON_BAD_KEY;
    c->sync_signal = MPK_DEFAULT_SYNC_SIGNAL;
    c->new_key = MPK_DEFAULT_NEW_KEY;
    c->on_remap = MPK_DEFAULT_ON_REMAP;
    c->self_write = MPK_DEFAULT_SELF_WRITE;
    c->sealed = MPK_DEFAULT_SEALED;
    c->numbers = MPK_DEFAULT_NUMBERS;
    c->wx.enable = MPK_DEFAULT_WX_ENABLE;
    c->wx.cross_thread = MPK_DEFAULT_WX_CROSS_THREAD;
    c->wx.rwx = MPK_DEFAULT_WX_RWX;
    c->wx.min_size = MPK_DEFAULT_WX_MIN_SIZE;
}
