/* core/cache.c: the hardware-key cache. Hardware keys come from the kernel one at a time as
 * virtual keys need them; a key given up by a virtual key stays ours as a spare. Handing a
 * hardware key to another virtual key first closes it in every thread that has it open. */
#include "core/cache.h"

#include "core/report.h"
#include "core/sync.h"
#include "core/thread.h"
#include "core/memory.h"
#include "core/section.h"
#include "core/verify.h"

#include <errno.h>
#include <sys/mman.h>

static void set_hw_of(uint32_t slot, int hw)
{
    uint64_t w = atomic_load(&G->vkeys[slot].word);
    atomic_store(&G->vkeys[slot].word, vk_word(vk_number(w), vk_state(w), hw));
}

/* The kernel said no: remember it, so that misses do not ask again (see kernel_dry). */
static int kernel_dried(void)
{
    G->kernel_dry = G->exec_only_maybe + 1;
    return 0;
}

/* A new hardware key from the kernel, within the budget. While the program has not asked for
 * execute-only memory, the kernel's last free key is left to it: the kernel takes one for
 * PROT_EXEC-only mappings, and without it such memory would silently become readable. */
static int kernel_key(void)
{
    long hw, spare;
    if (G->cfg.hw_budget && G->hw_held >= G->cfg.hw_budget)
        return 0;
    if (G->kernel_dry == G->exec_only_maybe + 1)
        return 0;
    hw = mpk_sys_pkey_alloc(0, MPK_AD);
    if (hw <= 0 || hw >= MPK_HW_KEYS)
        return kernel_dried();
    if (!G->exec_only_maybe) {
        spare = mpk_sys_pkey_alloc(0, MPK_AD);
        if (spare < 0) {
            mpk_sys_pkey_free((int)hw);
            return kernel_dried();
        }
        mpk_sys_pkey_free((int)spare);
    }
    G->hw_held++;
    atomic_store(&G->hw[hw], hw_word(HW_SPARE, 0));
    return (int)hw;
}

/* The hardware keys threads other than self may have open; in *silent, those of them a thread
 * may have open without having answered a sync (core/sync.c). One pass: it is on the miss path. */
static uint32_t open_elsewhere(const mpk_thread_t *self, uint32_t *silent)
{
    uint32_t mask = 0, quiet = 0, hwm = atomic_load(&G->threads_hwm);
    for (uint32_t i = 0; i < hwm; i++) {
        const mpk_thread_t *t = &G->threads[i];
        if (t != self && atomic_load(&t->state) != T_FREE) {
            mask |= atomic_load(&t->open_mask);
            quiet |= atomic_load(&t->silent_mask);
        }
    }
    *silent = quiet;
    return mask;
}

/* A spare key, preferring one that no other thread has open (no sync needed); with clean_only,
 * only such a key. Never one a silent thread may still have open (core/sync.c): it would reach
 * the new owner's pages. 0 when there is none. */
int _mpk_cache_spare(const mpk_thread_t *self, bool clean_only)
{
    uint32_t silent, busy = open_elsewhere(self, &silent);
    int dirty = 0;
    for (int hw = 1; hw < MPK_HW_KEYS; hw++) {
        if (hw_kind(atomic_load(&G->hw[hw])) != HW_SPARE || (silent & (1u << hw)))
            continue;
        if (!(busy & (1u << hw)))
            return hw;
        if (!dirty)
            dirty = hw;
    }
    return clean_only ? 0 : dirty;
}

bool _mpk_cache_assign(uint32_t slot, int hw, mpk_thread_t *self)
{
    atomic_store(&G->hw[hw], hw_word(HW_ASSIGNED, slot));
    set_hw_of(slot, hw);
    G->vkeys[slot].lru = ++G->tick;
    /* Others re-derive: their bits for hw become their view of slot (closed for most). One
     * that does not answer may keep hw open: slot does not get it (no page carries it yet),
     * and hw stays spare and out of use until that thread answers. */
    if (!_mpk_sync(1u << hw, self, "the key is not handed on"))
        return true;
    set_hw_of(slot, 0);
    atomic_store(&G->hw[hw], hw_word(HW_SPARE, 0));
    return false;
}

int _mpk_cache_retag(uint32_t slot, int hw)
{
    mpk_ranges_t *m = &G->ranges;
    int err = 0;
    for (size_t i = 0; i < m->n; i++) {
        const mpk_range_t *r = &m->v[i];
        long res;
        if (r->key != slot)
            continue;
        res = mpk_sys_pkey_mprotect((void *)r->start, r->end - r->start,
                                    hw ? r->prot : MPK_EVICTED_PROT, hw);
        if (res == -ENOMEM) { /* unmapped behind our back: forget it, and look again */
            _mpk_memory_forget(r->start, r->end);
            i = (size_t)-1;
            continue;
        }
        if (res < 0 && !err)
            err = (int)res;
    }
    return err;
}

int _mpk_cache_take(const mpk_thread_t *self)
{
    int hw = _mpk_cache_spare(self, false);
    return hw ? hw : kernel_key();
}

int _mpk_cache_take_clean(const mpk_thread_t *self)
{
    int hw = _mpk_cache_spare(self, true);
    return hw ? hw : kernel_key(); /* a key new from the kernel is closed in every thread */
}

/* A re-tag of slot's pages failed with err: put back on hw the pages that did move, so that
 * every page of slot carries hw again, and say so. Where even that fails, a page is left with
 * no access on key 0 or on a key nobody can be handed: locked away, never exposed. */
