/* core/signals.c: sigaction as the program sees it, the wrapper the kernel runs in place of
 * the program's handlers, and the raw rt_sigaction the library installs them with. */
#include "core/signals.h"

#include "core/fault.h"
#include "core/report.h"
#include "core/sync.h"
#include "core/thread.h"

#include <errno.h>
#include <string.h>

#define SIGCANCEL_GLIBC 32 /* glibc keeps these two for itself and refuses them */
#define SIGSETXID_GLIBC 33
#define SA_RESTORER_FLAG 0x04000000
#define SAME_STACK_SPAN (1ul << 20) /* the most stack a handler is taken to use below its frame */

/* glibc's restorer has this exact byte sequence; unwinders recognise a signal frame by it. */
void _mpk_restore_rt(void);
__asm__(".text\n"
        ".hidden _mpk_restore_rt\n"
        "nop\n"
        ".align 16\n"
        "_mpk_restore_rt:\n"
        "movq $15, %rax\n"
        "syscall\n");

struct kernel_sigaction {
    uintptr_t handler;
    unsigned long flags;
    void (*restorer)(void);
    uint64_t mask;
};

int _mpk_sys_sigaction(int sig, const struct sigaction *act, struct sigaction *old)
{
    struct kernel_sigaction k, ko;
    long r;
    if (act) {
        k.handler = (uintptr_t)act->sa_handler;
        k.flags = (unsigned long)act->sa_flags | SA_RESTORER_FLAG;
        k.restorer = _mpk_restore_rt;
        memcpy(&k.mask, &act->sa_mask, sizeof k.mask);
    }
    r = mpk_sys(SYS_rt_sigaction, sig, act ? &k : NULL, old ? &ko : NULL, 8, 0, 0);
    if (r < 0)
        return (int)r;
    if (old) {
        memset(old, 0, sizeof *old);
        old->sa_handler = (void (*)(int))ko.handler;
        old->sa_flags = (int)(ko.flags & ~(unsigned long)SA_RESTORER_FLAG);
        memcpy(&old->sa_mask, &ko.mask, sizeof ko.mask);
    }
    return 0;
}

/* ---- what the program believes it blocks ---------------------------------------------------
 * SIGSEGV and the sync signal are never really blocked while the manager runs: a fault it
 * resolves would otherwise kill the thread (the kernel kills on a blocked synchronous fault),
 * and a sync would wait forever. The program still sees the mask it asked for, and a real
 * violation in a thread that blocked SIGSEGV still kills it, as the kernel would. */
enum { PB_SEGV = 1, PB_SYNC = 2 };
static __thread unsigned prog_blocked;

/* A SIGSEGV sent with kill, raise, tgkill or sigqueue while the program blocks it: the kernel
 * would keep it pending, but here SIGSEGV is never really blocked, so the thread holds it until
 * the program unblocks it (or the manager lock is released), then sends it to itself again with
 * the same siginfo. Standard signals do not queue: one held instance is all the kernel keeps. */
static __thread siginfo_t held_segv;
static __thread bool segv_held;

static void hold_segv(const siginfo_t *si)
{
    held_segv = *si;
    segv_held = true;
}

/* Send sig to this thread again, with its siginfo where the kernel takes it. */
static void resend_self(int sig, siginfo_t *si)
{
    long r = mpk_sys(SYS_rt_tgsigqueueinfo, mpk_sys_getpid(), mpk_sys_gettid(), sig, si, 0, 0);
    if (r < 0) /* the queue of real-time signals is full: the signal still arrives, without its data */
        mpk_sys_tgkill(mpk_sys_getpid(), mpk_sys_gettid(), sig);
}

static void release_held_segv(void)
{
    mpk_thread_t *t;
    if (mpk_likely(!segv_held) || (prog_blocked & PB_SEGV))
        return;
    t = _mpk_thread_peek();
    if (t && t->lock_held)
        return; /* the release of the lock sends it */
    segv_held = false;
    resend_self(SIGSEGV, &held_segv);
}

void _mpk_signals_after_fork(void)
{
    segv_held = false; /* a child starts with no pending signals */
}

