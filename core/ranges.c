/* core/ranges.c: the page-range map as a sorted array searched by bisection and updated by
 * memmove. Every change reserves room for its worst case first, so ENOMEM changes nothing. */
#include "core/ranges.h"

#include <errno.h>
#include <string.h>

/* MPK exists only on x86-64, whose base page is 4 KiB; callers pass kernel-validated ranges. */
#define RANGES_PAGE ((uintptr_t)4096)
#define RANGES_MIN_CAP 16

/* ---------------------------------------------------------------- lifetime */

void mpk_ranges_init(mpk_ranges_t *m, const mpk_alloc_t *alloc)
{
    m->v = NULL;
    m->n = 0;
    m->cap = 0;
    m->alloc = *alloc;
}

void mpk_ranges_destroy(mpk_ranges_t *m)
{
    if (m->v)
        m->alloc.release(m->alloc.ctx, m->v, m->cap * sizeof(mpk_range_t));
    m->v = NULL;
    m->n = 0;
    m->cap = 0;
}

/* Makes room for `extra` more entries. Doubles so a run of inserts costs amortised O(1)
 * allocations; old_bytes is the whole old block so an arena can free it by size. */
static int reserve(mpk_ranges_t *m, size_t extra)
{
    size_t need = m->n + extra;
    if (need <= m->cap)
        return 0;
    size_t cap = m->cap ? m->cap : RANGES_MIN_CAP;
    while (cap < need) {
        if (cap > SIZE_MAX / 2 / sizeof(mpk_range_t))
            return ENOMEM;
        cap *= 2;
    }
    void *p = m->alloc.grow(m->alloc.ctx, m->v, m->cap * sizeof(mpk_range_t),
                            cap * sizeof(mpk_range_t));
    if (!p)
        return ENOMEM;
    m->v = p;
    m->cap = cap;
    return 0;
}

/* ---------------------------------------------------------------- validation */

static bool aligned(uintptr_t a)
{
    return (a & (RANGES_PAGE - 1)) == 0;
}

static bool valid_span(uintptr_t start, uintptr_t end)
{
    return aligned(start) && aligned(end) && start < end;
}

/* ---------------------------------------------------------------- search */

size_t mpk_ranges_lower_bound(const mpk_ranges_t *m, uintptr_t addr)
{
    size_t lo = 0, hi = m->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (m->v[mid].end > addr)
            hi = mid;
        else
            lo = mid + 1;
    }
    return lo;
}

/* Index of the first range with start >= addr: one past the last range meeting [.., addr). */
static size_t first_starting_from(const mpk_ranges_t *m, uintptr_t addr)
{
    size_t lo = 0, hi = m->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (m->v[mid].start >= addr)
            hi = mid;
        else
            lo = mid + 1;
    }
    return lo;
}

const mpk_range_t *mpk_ranges_find(const mpk_ranges_t *m, uintptr_t addr)
{
    size_t i = mpk_ranges_lower_bound(m, addr);
    return i < m->n && m->v[i].start <= addr ? &m->v[i] : NULL;
}

bool mpk_ranges_any(const mpk_ranges_t *m, uintptr_t start, uintptr_t end)
{
    size_t i = mpk_ranges_lower_bound(m, start);
    return start < end && i < m->n && m->v[i].start < end;
}

size_t mpk_ranges_count_key(const mpk_ranges_t *m, uint32_t key, size_t *bytes)
{
    size_t count = 0, total = 0;
    for (size_t i = 0; i < m->n; i++) {
        if (m->v[i].key == key) {
            count++;
            total += m->v[i].end - m->v[i].start;
        }
    }
    if (bytes)
        *bytes = total;
    return count;
}

/* ---------------------------------------------------------------- in-place edits */

static bool mergeable(const mpk_range_t *a, const mpk_range_t *b)
{
    return a->end == b->start && a->key == b->key && a->prot == b->prot;
}

/* Replaces v[i, j) by the k entries of ins with a single move of the tail. Room must have
 * been reserved; ins must not lie in the part of the array being moved. */
static void splice(mpk_ranges_t *m, size_t i, size_t j, const mpk_range_t *ins, size_t k)
{
    memmove(m->v + i + k, m->v + j, (m->n - j) * sizeof(mpk_range_t));
    memcpy(m->v + i, ins, k * sizeof(mpk_range_t));
    m->n = m->n - (j - i) + k;
}

/* Merges equal neighbours among v[lo..hi] (clamped to the array), restoring canonical form
 * after an edit that only touched that window. */
static void merge_window(mpk_ranges_t *m, size_t lo, size_t hi)
{
    if (m->n == 0)
        return;
    if (hi >= m->n)
        hi = m->n - 1;
    if (lo >= hi)
        return;
    size_t w = lo;
    for (size_t r = lo + 1; r <= hi; r++) {
        if (mergeable(&m->v[w], &m->v[r]))
            m->v[w].end = m->v[r].end;
        else
            m->v[++w] = m->v[r];
    }
    if (w < hi) {
        memmove(m->v + w + 1, m->v + hi + 1, (m->n - hi - 1) * sizeof(mpk_range_t));
        m->n -= hi - w;
    }
}

/* Replaces what is tracked in [start, end) by the optional range `mid` (NULL: nothing), keeping
 * the parts of straddling ranges that lie outside. Needs room for 2 more entries. Returns the
 * index where mid landed (or would have). */
