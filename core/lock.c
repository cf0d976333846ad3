/* core/lock.c: the manager's futex mutex and the futex helpers. */
#include "core/lock.h"

#include "core/meta.h"

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

void _mpk_lock(mpk_lock_t *l, sigset_t *saved)
{
    uint32_t c = 0;
    mpk_sys_sigprocmask(SIG_BLOCK, &_mpk_sealed.lock_blocked, saved);
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

void _mpk_unlock(mpk_lock_t *l, const sigset_t *saved)
{
    if (atomic_exchange(&l->word, 0) == 2)
        _mpk_futex_wake(&l->word, 1);
    mpk_sys_sigprocmask(SIG_SETMASK, saved, NULL);
}

void _mpk_lock_reset(mpk_lock_t *l)
{
    atomic_store(&l->word, 0);
}