int _mpk_sigpending(sigset_t *set)
{
    /* The kernel writes the first 8 bytes (and says EFAULT for a bad pointer), as for glibc's.
     * A query: where the EFAULT was a key the thread may write but the kernel cannot bring in
     * (evicted, not yet granted), the key is brought in and the query asked again. */
    long r = mpk_sys(SYS_rt_sigpending, set, sizeof(uint64_t), 0, 0, 0, 0);
    if (r == -EFAULT && _mpk_fault_for_syscall(set, sizeof(uint64_t), true))
        r = mpk_sys(SYS_rt_sigpending, set, sizeof(uint64_t), 0, 0, 0, 0);
    if (r)
        return (int)r;
    if (segv_held)
        sigaddset(set, SIGSEGV);
    return 0;
}

static unsigned blocked_bits(const sigset_t *set)
{
    return (sigismember(set, SIGSEGV) ? PB_SEGV : 0) |
           (sigismember(set, G->cfg.sync_signal) ? PB_SYNC : 0);
}

static void strip_reserved(sigset_t *set)
{
    sigdelset(set, SIGSEGV);
    sigdelset(set, G->cfg.sync_signal);
    sigdelset(set, SIGCANCEL_GLIBC); /* as glibc's own pthread_sigmask does */
    sigdelset(set, SIGSETXID_GLIBC);
}

static void add_back(sigset_t *set, unsigned bits)
{
    if (bits & PB_SEGV)
        sigaddset(set, SIGSEGV);
    if (bits & PB_SYNC)
        sigaddset(set, G->cfg.sync_signal);
}

int _mpk_sigmask(int how, const sigset_t *set, sigset_t *old)
{
    sigset_t real, o;
    unsigned before = prog_blocked, bits = 0;
    long r;
    if (set) {
        if (how != SIG_BLOCK && how != SIG_UNBLOCK && how != SIG_SETMASK)
            return -EINVAL;
        real = *set;
        bits = blocked_bits(set);
        strip_reserved(&real);
    }
    /* old is written here, not by the kernel: the kernel fails with EFAULT on a page whose key
     * it cannot bring in (evicted, not yet granted), after it changed the mask, so the call
     * could not be repeated. A write of ours faults the key in like any access. */
    r = mpk_sys_sigprocmask(how, set ? &real : NULL, old ? &o : NULL);
    if (r)
        return (int)r;
    if (set)
        prog_blocked = how == SIG_BLOCK ? before | bits : how == SIG_UNBLOCK ? before & ~bits : bits;
    if (old) {
        add_back(&o, before);
        memcpy(old, &o, sizeof(uint64_t)); /* the kernel's 8 bytes: glibc's sigset_t is larger */
    }
    release_held_segv();
    return 0;
}

/* ---- running the program's handler ------------------------------------------------------ */

static void call_handler(int sig, siginfo_t *si, ucontext_t *uc, uintptr_t h, int flags)
{
    if (flags & SA_SIGINFO)
        ((void (*)(int, siginfo_t *, void *))h)(sig, si, uc);
    else
        ((void (*)(int))h)(sig);
}

static void copy_view(mpk_thread_t *t, unsigned to, unsigned from)
{
    memcpy(t->views[to], t->views[from], atomic_load(&G->slot_hwm));
}

/* ---- levels left by siglongjmp -----------------------------------------------------------
 * A program handler left by siglongjmp never returns through run_nested: what its level set
 * (the mask the program believes blocked, the thread's rights view) is undone when the next
 * signal shows the jump. A handler still running has its stack just below its signal frame
 * (on the stack the frame is on, the alternate one included), so a signal that interrupts code
 * anywhere else (above the frame: back in the code that took the first signal; or on another
 * stack: back from an alternate stack) interrupts code outside that handler. The limit: a
 * handler that runs on a stack of its own (swapcontext) counts as left. */
static bool left_by_jump(uintptr_t frame, const ucontext_t *uc)
{
    uintptr_t sp = (uintptr_t)uc->uc_mcontext.gregs[REG_RSP];
    return !(sp < frame && frame - sp < SAME_STACK_SPAN);
}

/* Each running handler's frame and the prog_blocked outside it. Kept per thread whether or not
 * the thread has a record: the mask matters before any key is in play. */
static __thread struct {
    uintptr_t frame;
    unsigned outer_blocked;
} mask_levels[MPK_MAX_DEPTH];
static __thread unsigned n_mask_levels;

