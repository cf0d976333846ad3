/* core/ranges.h: the page-range map: which page ranges carry which virtual key, with the
 * protection the program asked for. Separate because every memory call and the fault handler
 * consult it, and because it is tested alone against a naive page-by-page model. */
#ifndef MPK_CORE_RANGES_H
#define MPK_CORE_RANGES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Where the map gets its memory: core passes the protected metadata arena, tests pass malloc.
 * grow() returns a block of new_bytes holding the first old_bytes of old (old may be NULL), or
 * NULL when out of memory (old is then untouched); release() gives a block back. */
typedef struct mpk_alloc {
    void *(*grow)(void *ctx, void *old, size_t old_bytes, size_t new_bytes);
    void (*release)(void *ctx, void *p, size_t bytes);
    void *ctx;
} mpk_alloc_t;

/* One tracked range [start, end): page aligned, non-empty. key is core's handle for the
 * virtual key (never 0: untracked pages are simply absent from the map). prot is what the
 * program asked for (PROT_*); the pages may physically carry less while the key is evicted. */
typedef struct mpk_range {
    uintptr_t start;
    uintptr_t end;
    uint32_t key;
    int prot;
} mpk_range_t;

/* Sorted by start, non-overlapping, and canonical: two adjacent ranges (a.end == b.start)
 * never have both the same key and the same prot; they are merged. */
typedef struct mpk_ranges {
    mpk_range_t *v;
    size_t n;
    size_t cap;
    mpk_alloc_t alloc;
} mpk_ranges_t;

void mpk_ranges_init(mpk_ranges_t *m, const mpk_alloc_t *alloc);
void mpk_ranges_destroy(mpk_ranges_t *m);

/* Every function that changes the map returns 0, or ENOMEM leaving the map exactly as it was.
 * Addresses must be page aligned with start < end (callers validate; EINVAL otherwise). */

/* [start, end) now carries key with prot, replacing whatever was tracked there. */
int mpk_ranges_set(mpk_ranges_t *m, uintptr_t start, uintptr_t end, uint32_t key, int prot);

/* [start, end) is no longer tracked (munmap, mmap over it, pkey_mprotect to key 0). */
int mpk_ranges_clear(mpk_ranges_t *m, uintptr_t start, uintptr_t end);

/* The tracked parts of [start, end) get prot and keep their key (mprotect keeps keys). */
int mpk_ranges_set_prot(mpk_ranges_t *m, uintptr_t start, uintptr_t end, int prot);

/* mremap: what was tracked in [old_start, old_start + min(old_len, new_len)) moves to the same
 * offsets from new_start; when growing, [new_start + old_len, new_start + new_len) takes the
 * key and prot of the old range's last page if that page was tracked (the kernel extends the
 * mapping with the same key); whatever was tracked at the destination before is replaced
 * (MREMAP_FIXED unmaps it); the old range is cleared. new_start may equal old_start. */
int mpk_ranges_move(mpk_ranges_t *m, uintptr_t old_start, size_t old_len, uintptr_t new_start,
                    size_t new_len);

/* The range containing addr, or NULL. O(log n). The pointer is valid until the next change. */
const mpk_range_t *mpk_ranges_find(const mpk_ranges_t *m, uintptr_t addr);

/* Index of the first range with end > addr (m->n if none): to walk ranges meeting [a, b),
 * for (i = mpk_ranges_lower_bound(m, a); i < m->n && m->v[i].start < b; i++) ... */
size_t mpk_ranges_lower_bound(const mpk_ranges_t *m, uintptr_t addr);

/* r cut to [a, b), which it meets: the part of r that a call over [a, b) reaches. For the
 * walk above. */
static inline mpk_range_t mpk_range_clip(const mpk_range_t *r, uintptr_t a, uintptr_t b)
{
    mpk_range_t c = *r;
    if (c.start < a)
        c.start = a;
    if (c.end > b)
        c.end = b;
    return c;
}

/* True when some tracked page lies in [start, end). */
bool mpk_ranges_any(const mpk_ranges_t *m, uintptr_t start, uintptr_t end);

/* Number of ranges carrying key, and their total size in bytes (for pkey_free's in-use check
 * and for sizing a re-tag). Linear in the number of ranges. */
size_t mpk_ranges_count_key(const mpk_ranges_t *m, uint32_t key, size_t *bytes);

#endif
