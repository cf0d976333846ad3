/* tests/unit/ranges_model.h: a naive page-by-page model of core/ranges.h, a checking allocator,
 * and the checks comparing a map with the model; shared by test_ranges.c and fuzz_ranges.c. */
#ifndef MPK_TESTS_RANGES_MODEL_H
#define MPK_TESTS_RANGES_MODEL_H

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/ranges.h"

#define RM_PAGE ((uintptr_t)4096)
/* The window in pages; the fuzzer shrinks it (before including) to run more inputs a second. */
#ifndef RM_PAGES
#define RM_PAGES 512
#endif
/* Windows at the bottom, the middle and the very top of the address space (the top one ends at
 * the last page-aligned address, where an off-by-one would wrap). */
#define RM_BASE_LOW ((uintptr_t)0)
#define RM_BASE_MID ((uintptr_t)0x7f0000000000)
#define RM_BASE_TOP ((uintptr_t)0 - (RM_PAGES + 1) * RM_PAGE)

/* ---------------------------------------------------------------- checking allocator */

/* malloc behind the mpk_alloc_t interface: checks the map hands back the block it got with the
 * size it asked for, moves the block on every grow (stale pointers show up under ASan), and
 * fails the fail_at-th grow when fail_at != 0. */
typedef struct rm_heap {
    void *block;
    size_t bytes;
    unsigned long grows;
    unsigned long fail_at;
    unsigned long failures;
    bool misuse;
} rm_heap_t;

static inline void *rm_heap_grow(void *ctx, void *old, size_t old_bytes, size_t new_bytes)
{
    rm_heap_t *h = ctx;
    h->grows++;
    if (h->fail_at != 0 && h->grows == h->fail_at) {
        h->failures++;
        return NULL;
    }
    if (old != h->block || old_bytes != h->bytes || new_bytes <= old_bytes)
        h->misuse = true;
    unsigned char *p = malloc(new_bytes);
    if (!p)
        abort();
    memset(p, 0xa5, new_bytes);   /* the map must not rely on fresh memory being zero */
    if (old)
        memcpy(p, old, old_bytes < new_bytes ? old_bytes : new_bytes);
    free(old);
    h->block = p;
    h->bytes = new_bytes;
    return p;
}

static inline void rm_heap_release(void *ctx, void *p, size_t bytes)
{
    rm_heap_t *h = ctx;
    if (p != h->block || bytes != h->bytes)
        h->misuse = true;
    free(p);
    h->block = NULL;
    h->bytes = 0;
}

static inline mpk_alloc_t rm_heap_alloc(rm_heap_t *h)
{
    memset(h, 0, sizeof(*h));
    return (mpk_alloc_t){ .grow = rm_heap_grow, .release = rm_heap_release, .ctx = h };
}

/* ---------------------------------------------------------------- the model */

/* key 0 marks an untracked page. */
typedef struct rm_model {
    uintptr_t base;
    uint32_t key[RM_PAGES];
    int prot[RM_PAGES];
} rm_model_t;

static inline void rm_model_init(rm_model_t *md, uintptr_t base)
{
    memset(md, 0, sizeof(*md));
    md->base = base;
}

static inline uintptr_t rm_addr(const rm_model_t *md, size_t page)
{
    return md->base + page * RM_PAGE;
}

static inline void rm_model_fill(rm_model_t *md, size_t first, size_t count, uint32_t key,
                                 int prot)
{
    for (size_t p = first; p < first + count; p++) {
        md->key[p] = key;
        md->prot[p] = key ? prot : 0;
    }
}

static inline void rm_model_set_prot(rm_model_t *md, size_t first, size_t count, int prot)
{
    for (size_t p = first; p < first + count; p++)
        if (md->key[p])
            md->prot[p] = prot;
}

/* mremap: copy out what moves, clear both ends, then write it at the destination. */
static inline void rm_model_move(rm_model_t *md, size_t from, size_t old_n, size_t to,
                                 size_t new_n)
{
    uint32_t key[RM_PAGES];
    int prot[RM_PAGES];
    size_t kept = old_n < new_n ? old_n : new_n;
    memcpy(key, md->key + from, kept * sizeof(key[0]));
    memcpy(prot, md->prot + from, kept * sizeof(prot[0]));
    uint32_t tail_key = md->key[from + old_n - 1];
    int tail_prot = md->prot[from + old_n - 1];
    rm_model_fill(md, from, old_n, 0, 0);
    rm_model_fill(md, to, new_n, 0, 0);
    memcpy(md->key + to, key, kept * sizeof(key[0]));
    memcpy(md->prot + to, prot, kept * sizeof(prot[0]));
    if (new_n > old_n)
        rm_model_fill(md, to + old_n, new_n - old_n, tail_key, tail_prot);
}

