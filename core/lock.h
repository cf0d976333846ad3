/* core/lock.h: the manager lock: a futex mutex during which no program signal handler runs in
 * the thread that holds it, so that a handler calling mprotect can never find its own thread
 * holding it. The lock keeps the holder's mark itself (mpk_thread_t.lock_held), in both of its
 * modes: plain, with no system call, where the wrapper the kernel runs for program handlers sees
 * the mark and defers them until the release (core/signals.c); masked, where asynchronous
 * signals are blocked instead: a thread with no record yet, fork's hold across the call and a
 * program with a handler for a real-time signal (whose instances must keep their order). The
 * sync signal and faults stay deliverable. A fault while the mark is up is the library's own bug
 * (core/fault.c reports it), never one to resolve: resolving takes this lock. So nothing inside
 * a locked section touches the program's memory; callers copy arguments in before and results
 * out after. */
#ifndef MPK_CORE_LOCK_H
#define MPK_CORE_LOCK_H

#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <sys/types.h>

/* mpk_thread_t.lock_held */
enum { MPK_LOCK_FREE, MPK_LOCK_PLAIN, MPK_LOCK_MASKED };

typedef struct mpk_lock {
    _Atomic uint32_t word; /* 0 free, 1 held, 2 held with waiters */
} mpk_lock_t;

/* The set of signals blocked while the lock is held (everything but the sync signal and the
 * synchronous fault signals). Set once by the manager at start-up. */
void _mpk_lock_set_blocked(const sigset_t *set);

/* saved is filled (and read back) only where the signals had to be blocked. */
void _mpk_lock(mpk_lock_t *l, sigset_t *saved);
void _mpk_unlock(mpk_lock_t *l, const sigset_t *saved);

/* The same, always with asynchronous signals blocked (and *saved filled): for fork, whose child
 * must not inherit a deferral, and restores *saved itself. */
void _mpk_lock_masked(mpk_lock_t *l, sigset_t *saved);
void _mpk_unlock_masked(mpk_lock_t *l, const sigset_t *saved);

/* After fork, in the child: the lock is free whatever the parent's threads were doing, and the
 * calling thread's mark is down. */
void _mpk_lock_reset(mpk_lock_t *l);

/* Futex helpers shared with core/sync.c. */
void _mpk_futex_wait(_Atomic uint32_t *word, uint32_t expected, long timeout_ns);
void _mpk_futex_wake(_Atomic uint32_t *word, int n);

#endif
