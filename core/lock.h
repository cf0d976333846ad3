/* core/lock.h: the manager lock: a futex mutex taken with asynchronous signals blocked, so
 * that a program's signal handler calling mprotect can never find its own thread holding it.
 * The sync signal and faults stay deliverable: their handlers never take the lock. */
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

void _mpk_lock(mpk_lock_t *l, sigset_t *saved);
void _mpk_unlock(mpk_lock_t *l, const sigset_t *saved);

/* After fork, in the child: the lock is free whatever the parent's threads were doing. */
void _mpk_lock_reset(mpk_lock_t *l);

/* Futex helpers shared with core/sync.c. */
void _mpk_futex_wait(_Atomic uint32_t *word, uint32_t expected, long timeout_ns);
void _mpk_futex_wake(_Atomic uint32_t *word, int n);

#endif