/* The canonical decomposition: maximal runs of pages with equal (key, prot), key != 0. */
static inline size_t rm_model_ranges(const rm_model_t *md, mpk_range_t *out)
{
    size_t n = 0;
    for (size_t p = 0; p < RM_PAGES; p++) {
        if (!md->key[p])
            continue;
        if (n && out[n - 1].end == rm_addr(md, p) && out[n - 1].key == md->key[p] &&
            out[n - 1].prot == md->prot[p]) {
            out[n - 1].end += RM_PAGE;
            continue;
        }
        out[n++] = (mpk_range_t){ rm_addr(md, p), rm_addr(md, p) + RM_PAGE, md->key[p],
                                  md->prot[p] };
    }
    return n;
}

/* ---------------------------------------------------------------- operations */

/* Few keys and prots so neighbours often match and merge; the extremes catch truncation and
 * sign mistakes. Key 77 in rm_count_keys is never set: count_key must find nothing for it. */
static const uint32_t rm_keys[] = { 1, 2, 3, UINT32_MAX };
static const int rm_prots[] = { 0, 1, 3, -1 };
static const uint32_t rm_count_keys[] = { 1, 2, 3, UINT32_MAX, 77 };
#define RM_NKEYS (sizeof(rm_keys) / sizeof(rm_keys[0]))
#define RM_NPROTS (sizeof(rm_prots) / sizeof(rm_prots[0]))
#define RM_NCOUNT_KEYS (sizeof(rm_count_keys) / sizeof(rm_count_keys[0]))

/* Page-index operations on the model's window, plus deliberately invalid calls (RM_BAD, the
 * variant in `a`) that must fail with EINVAL and change nothing. */
typedef enum { RM_SET, RM_CLEAR, RM_SET_PROT, RM_MOVE, RM_BAD, RM_NKINDS } rm_kind_t;
#define RM_NBAD 9

typedef struct rm_op {
    rm_kind_t kind;
    uint32_t a, b, c, d;   /* first page, page count; for moves also new first page, new count */
    uint32_t key;
    int prot;
} rm_op_t;

static inline int rm_call_bad(mpk_ranges_t *m, const rm_model_t *md, uint32_t variant)
{
    uintptr_t s = rm_addr(md, 0), e = rm_addr(md, 4);
    uintptr_t last = (uintptr_t)0 - RM_PAGE;
    switch (variant % RM_NBAD) {
    case 0: return mpk_ranges_set(m, s, s, 1, 0);
    case 1: return mpk_ranges_set(m, s + 8, e, 1, 0);
    case 2: return mpk_ranges_set(m, s, e, 0, 0);
    case 3: return mpk_ranges_clear(m, e, s);
    case 4: return mpk_ranges_set_prot(m, s, e - 1, 1);
    case 5: return mpk_ranges_move(m, s, 0, e, RM_PAGE);
    case 6: return mpk_ranges_move(m, s, RM_PAGE, e, RM_PAGE + 16);
    case 7: return mpk_ranges_move(m, s, RM_PAGE, last, 2 * RM_PAGE);
    default: return mpk_ranges_clear(m, last, last + RM_PAGE);   /* end wraps to 0 */
    }
}

static inline int rm_call_map(mpk_ranges_t *m, const rm_model_t *md, const rm_op_t *op)
{
    uintptr_t s = rm_addr(md, op->a), e = rm_addr(md, op->a + op->b);
    switch (op->kind) {
    case RM_SET: return mpk_ranges_set(m, s, e, op->key, op->prot);
    case RM_CLEAR: return mpk_ranges_clear(m, s, e);
    case RM_SET_PROT: return mpk_ranges_set_prot(m, s, e, op->prot);
    case RM_MOVE:
        return mpk_ranges_move(m, s, op->b * RM_PAGE, rm_addr(md, op->c), op->d * RM_PAGE);
    default: return rm_call_bad(m, md, op->a);
    }
}