static void mask_level_push(const ucontext_t *uc, unsigned outer_blocked)
{
    if (n_mask_levels >= MPK_MAX_DEPTH) /* deeper than any real nesting: jumps we missed */
        n_mask_levels = 0;
    mask_levels[n_mask_levels].frame = (uintptr_t)uc;
    mask_levels[n_mask_levels].outer_blocked = outer_blocked;
    n_mask_levels++;
}

static void mask_level_pop(void)
{
    if (n_mask_levels)
        n_mask_levels--;
}

/* glibc's siglongjmp restored the mask of its sigsetjmp (outside the handler, as a rule) with a
 * system call of its own: the program believes again what it believed outside the handler. */
static void mask_levels_fold(const ucontext_t *uc)
{
    unsigned before = prog_blocked;
    while (n_mask_levels && left_by_jump(mask_levels[n_mask_levels - 1].frame, uc))
        prog_blocked = mask_levels[--n_mask_levels].outer_blocked;
    if (prog_blocked != before)
        release_held_segv();
}

/* The depth the new handler runs at. Levels left by siglongjmp: the thread kept their rights
 * (PKRU is not restored by a jump), so they fold into the level under them. */
static unsigned enter_depth(mpk_thread_t *t, ucontext_t *uc)
{
    unsigned d = t->depth;
    uint8_t *v;
    while (d > 0 && left_by_jump(t->frame_uc[d], uc)) {
        copy_view(t, d - 1, d);
        d--;
    }
    if (d + 1 >= MPK_MAX_DEPTH) { /* deeper than any real nesting: assume jumps we missed */
        copy_view(t, 0, d);
        d = 0;
    }
    v = _mpk_thread_view(t, d + 1);
    if (!v)
        return d; /* out of memory: share the level (degraded, never unsafe: all closed) */
    /* Claim the level before clearing it: a signal landing in between must nest above it, not
     * take the same level and leave its rights in it for this handler. */
    d++;
    t->frame_uc[d] = (uintptr_t)uc;
    t->depth = d;
    atomic_signal_fence(memory_order_seq_cst);
    memset(v, MPK_AD, atomic_load(&G->slot_hwm));
    return d;
}

static void sync_signal_mask(int how)
{
    sigset_t sync;
    sigemptyset(&sync);
    sigaddset(&sync, G->cfg.sync_signal);
    mpk_sys_sigprocmask(how, &sync, NULL);
}

/* The PKRU the kernel restores must match the outer level's view and today's owners of each
 * hardware key. No sync may land between this fix and sigreturn (its edit would go to our
 * frame, not the restored one): the caller has the sync signal blocked, and sigreturn unblocks
 * it by restoring the interrupted mask. */
void _mpk_signal_fix_return(mpk_thread_t *t, ucontext_t *uc)
{
    uint32_t *pkru;
    _mpk_meta_open();
    pkru = mpk_uc_pkru(uc);
    if (pkru)
        *pkru = _mpk_pkru_derive(t, t->depth, *pkru);
}

static void run_nested(int sig, siginfo_t *si, ucontext_t *uc, uintptr_t h, int flags)
{
    mpk_thread_t *t = _mpk_sealed.meta_mask ? _mpk_thread() : NULL;
    unsigned d, outer_blocked = prog_blocked;
    uint32_t gen;
    /* During the handler the program believes its sa_mask blocked, and the signal itself. */
    mask_level_push(uc, outer_blocked);
    prog_blocked |= blocked_bits(&G->sigs[sig].mask) | (sig == SIGSEGV && !(flags & SA_NODEFER));
    if (!t) {
        call_handler(sig, si, uc, h, flags);
        mask_level_pop();
        prog_blocked = outer_blocked;
        release_held_segv();
        return;
    }
    _mpk_meta_open();
    if (sig == SIGSEGV) { /* inside the fault handler, whose mask blocks syncs: the program's code must get them */
        _mpk_sync_leave_fault(t);
        _mpk_sync_take_missed(t);
        sync_signal_mask(SIG_UNBLOCK);
    }
    gen = atomic_load(&t->sync_gen);
    d = enter_depth(t, uc);
    _mpk_leave_with(t, gen, _mpk_pkru_derive(t, d, mpk_rdpkru()));
    call_handler(sig, si, uc, h, flags);
    mask_level_pop();
    prog_blocked = outer_blocked;
    release_held_segv(); /* one sent while the handler's mask blocked it: due now */
    sync_signal_mask(SIG_BLOCK);
    _mpk_meta_open();
    t->depth = d ? d - 1 : 0;
    _mpk_signal_fix_return(t, uc);
}

