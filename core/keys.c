/* core/keys.c: pkey_alloc, pkey_free, pkey_set and pkey_get on virtual keys (design.md §3).
 * pkey_set and pkey_get are lock-free and async-signal-safe (V8 calls them in handlers). */
#include "core/cache.h"
#include "core/core.h"
#include "core/memory.h"
#include "core/remap.h"
#include "core/report.h"
#include "core/revoke.h"
#include "core/thread.h"
#include "core/verify.h"
#include "core/vkey.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/mman.h>

void _mpk_bad_key(const char *op, int key, const void *addr)
{
    mpk_event_t ev = {.kind = MPK_EV_BAD_KEY, .op = op, .key = key, .addr = addr};
    _mpk_report(&ev);
    if (G->cfg.on_bad_key_abort) {
        _mpk_error("%s on key %d, which is not allocated: aborting (on_bad_key = abort)", op, key);
        abort();
    }
}

/* ---- pkey_alloc ------------------------------------------------------------------------- */

/* Lock held. With the code that allocated each live key, so that the record can say which
 * module holds how many. */
static void report_exceeded(void)
{
    uintptr_t pcs[MPK_EV_PCS_MAX];
    unsigned n = 0, hwm = atomic_load(&G->slot_hwm);
    mpk_event_t ev = {.kind = MPK_EV_KEYS_EXCEEDED, .op = "pkey_alloc", .key = G->live_keys, .pcs = pcs};
    uint32_t raw = atomic_load(&G->raw_keys);
    for (uint32_t s = 1; s < hwm && n < MPK_EV_PCS_MAX; s++)
        if (vk_state(atomic_load(&G->vkeys[s].word)) == VK_LIVE && G->alloc_pc[s])
            pcs[n++] = G->alloc_pc[s];
    for (int hw = 1; hw < MPK_HW_KEYS && n < MPK_EV_PCS_MAX; hw++)
        if ((raw & (1u << hw)) && G->raw_pc[hw])
            pcs[n++] = G->raw_pc[hw];
    ev.key += (int)__builtin_popcount(raw);
    ev.npcs = n;
    _mpk_report(&ev);
}

/* Lock held. A key was taken, virtual or through syscall(): the record when the program's keys
 * reach more than the hardware could ever hold for virtual keys beside the metadata key. */
static void note_key_taken(void)
{
    uint32_t raw = atomic_load(&G->raw_keys);
    /* Without -mpopcnt the count is a call into libgcc: none while no raw key is held. */
    if (G->live_keys + (raw ? (uint32_t)__builtin_popcount(raw) : 0) == MPK_HW_KEYS - 1)
        report_exceeded();
}

/* Lock held. What every new key of the program's starts with, fresh or taken over. */
static void start_key(mpk_vkey_t *k, uint32_t slot, int number, mpk_thread_t *t, const void *caller)
{
    k->lru = ++G->tick;
    k->pinned = number < MPK_HW_KEYS && (G->cfg.pins & (1u << number));
    k->owner = atomic_load(&t->tid);
    k->to_all = G->cfg.new_key == MPK_NEW_KEY_ALL_THREADS;
    G->alloc_pc[slot] = (uintptr_t)caller;
}

/* Lock held; numbers = kernel. The number of a freed key whose pages still carry it comes back
 * with them, as the kernel's does: the pages stay where they are (on its hardware key, or
 * evicted), every other thread keeps the rights it had and only t gets `rights`. */
static int take_over(mpk_thread_t *t, uint32_t slot, unsigned rights, const void *caller)
{
    mpk_vkey_t *k = &G->vkeys[slot];
    uint64_t w = atomic_load(&k->word);
    int number = (int)vk_number(w);
    start_key(k, slot, number, t, caller);
    _mpk_thread_view(t, t->depth)[slot] = (uint8_t)rights;
    atomic_store(&k->word, vk_word((uint32_t)number, VK_LIVE, vk_hw(w)));
    if (k->to_all)
        _mpk_set_all_locked(slot, rights, t);
    G->live_keys++;
    note_key_taken();
    return number;
}

/* Lock held. The new key's slot: every thread but t has it closed at every depth (marked as
 * never opened, for foreign_thread_fault), t has `rights` at its current depth: the kernel's
 * rule. Then, if a hardware key is free, it carries the key; and with new_key = all_threads
 * every thread gets `rights` as mpk_mprotect gives them (each picks them up at its next
 * access), which needs the key's hardware key settled first. */
