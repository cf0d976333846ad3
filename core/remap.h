/* core/remap.h: a fresh mapping over pages a live key tagged (mmap MAP_FIXED, mremap onto them,
 * mmap at an address munmap took from the key): reported as remap_drops_key, and given the key
 * back under on_remap = keep. Apart from core/memory.c, which follows what the kernel did. */
#ifndef MPK_CORE_REMAP_H
#define MPK_CORE_REMAP_H

#include "core/state.h"

#include <stdbool.h>

/* One stretch a live key tagged where the new mapping lies. unmapped: munmap had taken it. */
typedef struct mpk_remap_piece {
    uintptr_t start, end;
    uint32_t slot, number;
    int prot; /* what the map held for it: the pages' protection under mremap */
    bool unmapped;
} mpk_remap_piece_t;

/* A call over more separately tagged stretches than this reports and keeps the first ones. */
#define MPK_REMAP_PIECES 32

typedef struct mpk_remap {
    unsigned n;
    mpk_remap_piece_t v[MPK_REMAP_PIECES];
} mpk_remap_t;

/* Lock held, after the real call and before the map follows it: what live keys tag in [a, b),
 * and what they tagged there until munmap (those holes are used up). */
void _mpk_remap_collect(mpk_remap_t *rm, uintptr_t a, uintptr_t b);

/* Lock held, once the map follows the call: the collected stretches that carry no key of ours
 * now lost theirs. Each is reported (op, or op_unmapped for a hole), and with on_remap = keep
 * tagged with its key again with prot (-1: the protection the map held for it). */
void _mpk_remap_settle(mpk_thread_t *t, const mpk_remap_t *rm, const char *op,
                       const char *op_unmapped, int prot);

/* Lock held, before munmap forgets [a, b): remember what live keys tagged there. */
void _mpk_remap_unmapping(uintptr_t a, uintptr_t b);

/* Lock held: [a, b) carries a key of ours again; remembered holes there are no longer. */
void _mpk_remap_holes_clear(uintptr_t a, uintptr_t b);

/* Lock held: slot's key is freed; its holes go (a freed key has nothing to keep). */
void _mpk_remap_holes_drop_slot(uint32_t slot);

/* Lock held: widen [*lo, *hi) (empty when *hi is 0) to cover every hole. */
void _mpk_remap_holes_extent(uintptr_t *lo, uintptr_t *hi);

/* Any hole remembered: one relaxed load. */
static inline bool _mpk_remap_any_holes(void)
{
    return atomic_load_explicit(&G->n_holes, memory_order_relaxed) != 0;
}

#endif