static int retag_failed(uint32_t slot, int hw, int err)
{
    _mpk_cache_retag(slot, hw);
    _mpk_report_retag_failed((int)vk_number(atomic_load(&G->vkeys[slot].word)), err);
    return err;
}

/* Move slot (resident on one hardware key) onto `to`, a key every other thread has closed: one
 * page-table change takes every thread's access away at once, without a signal. The key it
 * leaves becomes spare; threads that still have it open are dealt with when it is reused.
 * When the re-tag fails, slot stays where it was (and `to` spare) and the error is returned. */
int _mpk_cache_move(uint32_t slot, int to, mpk_thread_t *self)
{
    int from = vk_hw(atomic_load(&G->vkeys[slot].word)), r;
    (void)self;
    r = _mpk_cache_retag(slot, to);
    if (r)
        return retag_failed(slot, from, r);
    atomic_store(&G->hw[to], hw_word(HW_ASSIGNED, slot));
    set_hw_of(slot, to);
    if (from)
        atomic_store(&G->hw[from], hw_word(HW_SPARE, 0));
    return 0;
}

int _mpk_cache_assign_free(uint32_t slot, mpk_thread_t *self)
{
    int hw;
    /* A key refused by _mpk_cache_assign is out of use now: each try takes another. */
    while ((hw = _mpk_cache_take(self)) && !_mpk_cache_assign(slot, hw, self))
        ;
    return hw;
}

/* The key to evict: never one pinned by the config; one inside an mpk_begin section only when
 * every candidate is (it will fault back in for its thread, with the same rights). */
static uint32_t pick_victim(uint32_t avoid)
{
    uint32_t best[2] = {0, 0}, candidates[2] = {0, 0}, in_sections = _mpk_sections_hw_mask();
    uint64_t oldest[2] = {UINT64_MAX, UINT64_MAX};
    for (int hw = 1; hw < MPK_HW_KEYS; hw++) {
        uint32_t w = atomic_load(&G->hw[hw]);
        uint32_t s = hw_slot(w);
        int soft;
        if (hw_kind(w) != HW_ASSIGNED || s == avoid || G->vkeys[s].pinned)
            continue;
        soft = (in_sections >> hw) & 1;
        candidates[soft]++;
        if (G->cfg.evict == MPK_EVICT_RANDOM) {
            G->rng = G->rng * 6364136223846793005ull + 1442695040888963407ull;
            if ((G->rng >> 33) % candidates[soft] == 0)
                best[soft] = s;
        } else if (G->vkeys[s].lru < oldest[soft]) {
            oldest[soft] = G->vkeys[s].lru;
            best[soft] = s;
        }
    }
    return best[0] ? best[0] : best[1];
}

int _mpk_cache_evict(uint32_t slot)
{
    uint64_t w = atomic_load(&G->vkeys[slot].word);
    int hw = vk_hw(w), r;
    if (!hw)
        return 0;
    /* A freed key's pages are the ones most likely to have left behind our back: check before
     * re-tagging them (it may turn out to have none, and die: its hardware key is then spare). */
    if (vk_state(w) == VK_ZOMBIE) {
        _mpk_verify_key(slot);
        if (vk_state(atomic_load(&G->vkeys[slot].word)) == VK_FREE)
            return hw;
    }
    /* Pages first: from here on nobody reaches them through hw, whatever its PKRU says. Until
     * then hw is not spare: a key some pages still carry is never handed to another key. */
    r = _mpk_cache_retag(slot, 0);
    if (r)
        return retag_failed(slot, hw, r);
    set_hw_of(slot, 0);
    atomic_store(&G->hw[hw], hw_word(HW_SPARE, 0));
    atomic_fetch_add(&G->n_evictions, 1);
    return hw;
}

void _mpk_cache_drop(uint32_t slot)
{
    int hw = vk_hw(atomic_load(&G->vkeys[slot].word));
    if (!hw)
        return;
    set_hw_of(slot, 0);
    atomic_store(&G->hw[hw], hw_word(HW_SPARE, 0));
}

int _mpk_cache_bring_in(uint32_t slot, mpk_thread_t *self, bool may_evict)
{
    int hw = vk_hw(atomic_load(&G->vkeys[slot].word)), r;
    uint32_t victim;
    if (hw)
        return hw;
    hw = _mpk_cache_assign_free(slot, self);
    /* A victim's key that a silent thread may have open is not handed on: evict another. */
    for (int tries = 0; !hw && tries < MPK_HW_KEYS; tries++) {
        if (!may_evict || !G->cfg.virtualize)
            return -ENOSPC;
        victim = pick_victim(slot);
        if (!victim)
            return -ENOSPC; /* every hardware key is pinned */
        hw = _mpk_cache_evict(victim);
        if (hw < 0)
            return hw; /* the victim keeps its key; the caller fails with the kernel's errno */
        if (!_mpk_cache_assign(slot, hw, self))
            hw = 0;
    }
    if (!hw)
        return -ENOSPC;
    /* Threads are in line with the new owner: only now may its pages carry the key. Every
     * page the key has, not just the one that is wanted now. Where that fails, the key goes
     * back out (its pages to no access), so that a later attempt tries again. */
    r = _mpk_cache_retag(slot, hw);
    if (r) {
        _mpk_report_retag_failed((int)vk_number(atomic_load(&G->vkeys[slot].word)), r);
        _mpk_cache_evict(slot);
        return r;
    }
    atomic_fetch_add(&G->n_swapins, 1);
    return hw;
}

int _mpk_cache_make_resident(uint32_t slot, mpk_thread_t *self)
{
    return _mpk_cache_bring_in(slot, self, true);
}
