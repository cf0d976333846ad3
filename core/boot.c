/* core/boot.c: starting the manager in two steps. Boot (constructor, or the first entry point
 * that needs it) builds the state and installs the signal handlers but takes no hardware key;
 * activation (the first pkey_alloc) takes the metadata key, protects the arena and seals the
 * page of start-up values: a program that never uses keys never loses one. */
#include "core/core.h"
#include "core/fault.h"
#include "core/report.h"
#include "core/revoke.h"
#include "core/signals.h"
#include "core/thread.h"
#include "core/vkey.h"

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <string.h>
#include <sys/mman.h>

/* The policy's built-in values (policy/defaults.h), for a manager started without the preload. */
void _mpk_settings_default(mpk_settings_t *s)
{
    memset(s, 0, sizeof *s); /* also: no regions, no W^X eligibility check */
    s->max_keys = MPK_DEFAULT_MAX_KEYS;
    s->hw_budget = MPK_DEFAULT_HW_KEYS;
    s->evict = MPK_DEFAULT_EVICT;
    s->pins = MPK_DEFAULT_PINS;
    s->on_free_in_use = MPK_DEFAULT_ON_FREE_IN_USE;
    s->on_bad_key_abort = MPK_DEFAULT_ON_BAD_KEY == MPK_BAD_KEY_ABORT;
    s->sync_signal = MPK_DEFAULT_SYNC_SIGNAL;
    s->new_key = MPK_DEFAULT_NEW_KEY;
    s->on_remap = MPK_DEFAULT_ON_REMAP;
    s->self_write = MPK_DEFAULT_SELF_WRITE;
    s->sealed = MPK_DEFAULT_SEALED;
    s->numbers = MPK_DEFAULT_NUMBERS;
    s->virtualize = MPK_DEFAULT_EVICT != MPK_EVICT_NONE;
    s->wx_enable = MPK_DEFAULT_WX_ENABLE;
    s->wx_cross_allow = MPK_DEFAULT_WX_CROSS_THREAD == MPK_WX_CROSS_ALLOW;
    s->wx_rwx = MPK_DEFAULT_WX_RWX;
    s->wx_min_size = MPK_DEFAULT_WX_MIN_SIZE;
}

/* ---- fork ------------------------------------------------------------------------------------ */
/* pthread_atfork handlers registered at boot: ours run last before the fork and first after it,
 * so that program handlers calling mmap or pkey_* around fork never find the lock taken. */

static void fork_prepare(void)
{
    sigset_t saved;
    if (!_mpk_in_play())
        return;
    _mpk_meta_open();
    _mpk_lock_masked(&G->lock, &saved);
    G->fork_saved = saved;
}

static void fork_parent(void)
{
    mpk_thread_t *t;
    if (!_mpk_in_play())
        return;
    _mpk_unlock_masked(&G->lock, &G->fork_saved);
    t = _mpk_self;
    if (t)
        _mpk_leave(t, atomic_load(&t->sync_gen));
}

static void fork_child(void)
{
    mpk_thread_t *t;
    sigset_t saved;
    _mpk_signals_after_fork();
    if (!_mpk_in_play())
        return;
    saved = G->fork_saved;
    t = _mpk_self && _mpk_thread_valid(_mpk_self) ? _mpk_self : NULL;
    _mpk_lock_reset(&G->lock);
    _mpk_thread_after_fork(t);
    mpk_sys_sigprocmask(SIG_SETMASK, &saved, NULL);
    if (t)
        _mpk_leave(t, atomic_load(&t->sync_gen));
}

/* ---- boot ------------------------------------------------------------------------------------ */

static void lock_blocked_set(int sync_signal)
{
    sigset_t set;
    sigfillset(&set);
    /* Faults must stay deliverable, and the sync signal: a thread waiting for the lock may be
     * the one a sync waits for. */
    sigdelset(&set, sync_signal);
    sigdelset(&set, SIGSEGV);
    sigdelset(&set, SIGBUS);
    sigdelset(&set, SIGILL);
    sigdelset(&set, SIGFPE);
    sigdelset(&set, SIGTRAP);
    sigdelset(&set, SIGSYS);
    _mpk_lock_set_blocked(&set);
}

