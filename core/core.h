/* core/core.h: what the preload and the libmpk API call: one function per operation, each
 * returning the result or a negative errno (the caller sets errno). Nothing here knows how it
 * was reached. */
#ifndef MPK_CORE_CORE_H
#define MPK_CORE_CORE_H

#include "core/state.h"

#include <signal.h>
#include <sys/types.h>

/* Start the manager (idempotent, thread-safe). -ENOTSUP when the CPU or kernel lacks PKU:
 * then every call must pass through untouched. */
int _mpk_boot(const mpk_settings_t *settings);

/* The first key: take the metadata key, protect the arena, seal. 0 or -errno. */
int _mpk_activate(void);

/* Protection keys (design.md §3). caller: the code that asked for the key (the return address
 * of the program's call), which keys_exceeded names; NULL when unknown. */
int _mpk_pkey_alloc(unsigned flags, unsigned rights, const void *caller);
/* syscall(SYS_pkey_alloc): the kernel's key itself (hardware number, the kernel's PKRU bits and
 * exhaustion), as a program that drives keys itself expects; caller as for _mpk_pkey_alloc. */
int _mpk_pkey_alloc_raw(unsigned flags, unsigned rights, const void *caller);
int _mpk_pkey_free(int key);
int _mpk_pkey_mprotect(void *addr, size_t len, int prot, int key);
int _mpk_pkey_set(int key, unsigned rights);
int _mpk_pkey_get(int key);
/* The same in libc's convention (-1 and errno): the preload's pkey_get tail-calls it. */
int _mpk_pkey_get_libc(int key);

/* The calling thread's rights on slot's key (number `number`), lock-free; 0 or -EINVAL. */
int _mpk_rights_set(mpk_thread_t *t, uint32_t slot, uint32_t number, unsigned rights);

/* Lock held: free the key in slot (pkey_free's work, with its policy for pages still tagged). */
int _mpk_key_free_locked(uint32_t slot, int key);

/* Memory calls once keys are in play (callers test _mpk_in_play() first). */
long _mpk_mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off);
int _mpk_munmap(void *addr, size_t len);
int _mpk_mprotect(void *addr, size_t len, int prot);
long _mpk_mremap(void *old, size_t old_len, size_t new_len, int flags, void *new_addr);
/* madvise: only advice that destroys pages or their inheritance is looked at (sealed). */
int _mpk_madvise(void *addr, size_t len, int advice);

/* Threads: a record for the child (NULL: create it plainly) and its start routine. */
mpk_thread_t *_mpk_thread_prepare(void *(*fn)(void *), void *arg);
void *_mpk_thread_trampoline(void *record);
void _mpk_thread_abandon(mpk_thread_t *t);

/* Counters for tests and tools. */
typedef struct mpk_stats {
    unsigned live_keys, hw_held, threads;
    unsigned long long evictions, swapins, faults_resolved, syncs, sync_signals;
} mpk_stats_t;
void _mpk_stats(mpk_stats_t *out);

#endif
