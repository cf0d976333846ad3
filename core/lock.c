/* core/lock.c: the manager's futex mutex and the futex helpers. */
#include "core/lock.h"

#include "core/meta.h"
#include "core/report.h"
#include "core/signals.h"
#include "core/thread.h"

#include <stdlib.h>

#include <linux/futex.h>
#include <time.h>

void _mpk_lock_set_blocked(const sigset_t *set) { _mpk_sealed.lock_blocked = *set; }

void _mpk_futex_wait(_Atomic uint32_t *word, uint32_t expected, long timeout_ns)
{
    struct timespec ts = {timeout_ns / 1000000000L, timeout_ns % 1000000000L};
    mpk_sys(SYS_futex, word, FUTEX_WAIT_PRIVATE, expected, timeout_ns > 0 ? &ts : NULL, 0, 0);
}

void _mpk_futex_wake(_Atomic uint32_t *word, int n)
{
    mpk_sys(SYS_futex, word, FUTEX_WAKE_PRIVATE, n, 0, 0, 0);
}

static void acquire(mpk_lock_t *l)
{
    uint32_t c = 0;
    if (atomic_compare_exchange_strong(&l->word, &c, 1))
        return;
    /* Classic three-state futex mutex: mark contended, sleep until released. */
    if (c != 2)
        c = atomic_exchange(&l->word, 2);
    while (c != 0) {
        _mpk_futex_wait(&l->word, 2, 0);
        c = atomic_exchange(&l->word, 2);
    }
}

static void release(mpk_lock_t *l)
{
    if (atomic_exchange(&l->word, 0) == 2)
        _mpk_futex_wake(&l->word, 1);
}

/* Only code that ran inside the locked section (a handler the kernel runs without our wrapper,
 * installed with a raw rt_sigaction) can take the lock again in the same thread: the state it
 * interrupted is half-changed, and waiting would never end. */
static void __attribute__((noreturn)) reentered(void)
{
    _mpk_error("entered again from a signal handler it did not install (raw rt_sigaction) while "
               "this thread was inside it; stopping here rather than deadlocking");
    abort();
}

/* Signals from SIGRTMIN (glibc's 34) up queue: a deferred instance would go back behind later
 * ones. A program with a handler for any of them keeps the masked lock, which keeps their order. */
#define RT_SIGNALS (~0ull << 34)

/* The thread's own mark: up before the section starts, down after it ends. A fault in between
 * is the library's own (core/fault.c), and the wrapper of program handlers defers them. */
static void mark(mpk_thread_t *t, uint32_t how)
{
    if (!t)
        return;
    if (mpk_unlikely(t->lock_held))
        reentered();
    t->lock_held = how;
    atomic_signal_fence(memory_order_seq_cst);
}

static void unmark(mpk_thread_t *t)
{
    if (!t)
        return;
    t->lock_held = MPK_LOCK_FREE;
    atomic_signal_fence(memory_order_seq_cst); /* a signal from here on is delivered at once */
}

void _mpk_lock(mpk_lock_t *l, sigset_t *saved)
{
    mpk_thread_t *t = _mpk_thread_peek();
    if (mpk_unlikely(!t || (G->sigs_set & RT_SIGNALS))) {
        _mpk_lock_masked(l, saved);
        return;
    }
    mark(t, MPK_LOCK_PLAIN);
    acquire(l);
}

void _mpk_unlock(mpk_lock_t *l, const sigset_t *saved)
{
    mpk_thread_t *t = _mpk_thread_peek();
    if (mpk_unlikely(!t || t->lock_held != MPK_LOCK_PLAIN)) {
        _mpk_unlock_masked(l, saved);
        return;
    }
    release(l);
    unmark(t);
    if (mpk_unlikely(t->deferred))
        _mpk_signals_release_deferred(t);
}

void _mpk_lock_masked(mpk_lock_t *l, sigset_t *saved)
{
    mpk_sys_sigprocmask(SIG_BLOCK, &_mpk_sealed.lock_blocked, saved);
    mark(_mpk_thread_peek(), MPK_LOCK_MASKED);
    acquire(l);
}

void _mpk_unlock_masked(mpk_lock_t *l, const sigset_t *saved)
{
    mpk_thread_t *t = _mpk_thread_peek();
    release(l);
    unmark(t);
    mpk_sys_sigprocmask(SIG_SETMASK, saved, NULL);
    if (mpk_unlikely(t && t->deferred)) /* a sent SIGSEGV, the one signal not blocked here */
        _mpk_signals_release_deferred(t);
}

void _mpk_lock_reset(mpk_lock_t *l)
{
    mpk_thread_t *t = _mpk_thread_peek();
    atomic_store(&l->word, 0);
    if (t) { /* the child restores its mask itself: nothing deferred stays */
        t->lock_held = MPK_LOCK_FREE;
        t->deferred = 0;
    }
}