bool _mpk_signal_is_fault(int sig, const siginfo_t *si)
{
    return si->si_code > 0 && (sig == SIGSEGV || sig == SIGBUS || sig == SIGILL || sig == SIGFPE);
}

void _mpk_signal_deliver_default(int sig, siginfo_t *si)
{
    struct sigaction dfl;
    memset(&dfl, 0, sizeof dfl);
    dfl.sa_handler = SIG_DFL;
    _mpk_sys_sigaction(sig, &dfl, NULL);
    /* A fault re-executes and now kills; anything else (a SIGSEGV sent with kill included) is
     * sent again, pending until this handler returns. */
    if (!_mpk_signal_is_fault(sig, si))
        resend_self(sig, si);
}

void _mpk_signal_deliver(int sig, siginfo_t *si, ucontext_t *uc)
{
    mpk_sigslot_t *s = &G->sigs[sig];
    uintptr_t h = atomic_load(&s->handler);
    int flags = s->flags;
    bool fault = _mpk_signal_is_fault(sig, si);
    mask_levels_fold(uc);
    if (sig == SIGSEGV && (prog_blocked & PB_SEGV)) {
        if (!fault) {
            hold_segv(si); /* pending until the program unblocks it */
            return;
        }
        h = (uintptr_t)SIG_DFL; /* the kernel kills a thread that blocked the fault it takes */
    }
    if (h == (uintptr_t)SIG_IGN || h == (uintptr_t)SIG_DFL) {
        if (h == (uintptr_t)SIG_DFL || (sig == SIGSEGV && fault)) /* an ignored fault is fatal, as in the kernel */
            _mpk_signal_deliver_default(sig, si);
        return;
    }
    if (flags & SA_RESETHAND)
        atomic_store(&s->handler, (uintptr_t)SIG_DFL);
    run_nested(sig, si, uc, h, flags);
}

/* ---- signals that arrive while this thread holds the manager lock ---------------------------
 * The lock is taken without blocking signals (core/lock.h). A program handler must not run
 * inside the locked section, so the signal goes back to the kernel with the same siginfo, blocked
 * in this thread (now, for SA_NODEFER, and in the mask the return restores) until the release
 * unblocks it and the kernel delivers it again, in order with its kind. Rare: only signals that
 * land in those few microseconds pay these system calls. */
static void defer(mpk_thread_t *t, int sig, siginfo_t *si, ucontext_t *uc)
{
    sigset_t one;
    t->deferred |= 1ull << (sig - 1);
    if (sig == SIGSEGV) { /* never blocked (faults must reach us): held, as when the program blocks it */
        hold_segv(si);
        return;
    }
    sigemptyset(&one);
    sigaddset(&one, sig);
    mpk_sys_sigprocmask(SIG_BLOCK, &one, NULL);
    sigaddset(&uc->uc_sigmask, sig);
    resend_self(sig, si);
}

void _mpk_signals_release_deferred(struct mpk_thread *t)
{
    uint64_t d = t->deferred;
    sigset_t set;
    t->deferred = 0;
    sigemptyset(&set);
    for (int sig = 1; sig < MPK_NSIG; sig++)
        if ((d >> (sig - 1)) & 1)
            sigaddset(&set, sig);
    mpk_sys_sigprocmask(SIG_UNBLOCK, &set, NULL);
    release_held_segv();
}

void _mpk_signal_arrived(int sig, siginfo_t *si, ucontext_t *uc)
{
    mpk_thread_t *t;
    _mpk_meta_open();
    t = _mpk_thread_peek();
    if (mpk_unlikely(t && t->lock_held)) {
        defer(t, sig, si, uc);
        return;
    }
    _mpk_signal_deliver(sig, si, uc);
}

