/* core/seal.c: sealed groups. A key's pages carry its protection only while their mapping
 * stays as it is: the program's own mprotect, pkey_mprotect, mremap, mmap(MAP_FIXED) over them
 * or a destructive madvise changes that outside libmpk's API (the "PKU Pitfalls" routes). With
 * sealed = audit such a call is reported and goes on; with refuse it fails with EPERM, the
 * errno of the kernel's own mseal, and the pages stay as they were. */
#include "core/seal.h"

#include "core/report.h"
#include "core/state.h"

#include <errno.h>
#include <sys/mman.h>

#ifndef MADV_DONTNEED_LOCKED
#define MADV_DONTNEED_LOCKED 24
#endif

/* What the policy says of slot's key: W^X keys are libmpk's tool for the program's own
 * mprotect flips, so the program's calls are their API; a [region] rule's key follows its rule. */
static int seal_of(uint32_t slot)
{
    const mpk_vkey_t *k = &G->vkeys[slot];
    if (k->wx)
        return MPK_SEALED_NO;
    if (k->region)
        return G->cfg.region_sealed[k->region];
    return G->cfg.sealed;
}

const char *_mpk_seal_destructive_advice(int advice)
{
    switch (advice) {
    case MADV_DONTNEED: return "madvise(MADV_DONTNEED)";
    case MADV_DONTNEED_LOCKED: return "madvise(MADV_DONTNEED_LOCKED)";
    case MADV_FREE: return "madvise(MADV_FREE)";
    case MADV_REMOVE: return "madvise(MADV_REMOVE)";
    case MADV_DONTFORK: return "madvise(MADV_DONTFORK)";
    case MADV_WIPEONFORK: return "madvise(MADV_WIPEONFORK)";
    default: return NULL;
    }
}

static void report(const char *op, uint32_t slot, uintptr_t lo, uintptr_t hi, bool refused)
{
    mpk_event_t ev = {.kind = MPK_EV_SEALED_GROUP, .op = op,
                      .key = vk_number(atomic_load(&G->vkeys[slot].word)), .addr = (void *)lo,
                      .len = hi - lo, .refused = refused, .asked = 1};
    unsigned rule = G->vkeys[slot].region;
    if (rule && G->cfg.region_name)
        ev.region = G->cfg.region_name(rule);
    _mpk_report(&ev);
}

/* Up to this many sealed keys are told apart in one call; beyond, the call is still judged by
 * all of them, and the last one's stretch is widened to hold the rest. The walk meets only the
 * ranges in [a, b): nothing to pay where no key is (the callers' lock-free paths never come). */
#define SEAL_MAX_KEYS 8

/* A sealed key met in the call, and the stretch of its pages there. */
typedef struct seal_hit {
    uint32_t slot;
    uintptr_t lo, hi;
} seal_hit_t;

int _mpk_seal_check_slow(uintptr_t a, uintptr_t b, const char *op)
{
    seal_hit_t seen[SEAL_MAX_KEYS];
    unsigned n = 0;
    bool refuse = false;
    mpk_ranges_t *m = &G->ranges;
    for (size_t i = mpk_ranges_lower_bound(m, a); i < m->n && m->v[i].start < b; i++) {
        mpk_range_t c = mpk_range_clip(&m->v[i], a, b);
        uint32_t slot = c.key;
        int how = seal_of(slot);
        unsigned j;
        if (how == MPK_SEALED_NO)
            continue;
        refuse |= how == MPK_SEALED_REFUSE;
        for (j = 0; j < n && seen[j].slot != slot; j++)
            ;
        if (j == n && n < SEAL_MAX_KEYS)
            seen[n++] = (seal_hit_t){slot, c.start, c.end};
        else
            seen[j < n ? j : n - 1].hi = c.end;
    }
    for (unsigned j = 0; j < n; j++)
        report(op, seen[j].slot, seen[j].lo, seen[j].hi, refuse);
    return refuse ? -EPERM : 0;
}
