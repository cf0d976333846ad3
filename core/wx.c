/* core/wx.c: W^X for JITs without page-table flips. The table of converted regions (sorted,
 * changed under the manager lock, read lock-free behind a sequence counter), the conversion,
 * the flips, and the cross-thread and RWX rules. A region's key is the library's own: its
 * number is never handed to the program, and it dies with the region's last page. */
#include "core/wx.h"

#include "core/cache.h"
#include "core/core.h"
#include "core/memory.h"
#include "core/report.h"
#include "core/revoke.h"
#include "core/thread.h"
#include "core/vkey.h"

#include <errno.h>
#include <string.h>
#include <sys/mman.h>

#define RW (PROT_READ | PROT_WRITE)
#define RX (PROT_READ | PROT_EXEC)
#define RWX (PROT_READ | PROT_WRITE | PROT_EXEC)
/* Fixed, so that lock-free readers never chase a table that moved: 8192 regions (192 KiB of
 * address space, touched as it fills). */
#define MAX_UNITS 8192

static void report_ev(const char *op, const void *addr, size_t len, const char *what, int asked)
{
    mpk_event_t ev = {.kind = MPK_EV_WX, .op = op, .key = -1, .addr = addr, .len = len, .what = what,
                      .asked = asked};
    _mpk_report(&ev);
}

/* The W^X decisions: written in audit mode. */
static void report(const char *op, const void *addr, size_t len, const char *what)
{
    report_ev(op, addr, len, what, 0);
}

/* ---- the table ---------------------------------------------------------------------------- */

static mpk_wx_unit_t *units(void)
{
    if (!G->wx_units) {
        G->wx_units = _mpk_meta_alloc(sizeof(mpk_wx_unit_t) * MAX_UNITS);
        G->wx_cap = G->wx_units ? MAX_UNITS : 0;
    }
    return G->wx_units;
}

/* First region with end > a. */
static size_t lower(const mpk_wx_unit_t *u, size_t n, uintptr_t a)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (u[mid].end <= a)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static bool find_whole(uintptr_t a, uintptr_t b, mpk_wx_unit_t *out)
{
    const mpk_wx_unit_t *u = G->wx_units;
    size_t n = G->wx_n, i;
    if (!u || n > MAX_UNITS)
        return false;
    i = lower(u, n, a);
    if (i < n && u[i].start <= a && b <= u[i].end) {
        *out = u[i];
        return true;
    }
    return false;
}

static bool any_overlap(uintptr_t a, uintptr_t b)
{
    size_t i = G->wx_units ? lower(G->wx_units, G->wx_n, a) : 0;
    return G->wx_units && i < G->wx_n && G->wx_units[i].start < b;
}

static void change_begin(void) { atomic_fetch_add(&G->wx_seq, 1); }
static void change_end(void) { atomic_fetch_add(&G->wx_seq, 1); }

static bool insert(mpk_wx_unit_t nu)
{
    mpk_wx_unit_t *u = units();
    size_t i;
    if (!u || G->wx_n >= G->wx_cap)
        return false;
    i = lower(u, G->wx_n, nu.start);
    change_begin();
    memmove(&u[i + 1], &u[i], (G->wx_n - i) * sizeof *u);
    u[i] = nu;
    G->wx_n++;
    change_end();
    return true;
}

void _mpk_wx_forget(uintptr_t a, uintptr_t b)
{
    mpk_wx_unit_t *u = G->wx_units;
    size_t i;
    if (!u || !any_overlap(a, b))
        return;
    change_begin();
    for (i = lower(u, G->wx_n, a); i < G->wx_n && u[i].start < b;) {
        if (u[i].start < a && u[i].end > b) { /* a hole in the middle: split */
            if (G->wx_n < G->wx_cap) {
                memmove(&u[i + 1], &u[i], (G->wx_n - i) * sizeof *u);
                G->wx_n++;
                u[i + 1].start = b;
            }
            u[i].end = a;
            break;
        }
        if (u[i].start < a) {
            u[i++].end = a;
        } else if (u[i].end > b) {
            u[i].start = b;
            break;
        } else {
            memmove(&u[i], &u[i + 1], (G->wx_n - i - 1) * sizeof *u);
            G->wx_n--;
        }
    }
    change_end();
}

/* ---- flips -------------------------------------------------------------------------------------- */