/* What the kernel runs for every handler the program installed (SIGSEGV excepted). */
static void wrapper(int sig, siginfo_t *si, void *uc) { _mpk_signal_arrived(sig, si, uc); }

/* ---- sigaction ---------------------------------------------------------------------------- */

static int install(int sig, const struct sigaction *act)
{
    struct sigaction k = *act;
    uintptr_t h = (uintptr_t)act->sa_handler;
    strip_reserved(&k.sa_mask); /* the table keeps the program's mask for queries */
    if (sig == SIGSEGV) {
        /* Ours stays; it takes the program's stack, mask and nesting wishes, and blocks the
         * sync signal (core/sync.c: _mpk_sync_enter_fault says why). */
        k.sa_sigaction = _mpk_fault_handler;
        k.sa_flags = (act->sa_flags & ~SA_RESETHAND) | SA_SIGINFO;
        sigaddset(&k.sa_mask, G->cfg.sync_signal);
    } else if (h != (uintptr_t)SIG_DFL && h != (uintptr_t)SIG_IGN) {
        k.sa_sigaction = wrapper;
        k.sa_flags = act->sa_flags | SA_SIGINFO;
    }
    return _mpk_sys_sigaction(sig, &k, NULL);
}

/* The table and the kernel, under the lock: act and old are the caller's copies, never the
 * program's memory (a fault on it under the lock could not be resolved: core/lock.h). */
static int sigaction_locked(int sig, const struct sigaction *act, struct sigaction *old)
{
    mpk_sigslot_t *s = &G->sigs[sig];
    int r = 0;
    if (old) {
        if (G->sigs_set & (1ull << sig)) {
            memset(old, 0, sizeof *old);
            old->sa_handler = (void (*)(int))atomic_load(&s->handler);
            old->sa_flags = s->flags;
            old->sa_mask = s->mask;
        } else {
            r = _mpk_sys_sigaction(sig, NULL, old);
            if (!r && sig == SIGSEGV)
                old->sa_handler = SIG_DFL; /* ours, installed at start-up: not the program's */
        }
    }
    if (act && !r) {
        r = install(sig, act);
        if (!r) {
            s->flags = act->sa_flags;
            s->mask = act->sa_mask;
            atomic_store(&s->handler, (uintptr_t)act->sa_handler);
            G->sigs_set |= 1ull << sig;
        }
    }
    return r;
}

int _mpk_sigaction(int sig, const struct sigaction *act, struct sigaction *old)
{
    struct sigaction a, o;
    mpk_thread_t *t;
    uint32_t gen;
    int r;
    sigset_t saved;
    if (sig < 1 || sig >= MPK_NSIG || sig == SIGCANCEL_GLIBC || sig == SIGSETXID_GLIBC)
        return -EINVAL;
    if (sig == G->cfg.sync_signal) {
        if (act) {
            _mpk_report_reserved_signal(sig);
            return -EINVAL;
        }
        if (old) {
            memset(old, 0, sizeof *old);
            old->sa_handler = SIG_DFL;
        }
        return 0;
    }
    if (act && (sig == SIGKILL || sig == SIGSTOP))
        return -EINVAL;
    if (act)
        a = *act; /* a fault here (a key evicted, not yet granted) is resolved as anywhere */
    t = _mpk_thread();
    gen = t ? atomic_load(&t->sync_gen) : 0;
    _mpk_lock(&G->lock, &saved);
    r = sigaction_locked(sig, act ? &a : NULL, old ? &o : NULL);
    _mpk_unlock(&G->lock, &saved);
    if (t)
        _mpk_leave(t, gen);
    if (!r && old)
        *old = o;
    return r;
}

