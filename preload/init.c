/* preload/init.c: bringing the manager up, from our constructor or from whichever interposed
 * call comes first (other libraries' constructors run before ours and may call us). */
#include "preload/preload.h"

static int down; /* the manager will not run (no PKU): every call passes through */

bool _mpk_preload_up(void)
{
    mpk_settings_t s;
    if (G)
        return true;
    if (down)
        return false;
    _mpk_settings_default(&s);
    if (_mpk_boot(&s) != 0) {
        down = 1;
        return false;
    }
    return true;
}

__attribute__((constructor)) static void mpk_preload_init(void)
{
    _mpk_resolve_all();
    _mpk_preload_up();
}