static int new_key(mpk_thread_t *t, unsigned rights, const void *caller)
{
    uint32_t slot = G->cfg.numbers == MPK_NUMBERS_KERNEL ? _mpk_vkey_kernel_slot() : 0;
    int hw, number;
    mpk_vkey_t *k;
    if (slot && vk_state(atomic_load(&G->vkeys[slot].word)) == VK_ZOMBIE)
        return take_over(t, slot, rights, caller);
    hw = _mpk_cache_take(t);
    if (!hw && !G->cfg.virtualize)
        return -ENOSPC; /* part-1 semantics: as many keys as the hardware has */
    if (!slot)
        slot = _mpk_vkey_new_slot(hw);
    number = slot ? _mpk_vkey_number(slot) : 0;
    if (!number)
        return -ENOSPC;
    k = &G->vkeys[slot];
    k->bytes = 0;
    start_key(k, slot, number, t, caller);
    _mpk_threads_close_slot(slot, t);
    _mpk_thread_view(t, t->depth)[slot] = (uint8_t)rights;
    atomic_store(&k->word, vk_word((uint32_t)number, VK_LIVE, 0));
    /* Refused (a silent thread may have hw open): the key starts evicted, and its first
     * access brings it in on another hardware key. */
    if (hw)
        _mpk_cache_assign(slot, hw, t);
    if (k->to_all)
        _mpk_set_all_locked(slot, rights, t);
    G->live_keys++;
    note_key_taken();
    return number;
}

int _mpk_pkey_alloc(unsigned flags, unsigned rights, const void *caller)
{
    mpk_thread_t *t;
    sigset_t saved;
    uint32_t gen;
    int r;
    if (flags || (rights & ~MPK_RIGHTS_MASK))
        return -EINVAL;
    r = _mpk_activate();
    if (r)
        return r;
    t = _mpk_thread();
    if (!t)
        return -ENOSPC;
    gen = atomic_load(&t->sync_gen);
    _mpk_lock(&G->lock, &saved);
    r = G->live_keys >= G->cfg.max_keys ? -ENOSPC : new_key(t, rights, caller);
    _mpk_unlock(&G->lock, &saved);
    _mpk_leave_with(t, gen, _mpk_pkru_derive(t, t->depth, mpk_rdpkru()));
    return r;
}

/* Lock held: the program holds hardware key hw from syscall(), which caller asked for. */
static void raw_taken(int hw, const void *caller)
{
    G->raw_pc[hw] = (uintptr_t)caller;
    atomic_fetch_or(&G->raw_keys, 1u << hw);
}

/* Lock held: the program gave hardware key hw back to the kernel. */
static void raw_freed(int hw)
{
    if (hw > 0 && hw < MPK_HW_KEYS)
        atomic_fetch_and(&G->raw_keys, ~(1u << hw));
}

/* Lock held. Under numbers = kernel a virtual key may carry a number 1..15 on another hardware
 * key, so the kernel can give the program that number as a raw key too: one number, two keys.
 * Such keys are held back while the kernel is asked again, and then given back; the program
 * gets the next free hardware number, or ENOSPC. */
static int raw_unshared(int r, unsigned flags, unsigned rights)
{
    int held[MPK_HW_KEYS], n = 0;
    while (r > 0 && r < MPK_HW_KEYS && G->cfg.numbers == MPK_NUMBERS_KERNEL &&
           vk_state(atomic_load(&G->vkeys[r].word)) != VK_FREE) {
        held[n++] = r;
        r = (int)mpk_sys_pkey_alloc(flags, rights);
    }
    while (n > 0)
        mpk_sys_pkey_free(held[--n]);
    return r;
}

/* Keys through syscall() are the kernel's own: the kernel numbers them (the lowest free first,
 * a freed number again), writes the caller's PKRU bits, and says ENOSPC when it has none left.
 * The kernel's protection_keys selftest allocates this way and then drives PKRU with its own
 * WRPKRU, which only hardware numbers can work with. The library only remembers who took the
 * key, for keys_exceeded; once virtual keys are in play the key is foreign to the manager (never
 * handed to a virtual key, pkey_set and pkey_get reach its hardware bits). */
