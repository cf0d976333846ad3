/* core/sync.c: changing other threads' PKRU. A thread's PKRU can only be written by itself,
 * so the initiator (holding the manager lock, having already changed the manager's state)
 * signals each thread that may have an affected hardware key open; the handler re-derives
 * the PKRU saved in the interrupted context, which the kernel loads at sigreturn
 * (design.md §5). Acknowledgements are counted down on a futex: the initiator sleeps. */
#include "core/sync.h"

#include "core/thread.h"

#include <errno.h>

#define SYNC_WAIT_NS (20 * 1000 * 1000L) /* re-check targets this often while waiting */
#define SYNC_WARN_ROUNDS 250             /* ~5 s without an answer: say so once */

/* The sync signal's handler: never takes the lock, never allocates. */
void _mpk_sync_handler(int sig, siginfo_t *si, void *ucv)
{
    ucontext_t *uc = ucv;
    mpk_thread_t *t;
    uint32_t *pkru, one = 1;
    (void)sig;
    (void)si;
    if (!G)
        return;
    _mpk_meta_open(); /* handlers start with every key closed, the metadata key included */
    t = _mpk_self;
    if (!t || !_mpk_thread_valid(t) || t->tp != mpk_thread_pointer())
        return;
    pkru = mpk_uc_pkru(uc);
    if (pkru)
        *pkru = _mpk_pkru_derive(t, t->depth, *pkru);
    /* Tell library code we interrupted that its PKRU write may now be stale (_mpk_leave). */
    atomic_fetch_add(&t->sync_gen, 1);
    if (atomic_compare_exchange_strong(&t->ack, &one, 0) &&
        atomic_fetch_sub(&G->sync_waiting, 1) == 1)
        _mpk_futex_wake(&G->sync_waiting, 1);
}

static void answer_for(mpk_thread_t *t)
{
    uint32_t one = 1;
    if (atomic_compare_exchange_strong(&t->ack, &one, 0))
        atomic_fetch_sub(&G->sync_waiting, 1);
}

/* Signal the targets; a thread that no longer exists is answered for. */
static void send_all(mpk_thread_t **targets, unsigned n)
{
    pid_t pid = mpk_sys_getpid();
    for (unsigned i = 0; i < n; i++) {
        pid_t tid = atomic_load(&targets[i]->tid);
        long r = tid ? mpk_sys_tgkill(pid, tid, G->cfg.sync_signal) : -ESRCH;
        atomic_fetch_add(&G->n_sync_signals, 1);
        if (r < 0)
            answer_for(targets[i]);
    }
}

static void wait_all(mpk_thread_t **targets, unsigned n)
{
    unsigned rounds = 0;
    uint32_t left;
    while ((left = atomic_load(&G->sync_waiting)) != 0) {
        _mpk_futex_wait(&G->sync_waiting, left, SYNC_WAIT_NS);
        if (atomic_load(&G->sync_waiting) == 0)
            break;
        /* Threads that died without a word (raw clone, killed) are answered for. */
        for (unsigned i = 0; i < n; i++) {
            pid_t tid = atomic_load(&targets[i]->tid);
            if (atomic_load(&targets[i]->ack) &&
                (!tid || mpk_sys_tgkill(mpk_sys_getpid(), tid, 0) == -ESRCH))
                answer_for(targets[i]);
        }
        if (++rounds == SYNC_WARN_ROUNDS)
            _mpk_report_stuck_sync(G->cfg.sync_signal);
    }
}

unsigned _mpk_sync(uint32_t hw_mask, const mpk_thread_t *self)
{
    mpk_thread_t *targets[256];
    uint32_t hwm;
    unsigned n = 0, total = 0;
    if (!hw_mask)
        return 0;
    atomic_fetch_add(&G->n_syncs, 1);
    hwm = atomic_load(&G->threads_hwm);
    /* In batches, so the target list stays on the stack whatever the thread count. */
    for (uint32_t i = 0; i <= hwm; i++) {
        mpk_thread_t *t = i < hwm ? &G->threads[i] : NULL;
        if (t && t != self && atomic_load(&t->state) == T_LIVE && atomic_load(&t->tid) &&
            (atomic_load(&t->open_mask) & hw_mask)) {
            atomic_store(&t->ack, 1);
            targets[n++] = t;
        }
        if (n && (n == sizeof targets / sizeof *targets || !t)) {
            atomic_fetch_add(&G->sync_waiting, n);
            send_all(targets, n);
            wait_all(targets, n);
            total += n;
            n = 0;
        }
    }
    return total;
}
