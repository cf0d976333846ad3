/* core/sync.c: changing other threads' PKRU. A thread's PKRU can only be written by itself,
 * so the initiator (holding the manager lock, having already changed the manager's state)
 * signals each thread that may have an affected hardware key open; the handler re-derives
 * the PKRU saved in the interrupted context, which the kernel loads at sigreturn
 * (design.md §5). Acknowledgements are counted down on a futex: the initiator sleeps. */
#include "core/sync.h"

#include "core/thread.h"

#include <errno.h>
#include <time.h>

#define SYNC_WAIT_NS (20 * 1000 * 1000L) /* re-check targets this often while waiting */
#define SYNC_WARN_ROUNDS 250             /* ~5 s without an answer: say so once */

/* Count t's answer once (a late one finds nothing to count); with wake, wake the initiator when
 * it was the last it waited for. */
static void answer(mpk_thread_t *t, bool wake)
{
    uint32_t one = 1;
    if (atomic_compare_exchange_strong(&t->ack, &one, 0) &&
        atomic_fetch_sub(&G->sync_waiting, 1) == 1 && wake)
        _mpk_futex_wake(&G->sync_waiting, 1);
}

void _mpk_sync_answer(mpk_thread_t *t) { answer(t, true); }

/* The fault handler runs with the sync signal blocked (its sa_mask): a sync nested in it would
 * put a second signal frame on the same stack, perhaps a program's small alternate stack, and
 * the handler may wait for the lock that the initiator holds. So the initiator does not wait for
 * a thread in there: the signal it sent stays pending and re-derives the thread's PKRU before it
 * runs any program code again (at sigreturn, or when a program handler is about to run). The
 * mark goes up before the pending answer is given, and the initiator marks ack before it looks
 * at the mark: one of the two sees the other. */
void _mpk_sync_enter_fault(mpk_thread_t *t)
{
    atomic_store(&t->in_fault, 1);
    if (atomic_load(&t->ack)) {
        atomic_store(&t->sync_missed, 1);
        answer(t, true);
    }
}

void _mpk_sync_leave_fault(mpk_thread_t *t) { atomic_store(&t->in_fault, 0); }

void _mpk_sync_take_missed(mpk_thread_t *t)
{
    struct timespec now = {0, 0};
    sigset_t sync;
    if (mpk_likely(!atomic_exchange(&t->sync_missed, 0)))
        return;
    sigemptyset(&sync);
    sigaddset(&sync, G->cfg.sync_signal);
    /* A real-time signal: every sync sent meanwhile is queued. Then answer as the handler does
     * (one that began waiting after in_fault fell would otherwise wait for a signal taken here). */
    while (mpk_sys(SYS_rt_sigtimedwait, &sync, NULL, &now, sizeof(uint64_t), 0, 0) > 0)
        ;
    atomic_fetch_add(&t->sync_gen, 1); /* as its handler would have: _mpk_leave re-derives */
    answer(t, true);
}

/* The sync signal's handler: never takes the lock, never allocates. */
void _mpk_sync_handler(int sig, siginfo_t *si, void *ucv)
{
    ucontext_t *uc = ucv;
    mpk_thread_t *t;
    uint32_t *pkru;
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
    answer(t, true);
}

/* Signal the targets; a thread that no longer exists is answered for. */
static void send_all(mpk_thread_t **targets, unsigned n)
{
    pid_t pid = mpk_sys_getpid();
    for (unsigned i = 0; i < n; i++) {
        pid_t tid = atomic_load(&targets[i]->tid);
        long r = tid ? mpk_sys_tgkill(pid, tid, G->cfg.sync_signal) : -ESRCH;
        atomic_fetch_add(&G->n_sync_signals, 1);
        if (r >= 0 && atomic_load(&targets[i]->in_fault)) {
            atomic_store(&targets[i]->sync_missed, 1);
            answer(targets[i], false);
        } else if (r < 0) {
            answer(targets[i], false);
        }
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
                answer(targets[i], false);
        }
        if (++rounds == SYNC_WARN_ROUNDS)
            _mpk_report_stuck_sync(G->cfg.sync_signal);
    }
}

/* Targets per batch. Small: this runs on the fault path, which may be on a program's small
 * alternate signal stack (8 KiB, shared with the kernel's frame and the program's handler). */
#define SYNC_BATCH 16

unsigned _mpk_sync(uint32_t hw_mask, const mpk_thread_t *self)
{
    mpk_thread_t *targets[SYNC_BATCH];
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