int _mpk_pkey_alloc_raw(unsigned flags, unsigned rights, const void *caller)
{
    mpk_thread_t *t;
    sigset_t saved;
    uint32_t gen;
    int r = (int)mpk_sys_pkey_alloc(flags, rights);
    if (r <= 0 || r >= MPK_HW_KEYS)
        return r;
    if (!_mpk_in_play()) {
        /* Nothing is protected yet; the lock keeps out an activation that would be. */
        _mpk_lock(&G->lock, &saved);
        raw_taken(r, caller);
        _mpk_unlock(&G->lock, &saved);
        return r;
    }
    t = _mpk_thread();
    if (!t)
        return r;
    gen = atomic_load(&t->sync_gen);
    _mpk_lock(&G->lock, &saved);
    r = raw_unshared(r, flags, rights);
    if (r > 0) {
        raw_taken(r, caller);
        note_key_taken();
    }
    _mpk_unlock(&G->lock, &saved);
    _mpk_leave_with(t, gen, _mpk_pkru_derive(t, t->depth, mpk_rdpkru()));
    return r;
}

/* ---- pkey_free -------------------------------------------------------------------------- */

static void report_free_in_use(int key, size_t bytes)
{
    mpk_event_t ev = {.kind = MPK_EV_FREE_IN_USE, .op = "pkey_free", .key = key, .len = bytes};
    _mpk_report(&ev);
}

/* Lock held. The number dies now; the slot too unless pages still carry the key. */
int _mpk_key_free_locked(uint32_t slot, int key)
{
    mpk_vkey_t *k = &G->vkeys[slot];
    int evicted;
    if (k->bytes) /* its memory may have gone without our munmap (glibc's free, say) */
        _mpk_verify_key(slot);
    if (k->bytes) {
        report_free_in_use(key, k->bytes);
        switch (G->cfg.on_free_in_use) {
        case MPK_FREE_REFUSE:
            return -EBUSY;
        case MPK_FREE_REVOKE:
            /* Nobody may reach the pages any more: no access, default key, forgotten. Where
             * the kernel refuses, the key stays alive: forgotten pages on a hardware key that
             * goes spare would be handed to the next key with it. */
            evicted = _mpk_cache_evict(slot);
            if (evicted < 0)
                return evicted;
            _mpk_memory_forget_key(slot);
            break;
        default: /* keep: the pages keep the rights each thread had; the key lives on unnamed */
            atomic_store(&k->word, vk_word((uint32_t)key, VK_ZOMBIE, vk_hw(atomic_load(&k->word))));
            G->live_keys--;
            _mpk_remap_holes_drop_slot(slot);
            return 0;
        }
    }
    _mpk_remap_holes_drop_slot(slot);
    _mpk_cache_drop(slot);
    _mpk_vkey_retire(slot);
    G->live_keys--;
    return 0;
}

int _mpk_pkey_free(int key)
{
    mpk_thread_t *t;
    sigset_t saved;
    uint32_t slot, gen;
    int r;
    if (!_mpk_in_play()) {
        r = (int)mpk_sys_pkey_free(key);
        if (r == 0 && key > 0 && key < MPK_HW_KEYS && (atomic_load(&G->raw_keys) & (1u << key))) {
            _mpk_lock(&G->lock, &saved);
            raw_freed(key);
            _mpk_unlock(&G->lock, &saved);
        }
        return r;
    }
    t = _mpk_thread();
    if (!t)
        return -ENOMEM;
    gen = atomic_load(&t->sync_gen);
    _mpk_lock(&G->lock, &saved);
    slot = _mpk_vkey_slot(key, NULL);
    if (slot)
        r = _mpk_key_free_locked(slot, key);
    else if (_mpk_foreign_hw_key(key)) {
        r = (int)mpk_sys_pkey_free(key);
        if (r == 0) {
            G->kernel_dry = 0; /* the kernel has a key to give again */
            raw_freed(key);
        }
    } else
        r = -EINVAL;
    _mpk_unlock(&G->lock, &saved);
    if (r == -EINVAL)
        _mpk_bad_key("pkey_free", key, NULL);
    _mpk_leave_with(t, gen, _mpk_pkru_derive(t, t->depth, mpk_rdpkru()));
    return r;
}

/* ---- pkey_set / pkey_get: the hot path -------------------------------------------------- */

/* Key 0 and keys the program allocated with raw system calls: the hardware bits, as glibc. */
static int set_hw_bits(mpk_thread_t *t, uint32_t gen, int hw, unsigned rights)
{
    _mpk_leave_with(t, gen, mpk_pkru_with(mpk_rdpkru(), hw, rights));
    return 0;
}

