/* preload/init.c: bringing the manager up, from our constructor or from whichever interposed
 * call comes first (other libraries' constructors run before ours and may call us). */
#include "preload/preload.h"

#include "core/report.h"

#include <stdlib.h>

void _mpk_preload_wx_settings(mpk_settings_t *s);
void _mpk_preload_region_settings(mpk_settings_t *s);

static int down; /* the manager will not run (mode off, no PKU): every call passes through */

bool _mpk_preload_up(void)
{
    mpk_settings_t s;
    int r;
    if (G)
        return true;
    if (down)
        return false;
    if (!_mpk_preload_settings(&s)) {
        down = 1;
        return false;
    }
    _mpk_preload_wx_settings(&s);
    _mpk_preload_region_settings(&s);
    r = _mpk_boot(&s);
    if (r != 0) {
        down = 1;
        if (r == -ENOTSUP && _mpk_preload_verbose()) /* other failures are errors, said by _mpk_boot */
            _mpk_note("this CPU or kernel has no PKU: libmpk passes every call through");
        return false;
    }
    return true;
}

/* verbose = on: what the manager did, when the program ends. */
static void print_stats(void)
{
    mpk_stats_t st;
    char buf[400];
    _mpk_stats(&st);
    _mpk_format(buf, sizeof buf,
                "pid %d: %u live keys at exit, %u hardware keys held, %u threads; %zu evictions, "
                "%zu swap-ins, %zu faults resolved, %zu syncs (%zu signals)",
                (int)mpk_sys_getpid(), st.live_keys, st.hw_held, st.threads, (size_t)st.evictions, (size_t)st.swapins,
                (size_t)st.faults_resolved, (size_t)st.syncs, (size_t)st.sync_signals);
    _mpk_note(buf);
}

__attribute__((constructor)) static void mpk_preload_init(void)
{
    _mpk_resolve_all();
    if (_mpk_preload_up() && _mpk_preload_verbose())
        atexit(print_stats);
    _mpk_preload_audit_start();
}
