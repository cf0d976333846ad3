/* core/thread.c: the thread registry: records claimed lock-free (registration may happen in a
 * signal handler), views, inheritance at pthread_create, release at thread exit, and the
 * derivation of a thread's PKRU from its view. */
#include "core/thread.h"

#include "core/region.h"
#include "core/sync.h"

#include <pthread.h>
#include <string.h>

__thread mpk_thread_t *_mpk_self __attribute__((tls_model("initial-exec")));


static void on_thread_exit(void *p)
{
    mpk_thread_t *t = p;
    if (t == _mpk_self && _mpk_thread_valid(t)) {
        _mpk_meta_open();
        _mpk_thread_release(t);
        _mpk_self = NULL;
        /* Leave the metadata key closed in whatever the thread still runs. */
        if (_mpk_sealed.meta_mask)
            mpk_wrpkru((mpk_rdpkru() & ~_mpk_sealed.meta_mask) | _mpk_sealed.meta_closed);
    }
}

void _mpk_threads_boot(void)
{
    pthread_key_t key;
    _mpk_sealed.exit_key_ok = pthread_key_create(&key, on_thread_exit) == 0;
    _mpk_sealed.exit_key = (unsigned)key;
}

uint8_t *_mpk_thread_view(mpk_thread_t *t, unsigned d)
{
    uint8_t *v = t->views[d];
    if (!v) {
        v = _mpk_meta_alloc(G->max_slots);
        if (!v)
            return NULL;
        memset(v, MPK_AD, G->max_slots);
        t->views[d] = v;
    }
    return v;
}

/* Claim a free record, or a fresh one past the high-water mark. Lock-free. */
static mpk_thread_t *claim_record(uint32_t new_state)
{
    uint32_t hwm = atomic_load(&G->threads_hwm);
    for (uint32_t i = 0; i < hwm; i++) {
        uint32_t expected = T_FREE;
        if (atomic_compare_exchange_strong(&G->threads[i].state, &expected, new_state))
            return &G->threads[i];
    }
    for (;;) {
        uint32_t i = atomic_fetch_add(&G->threads_hwm, 1);
        uint32_t expected = T_FREE;
        if (i >= MPK_MAX_THREADS) {
            atomic_fetch_sub(&G->threads_hwm, 1);
            return NULL;
        }
        if (atomic_compare_exchange_strong(&G->threads[i].state, &expected, new_state))
            return &G->threads[i];
    }
}

static void reset_record(mpk_thread_t *t)
{
    t->depth = 0;
    atomic_store(&t->open_mask, 0);
    atomic_store(&t->ack, 0);
    atomic_store(&t->in_fault, 0);
    atomic_store(&t->sync_missed, 0);
    atomic_store(&t->silent_mask, 0);
    t->exit_hook_pending = 0;
    t->fault_streak = 0;
    t->fault_addr = 0;
    t->n_sections = 0;
    t->tp = 0;
    atomic_store(&t->tid, 0);
}

/* The program's keys that a thread we did not see being born has closed. It existed when they
 * were allocated (before libmpk was in play nobody's birth is seen), or came of a thread that
 * did: a key given to every thread (new_key = all_threads) is opened to what every thread got;
 * any other it never had rights to. */
static void view_unseen_keys(uint8_t *v)
{
    for (uint32_t s = 1, hwm = atomic_load(&G->slot_hwm); s < hwm; s++) {
        const mpk_vkey_t *k = &G->vkeys[s];
        if (vk_state(atomic_load(&k->word)) != VK_LIVE || !k->owner || !(v[s] & MPK_AD))
            continue;
        v[s] = k->to_all ? k->all_rights : (uint8_t)(v[s] | MPK_UNGRANTED);
    }
}

/* A thread we did not see being born: its rights are what its hardware PKRU says for resident
 * keys, closed for the rest (but see view_unseen_keys). */