static int swap_in_now(mpk_thread_t *t, uint32_t slot)
{
    sigset_t saved;
    int hw;
    _mpk_lock(&G->lock, &saved);
    hw = _mpk_cache_make_resident(slot, t);
    _mpk_unlock(&G->lock, &saved);
    return hw;
}

/* The calling thread's rights on slot's key (whose number is `number`): its view, and its
 * PKRU while the key is resident. Lock-free. -EINVAL if the key died during the call: the view
 * written for it is taken back, so that a new key reusing the slot starts closed here. */
int _mpk_rights_set(mpk_thread_t *t, uint32_t slot, uint32_t number, unsigned rights)
{
    uint32_t gen;
    uint64_t w;
    int hw;
again:
    gen = atomic_load(&t->sync_gen);
    t->views[t->depth][slot] = (uint8_t)rights;
    w = atomic_load_explicit(&G->vkeys[slot].word, memory_order_acquire);
    if (mpk_unlikely(vk_number(w) != number || vk_state(w) == VK_FREE)) {
        t->views[t->depth][slot] = MPK_AD;
        _mpk_leave(t, gen);
        return -EINVAL;
    }
    hw = vk_hw(w);
    if (!hw) {
        /* Evicted. Opening a key with pages means an access is coming: bring it in now, one
         * page-table change cheaper than a fault. Not while this thread holds the lock (a call
         * from inside the library) nor in a program's signal handler (depth > 0): there only
         * the view is written, and the first access faults the key in. */
        if (!(rights & MPK_AD) && t->depth == 0 && !t->lock_held && G->vkeys[slot].bytes &&
            swap_in_now(t, slot) > 0)
            goto again;
        _mpk_leave(t, gen);
        return 0;
    }
    if (!(rights & MPK_AD)) {
        /* Coarse LRU: the tick moves on slow paths only, so this write rarely happens and
         * threads do not fight over a shared counter on the hot path. */
        if (G->vkeys[slot].lru != G->tick)
            G->vkeys[slot].lru = G->tick;
        /* Announce before writing PKRU, then check the key did not move meanwhile: an evictor
         * either sees the announcement and interrupts us, or we see its change. */
        if (!(atomic_load_explicit(&t->open_mask, memory_order_relaxed) & (1u << hw)))
            atomic_fetch_or(&t->open_mask, 1u << hw);
        if (vk_hw(atomic_load(&G->vkeys[slot].word)) != hw)
            goto again;
    }
    /* Closing at depth 0 (no outer frame keeps it open): syncs need not interrupt us for this
     * key any more. Cleared just before the write that closes it: an evictor that misses the
     * bit meanwhile finds us inside the library, where no program access can happen. */
    if ((rights & MPK_AD) && t->depth == 0 &&
        (atomic_load_explicit(&t->open_mask, memory_order_relaxed) & (1u << hw)))
        atomic_fetch_and(&t->open_mask, ~(1u << hw));
    _mpk_leave_with(t, gen, mpk_pkru_with(mpk_rdpkru(), hw, rights));
    return 0;
}

/* numbers = kernel: glibc's pkey_set and pkey_get refuse only numbers outside 0..15, so on a
 * number 1..15 that no key carries now they reach the thread's bits for it (glibc's tst-pkey
 * saves and restores the rights of keys it freed). Here those bits are the thread's view of the
 * number's slot (its number never changes under this setting): for a freed key whose pages
 * still carry the number they govern those pages, as the kernel's PKRU bits would; otherwise
 * they wait there, as the kernel's bits do, for the number's next key. */
static bool kernel_dead_number(int key)
{
    return G->cfg.numbers == MPK_NUMBERS_KERNEL && key > 0 && key < MPK_HW_KEYS;
}

/* Never refused, as glibc's: a freed key that dies meanwhile leaves its number closed here. */
static void set_dead_number(mpk_thread_t *t, int key, unsigned rights)
{
    uint32_t slot = (uint32_t)key;
    if (vk_state(atomic_load(&G->vkeys[slot].word)) == VK_ZOMBIE) {
        (void)_mpk_rights_set(t, slot, (uint32_t)key, rights);
        return;
    }
    t->views[t->depth][slot] = (uint8_t)rights;
    _mpk_leave(t, atomic_load(&t->sync_gen));
}

