/* preload/preload.h: what the interposed symbols share: reaching the manager (booting it on
 * first use) and turning core's -errno results into the libc convention. */
#ifndef MPK_PRELOAD_H
#define MPK_PRELOAD_H

#include "core/core.h"

#include <errno.h>

/* True when the manager runs (PKU present, mode not off); boots it on first use. */
bool _mpk_preload_up(void);
static inline bool mpk_up(void) { return mpk_likely(G != NULL) || _mpk_preload_up(); }

/* The config, read once (preload/settings.c): 1 and the settings when the manager should run,
 * 0 in mode off. A bad config ends the process here, with the error on stderr. */
int _mpk_preload_settings(mpk_settings_t *s);
bool _mpk_preload_verbose(void);

/* The audit log (policy/audit.h): its start-up work, from our constructor in normal context
 * (preload/settings.c), and the real loader functions it uses (preload/dlopen.c). */
struct mpk_audit_loader;
void _mpk_preload_audit_start(void);
void _mpk_preload_audit_loader(struct mpk_audit_loader *ld);

/* core's convention (value or -errno) to libc's (value, or -1 with errno). */
static inline long mpk_ret(long r)
{
    if (mpk_unlikely(mpk_sys_failed(r))) {
        errno = (int)-r;
        return -1;
    }
    return r;
}

/* Real functions that are more than a system call (preload/resolve.c). */
typedef int (*mpk_pthread_create_fn)(void *, const void *, void *(*)(void *), void *);
mpk_pthread_create_fn _mpk_real_pthread_create(void);
typedef int (*mpk_sigaction_fn)(int, const void *, void *);
mpk_sigaction_fn _mpk_real_sigaction(void);
typedef int (*mpk_fork_fn)(void);
mpk_fork_fn _mpk_real_fork(void);
typedef void *(*mpk_dlopen_fn)(const char *, int);
mpk_dlopen_fn _mpk_real_dlopen(void);
typedef int (*mpk_setname_fn)(pthread_t, const char *);
mpk_setname_fn _mpk_real_setname(void);
void _mpk_resolve_all(void);
void _mpk_resolve_io(void); /* preload/io.c */

/* pkey_alloc (preload/pkey.c), a virtual key, and syscall(SYS_pkey_alloc), the kernel's key:
 * caller is the program's code that asked, named by keys_exceeded. */
long _mpk_preload_pkey_alloc(unsigned flags, unsigned rights, const void *caller);
long _mpk_preload_pkey_alloc_raw(unsigned flags, unsigned rights, const void *caller);

#endif