static void view_from_hardware(mpk_thread_t *t, uint8_t *v)
{
    uint32_t pkru = _mpk_sealed.meta_mask ? mpk_rdpkru() : MPK_PKRU_INIT;
    memset(v, MPK_AD, G->max_slots);
    for (int hw = 1; hw < MPK_HW_KEYS; hw++) {
        uint32_t w = atomic_load(&G->hw[hw]);
        if (hw_kind(w) == HW_ASSIGNED) {
            v[hw_slot(w)] = (uint8_t)mpk_pkru_bits(pkru, hw);
            if (!(v[hw_slot(w)] & MPK_AD))
                atomic_fetch_or(&t->open_mask, 1u << hw);
        }
    }
    view_unseen_keys(v);
}

/* glibc keeps the values of a thread's first 32 keys in the thread's own descriptor, and those of
 * later keys in blocks it callocs on first use: setting one of the first is a store into the
 * calling thread's memory, without a lock or an allocation, and so safe in a signal handler. */
#define GLIBC_STATIC_KEYS 32

/* The destructor of the exit key tells us when the thread ends. */
static void hook_exit(mpk_thread_t *t)
{
    t->exit_hook_pending = 0;
    if (_mpk_sealed.exit_key_ok)
        pthread_setspecific((pthread_key_t)_mpk_sealed.exit_key, t);
}

/* in_handler: we may be in a signal handler, where pthread_setspecific is not async-signal-safe
 * (POSIX; glibc may calloc): unless glibc needs no allocation for our key, the hook waits for
 * the thread's next call that no handler may make (_mpk_thread_hook_pending). */
static void bind_self(mpk_thread_t *t, bool in_handler)
{
    t->tp = mpk_thread_pointer();
    _mpk_self = t;
    atomic_store(&t->tid, mpk_sys_gettid());
    if (!in_handler || _mpk_sealed.exit_key < GLIBC_STATIC_KEYS)
        hook_exit(t);
    else
        t->exit_hook_pending = 1;
}

void _mpk_thread_hook_pending(mpk_thread_t *t)
{
    if (mpk_unlikely(t->exit_hook_pending))
        hook_exit(t);
}

mpk_thread_t *_mpk_thread_register(void)
{
    mpk_thread_t *t;
    uint8_t *v;
    if (!G)
        return NULL;
    _mpk_meta_open(); /* callers open it after finding their record; registering writes */
    t = claim_record(T_RESERVED);
    if (!t)
        return NULL;
    reset_record(t);
    v = _mpk_thread_view(t, 0);
    if (!v) {
        atomic_store(&t->state, T_FREE);
        return NULL;
    }
    view_from_hardware(t, v);
    atomic_store(&t->state, T_LIVE);
    bind_self(t, true); /* any entry point registers: a signal handler's too */
    return t;
}

mpk_thread_t *_mpk_thread_reserve_child(mpk_thread_t *parent)
{
    mpk_thread_t *t;
    uint8_t *v;
    _mpk_thread_hook_pending(parent); /* pthread_create: never from a signal handler */
    t = claim_record(T_RESERVED);
    if (!t)
        return NULL;
    reset_record(t);
    v = _mpk_thread_view(t, 0);
    if (!v) {
        atomic_store(&t->state, T_FREE);
        return NULL;
    }
    /* The child's rights are the creator's current ones, as its PKRU will be (clone copies
     * it). It counts as existing from now on: keys allocated before it runs close in it. */
    memcpy(v, parent->views[parent->depth], G->max_slots);
    /* mpk_begin sections are the creator's own: the child gets the rights under them. Walked
     * from the innermost out, so the outermost section's saved rights win. */
    for (uint32_t i = parent->n_sections; i-- > 0;) {
        const mpk_section_t *s = &parent->sections[i];
        const mpk_vkey_t *k = &G->vkeys[s->slot];
        if (s->depth == parent->depth)
            v[s->slot] = s->all_gen == k->all_gen ? s->saved : k->all_rights;
    }
    /* A W^X region's window is the creator's alone: "nobody else at any time". */
    for (uint32_t s = 1, hwm = atomic_load(&G->slot_hwm); s < hwm; s++)
        if (G->vkeys[s].wx)
            v[s] = MPK_WD;
    _mpk_region_child(v); /* a [region] rule's rights follow the child's own name */
    atomic_store(&t->open_mask, atomic_load(&parent->open_mask));
    atomic_store(&t->state, T_LIVE);
    return t;
}