static uint32_t pow2_at_least(uint32_t n)
{
    uint32_t p = 64;
    while (p < n)
        p <<= 1;
    return p;
}

static int build_state(const mpk_settings_t *s)
{
    mpk_state_t *g = _mpk_meta_alloc(sizeof *g);
    if (!g)
        return -ENOMEM;
    g->cfg = *s;
    /* Slots 1..15 are kept for numbers equal to their hardware key. */
    g->max_slots = pow2_at_least(s->max_keys + MPK_HW_KEYS + 1);
    g->slot_mask = g->max_slots - 1;
    g->rng = 0x9e3779b97f4a7c15ull ^ (uint64_t)(uintptr_t)g;
    g->threads = _mpk_meta_alloc(sizeof(mpk_thread_t) * MPK_MAX_THREADS);
    g->probe_page = mpk_sys_mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (!g->threads || mpk_sys_failed((long)g->probe_page))
        return -ENOMEM;
    mpk_ranges_init(&g->ranges, &_mpk_meta_grow_alloc);
    _mpk_sealed.state = g;
    return _mpk_vkey_boot() ? -ENOMEM : 0;
}

static int boot_once(const mpk_settings_t *s)
{
    int r;
    if (!mpk_cpu_has_pku())
        return -ENOTSUP;
    _mpk_sealed.pku = 1;
    _mpk_sealed.xsave_pkru = mpk_xsave_pkru_offset();
    _mpk_sealed.wx_enable = s->wx_enable;
    _mpk_sealed.wx_rwx = s->wx_rwx;
    r = build_state(s);
    if (r) {
        _mpk_sealed.state = NULL;
        return r;
    }
    lock_blocked_set(s->sync_signal);
    _mpk_threads_boot();
    if (!_mpk_thread_register()) {
        _mpk_sealed.state = NULL;
        return -ENOMEM;
    }
    _mpk_fault_boot();
    _mpk_revoke_boot();
    /* Before the handlers, so that nothing needs undoing when it fails: registered handlers
     * that outlive a failed boot find no key in play and do nothing. */
    r = pthread_atfork(fork_prepare, fork_parent, fork_child);
    if (r) {
        _mpk_sealed.state = NULL;
        return -r;
    }
    r = _mpk_signals_boot();
    if (r) {
        _mpk_signals_unboot();
        _mpk_sealed.state = NULL;
        return r;
    }
    return 0;
}

/* A boot that fails on a machine with PKU says so whatever the settings: the program runs, but
 * without libmpk (every call passes through, as without PKU), and must not think otherwise. */
static void report_boot_failed(int r)
{
    if (r && r != -ENOTSUP)
        _mpk_error("cannot start (errno %d); libmpk stays out of the way and every call passes "
                   "through",
                   -r);
}

int _mpk_boot(const mpk_settings_t *s)
{
    static _Atomic int phase; /* 0 not started, 1 booting, 2 done */
    static int result;
    int expected = 0;
    if (atomic_load(&phase) == 2)
        return result;
    if (atomic_compare_exchange_strong(&phase, &expected, 1)) {
        mpk_settings_t defaults;
        if (!s) {
            _mpk_settings_default(&defaults);
            s = &defaults;
        }
        result = boot_once(s);
        report_boot_failed(result);
        atomic_store(&phase, 2);
        /* W^X and [region] rules work on programs that never allocate a key: the manager
         * starts right away. Those rules are the policy: without them the program stops,
         * as for a bad config. */
        if (result == 0 && (s->wx_enable || s->wx_rwx != MPK_WX_RWX_ALLOW || s->nregions)) {
            int r = _mpk_activate();
            if (r)
                _mpk_stop_unsealed("the state that [wx] and [region] rules need", r);
        }
        return result;
    }
    while (atomic_load(&phase) != 2) /* another thread boots: it takes microseconds */
        sched_yield();
    return result;
}

/* ---- activation ---------------------------------------------------------------------------- */

/* Defined by the preload: last writes to the sealed page before it turns read-only. */
void _mpk_before_seal(void) __attribute__((weak));

