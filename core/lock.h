/* core/lock.h: the manager lock: a futex mutex during which no program signal handler runs in
 * the thread that holds it, so that a handler calling mprotect can never find its own thread
 * holding it. With no system call: the thread's record says it holds the lock, and the wrapper
 * the kernel runs for program handlers defers them until the release (core/signals.c). A thread
 * with no record yet blocks asynchronous signals instead, as does fork's hold across the call and
 * a program with a handler for a real-time signal (whose instances must keep their order).
 * The sync signal and faults stay deliverable. */
#ifndef MPK_CORE_LOCK_H
#define MPK_CORE_LOCK_H

#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <sys/types.h>

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

/* After fork, in the child: the lock is free whatever the parent's threads were doing. */
void _mpk_lock_reset(mpk_lock_t *l);

/* Futex helpers shared with core/sync.c. */
void _mpk_futex_wait(_Atomic uint32_t *word, uint32_t expected, long timeout_ns);
void _mpk_futex_wake(_Atomic uint32_t *word, int n);

#endif
