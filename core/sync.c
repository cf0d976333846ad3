/* core/sync.c: changing other threads' PKRU. A thread's PKRU can only be written by itself,
 * so the initiator (holding the manager lock, having already changed the manager's state)
 * signals each thread that may have an affected hardware key open; the handler re-derives
 * the PKRU saved in the interrupted context, which the kernel loads at sigreturn
 * (design.md §5). Acknowledgements are counted down on a futex: the initiator sleeps, and
 * not for ever: a thread that blocked the signal behind our back (an inline rt_sigprocmask) is
 * given up on after a bound and reported; the caller then makes its change safe by re-tagging,
 * and the hardware keys it may still have open stay out of use until it answers or ends. */
#include "core/sync.h"

#include "core/report.h"
#include "core/thread.h"
#include "core/verify.h"

#include <errno.h>
#include <string.h>
#include <time.h>

#define SYNC_WAIT_NS (20 * 1000 * 1000L) /* re-check targets this often while waiting */
/* How long a sync waits for a thread that has the sync signal blocked. A thread that can take
 * it answers in microseconds; but glibc blocks every signal for a moment on its own (around the
 * clone in pthread_create), and a thread descheduled there on a loaded machine (seen under
 * emulation, 150 ms was too short) is not silent, only late. */
#define SYNC_GIVE_UP_NS (1000 * 1000 * 1000L)
/* ... and for one that has not blocked it, only slow (an emulated CPU, an overloaded machine):
 * it will answer, but a sync holding the lock must not wait without bound either. */
#define SYNC_GIVE_UP_SLOW_NS (3000 * 1000 * 1000L)

/* Count t's answer once (a late one finds nothing to count); with wake, wake the initiator when
 * it was the last it waited for. */
static void answer(mpk_thread_t *t, bool wake)
{
    uint32_t one = 1;
    if (atomic_compare_exchange_strong(&t->ack, &one, 0) &&
        atomic_fetch_sub(&G->sync_waiting, 1) == 1 && wake)
        _mpk_futex_wake(&G->sync_waiting, 1);
}

/* The thread is brought in line with the manager now (its caller derives its PKRU next): it
 * no longer holds stale keys open. Before the derivation: a sync that marks it silent after
 * this changed the state before, so the derivation sees that change. */
static void heard_from(mpk_thread_t *t) { atomic_store(&t->silent_mask, 0); }

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
    heard_from(t);
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
    heard_from(t);
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

