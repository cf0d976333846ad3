/* preload/pkey.c: the protection-key calls, handed to the manager. Without it (no PKU), the
 * kernel answers as it would alone. */
#include "preload/preload.h"

#include <sys/mman.h>

long _mpk_preload_pkey_alloc(unsigned flags, unsigned rights, const void *caller)
{
    if (!mpk_up())
        return mpk_ret(mpk_sys_pkey_alloc(flags, rights));
    return mpk_ret(_mpk_pkey_alloc(flags, rights, caller));
}

long _mpk_preload_pkey_alloc_raw(unsigned flags, unsigned rights, const void *caller)
{
    if (!mpk_up())
        return mpk_ret(mpk_sys_pkey_alloc(flags, rights));
    return mpk_ret(_mpk_pkey_alloc_raw(flags, rights, caller));
}

MPK_EXPORT int pkey_alloc(unsigned int flags, unsigned int rights)
{
    return (int)_mpk_preload_pkey_alloc(flags, rights, __builtin_return_address(0));
}

MPK_EXPORT int pkey_free(int key)
{
    if (!mpk_up())
        return (int)mpk_ret(mpk_sys_pkey_free(key));
    return (int)mpk_ret(_mpk_pkey_free(key));
}

MPK_EXPORT int pkey_mprotect(void *addr, size_t len, int prot, int key)
{
    if (!mpk_up())
        return (int)mpk_ret(mpk_sys_pkey_mprotect(addr, len, prot, key));
    return (int)mpk_ret(_mpk_pkey_mprotect(addr, len, prot, key));
}

/* Without the manager: glibc's semantics, which need the instructions (SIGILL without PKU,
 * exactly as without the preload). */
static int raw_set(int key, unsigned int rights)
{
    if (key < 0 || key > 15 || rights > 3)
        return (int)mpk_ret(-EINVAL);
    mpk_wrpkru(mpk_pkru_with(mpk_rdpkru(), key, rights));
    return 0;
}

MPK_EXPORT int pkey_set(int key, unsigned int rights)
{
    if (mpk_unlikely(!mpk_up()))
        return raw_set(key, rights);
    return (int)mpk_ret(_mpk_pkey_set(key, rights));
}

MPK_EXPORT int pkey_get(int key)
{
    if (mpk_unlikely(!mpk_up())) {
        if (key < 0 || key > 15)
            return (int)mpk_ret(-EINVAL);
        return (int)mpk_pkru_bits(mpk_rdpkru(), key);
    }
    return _mpk_pkey_get_libc(key);
}
