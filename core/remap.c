/* core/remap.c: re-mappings that drop a live key's tag (Wasmtime 13982: a slot re-mapped with
 * MAP_FIXED lost its key and leaked to another instance). The kernel gives new pages key 0; we
 * report it, and with on_remap = keep tag them with the key again, through the manager. */
#include "core/remap.h"

#include "core/memory.h"
#include "core/report.h"

#include <string.h>

static bool live(uint32_t slot, uint32_t number)
{
    uint64_t w = atomic_load(&G->vkeys[slot].word);
    return vk_state(w) == VK_LIVE && vk_number(w) == number;
}

/* ---- holes: what munmap took from a live key ----------------------------------------------- */

static void hole_remove(uint32_t i)
{
    uint32_t n = atomic_load(&G->n_holes);
    memmove(&G->holes[i], &G->holes[i + 1], (n - i - 1) * sizeof G->holes[0]);
    atomic_store(&G->n_holes, n - 1);
}

/* When full, the oldest is forgotten: a bounded memory of recent unmappings is enough for a
 * slot that is unmapped and mapped again, and costs nothing when keys are never unmapped. */
static void hole_add(const mpk_hole_t *h)
{
    if (atomic_load(&G->n_holes) == MPK_REMAP_HOLES)
        hole_remove(0);
    G->holes[atomic_load(&G->n_holes)] = *h;
    atomic_store(&G->n_holes, atomic_load(&G->n_holes) + 1);
}

void _mpk_remap_unmapping(uintptr_t a, uintptr_t b)
{
    mpk_ranges_t *m = &G->ranges;
    for (size_t i = mpk_ranges_lower_bound(m, a); i < m->n && m->v[i].start < b; i++) {
        mpk_range_t c = mpk_range_clip(&m->v[i], a, b);
        uint64_t w = atomic_load(&G->vkeys[c.key].word);
        mpk_hole_t h = {.start = c.start, .end = c.end, .slot = c.key, .number = vk_number(w),
                        .prot = c.prot};
        if (vk_state(w) == VK_LIVE)
            hole_add(&h);
    }
}

void _mpk_remap_holes_clear(uintptr_t a, uintptr_t b)
{
    for (uint32_t i = 0; i < atomic_load(&G->n_holes);) {
        mpk_hole_t *h = &G->holes[i];
        if (h->end <= a || h->start >= b) {
            i++;
        } else if (h->start >= a && h->end <= b) {
            hole_remove(i); /* the array shifted: look at index i again */
        } else if (h->start < a && h->end > b) {
            mpk_hole_t right = *h;
            right.start = b;
            h->end = a;
            /* When full, the right part is forgotten rather than an older hole. */
            if (atomic_load(&G->n_holes) < MPK_REMAP_HOLES)
                hole_add(&right);
            i++;
        } else {
            if (h->start < a)
                h->end = a;
            else
                h->start = b;
            i++;
        }
    }
}

void _mpk_remap_holes_drop_slot(uint32_t slot)
{
    for (uint32_t i = 0; i < atomic_load(&G->n_holes);)
        if (G->holes[i].slot == slot)
            hole_remove(i);
        else
            i++;
}

void _mpk_remap_holes_extent(uintptr_t *lo, uintptr_t *hi)
{
    for (uint32_t i = 0; i < atomic_load(&G->n_holes); i++) {
        if (!*hi || G->holes[i].start < *lo)
            *lo = G->holes[i].start;
        if (G->holes[i].end > *hi)
            *hi = G->holes[i].end;
    }
}

/* ---- collecting and settling ------------------------------------------------------------- */

static void add_piece(mpk_remap_t *rm, const mpk_remap_piece_t *p)
{
    mpk_remap_piece_t *last = rm->n ? &rm->v[rm->n - 1] : NULL;
    if (last && last->end == p->start && last->slot == p->slot && last->number == p->number &&
        last->prot == p->prot && last->unmapped == p->unmapped) {
        last->end = p->end; /* one record for one stretch, whatever splits the map's ranges */
        return;
    }
    if (rm->n < MPK_REMAP_PIECES)
        rm->v[rm->n++] = *p;
}

void _mpk_remap_collect(mpk_remap_t *rm, uintptr_t a, uintptr_t b)
{
    mpk_ranges_t *m = &G->ranges;
    rm->n = 0;
    for (size_t i = mpk_ranges_lower_bound(m, a); i < m->n && m->v[i].start < b; i++) {
        mpk_range_t c = mpk_range_clip(&m->v[i], a, b);
        uint64_t w = atomic_load(&G->vkeys[c.key].word);
        mpk_remap_piece_t p = {.start = c.start, .end = c.end, .slot = c.key, .number = vk_number(w),
                               .prot = c.prot};
        if (vk_state(w) == VK_LIVE)
            add_piece(rm, &p);
    }
    if (!atomic_load(&G->n_holes))
        return;
    for (uint32_t i = 0; i < atomic_load(&G->n_holes); i++) {
        const mpk_hole_t *h = &G->holes[i];
        mpk_remap_piece_t p = {.start = h->start > a ? h->start : a,
                               .end = h->end < b ? h->end : b,
                               .slot = h->slot,
                               .number = h->number,
                               .prot = h->prot,
                               .unmapped = true};
        if (p.start < p.end && live(h->slot, h->number))
            add_piece(rm, &p);
    }
    _mpk_remap_holes_clear(a, b); /* used up: this mapping is the re-mapping */
}

static void report(const mpk_remap_piece_t *p, uintptr_t lo, uintptr_t hi, const char *op, bool kept)
{
    mpk_event_t ev = {.kind = MPK_EV_REMAP_DROPS_KEY,
                      .op = op,
                      .key = (long)p->number,
                      .addr = (const void *)lo,
                      .len = hi - lo,
                      .kept = kept};
    _mpk_report(&ev);
}

/* [lo, hi) lost p's key: say so, after giving it back if the policy says keep. */
static void settle_gap(mpk_thread_t *t, const mpk_remap_piece_t *p, uintptr_t lo, uintptr_t hi,
                       const char *op, int prot)
{
    bool kept = false;
    if (G->cfg.on_remap == MPK_REMAP_KEEP && live(p->slot, p->number))
        kept = _mpk_memory_protect_locked(t, lo, hi, prot < 0 ? p->prot : prot, p->slot) == 0;
    report(p, lo, hi, op, kept);
}

void _mpk_remap_settle(mpk_thread_t *t, const mpk_remap_t *rm, const char *op,
                       const char *op_unmapped, int prot)
{
    mpk_ranges_t *m = &G->ranges;
    for (unsigned k = 0; k < rm->n; k++) {
        const mpk_remap_piece_t *p = &rm->v[k];
        uintptr_t pos = p->start;
        while (pos < p->end) {
            /* Looked up afresh each time: a retag changes the map. */
            size_t i = mpk_ranges_lower_bound(m, pos);
            uintptr_t next = i < m->n && m->v[i].start < p->end ? m->v[i].start : p->end;
            if (next > pos) { /* no key of ours there now: dropped */
                settle_gap(t, p, pos, next, p->unmapped ? op_unmapped : op, prot);
                pos = next;
            } else { /* the new pages came with a key (mremap moved keyed pages here) */
                pos = m->v[i].end;
            }
        }
    }
}
