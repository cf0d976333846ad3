/* policy/config_defaults.c: the built-in defaults. policy/default.conf spells out the same
 * values, and a unit test keeps the two equal. */
#include <signal.h>
#include <string.h>

#include "policy/config.h"

void mpk_config_defaults(struct mpk_config *c)
{
    memset(c, 0, sizeof *c); /* also: log "" (stderr), no pins, no regions, wx.file "" */
    c->mode = MPK_MODE_ENFORCE;
    c->log_format = MPK_LOG_TEXT;
    c->backtrace = true;
    c->verbose = false;
    c->max_keys = 4096;
    c->hw_keys = 0; /* auto */
    c->evict = MPK_EVICT_LRU;
    c->on_free_in_use = MPK_FREE_KEEP;
    c->on_bad_key = MPK_BAD_KEY_REFUSE;
    c->sync_signal = SIGRTMAX - 2;
    c->wx.enable = false;
    c->wx.cross_thread = MPK_WX_CROSS_DENY;
    c->wx.rwx = MPK_WX_RWX_ALLOW;
    c->wx.min_size = 0;
}