static int64_t now_ns(void)
{
    struct timespec ts = {0, 0};
    clock_gettime(CLOCK_MONOTONIC, &ts); /* the vDSO: async-signal-safe */
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Is sig in the blocked mask of thread tid? true where /proc cannot say. */
static bool status_line_blocks(void *ctx, const char *l)
{
    uint64_t *mask = ctx;
    if (strncmp(l, "SigBlk:", 7) != 0)
        return true;
    *mask = 0;
    for (l += 7; *l; l++) {
        unsigned d = *l >= '0' && *l <= '9' ? (unsigned)(*l - '0')
                     : *l >= 'a' && *l <= 'f' ? (unsigned)(*l - 'a' + 10) : 16;
        if (d < 16)
            *mask = *mask << 4 | d;
    }
    return false;
}

static bool blocks_sync_signal(pid_t tid)
{
    char path[48];
    uint64_t mask = ~0ull;
    _mpk_format(path, sizeof path, "/proc/self/task/%d/status", (int)tid);
    _mpk_proc_lines(path, status_line_blocks, &mask);
    return (mask >> (G->cfg.sync_signal - 1)) & 1;
}

/* t did not answer for the hardware keys in hw_mask: mark them as possibly open in it, then stop
 * waiting for it. If it answered meanwhile after all, its handler derived from the new state:
 * the mark is taken back (a sync waited for it, so it had none before). True when it stays
 * silent, which is reported with what the caller does instead. */
static bool give_up_on(mpk_thread_t *t, uint32_t hw_mask, const char *fallback)
{
    uint32_t one = 1;
    atomic_fetch_or(&t->silent_mask, hw_mask);
    if (!atomic_compare_exchange_strong(&t->ack, &one, 0)) {
        atomic_store(&t->silent_mask, 0);
        return false;
    }
    atomic_fetch_sub(&G->sync_waiting, 1);
    _mpk_report_silent_thread((int)atomic_load(&t->tid), hw_mask, G->cfg.sync_signal,
                              SYNC_GIVE_UP_NS / 1000000, fallback);
    return true;
}

/* Waits until every target answered, or died (raw clone, killed: answered for), or is given up
 * on: one that has the sync signal blocked after SYNC_GIVE_UP_NS, any after
 * SYNC_GIVE_UP_SLOW_NS. Returns hw_mask if it gave up on any, else 0. */
static uint32_t wait_all(mpk_thread_t **targets, unsigned n, uint32_t hw_mask,
                         const char *fallback, int64_t start)
{
    uint32_t left, silent = 0;
    while ((left = atomic_load(&G->sync_waiting)) != 0) {
        int64_t waited;
        _mpk_futex_wait(&G->sync_waiting, left, SYNC_WAIT_NS);
        if (atomic_load(&G->sync_waiting) == 0)
            break;
        waited = now_ns() - start;
        for (unsigned i = 0; i < n; i++) {
            pid_t tid = atomic_load(&targets[i]->tid);
            if (!atomic_load(&targets[i]->ack))
                continue;
            if (!tid || mpk_sys_tgkill(mpk_sys_getpid(), tid, 0) == -ESRCH)
                answer(targets[i], false);
            else if ((waited >= SYNC_GIVE_UP_SLOW_NS ||
                      (waited >= SYNC_GIVE_UP_NS && blocks_sync_signal(tid))) &&
                     give_up_on(targets[i], hw_mask, fallback))
                silent = hw_mask;
        }
    }
    return silent;
}

/* A thread already known to be silent still has its pending signal, which will bring it in line
 * with whatever the state is then: add the new keys to its mark, without waiting for it. False
 * when it answered in the meantime (no mark left): it must be signalled as any other. */
static bool still_silent(mpk_thread_t *t, uint32_t hw_mask)
{
    uint32_t m = atomic_load(&t->silent_mask);
    while (m && !atomic_compare_exchange_weak(&t->silent_mask, &m, m | hw_mask))
        ;
    return m != 0;
}

/* Targets per batch. Small: this runs on the fault path, which may be on a program's small
 * alternate signal stack (8 KiB, shared with the kernel's frame and the program's handler). */
#define SYNC_BATCH 16

uint32_t _mpk_sync(uint32_t hw_mask, const mpk_thread_t *self, const char *fallback)
{
    mpk_thread_t *targets[SYNC_BATCH];
    uint32_t hwm, silent = 0;
    unsigned n = 0;
    int64_t start = 0; /* read at the first wait: most syncs have nobody to wait for */
    if (!hw_mask)
        return 0;
    atomic_fetch_add(&G->n_syncs, 1);
    hwm = atomic_load(&G->threads_hwm);
    /* In batches, so the target list stays on the stack whatever the thread count. */
    for (uint32_t i = 0; i <= hwm; i++) {
        mpk_thread_t *t = i < hwm ? &G->threads[i] : NULL;
        if (t && t != self && atomic_load(&t->state) == T_LIVE && atomic_load(&t->tid) &&
            (atomic_load(&t->open_mask) & hw_mask)) {
            if (still_silent(t, hw_mask)) {
                silent = hw_mask;
            } else {
                atomic_store(&t->ack, 1);
                targets[n++] = t;
            }
        }
        if (n && (n == sizeof targets / sizeof *targets || !t)) {
            if (!start)
                start = now_ns();
            atomic_fetch_add(&G->sync_waiting, n);
            send_all(targets, n);
            silent |= wait_all(targets, n, hw_mask, fallback, start);
            n = 0;
        }
    }
    return silent;
}
