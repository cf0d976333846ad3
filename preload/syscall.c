/* preload/syscall.c: glibc's syscall(), for the numbers the library interposes by name (the
 * key calls, the memory calls, sigaction and the signal mask): a program that makes them this
 * way gets the same library as one that calls the functions, but for SYS_pkey_alloc, which
 * gives the kernel's own key (a program that allocates this way drives PKRU itself, with
 * hardware numbers). Every other number goes to the kernel unchanged. */
#include "preload/preload.h"

#include "core/selfwrite.h"
#include "core/signals.h"

#include <stdarg.h>
#include <sys/mman.h>

/* Memory calls (preload/memory.c). */
long _mpk_preload_mmap(void *, size_t, int, int, int, off_t);
long _mpk_preload_munmap(void *, size_t);
long _mpk_preload_mprotect(void *, size_t, int);
long _mpk_preload_mremap(void *, size_t, size_t, int, void *);
long _mpk_preload_madvise(void *, size_t, int);

MPK_EXPORT long syscall(long n, ...)
{
    long a[6], r;
    va_list ap;
    va_start(ap, n);
    for (int i = 0; i < 6; i++)
        a[i] = va_arg(ap, long);
    va_end(ap);
    switch (n) {
    case SYS_pkey_alloc:
        return _mpk_preload_pkey_alloc_raw((unsigned)a[0], (unsigned)a[1], __builtin_return_address(0));
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
    case SYS_madvise:
        return mpk_ret(_mpk_preload_madvise((void *)a[0], (size_t)a[1], (int)a[2]));
    case SYS_rt_sigaction:
        if (!mpk_up())
            break;
        return mpk_ret(_mpk_sigaction_kernel((int)a[0], (const void *)a[1], (void *)a[2], (size_t)a[3]));
    case SYS_rt_sigprocmask:
        if (!mpk_up())
            break;
        return mpk_ret(_mpk_sigmask_kernel((int)a[0], (const void *)a[1], (void *)a[2], (size_t)a[3]));
    case SYS_rt_sigpending:
        if (!mpk_up() || a[1] != sizeof(uint64_t))
            break;
        return mpk_ret(_mpk_sigpending((sigset_t *)a[0]));
    case SYS_open:
        if (_mpk_in_play() && (r = _mpk_self_write_open("syscall(SYS_open)", (const char *)a[0], (int)a[1])))
            return mpk_ret(r);
        break;
    case SYS_openat:
        if (_mpk_in_play() && (r = _mpk_self_write_open("syscall(SYS_openat)", (const char *)a[1], (int)a[2])))
            return mpk_ret(r);
        break;
    case SYS_process_vm_writev:
        if (_mpk_in_play() && (r = _mpk_self_write_vm("syscall(SYS_process_vm_writev)", (pid_t)a[0],
                                                      (const struct iovec *)a[3], (unsigned long)a[4])))
            return mpk_ret(r);
        break;
    default:
        break;
    }
    return mpk_ret(mpk_syscall6(n, a[0], a[1], a[2], a[3], a[4], a[5]));
}