static size_t replace_span(mpk_ranges_t *m, uintptr_t start, uintptr_t end,
                           const mpk_range_t *mid)
{
    size_t i = mpk_ranges_lower_bound(m, start);
    size_t j = first_starting_from(m, end);
    mpk_range_t ins[3];
    size_t k = 0;
    if (i < j && m->v[i].start < start) {
        ins[k] = m->v[i];
        ins[k++].end = start;
    }
    size_t at = i + k;
    if (mid)
        ins[k++] = *mid;
    if (i < j && m->v[j - 1].end > end) {
        ins[k] = m->v[j - 1];
        ins[k++].start = end;
    }
    splice(m, i, j, ins, k);
    return at;
}

/* ---------------------------------------------------------------- changes */

int mpk_ranges_set(mpk_ranges_t *m, uintptr_t start, uintptr_t end, uint32_t key, int prot)
{
    if (!valid_span(start, end) || key == 0)
        return EINVAL;
    int err = reserve(m, 2);
    if (err)
        return err;
    mpk_range_t r = { .start = start, .end = end, .key = key, .prot = prot };
    size_t at = replace_span(m, start, end, &r);
    merge_window(m, at ? at - 1 : 0, at + 1);
    return 0;
}

int mpk_ranges_clear(mpk_ranges_t *m, uintptr_t start, uintptr_t end)
{
    if (!valid_span(start, end))
        return EINVAL;
    int err = reserve(m, 1);
    if (err)
        return err;
    /* Removal leaves a gap on both sides, so nothing new can need merging. */
    replace_span(m, start, end, NULL);
    return 0;
}

/* Splits the straddling ranges v[i] at start (if left) and v[j - 1] at end (if right), with
 * room for left + right more entries reserved; the parts inside [start, end) are then
 * v[i + left, j + left). */
static void split_ends(mpk_ranges_t *m, size_t i, size_t j, uintptr_t start, uintptr_t end,
                       size_t left, size_t right)
{
    mpk_range_t first = m->v[i], last = m->v[j - 1];
    memmove(m->v + j + left + right, m->v + j, (m->n - j) * sizeof(mpk_range_t));
    memmove(m->v + i + left, m->v + i, (j - i) * sizeof(mpk_range_t));
    m->n += left + right;
    if (left) {
        m->v[i] = first;
        m->v[i].end = start;
        m->v[i + 1].start = start;
    }
    if (right) {
        m->v[j + left] = last;
        m->v[j + left].start = end;
        m->v[j + left - 1].end = end;
    }
}

int mpk_ranges_set_prot(mpk_ranges_t *m, uintptr_t start, uintptr_t end, int prot)
{
    if (!valid_span(start, end))
        return EINVAL;
    size_t i = mpk_ranges_lower_bound(m, start);
    size_t j = first_starting_from(m, end);
    if (i == j)
        return 0;   /* nothing tracked: holes stay untracked */
    size_t left = m->v[i].start < start, right = m->v[j - 1].end > end;
    int err = reserve(m, left + right);
    if (err)
        return err;
    split_ends(m, i, j, start, end, left, right);
    size_t lo = i + left, hi = j + left;
    for (size_t x = lo; x < hi; x++)
        m->v[x].prot = prot;
    merge_window(m, lo ? lo - 1 : 0, hi);
    return 0;
}

/* ---------------------------------------------------------------- mremap */

static bool valid_len(uintptr_t start, size_t len)
{
    return len != 0 && aligned(start) && aligned(len) && start + len > start;
}

/* Copies v[a, a + k) clipped to [lo, hi) and shifted by delta (modular, so either way) to out. */
static void copy_shifted(const mpk_ranges_t *m, size_t a, size_t k, uintptr_t lo, uintptr_t hi,
                         uintptr_t delta, mpk_range_t *out)
{
    for (size_t x = 0; x < k; x++) {
        mpk_range_t r = m->v[a + x];
        r.start = (r.start < lo ? lo : r.start) + delta;
        r.end = (r.end > hi ? hi : r.end) + delta;
        out[x] = r;
    }
}

int mpk_ranges_move(mpk_ranges_t *m, uintptr_t old_start, size_t old_len, uintptr_t new_start,
                    size_t new_len)
{
    if (!valid_len(old_start, old_len) || !valid_len(new_start, new_len))
        return EINVAL;
    uintptr_t old_end = old_start + old_len, new_end = new_start + new_len;
    size_t kept = old_len < new_len ? old_len : new_len;
    size_t a = mpk_ranges_lower_bound(m, old_start);
    size_t b = first_starting_from(m, old_start + kept);
    size_t k = b - a;
    bool extend = new_len > old_len && mpk_ranges_find(m, old_end - RANGES_PAGE) != NULL;

    /* Clearing the old range removes the k moved ranges and may leave two remnants, clearing
     * the destination may split one range, and the k pieces come back: at most n + 3 entries.
     * Meanwhile the pieces wait in the last k slots, beyond anything the edits write. */
    int err = reserve(m, 3 + k);
    if (err)
        return err;
    mpk_range_t *moved = m->v + m->cap - k;
    copy_shifted(m, a, k, old_start, old_start + kept, new_start - old_start, moved);
    if (extend)
        moved[k - 1].end = new_end;   /* the old last page is in the last piece */

    replace_span(m, old_start, old_end, NULL);
    replace_span(m, new_start, new_end, NULL);
    size_t at = mpk_ranges_lower_bound(m, new_start);
    splice(m, at, at, moved, k);
    merge_window(m, at ? at - 1 : 0, at + k);
    return 0;
}