int _mpk_sigaction_kernel(int sig, const void *act, void *old, size_t setsize)
{
    const struct kernel_sigaction *ka = act;
    struct kernel_sigaction *ko = old;
    struct sigaction a, o;
    int r;
    if (setsize != sizeof ka->mask)
        return -EINVAL;
    if (sig == SIGCANCEL_GLIBC || sig == SIGSETXID_GLIBC)
        return (int)mpk_sys(SYS_rt_sigaction, sig, act, old, setsize, 0, 0);
    if (ka) {
        memset(&a, 0, sizeof a);
        a.sa_handler = (void (*)(int))ka->handler;
        a.sa_flags = (int)(ka->flags & ~(unsigned long)SA_RESTORER_FLAG);
        memcpy(&a.sa_mask, &ka->mask, sizeof ka->mask);
    }
    r = _mpk_sigaction(sig, ka ? &a : NULL, ko ? &o : NULL);
    if (r == 0 && ko) {
        /* As the kernel would report it: our restorer, which the program's handler returns
         * through now, whatever restorer it gave. */
        ko->handler = (uintptr_t)o.sa_handler;
        ko->flags = (unsigned long)(unsigned)o.sa_flags | SA_RESTORER_FLAG;
        ko->restorer = _mpk_restore_rt;
        memcpy(&ko->mask, &o.sa_mask, sizeof ko->mask);
    }
    return r;
}

int _mpk_sigmask_kernel(int how, const void *set, void *old, size_t setsize)
{
    sigset_t s, o;
    int r;
    if (setsize != sizeof(uint64_t))
        return -EINVAL;
    if (set) {
        sigemptyset(&s);
        memcpy(&s, set, setsize);
    }
    r = _mpk_sigmask(how, set ? &s : NULL, old ? &o : NULL);
    if (r == 0 && old)
        memcpy(old, &o, setsize);
    return r;
}

/* Handlers installed before we booted (by another constructor, or raw) are taken over as if
 * the program had installed them through sigaction. */
static void adopt_existing(int sig)
{
    struct sigaction prev;
    uintptr_t h;
    if (_mpk_sys_sigaction(sig, NULL, &prev) != 0)
        return;
    h = (uintptr_t)prev.sa_handler;
    if (h == (uintptr_t)SIG_DFL || h == (uintptr_t)SIG_IGN) {
        if (sig == SIGSEGV)
            atomic_store(&G->sigs[sig].handler, h);
        return;
    }
    G->sigs[sig].flags = prev.sa_flags;
    G->sigs[sig].mask = prev.sa_mask;
    atomic_store(&G->sigs[sig].handler, h);
    G->sigs_set |= 1ull << sig;
    if (sig != SIGSEGV)
        install(sig, &prev);
}

int _mpk_signals_boot(void)
{
    struct sigaction a;
    int r;
    for (int sig = 1; sig < MPK_NSIG; sig++)
        if (sig != SIGKILL && sig != SIGSTOP && sig != SIGCANCEL_GLIBC && sig != SIGSETXID_GLIBC &&
            sig != G->cfg.sync_signal)
            adopt_existing(sig);
    memset(&a, 0, sizeof a);
    a.sa_sigaction = _mpk_fault_handler;
    a.sa_flags = SA_SIGINFO | SA_ONSTACK;
    if (G->sigs_set & (1ull << SIGSEGV)) {
        a.sa_flags = (G->sigs[SIGSEGV].flags & ~SA_RESETHAND) | SA_SIGINFO;
        a.sa_mask = G->sigs[SIGSEGV].mask;
        strip_reserved(&a.sa_mask);
    }
    sigaddset(&a.sa_mask, G->cfg.sync_signal); /* as install() does */
    r = _mpk_sys_sigaction(SIGSEGV, &a, NULL);
    if (r)
        return r;
    memset(&a, 0, sizeof a);
    a.sa_sigaction = _mpk_sync_handler;
    a.sa_flags = SA_SIGINFO | SA_RESTART | SA_ONSTACK;
    sigaddset(&a.sa_mask, G->cfg.sync_signal);
    return _mpk_sys_sigaction(G->cfg.sync_signal, &a, NULL);
}

/* Boot failed after _mpk_signals_boot: the handlers it installed have no state behind them.
 * Every signal gets back the action it had before boot (the program's, or the default). */
void _mpk_signals_unboot(void)
{
    for (int sig = 1; sig < MPK_NSIG; sig++) {
        struct sigaction a;
        if (sig != SIGSEGV && !(G->sigs_set & (1ull << sig)))
            continue;
        memset(&a, 0, sizeof a);
        a.sa_handler = (void (*)(int))atomic_load(&G->sigs[sig].handler);
        a.sa_flags = G->sigs[sig].flags;
        a.sa_mask = G->sigs[sig].mask;
        _mpk_sys_sigaction(sig, &a, NULL);
    }
}
