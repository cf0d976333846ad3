/* preload/pkey.c: the protection-key calls, and glibc's syscall() when it is asked for one of
 * them, handed to the manager. Without it (no PKU), the kernel answers as it would alone. */
#include "preload/preload.h"

#include <stdarg.h>
#include <sys/mman.h>

MPK_EXPORT int pkey_alloc(unsigned int flags, unsigned int rights)
{
    if (!mpk_up())
        return (int)mpk_ret(mpk_sys_pkey_alloc(flags, rights));
    return (int)mpk_ret(_mpk_pkey_alloc(flags, rights));
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
    return (int)mpk_ret(_mpk_pkey_get(key));
}

/* Memory calls (preload/memory.c), for syscall() below. */
long _mpk_preload_mmap(void *, size_t, int, int, int, off_t);
long _mpk_preload_munmap(void *, size_t);
long _mpk_preload_mprotect(void *, size_t, int);
long _mpk_preload_mremap(void *, size_t, size_t, int, void *);

MPK_EXPORT long syscall(long n, ...)
{
    long a[6];
    va_list ap;
    va_start(ap, n);
    for (int i = 0; i < 6; i++)
        a[i] = va_arg(ap, long);
    va_end(ap);
    switch (n) {
    case SYS_pkey_alloc:
        return pkey_alloc((unsigned)a[0], (unsigned)a[1]);
    case SYS_pkey_free:
        return pkey_free((int)a[0]);
    case SYS_pkey_mprotect:
        return pkey_mprotect((void *)a[0], (size_t)a[1], (int)a[2], (int)a[3]);
    case SYS_mmap:
        return mpk_ret(_mpk_preload_mmap((void *)a[0], (size_t)a[1], (int)a[2], (int)a[3], (int)a[4], a[5]));
    case SYS_munmap:
        return mpk_ret(_mpk_preload_munmap((void *)a[0], (size_t)a[1]));
    case SYS_mprotect:
        return mpk_ret(_mpk_preload_mprotect((void *)a[0], (size_t)a[1], (int)a[2]));
    case SYS_mremap:
        return mpk_ret(_mpk_preload_mremap((void *)a[0], (size_t)a[1], (size_t)a[2], (int)a[3], (void *)a[4]));
    default:
        return mpk_ret(mpk_syscall6(n, a[0], a[1], a[2], a[3], a[4], a[5]));
    }
}