/* Applies op to the model; returns the result the map must give. */
static inline int rm_apply_model(rm_model_t *md, const rm_op_t *op)
{
    switch (op->kind) {
    case RM_SET: rm_model_fill(md, op->a, op->b, op->key, op->prot); return 0;
    case RM_CLEAR: rm_model_fill(md, op->a, op->b, 0, 0); return 0;
    case RM_SET_PROT: rm_model_set_prot(md, op->a, op->b, op->prot); return 0;
    case RM_MOVE: rm_model_move(md, op->a, op->b, op->c, op->d); return 0;
    default: return EINVAL;
    }
}

static inline const char *rm_kind_name(rm_kind_t k)
{
    static const char *names[] = { "set", "clear", "set_prot", "move", "bad" };
    return k < RM_NKINDS ? names[k] : "?";
}

static inline void rm_op_describe(const rm_op_t *op, char *buf, size_t len)
{
    snprintf(buf, len, "%s(a=%u b=%u c=%u d=%u key=%u prot=%d)", rm_kind_name(op->kind), op->a,
             op->b, op->c, op->d, op->key, op->prot);
}

/* ---------------------------------------------------------------- checks */

/* Each check returns true, or false with the reason in why. */
static inline bool rm_fail(char *why, size_t len, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, len, fmt, ap);
    va_end(ap);
    return false;
}

/* The invariants of ranges.h, checked on the map alone. */
static inline bool rm_check_canonical(const mpk_ranges_t *m, char *why, size_t len)
{
    if (m->n > m->cap)
        return rm_fail(why, len, "n %zu > cap %zu", m->n, m->cap);
    for (size_t i = 0; i < m->n; i++) {
        const mpk_range_t *r = &m->v[i];
        if (r->start >= r->end || (r->start | r->end) % RM_PAGE || r->key == 0)
            return rm_fail(why, len, "bad range %zu [%#lx, %#lx) key %u", i,
                           (unsigned long)r->start, (unsigned long)r->end, r->key);
        if (i == 0)
            continue;
        const mpk_range_t *q = &m->v[i - 1];
        if (q->end > r->start)
            return rm_fail(why, len, "ranges %zu and %zu overlap or are unsorted", i - 1, i);
        if (q->end == r->start && q->key == r->key && q->prot == r->prot)
            return rm_fail(why, len, "ranges %zu and %zu should have been merged", i - 1, i);
    }
    return true;
}

static inline bool rm_check_equal(const rm_model_t *md, const mpk_ranges_t *m, char *why,
                                  size_t len)
{
    mpk_range_t want[RM_PAGES];
    size_t n = rm_model_ranges(md, want);
    if (n != m->n)
        return rm_fail(why, len, "map has %zu ranges, model %zu", m->n, n);
    for (size_t i = 0; i < n; i++) {
        const mpk_range_t *g = &m->v[i], *w = &want[i];
        if (g->start != w->start || g->end != w->end || g->key != w->key || g->prot != w->prot)
            return rm_fail(why, len,
                           "range %zu: map [%#lx, %#lx) key %u prot %d, model [%#lx, %#lx) "
                           "key %u prot %d",
                           i, (unsigned long)g->start, (unsigned long)g->end, g->key, g->prot,
                           (unsigned long)w->start, (unsigned long)w->end, w->key, w->prot);
    }
    return true;
}

static inline bool rm_check_find(const rm_model_t *md, const mpk_ranges_t *m, char *why,
                                 size_t len)
{
    for (size_t p = 0; p < RM_PAGES; p++) {
        uintptr_t addrs[2] = { rm_addr(md, p), rm_addr(md, p) + RM_PAGE - 1 };
        for (int x = 0; x < 2; x++) {
            const mpk_range_t *r = mpk_ranges_find(m, addrs[x]);
            bool ok = md->key[p] ? r && r->start <= addrs[x] && addrs[x] < r->end &&
                                       r->key == md->key[p] && r->prot == md->prot[p]
                                 : r == NULL;
            if (!ok)
                return rm_fail(why, len, "find(page %zu + %d) disagrees (model key %u)", p,
                               x ? (int)RM_PAGE - 1 : 0, md->key[p]);
        }
    }
    if (md->base != 0 && mpk_ranges_find(m, md->base - 1))
        return rm_fail(why, len, "find below the window found something");
    if (mpk_ranges_find(m, rm_addr(md, RM_PAGES)))
        return rm_fail(why, len, "find above the window found something");
    return true;
}