int _mpk_pkey_set(int key, unsigned rights)
{
    mpk_thread_t *t;
    uint32_t slot;
    int r;
    if (rights & ~MPK_RIGHTS_MASK)
        return -EINVAL;
    t = _mpk_thread();
    if (mpk_unlikely(!t))
        return -ENOMEM;
    slot = _mpk_vkey_slot(key, NULL);
    if (mpk_likely(slot)) {
        r = _mpk_rights_set(t, slot, (uint32_t)key, rights);
        if (mpk_likely(r == 0))
            return 0;
    } else if (key == 0 || _mpk_foreign_hw_key(key)) {
        return set_hw_bits(t, atomic_load(&t->sync_gen), key, rights);
    } else if (kernel_dead_number(key)) {
        set_dead_number(t, key, rights);
        return 0;
    } else {
        _mpk_leave(t, atomic_load(&t->sync_gen));
    }
    _mpk_bad_key("pkey_set", key, NULL);
    return -EINVAL;
}

/* The hot path of pkey_get only reads, and the manager's state is readable whenever the
 * metadata key is write-disabled only (as it is outside the library): then no WRPKRU, and no
 * sync can be undone by a write that is never made. Otherwise (a handler that did not come
 * through us, a program that wrote PKRU itself) the ordinary way below opens the key first. */
static inline bool meta_readable(uint32_t pkru)
{
    return !(pkru & _mpk_sealed.meta_ad);
}

static __attribute__((noinline)) int pkey_get_slow(int key)
{
    mpk_thread_t *t = _mpk_thread();
    uint32_t slot, gen;
    int r;
    if (mpk_unlikely(!t))
        return -ENOMEM;
    gen = atomic_load(&t->sync_gen);
    slot = _mpk_vkey_slot(key, NULL);
    if (slot)
        r = t->views[t->depth][slot] & MPK_RIGHTS_MASK;
    else if (key == 0 || _mpk_foreign_hw_key(key))
        r = (int)mpk_pkru_bits(mpk_rdpkru(), key);
    else if (kernel_dead_number(key))
        r = t->views[t->depth][key] & MPK_RIGHTS_MASK; /* see set_dead_number */
    else
        r = -EINVAL;
    _mpk_leave(t, gen);
    if (r == -EINVAL)
        _mpk_bad_key("pkey_get", key, NULL);
    return r;
}

/* The hot path: one RDPKRU and loads, nothing else. Every check of _mpk_thread_peek and
 * _mpk_vkey_slot is kept or implied: slot = key & slot_mask is below max_slots (a power of
 * two), and one compare of the word's number and state refuses key <= 0 (numbers are positive
 * ints, and slot 0, never given out, keeps a free word). -1: take the ordinary way. */
static inline int pkey_get_fast(int key)
{
    const mpk_state_t *g;
    mpk_thread_t *t;
    uint32_t slot;
    uint64_t w, want;
    if (mpk_unlikely(!meta_readable(mpk_rdpkru())))
        return -1;
    g = G;
    t = _mpk_self;
    if (mpk_unlikely((uintptr_t)t - (uintptr_t)g->threads >= (uintptr_t)MPK_MAX_THREADS * sizeof(*t) ||
                     t->tp != mpk_thread_pointer() ||
                     atomic_load_explicit(&t->state, memory_order_relaxed) != T_LIVE))
        return -1;
    slot = (uint32_t)key & g->slot_mask;
    w = atomic_load_explicit(&g->vkeys[slot].word, memory_order_acquire);
    want = (uint32_t)key | (uint64_t)VK_LIVE << 32;
    if (mpk_unlikely((w ^ want) << 24)) /* the low 40 bits: number and state */
        return -1;
    return t->views[t->depth][slot] & MPK_RIGHTS_MASK;
}

int _mpk_pkey_get(int key)
{
    int r = pkey_get_fast(key);
    return mpk_likely(r >= 0) ? r : pkey_get_slow(key);
}

static __attribute__((noinline)) int pkey_get_slow_libc(int key)
{
    int r = pkey_get_slow(key);
    if (mpk_unlikely(r < 0)) {
        errno = -r;
        return -1;
    }
    return r;
}

int _mpk_pkey_get_libc(int key)
{
    int r = pkey_get_fast(key);
    return mpk_likely(r >= 0) ? r : pkey_get_slow_libc(key);
}