bool _mpk_wx_flip_fast(uintptr_t a, uintptr_t b, int prot)
{
    mpk_thread_t *t = _mpk_thread();
    mpk_wx_unit_t u;
    mpk_vkey_t *k;
    uint32_t seq;
    bool found;
    if (!t)
        return false;
    do {
        seq = atomic_load(&G->wx_seq);
        found = !(seq & 1) && find_whole(a, b, &u);
    } while (!(seq & 1) && atomic_load(&G->wx_seq) != seq);
    k = found ? &G->vkeys[u.slot] : NULL;
    if (!k || (prot == RX && atomic_load(&k->wx_crossed))) {
        _mpk_leave(t, atomic_load(&t->sync_gen));
        return false; /* not a region (or others were let in: they go too, on the slow path) */
    }
    if (prot == RW) {
        atomic_store(&k->wx_opener, t->tid);
    } else {
        pid_t me = t->tid;
        atomic_compare_exchange_strong(&k->wx_opener, &me, 0);
    }
    atomic_fetch_add(&G->n_wx_flips, 1);
    return _mpk_rights_set(t, u.slot, u.number, prot == RW ? 0 : MPK_WD) == 0;
}

/* Lock held: a flip that needs more than the fast path (RX while other threads were let in). */
static void flip_locked(mpk_thread_t *t, const mpk_wx_unit_t *u, int prot)
{
    mpk_vkey_t *k = &G->vkeys[u->slot];
    if (prot == RX) {
        _mpk_set_all_locked(u->slot, MPK_WD, t); /* everyone, the threads let in included */
        atomic_store(&k->wx_crossed, 0);
        atomic_store(&k->wx_opener, 0);
    } else {
        t->views[t->depth][u->slot] = 0;
        atomic_store(&k->wx_opener, t->tid);
    }
    atomic_fetch_add(&G->n_wx_flips, 1);
}

/* ---- conversion ------------------------------------------------------------------------------- */

/* A key for the region: closed to writing in every thread, readable by all (execution is never
 * restricted by keys), open to the caller if it asked for RW. */
static uint32_t region_key(mpk_thread_t *t, int prot, uint32_t *number, int *hw)
{
    uint32_t slot = _mpk_vkey_new_own(t, MPK_WD);
    mpk_vkey_t *k;
    uint64_t w;
    if (!slot)
        return 0;
    k = &G->vkeys[slot];
    k->wx = 1;
    atomic_store(&k->wx_crossed, 0);
    atomic_store(&k->wx_opener, prot == RW ? t->tid : 0);
    if (prot == RW)
        t->views[t->depth][slot] = 0;
    w = atomic_load(&k->word);
    *number = vk_number(w);
    *hw = vk_hw(w);
    return slot;
}

static bool convert(mpk_thread_t *t, uintptr_t a, uintptr_t b, int prot, int *result)
{
    const char *why = NULL;
    uint32_t slot, number;
    int hw;
    long r;
    if (b - a < G->cfg.wx_min_size)
        return false;
    if (G->cfg.wx_eligible && !G->cfg.wx_eligible(a, b, &why)) {
        report("mprotect", (void *)a, b - a, why);
        return false;
    }
    if (!units() || G->wx_n >= G->wx_cap) {
        report("mprotect", (void *)a, b - a, "not converted: too many W^X regions; left to mprotect");
        return false;
    }
    slot = region_key(t, prot, &number, &hw);
    if (!slot) {
        report("mprotect", (void *)a, b - a, "not converted: no key left; left to mprotect");
        return false;
    }
    r = mpk_sys_pkey_mprotect((void *)a, b - a, hw ? RWX : PROT_NONE, hw);
    if (r == 0)
        r = _mpk_memory_track(a, b, slot, RWX);
    if (r != 0 || !insert((mpk_wx_unit_t){a, b, slot, number})) {
        /* The kernel refused RWX here (a file mapped without write access, say): the region
         * keeps mprotect; the key goes with its pages. */
        if (r == 0)
            mpk_sys_pkey_mprotect((void *)a, b - a, prot, 0);
        _mpk_memory_forget(a, b);
        if (!G->vkeys[slot].bytes) {
            _mpk_cache_drop(slot);
            _mpk_vkey_retire(slot);
        }
        report("mprotect", (void *)a, b - a, "not converted: the kernel refused an RWX mapping here; left to mprotect");
        return false;
    }
    atomic_fetch_add(&G->n_wx_conversions, 1);
    report("mprotect", (void *)a, b - a, prot == RW ? "converted (flip to RW)" : "converted (flip to RX)");
    *result = 0;
    return true;
}

/* The converted parts of [a, b) go back to ordinary pages (default key, no write). */
static void unconvert(uintptr_t a, uintptr_t b)
{
    mpk_wx_unit_t *u = G->wx_units;
    for (size_t i = lower(u, G->wx_n, a); i < G->wx_n && u[i].start < b; i++) {
        uintptr_t lo = u[i].start > a ? u[i].start : a, hi = u[i].end < b ? u[i].end : b;
        mpk_sys_pkey_mprotect((void *)lo, hi - lo, RX, 0);
    }
    _mpk_memory_forget(a, b); /* drops the regions too (_mpk_wx_forget) */
}

