/* core/thread.h: the thread registry and each thread's rights (its views), and the rule that
 * ties them to the hardware: a thread's PKRU is derived from its current view and the
 * hardware-key table, and every way out of the library re-derives it if a cross-thread sync
 * landed meanwhile. */
#ifndef MPK_CORE_THREAD_H
#define MPK_CORE_THREAD_H

#include "core/state.h"

extern __thread mpk_thread_t *_mpk_self;

static inline uintptr_t mpk_thread_pointer(void)
{
    uintptr_t tp;
    __asm__("mov %%fs:0, %0" : "=r"(tp)); /* glibc keeps the TCB's own address at fs:0 */
    return tp;
}

/* The calling thread's record, registering it on first use (threads not made through our
 * pthread_create, or made before the manager booted). Any entry point may get here, a signal
 * handler's too, so registration takes no lock and allocates only from the metadata arena
 * (system calls). The exit hook is the exception: pthread_setspecific is not async-signal-safe
 * in POSIX. It is set at once only when our exit key is one of glibc's first 32, whose values
 * glibc stores in the thread's descriptor (a store, no allocation: safe in glibc, not by any
 * standard); for a later key glibc callocs, so the hook waits for the thread's next
 * pthread_create (_mpk_thread_hook_pending), the one entry point that may allocate for sure. A
 * thread that ends before that keeps its record (syncs answer for it once its tid is gone).
 * NULL only when the registry is full or memory is exhausted. The TLS pointer lives in writable
 * memory, so it is trusted only if it points at a record made for this very thread. */
mpk_thread_t *_mpk_thread_register(void);

/* From pthread_create, a call that no signal handler may make and that glibc implements with
 * malloc (the new thread's TLS vector), so its caller must allow an allocation: set the exit
 * hook that registration left for later. Other entry points are no such place, even at signal depth 0: a handler
 * installed past libmpk (inline rt_sigaction) and libmpk's own fault and sync handlers run at
 * depth 0, and a program's allocator calls mmap, mprotect or pkey_mprotect while it holds its
 * own lock, where a calloc would enter it again. */
void _mpk_thread_hook_pending(mpk_thread_t *t);

/* t is a live record of the registry (bounds and alignment first: t may be forged). */
static inline bool _mpk_thread_valid(const mpk_thread_t *t)
{
    uintptr_t off = (uintptr_t)t - (uintptr_t)G->threads;
    return off < (uintptr_t)MPK_MAX_THREADS * sizeof(*t) && off % sizeof(*t) == 0 &&
           atomic_load_explicit(&t->state, memory_order_relaxed) == T_LIVE;
}

/* The calling thread's record if it is registered, for paths that only read (the metadata key
 * is not opened). A forged TLS pointer fails the bounds check or, inside the registry, the thread
 * pointer check (a misaligned one reads no record's tp); NULL sends the caller the long way. */
static inline mpk_thread_t *_mpk_thread_peek(void)
{
    mpk_thread_t *t = _mpk_self;
    uintptr_t off = (uintptr_t)t - (uintptr_t)G->threads;
    if (mpk_likely(off < (uintptr_t)MPK_MAX_THREADS * sizeof(*t) && t->tp == mpk_thread_pointer() &&
                   atomic_load_explicit(&t->state, memory_order_relaxed) == T_LIVE))
        return t;
    return NULL;
}

/* The calling thread's record, with the metadata key open: every entry point starts here, and
 * must, because reading a record faults otherwise, and a program may have SIGSEGV blocked. */
static inline mpk_thread_t *_mpk_thread(void)
{
    mpk_thread_t *t = _mpk_self;
    _mpk_meta_open();
    if (mpk_likely(t && _mpk_thread_valid(t) && t->tp == mpk_thread_pointer()))
        return t;
    return _mpk_thread_register();
}

/* pthread_create: a record for the child, whose rights are the creator's current ones. */
mpk_thread_t *_mpk_thread_reserve_child(mpk_thread_t *parent);
/* In the child, before user code: bind the record, then bring PKRU in line with the view. */
void _mpk_thread_start(mpk_thread_t *t);
/* What pthread_create runs in the child: _mpk_thread_start, then t->start(t->start_arg). */
void *_mpk_thread_trampoline(void *arg);
/* At boot: the key whose destructor tells us a thread ended. */
void _mpk_threads_boot(void);
/* Creation failed, or the thread ends. */
void _mpk_thread_release(mpk_thread_t *t);

/* After fork, in the child: only the calling thread remains. */
void _mpk_thread_after_fork(mpk_thread_t *self);

/* The view of depth d, made (every key closed) if the thread never nested that deep. */
uint8_t *_mpk_thread_view(mpk_thread_t *t, unsigned d);

/* PKRU for thread t at signal depth d, starting from pkru (bits of keys we do not manage,
 * including the metadata key, are kept). */
uint32_t _mpk_pkru_derive(mpk_thread_t *t, unsigned d, uint32_t pkru);

/* Write the calling thread's PKRU with the metadata key closed. If a sync changed this
 * thread's rights between our RDPKRU and WRPKRU, the write undid it: derive again. gen is the
 * thread's sync_gen read before the caller looked at any shared state. */
void _mpk_leave_slow(mpk_thread_t *t, uint32_t gen);
static inline void _mpk_leave_with(mpk_thread_t *t, uint32_t gen, uint32_t pkru)
{
    if (!_mpk_sealed.meta_mask)
        return;
    mpk_wrpkru((pkru & ~_mpk_sealed.meta_mask) | _mpk_sealed.meta_closed);
    if (mpk_unlikely(atomic_load(&t->sync_gen) != gen))
        _mpk_leave_slow(t, gen);
}
static inline void _mpk_leave(mpk_thread_t *t, uint32_t gen)
{
    if (_mpk_sealed.meta_mask)
        _mpk_leave_with(t, gen, mpk_rdpkru());
}

/* Set slot's rights to AD in every view of every thread but `except` (a new key's default). */
void _mpk_threads_close_slot(uint32_t slot, const mpk_thread_t *except);

#endif
