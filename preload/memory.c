/* preload/memory.c: mmap, mmap64, munmap, mremap, mprotect and madvise. Until the program allocates a
 * key, each is one relaxed load and the system call; after, the manager keeps its range map in
 * step. Made as raw system calls, as glibc's own wrappers are, so no symbol needs resolving. */
#include "preload/preload.h"

#include <stdarg.h>
#include <sys/mman.h>

long _mpk_preload_mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
    if (mpk_likely(!_mpk_in_play()))
        return (long)mpk_sys_mmap(addr, len, prot, flags, fd, off);
    return _mpk_mmap(addr, len, prot, flags, fd, off);
}

long _mpk_preload_munmap(void *addr, size_t len)
{
    if (mpk_likely(!_mpk_in_play()))
        return mpk_sys_munmap(addr, len);
    return _mpk_munmap(addr, len);
}

long _mpk_preload_mprotect(void *addr, size_t len, int prot)
{
    if (mpk_likely(!_mpk_in_play()))
        return mpk_sys_mprotect(addr, len, prot);
    return _mpk_mprotect(addr, len, prot);
}

long _mpk_preload_mremap(void *old, size_t old_len, size_t new_len, int flags, void *new_addr)
{
    if (mpk_likely(!_mpk_in_play()))
        return mpk_sys(SYS_mremap, old, old_len, new_len, flags, new_addr, 0);
    return _mpk_mremap(old, old_len, new_len, flags, new_addr);
}

long _mpk_preload_madvise(void *addr, size_t len, int advice)
{
    if (mpk_likely(!_mpk_in_play()))
        return mpk_sys(SYS_madvise, addr, len, advice, 0, 0, 0);
    return _mpk_madvise(addr, len, advice);
}

MPK_EXPORT void *mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
    return (void *)mpk_ret(_mpk_preload_mmap(addr, len, prot, flags, fd, off));
}

MPK_EXPORT void *mmap64(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
    return (void *)mpk_ret(_mpk_preload_mmap(addr, len, prot, flags, fd, off));
}

MPK_EXPORT int munmap(void *addr, size_t len)
{
    return (int)mpk_ret(_mpk_preload_munmap(addr, len));
}

MPK_EXPORT int mprotect(void *addr, size_t len, int prot)
{
    return (int)mpk_ret(_mpk_preload_mprotect(addr, len, prot));
}

MPK_EXPORT void *mremap(void *old, size_t old_len, size_t new_len, int flags, ...)
{
    void *new_addr = NULL;
    if (flags & MREMAP_FIXED) {
        va_list ap;
        va_start(ap, flags);
        new_addr = va_arg(ap, void *);
        va_end(ap);
    }
    return (void *)mpk_ret(_mpk_preload_mremap(old, old_len, new_len, flags, new_addr));
}

MPK_EXPORT int madvise(void *addr, size_t len, int advice)
{
    return (int)mpk_ret(_mpk_preload_madvise(addr, len, advice));
}
