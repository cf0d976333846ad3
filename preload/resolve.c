/* preload/resolve.c: finding the next definition of the few interposed functions that are more
 * than a system call (pthread_create, sigaction, fork, dlopen). Memory and pkey calls never need this:
 * they are made as raw system calls, so resolution can never recurse through mmap. */
#include "preload/preload.h"

#include <dlfcn.h>

/* Kept in the sealed page (read-only once the manager is active): a program that writes over
 * the library's data cannot redirect these. */
#define real_pthread_create (*(mpk_pthread_create_fn *)&_mpk_sealed.real[0])
#define real_sigaction (*(mpk_sigaction_fn *)&_mpk_sealed.real[1])
#define real_fork (*(mpk_fork_fn *)&_mpk_sealed.real[2])
#define real_dlopen (*(mpk_dlopen_fn *)&_mpk_sealed.real[3])
#define real_setname (*(mpk_setname_fn *)&_mpk_sealed.real[4])

/* dlvsym first: pthread_create has two versions on x86-64 (GLIBC_2.2.5 and GLIBC_2.34); the
 * newest is the one a program linked today calls, and both are the same code in glibc 2.34+. */
static void *next(const char *name, const char *version)
{
    void *p = version ? dlvsym(RTLD_NEXT, name, version) : NULL;
    return p ? p : dlsym(RTLD_NEXT, name);
}

void _mpk_resolve_all(void)
{
    if (!real_pthread_create)
        real_pthread_create = (mpk_pthread_create_fn)next("pthread_create", "GLIBC_2.34");
    if (!real_sigaction)
        real_sigaction = (mpk_sigaction_fn)next("sigaction", NULL);
    if (!real_fork)
        real_fork = (mpk_fork_fn)next("fork", NULL);
    if (!real_dlopen) /* glibc 2.34 moved dlopen into libc, with a new version */
        real_dlopen = (mpk_dlopen_fn)next("dlopen", "GLIBC_2.34");
    if (!real_setname)
        real_setname = (mpk_setname_fn)next("pthread_setname_np", NULL);
    _mpk_resolve_io();
}

void _mpk_before_seal(void) { _mpk_resolve_all(); }

mpk_pthread_create_fn _mpk_real_pthread_create(void)
{
    if (mpk_unlikely(!real_pthread_create))
        _mpk_resolve_all();
    return real_pthread_create;
}

mpk_sigaction_fn _mpk_real_sigaction(void)
{
    if (mpk_unlikely(!real_sigaction))
        _mpk_resolve_all();
    return real_sigaction;
}

mpk_fork_fn _mpk_real_fork(void)
{
    if (mpk_unlikely(!real_fork))
        _mpk_resolve_all();
    return real_fork;
}

mpk_dlopen_fn _mpk_real_dlopen(void)
{
    if (mpk_unlikely(!real_dlopen))
        _mpk_resolve_all();
    return real_dlopen;
}

mpk_setname_fn _mpk_real_setname(void)
{
    if (mpk_unlikely(!real_setname))
        _mpk_resolve_all();
    return real_setname;
}