/* The metadata key: the highest free hardware key, so that while a program holds few keys,
 * the numbers it gets are those it would get from the kernel alone (1, 2, ...). */
static int take_metadata_key(void)
{
    int keys[MPK_HW_KEYS], n = 0, top = 0;
    long k;
    while (n < MPK_HW_KEYS && (k = mpk_sys_pkey_alloc(0, MPK_AD)) > 0)
        keys[n++] = (int)k;
    for (int i = 0; i < n; i++)
        if (keys[i] > top)
            top = keys[i];
    for (int i = 0; i < n; i++)
        if (keys[i] != top)
            mpk_sys_pkey_free(keys[i]);
    return top;
}

int _mpk_activate(void)
{
    static _Atomic int phase;
    static int result;
    int expected = 0, meta;
    sigset_t saved;
    if (mpk_likely(_mpk_in_play()))
        return 0;
    if (!G)
        return -ENOTSUP;
    if (!atomic_compare_exchange_strong(&phase, &expected, 1)) {
        while (atomic_load(&phase) == 1)
            sched_yield();
        return result;
    }
    _mpk_lock(&G->lock, &saved);
    meta = take_metadata_key();
    if (!meta) {
        result = -ENOSPC; /* the program took every hardware key itself */
        _mpk_unlock(&G->lock, &saved);
        atomic_store(&phase, 0);
        return result;
    }
    atomic_store(&G->hw[meta], hw_word(HW_META, 0));
    _mpk_sealed.meta_hw = meta;
    _mpk_sealed.meta_closed = MPK_WD << (2 * meta);
    _mpk_sealed.meta_mask = 3u << (2 * meta); /* from here on, every entry opens the key */
    _mpk_sealed.meta_ad = MPK_AD << (2 * meta);
    mpk_wrpkru(mpk_rdpkru() & ~_mpk_sealed.meta_mask);
    result = _mpk_meta_protect(meta);
    if (result) {
        /* The state would be open to the program: no keys at all, rather than weak ones. */
        _mpk_report_failed("protecting libmpk's state with its key", result);
        _mpk_unlock(&G->lock, &saved);
        /* As every exit leaves it: the chunks that did get the key stay write-disabled here. */
        mpk_wrpkru((mpk_rdpkru() & ~_mpk_sealed.meta_mask) | _mpk_sealed.meta_closed);
        atomic_store(&phase, 2);
        return result;
    }
    _mpk_sealed.in_play = 1;
    if (_mpk_before_seal)
        _mpk_before_seal(); /* the preload resolves what it still needs while it can write */
    _mpk_meta_seal();
    _mpk_unlock(&G->lock, &saved);
    result = 0;
    atomic_store(&phase, 2);
    return 0;
}

/* ---- threads and counters ----------------------------------------------------------------- */

mpk_thread_t *_mpk_thread_prepare(void *(*fn)(void *), void *arg)
{
    mpk_thread_t *parent, *child;
    uint32_t gen;
    if (!_mpk_in_play() || !(parent = _mpk_thread()))
        return NULL;
    gen = atomic_load(&parent->sync_gen);
    child = _mpk_thread_reserve_child(parent);
    if (child) {
        child->start = fn;
        child->start_arg = arg;
    }
    _mpk_leave(parent, gen);
    return child;
}

void _mpk_thread_abandon(mpk_thread_t *t)
{
    mpk_thread_t *self = _mpk_thread();
    _mpk_thread_release(t);
    if (self)
        _mpk_leave(self, atomic_load(&self->sync_gen));
}

void _mpk_stats(mpk_stats_t *o)
{
    memset(o, 0, sizeof *o);
    if (!G)
        return;
    o->live_keys = G->live_keys;
    o->hw_held = G->hw_held;
    for (uint32_t i = 0; i < atomic_load(&G->threads_hwm); i++)
        o->threads += atomic_load(&G->threads[i].state) == T_LIVE;
    o->evictions = atomic_load(&G->n_evictions);
    o->swapins = atomic_load(&G->n_swapins);
    o->faults_resolved = atomic_load(&G->n_faults_resolved);
    o->syncs = atomic_load(&G->n_syncs);
    o->sync_signals = atomic_load(&G->n_sync_signals);
}