/* lower_bound(addr) against the model's ranges: the first with end > addr. */
static inline bool rm_check_lower_bound(const rm_model_t *md, const mpk_ranges_t *m, char *why,
                                        size_t len)
{
    mpk_range_t want[RM_PAGES];
    size_t n = rm_model_ranges(md, want), i = 0;
    for (size_t p = 0; p <= RM_PAGES; p++) {
        uintptr_t addr = rm_addr(md, p);
        while (i < n && want[i].end <= addr)
            i++;
        if (mpk_ranges_lower_bound(m, addr) != i)
            return rm_fail(why, len, "lower_bound(page %zu) = %zu, model %zu", p,
                           mpk_ranges_lower_bound(m, addr), i);
    }
    return true;
}

/* any() over spans of several lengths from every page, against prefix counts of tracked pages. */
static inline bool rm_check_any(const rm_model_t *md, const mpk_ranges_t *m, char *why,
                                size_t len)
{
    static const size_t lens[] = { 1, 3, 17, RM_PAGES };
    size_t tracked[RM_PAGES + 1] = { 0 };
    for (size_t p = 0; p < RM_PAGES; p++)
        tracked[p + 1] = tracked[p] + (md->key[p] != 0);
    for (size_t p = 0; p < RM_PAGES; p++) {
        for (size_t x = 0; x < sizeof(lens) / sizeof(lens[0]); x++) {
            size_t q = p + lens[x] < RM_PAGES ? p + lens[x] : RM_PAGES;
            bool want = tracked[q] > tracked[p];
            if (mpk_ranges_any(m, rm_addr(md, p), rm_addr(md, q)) != want)
                return rm_fail(why, len, "any(pages %zu..%zu) != %d", p, q, want);
        }
    }
    if (mpk_ranges_any(m, rm_addr(md, 1), rm_addr(md, 1)))
        return rm_fail(why, len, "any() of an empty span is true");
    return true;
}

/* count_key for the keys the operations use (plus one never used), against the model. */
static inline bool rm_check_count_key(const rm_model_t *md, const mpk_ranges_t *m, char *why,
                                      size_t len)
{
    const uint32_t *keys = rm_count_keys;
    size_t nkeys = RM_NCOUNT_KEYS;
    mpk_range_t want[RM_PAGES];
    size_t n = rm_model_ranges(md, want);
    for (size_t x = 0; x < nkeys; x++) {
        size_t count = 0, bytes = 0, got_bytes = 1;
        for (size_t i = 0; i < n; i++) {
            if (want[i].key == keys[x]) {
                count++;
                bytes += want[i].end - want[i].start;
            }
        }
        size_t got = mpk_ranges_count_key(m, keys[x], &got_bytes);
        if (got != count || got_bytes != bytes)
            return rm_fail(why, len, "count_key(%u) = %zu/%zu bytes, model %zu/%zu", keys[x],
                           got, got_bytes, count, bytes);
    }
    return true;
}

/* Everything: layout first, so query mismatches are not reported for a wrong layout. */
static inline bool rm_check_all(const rm_model_t *md, const mpk_ranges_t *m, char *why,
                                size_t len)
{
    return rm_check_canonical(m, why, len) && rm_check_equal(md, m, why, len) &&
           rm_check_find(md, m, why, len) && rm_check_lower_bound(md, m, why, len) &&
           rm_check_any(md, m, why, len) && rm_check_count_key(md, m, why, len);
}

/* ---------------------------------------------------------------- snapshots */

/* A copy of a map's visible state, for "ENOMEM/EINVAL changed nothing". Sized for the model's
 * window, whose canonical map has at most RM_PAGES ranges. */
typedef struct rm_snapshot {
    const mpk_range_t *v;
    size_t n, cap;
    mpk_range_t copy[RM_PAGES];
} rm_snapshot_t;

static inline void rm_snapshot_take(rm_snapshot_t *s, const mpk_ranges_t *m)
{
    s->v = m->v;
    s->n = m->n;
    s->cap = m->cap;
    if (m->n <= RM_PAGES && m->n)
        memcpy(s->copy, m->v, m->n * sizeof(mpk_range_t));
}

static inline bool rm_snapshot_same(const rm_snapshot_t *s, const mpk_ranges_t *m)
{
    return s->v == m->v && s->n == m->n && s->cap == m->cap && s->n <= RM_PAGES &&
           (s->n == 0 || memcmp(s->copy, m->v, s->n * sizeof(mpk_range_t)) == 0);
}

#endif