/* A flip that covers converted regions and more: the regions it meets or touches (none with a
 * window open in another thread) and the unconverted gaps become one region under the first
 * one's key, so that a JIT whose code area grows or whose flips move about converges on a few
 * regions and stops making system calls. The key's rights apply to all of it afterwards. */
static bool merge(mpk_thread_t *t, uintptr_t a, uintptr_t b, int prot, int *result)
{
    mpk_wx_unit_t *u = G->wx_units, keep;
    uintptr_t lo = a, hi = b, pos;
    const char *why = NULL;
    size_t first, last, i;
    int hw;
    first = lower(u, G->wx_n, a ? a - 1 : 0);
    if (first < G->wx_n && u[first].end < a)
        first++;
    for (last = first; last < G->wx_n && u[last].start <= b; last++) {
        pid_t opener = atomic_load(&G->vkeys[u[last].slot].wx_opener);
        if (opener && opener != t->tid)
            return false; /* another thread is writing in there: leave it be */
    }
    if (first == last)
        return false;
    if (G->cfg.wx_eligible && !G->cfg.wx_eligible(a, b, &why))
        return false;
    keep = u[first];
    lo = u[first].start < a ? u[first].start : a;
    hi = u[last - 1].end > b ? u[last - 1].end : b;
    hw = vk_hw(atomic_load(&G->vkeys[keep.slot].word));
    /* Everything in [lo, hi) not on keep's key moves onto it (its pages: RWX, or no access
     * while the key is evicted). */
    for (pos = lo, i = first; pos < hi; i++) {
        uintptr_t next = i < last ? u[i].start : hi, end = i < last ? u[i].end : hi;
        if (next > pos && (mpk_sys_pkey_mprotect((void *)pos, next - pos, hw ? RWX : PROT_NONE, hw) ||
                           _mpk_memory_track(pos, next, keep.slot, RWX)))
            return false; /* an unmapped gap, say: mprotect decides */
        if (i < last && u[i].slot != keep.slot) {
            mpk_sys_pkey_mprotect((void *)u[i].start, u[i].end - u[i].start, hw ? RWX : PROT_NONE, hw);
            _mpk_memory_track(u[i].start, u[i].end, keep.slot, RWX); /* the old key dies */
        }
        pos = end;
    }
    change_begin();
    u[first].start = lo;
    u[first].end = hi;
    memmove(&u[first + 1], &u[last], (G->wx_n - last) * sizeof *u);
    G->wx_n -= last - first - 1;
    change_end();
    keep.start = lo;
    keep.end = hi;
    flip_locked(t, &keep, prot);
    *result = 0;
    return true;
}

bool _mpk_wx_mprotect_locked(mpk_thread_t *t, uintptr_t a, uintptr_t b, int prot, int *result)
{
    mpk_wx_unit_t u;
    if (!G->cfg.wx_enable)
        return false;
    if (prot == RW || prot == RX) {
        if (find_whole(a, b, &u)) {
            flip_locked(t, &u, prot);
            *result = 0;
            return true;
        }
        if (merge(t, a, b, prot, result))
            return true;
        if (!any_overlap(a, b))
            return convert(t, a, b, prot, result);
        report("mprotect", (void *)a, b - a,
               "not converted: the range covers part of a W^X region another thread is writing; left to mprotect");
    }
    if (any_overlap(a, b))
        unconvert(a, b); /* another protection: ordinary pages again, then mprotect as asked */
    return false;
}

/* ---- other threads, and RWX --------------------------------------------------------------------- */

bool _mpk_wx_let_in(mpk_thread_t *t, uint32_t slot, const void *addr)
{
    mpk_vkey_t *k = &G->vkeys[slot];
    pid_t opener = atomic_load(&k->wx_opener);
    if (!k->wx || !G->cfg.wx_cross_allow || !opener || opener == t->tid)
        return false;
    t->views[t->depth][slot] = 0;
    atomic_store(&k->wx_crossed, 1);
    report_ev("write", addr, 0, "cross-thread write into a W^X region during another thread's window (cross_thread = allow)", 1);
    return true;
}

int _mpk_wx_rwx(const char *op, const void *addr, size_t len, int prot)
{
    mpk_thread_t *t;
    int r = 0;
    if ((prot & (PROT_WRITE | PROT_EXEC)) != (PROT_WRITE | PROT_EXEC) ||
        _mpk_sealed.wx_rwx == MPK_WX_RWX_ALLOW)
        return 0;
    t = _mpk_thread(); /* the report reads the arena */
    if (_mpk_sealed.wx_rwx == MPK_WX_RWX_DENY) {
        report(op, addr, len, "writable and executable at once: refused (rwx = deny)");
        r = -EACCES;
    } else {
        report_ev(op, addr, len, "writable and executable at once (rwx = audit)", 1);
    }
    if (t)
        _mpk_leave(t, atomic_load(&t->sync_gen));
    return r;
}
