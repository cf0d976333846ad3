/* core/region.c: [region NAME] rules (design.md §7): mappings that match a rule go under a key
 * of the rule's own, and each thread's rights on it follow its name. The preload matches
 * mappings and names (the config is its business); here are the key, the tagging and the
 * rights. Rights are decided lazily: every thread starts with the key closed, and its first
 * access faults here, where its name is read and the rule's rights given if the name matches.
 * So a name set at any time counts from the next access, and a rename takes rights away from
 * every thread at once (they come back, re-decided, at the next access). */
#include "core/region.h"

#include "core/cache.h"
#include "core/core.h"
#include "core/memory.h"
#include "core/report.h"
#include "core/revoke.h"
#include "core/thread.h"
#include "core/vkey.h"

#include <errno.h>

static void report(const char *op, uintptr_t a, size_t len, const char *what)
{
    mpk_event_t ev = {.kind = MPK_EV_ERROR, .op = op, .key = -1, .addr = (void *)a, .len = len,
                      .what = what};
    _mpk_report(&ev);
}

/* Rule r's key if it still has pages (a region key dies with its last page), else 0. Reads
 * only: also called without the lock (a thread being created). */
static uint32_t key_of(unsigned r)
{
    uint32_t slot = G->region_slot[r];
    uint64_t w = slot ? atomic_load(&G->vkeys[slot].word) : 0;
    if (!slot || vk_state(w) == VK_FREE || vk_number(w) != G->region_number[r])
        return 0;
    return slot;
}

/* A key for rule r, closed in every thread until each one's name decides. */
static uint32_t new_key(mpk_thread_t *t, unsigned r)
{
    uint32_t slot = _mpk_vkey_new_own(t, MPK_AD);
    if (!slot)
        return 0;
    G->vkeys[slot].region = (uint8_t)r;
    G->region_slot[r] = slot;
    G->region_number[r] = vk_number(atomic_load(&G->vkeys[slot].word));
    return slot;
}

int _mpk_region_tag_locked(mpk_thread_t *t, unsigned r, uintptr_t a, uintptr_t b, int prot)
{
    uint32_t slot = key_of(r);
    int e;
    if (!slot && !(slot = new_key(t, r))) {
        report("mmap", a, b - a, "a mapping under a [region] rule, but no key is left: mmap fails with ENOSPC");
        return -ENOSPC;
    }
    e = _mpk_memory_protect_locked(t, a, b, prot, slot);
    if (e) {
        report("mmap", a, b - a, "a mapping under a [region] rule could not be tagged: mmap fails");
        if (!G->vkeys[slot].bytes) {
            _mpk_cache_drop(slot);
            _mpk_vkey_retire(slot);
        }
        return e;
    }
    atomic_fetch_add(&G->n_region_maps, 1);
    return 0;
}

bool _mpk_region_decide(mpk_thread_t *t, uint32_t slot)
{
    unsigned r = G->vkeys[slot].region;
    if (!r || !G->cfg.region_rights)
        return false;
    t->views[t->depth][slot] = (uint8_t)G->cfg.region_rights(r);
    atomic_fetch_add(&G->n_region_grants, 1);
    return true;
}

void _mpk_region_child(uint8_t *views)
{
    for (unsigned r = 1; r <= G->cfg.nregions && r <= MPK_MAX_REGIONS; r++) {
        uint32_t slot = key_of(r);
        if (slot)
            views[slot] = MPK_AD;
    }
}

void _mpk_region_renamed_locked(mpk_thread_t *self)
{
    for (unsigned r = 1; r <= G->cfg.nregions && r <= MPK_MAX_REGIONS; r++) {
        uint32_t slot = key_of(r);
        if (slot)
            _mpk_set_all_locked(slot, MPK_AD, self);
    }
}

void _mpk_region_renamed(void)
{
    mpk_thread_t *t;
    uint32_t gen;
    sigset_t saved;
    if (!_mpk_in_play() || !G->cfg.nregions)
        return;
    if (!(t = _mpk_thread()))
        return;
    gen = atomic_load(&t->sync_gen);
    _mpk_lock(&G->lock, &saved);
    _mpk_region_renamed_locked(t);
    _mpk_unlock(&G->lock, &saved);
    _mpk_leave_with(t, gen, _mpk_pkru_derive(t, t->depth, mpk_rdpkru()));
}