void _mpk_thread_start(mpk_thread_t *t)
{
    uint32_t gen;
    _mpk_meta_open();
    gen = atomic_load(&t->sync_gen);
    bind_self(t, false); /* the child's first code, before any handler of the program */
    /* Syncs made between the creator's copy and now skipped us (no tid yet): catch up. */
    if (_mpk_sealed.meta_mask)
        _mpk_leave_with(t, gen, _mpk_pkru_derive(t, 0, mpk_rdpkru()));
}

void *_mpk_thread_trampoline(void *arg)
{
    mpk_thread_t *t = arg;
    void *(*fn)(void *) = t->start;
    void *fn_arg = t->start_arg;
    _mpk_thread_start(t);
    return fn(fn_arg);
}

void _mpk_thread_release(mpk_thread_t *t)
{
    _mpk_sync_answer(t); /* a sync may be waiting for this thread: it will never answer */
    atomic_store(&t->tid, 0);
    atomic_store(&t->state, T_FREE);
}

void _mpk_thread_after_fork(mpk_thread_t *self)
{
    uint32_t hwm = atomic_load(&G->threads_hwm);
    for (uint32_t i = 0; i < hwm; i++) {
        mpk_thread_t *t = &G->threads[i];
        if (t != self && atomic_load(&t->state) != T_FREE) {
            atomic_store(&t->ack, 0);
            atomic_store(&t->tid, 0);
            atomic_store(&t->state, T_FREE);
        }
    }
    atomic_store(&G->sync_waiting, 0);
    if (self) {
        atomic_store(&self->ack, 0);
        atomic_store(&self->in_fault, 0);
        atomic_store(&self->silent_mask, 0);
        atomic_store(&self->tid, mpk_sys_gettid());
    }
}

void _mpk_threads_close_slot(uint32_t slot, const mpk_thread_t *except)
{
    uint32_t hwm = atomic_load(&G->threads_hwm);
    for (uint32_t i = 0; i < hwm; i++) {
        mpk_thread_t *t = &G->threads[i];
        if (t == except || atomic_load(&t->state) == T_FREE)
            continue;
        for (unsigned d = 0; d < MPK_MAX_DEPTH; d++)
            if (t->views[d])
                t->views[d][slot] = MPK_AD | MPK_UNGRANTED;
    }
    if (except)
        for (unsigned d = 0; d < MPK_MAX_DEPTH; d++)
            if (d != except->depth && except->views[d])
                except->views[d][slot] = MPK_AD | MPK_UNGRANTED;
}

uint32_t _mpk_pkru_derive(mpk_thread_t *t, unsigned d, uint32_t pkru)
{
    const uint8_t *v = t->views[d];
    uint32_t opened = 0;
    for (int hw = 1; hw < MPK_HW_KEYS; hw++) {
        uint32_t w = atomic_load_explicit(&G->hw[hw], memory_order_relaxed);
        uint32_t rights = MPK_AD;
        if (hw_kind(w) == HW_ASSIGNED && v)
            rights = v[hw_slot(w)] & MPK_RIGHTS_MASK;
        else if (hw_kind(w) != HW_SPARE)
            continue;
        pkru = mpk_pkru_with(pkru, hw, rights);
        if (!(rights & MPK_AD))
            opened |= 1u << hw;
    }
    /* Syncs find the threads to interrupt by this mask: it must cover what we open. At depth 0
     * it is exact (no outer frame holds other rights); in a handler, outer frames may still
     * have keys open, so it only grows. */
    if (d == 0) {
        if (atomic_load_explicit(&t->open_mask, memory_order_relaxed) != opened)
            atomic_store(&t->open_mask, opened);
    } else if (opened & ~atomic_load_explicit(&t->open_mask, memory_order_relaxed)) {
        atomic_fetch_or(&t->open_mask, opened);
    }
    return pkru;
}

void _mpk_leave_slow(mpk_thread_t *t, uint32_t gen)
{
    uint32_t now;
    while ((now = atomic_load(&t->sync_gen)) != gen) {
        uint32_t pkru = _mpk_pkru_derive(t, t->depth, mpk_rdpkru());
        gen = now;
        mpk_wrpkru((pkru & ~_mpk_sealed.meta_mask) | _mpk_sealed.meta_closed);
    }
}
