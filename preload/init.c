/* preload/init.c: bringing the manager up, from our constructor or from whichever interposed
 * call comes first (other libraries' constructors run before ours and may call us). */
#include "preload/preload.h"

#include "core/report.h"

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
    r = _mpk_boot(&s);
    if (r != 0) {
        down = 1;
        if (_mpk_preload_verbose())
            _mpk_note(r == -ENOTSUP ? "this CPU or kernel has no PKU: libmpk passes every call through"
                                    : "libmpk could not start: every call passes through");
        return false;
    }
    return true;
}

__attribute__((constructor)) static void mpk_preload_init(void)
{
    _mpk_resolve_all();
    _mpk_preload_up();
}
