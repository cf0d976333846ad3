/* core/memory.c: pkey_mprotect, mprotect, mmap, munmap and mremap once keys are in play. The
 * kernel does the work; the manager keeps its range map and per-key byte counts in step, under
 * its lock so that an eviction never re-tags pages that a call is changing. */
#include "core/memory.h"

#include "core/cache.h"
#include "core/core.h"
#include "core/report.h"
#include "core/thread.h"
#include "core/vkey.h"
#include "core/region.h"
#include "core/seal.h"
#include "core/remap.h"
#include "core/wx.h"

#include <errno.h>
#include <sys/mman.h>

#define PAGE 4096ul
#define PROT_GROWS (PROT_GROWSDOWN | PROT_GROWSUP)
#define PROT_SEM_X86 0x8 /* PROT_SEM: accepted by the kernel, not in glibc's headers */
#define PROT_KNOWN (PROT_READ | PROT_WRITE | PROT_EXEC | PROT_SEM_X86 | PROT_GROWS)

static size_t page_round(size_t len) { return (len + PAGE - 1) & ~(PAGE - 1); }

/* The kernel's checks for mprotect and pkey_mprotect, in its order. 1: nothing to do. */
static int check_protect(uintptr_t a, size_t len, int prot, uintptr_t *end)
{
    size_t l;
    if (a & (PAGE - 1))
        return -EINVAL;
    if (!len)
        return 1;
    l = page_round(len);
    if (l < len || a + l <= a)
        return -ENOMEM;
    if ((prot & PROT_GROWS) == PROT_GROWS || (prot & ~PROT_KNOWN))
        return -EINVAL;
    *end = a + l;
    return 0;
}

/* ---- byte counts and dead keys ---------------------------------------------------------- */

static void reap(uint32_t slot)
{
    mpk_vkey_t *k = &G->vkeys[slot];
    if (vk_state(atomic_load(&k->word)) == VK_ZOMBIE && k->bytes == 0) {
        _mpk_cache_drop(slot);
        _mpk_vkey_retire(slot);
    }
}

static void reap_all(void)
{
    uint32_t hwm = atomic_load(&G->slot_hwm);
    for (uint32_t s = 1; s < hwm; s++)
        reap(s);
}

/* Add sign * (overlap with [a, b)) to the byte count of each key tracked there. */
static unsigned count(uintptr_t a, uintptr_t b, long sign, uint32_t *touched, unsigned cap)
{
    mpk_ranges_t *m = &G->ranges;
    unsigned n = 0;
    for (size_t i = mpk_ranges_lower_bound(m, a); i < m->n && m->v[i].start < b; i++) {
        mpk_range_t c = mpk_range_clip(&m->v[i], a, b);
        G->vkeys[c.key].bytes += (size_t)(sign * (long)(c.end - c.start));
        if (n < cap)
            touched[n] = m->v[i].key;
        n++;
    }
    return n;
}

int _mpk_memory_forget(uintptr_t a, uintptr_t b)
{
    uint32_t touched[32];
    unsigned n;
    int r;
    _mpk_wx_forget(a, b);
    if (!mpk_ranges_any(&G->ranges, a, b))
        return 0;
    n = count(a, b, -1, touched, 32);
    r = mpk_ranges_clear(&G->ranges, a, b);
    if (r) {
        count(a, b, +1, touched, 0);
        return -r;
    }
    if (n > 32)
        reap_all();
    else
        for (unsigned i = 0; i < n; i++)
            reap(touched[i]);
    return 0;
}

void _mpk_memory_forget_key(uint32_t slot)
{
    mpk_ranges_t *m = &G->ranges;
    for (size_t i = 0; i < m->n;) {
        if (m->v[i].key == slot && _mpk_memory_forget(m->v[i].start, m->v[i].end) == 0)
            continue; /* the array shifted: look at index i again */
        i++;
    }
}

/* The map's extent (and its holes', core/remap.c), for the lock-free paths of mmap, munmap and
 * mprotect: memory outside it carries no key of ours, so those calls go straight to the kernel.
 * Published whenever the map grows (under the lock, before any eviction can give its pages the
 * evicted protection) and narrowed at the end of each locked call. Outside the arena: read before the metadata key is
 * open. A program that forges it gains nothing an inline system call would not give it. */
static _Atomic uintptr_t map_lo, map_hi;

static void publish_bounds(void)
{
    mpk_ranges_t *m = &G->ranges;
    uintptr_t lo = m->n ? m->v[0].start : 0, hi = m->n ? m->v[m->n - 1].end : 0;
    /* Holes munmap took from live keys count in: an mmap there takes the locked path, which
     * tells a re-mapping, and memory far from any key keeps the lock-free one unchanged. */
    if (_mpk_remap_any_holes())
        _mpk_remap_holes_extent(&lo, &hi);
    atomic_store(&map_lo, lo);
    atomic_store(&map_hi, hi);
}

/* [a, b) lies outside every range the map tracks, as last published. */
static bool untracked(uintptr_t a, uintptr_t b)
{
    uintptr_t hi = atomic_load(&map_hi);
    return hi == 0 || b <= atomic_load(&map_lo) || a >= hi;
}

int _mpk_memory_track(uintptr_t a, uintptr_t b, uint32_t slot, int prot)
{
    int r = _mpk_memory_forget(a, b);
    if (!r && _mpk_remap_any_holes())
        _mpk_remap_holes_clear(a, b); /* the key there is the program's choice now */
    if (!r)
        r = -mpk_ranges_set(&G->ranges, a, b, slot, prot);
    if (!r) {
        G->vkeys[slot].bytes += b - a;
        publish_bounds();
    }
    return r;
}

/* After mremap: counts from scratch (rare, and simpler than following every piece). */
static void recount(void)
{
    mpk_ranges_t *m = &G->ranges;
    uint32_t hwm = atomic_load(&G->slot_hwm);
    for (uint32_t s = 1; s < hwm; s++)
        G->vkeys[s].bytes = 0;
    for (size_t i = 0; i < m->n; i++)
        G->vkeys[m->v[i].key].bytes += m->v[i].end - m->v[i].start;
    reap_all();
}

/* ---- entering and leaving ------------------------------------------------------------------ */

typedef struct op {
    mpk_thread_t *t;
    uint32_t gen;
    sigset_t saved;
} op_t;

static int op_begin(op_t *op)
{
    op->t = _mpk_thread();
    if (!op->t)
        return -ENOMEM;
    op->gen = atomic_load(&op->t->sync_gen);
    _mpk_lock(&G->lock, &op->saved);
    return 0;
}

static void op_end(op_t *op)
{
    publish_bounds();
    _mpk_unlock(&G->lock, &op->saved);
    _mpk_leave_with(op->t, op->gen, _mpk_pkru_derive(op->t, op->t->depth, mpk_rdpkru()));
}

/* ---- pkey_mprotect -------------------------------------------------------------------------- */

static int protect_with_key(mpk_thread_t *t, uintptr_t a, uintptr_t b, int prot, uint32_t slot,
                            uint64_t w)
{
    int hw = vk_hw(w), r;
    /* The kernel would apply the change up to a hole and then fail; we check first and fail
     * without a change, so that the map never disagrees with the pages. */
    r = (int)mpk_sys_msync((void *)a, b - a, MS_ASYNC);
    if (r)
        return r;
    if (!hw && (hw = _mpk_cache_bring_in(slot, t, false)) < 0)
        hw = 0; /* no eviction here: an access will bring the key in if it needs to */
    r = (int)mpk_sys_pkey_mprotect((void *)a, b - a, hw ? prot : MPK_EVICTED_PROT | (prot & PROT_GROWS),
                                   hw);
    if (r)
        return r;
    r = _mpk_memory_track(a, b, slot, prot & ~PROT_GROWS);
    if (r) {
        /* Out of metadata memory: untracked pages under a key would be handed over with it
         * later. Make them unreachable instead, and say so. */
        mpk_sys_pkey_mprotect((void *)a, b - a, PROT_NONE, 0);
        _mpk_error("out of memory tracking pkey_mprotect(%p, %zu): pages made inaccessible",
                   (void *)a, (size_t)(b - a));
    }
    return r;
}

int _mpk_pkey_mprotect(void *addr, size_t len, int prot, int key)
{
    uintptr_t a = (uintptr_t)addr, b = 0;
    uint64_t w;
    uint32_t slot;
    op_t op;
    int r = check_protect(a, len, prot, &b);
    if (r)
        return r < 0 ? r : 0;
    if (key == -1)
        return _mpk_in_play() ? _mpk_mprotect(addr, len, prot)
                              : (int)mpk_sys_mprotect(addr, len, prot);
    if (!_mpk_in_play())
        return (int)mpk_sys_pkey_mprotect(addr, len, prot, key);
    r = _mpk_wx_rwx("pkey_mprotect", addr, len, prot);
    if (r)
        return r;
    r = op_begin(&op);
    if (r)
        return r;
    slot = _mpk_vkey_slot(key, &w);
    if (!slot && key != 0 && !_mpk_foreign_hw_key(key)) {
        op_end(&op);
        _mpk_bad_key("pkey_mprotect", key, addr);
        return -EINVAL; /* the kernel's errno comes first, as its checks do */
    }
    if ((r = _mpk_seal_check_locked(a, b, "pkey_mprotect"))) {
        op_end(&op);
        return r;
    }
    if (slot) {
        r = protect_with_key(op.t, a, b, prot, slot, w);
    } else {
        r = (int)mpk_sys_pkey_mprotect(addr, len, prot, key);
        if (!r)
            r = _mpk_memory_forget(a, b);
    }
    op_end(&op);
    return r;
}

int _mpk_memory_protect_locked(mpk_thread_t *t, uintptr_t a, uintptr_t b, int prot, uint32_t slot)
{
    return protect_with_key(t, a, b, prot, slot, atomic_load(&G->vkeys[slot].word));
}

/* Lock held: fresh anonymous memory in slot's group (the heap's chunks). 0 or -errno. */
int _mpk_memory_map_locked(mpk_thread_t *t, uint32_t slot, size_t len, void **out)
{
    uint64_t w = atomic_load(&G->vkeys[slot].word);
    void *p = mpk_sys_mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    int r;
    if (mpk_sys_failed((long)p))
        return (int)(long)p;
    r = protect_with_key(t, (uintptr_t)p, (uintptr_t)p + page_round(len), PROT_READ | PROT_WRITE, slot, w);
    if (r) {
        mpk_sys_munmap(p, len);
        return r;
    }
    *out = p;
    return 0;
}

/* Lock held: unmap [a, a+len) and forget it. */
int _mpk_memory_unmap_locked(void *a, size_t len)
{
    int r = (int)mpk_sys_munmap(a, len);
    if (!r)
        _mpk_memory_forget((uintptr_t)a, (uintptr_t)a + page_round(len));
    return r;
}

/* ---- mprotect ------------------------------------------------------------------------------- */

static bool any_evicted(uintptr_t a, uintptr_t b)
{
    mpk_ranges_t *m = &G->ranges;
    for (size_t i = mpk_ranges_lower_bound(m, a); i < m->n && m->v[i].start < b; i++)
        if (!vk_hw(atomic_load(&G->vkeys[m->v[i].key].word)))
            return true;
    return false;
}

/* Evicted pages keep no access whatever the program asks: the map remembers the protection
 * until the key comes back. Everything else gets the real call, piece by piece. */
static int protect_pieces(uintptr_t a, uintptr_t b, int prot)
{
    mpk_ranges_t *m = &G->ranges;
    uintptr_t pos = a;
    int r = (int)mpk_sys_msync((void *)a, b - a, MS_ASYNC);
    if (r)
        return r;
    while (pos < b && !r) {
        size_t i = mpk_ranges_lower_bound(m, pos);
        uintptr_t next = (i < m->n && m->v[i].start < b) ? m->v[i].start : b;
        if (next > pos) { /* an untracked gap */
            r = (int)mpk_sys_mprotect((void *)pos, next - pos, prot);
            pos = next;
            continue;
        }
        next = m->v[i].end < b ? m->v[i].end : b;
        if (vk_hw(atomic_load(&G->vkeys[m->v[i].key].word)))
            r = (int)mpk_sys_mprotect((void *)pos, next - pos, prot);
        if (!r)
            pos = next;
    }
    if (pos > a)
        mpk_ranges_set_prot(m, a, pos, prot & ~PROT_GROWS);
    return r;
}

/* A lock-free mprotect raced with a pkey_mprotect of the same memory in another thread: if the
 * key has been evicted since, the call just gave its pages back a protection that every thread
 * could use. Give them the evicted protection again, and keep the new one in the map. */
static int settle_raced(uintptr_t a, uintptr_t b, int prot)
{
    mpk_ranges_t *m = &G->ranges;
    op_t op;
    int r = op_begin(&op), e;
    if (r)
        return r;
    for (size_t i = mpk_ranges_lower_bound(m, a); i < m->n && m->v[i].start < b; i++) {
        mpk_range_t c = mpk_range_clip(&m->v[i], a, b);
        if (!vk_hw(atomic_load(&G->vkeys[c.key].word)) &&
            (e = (int)mpk_sys_pkey_mprotect((void *)c.start, c.end - c.start, MPK_EVICTED_PROT, 0)) && !r)
            r = e;
    }
    mpk_ranges_set_prot(m, a, b, prot & ~PROT_GROWS);
    op_end(&op);
    return r;
}

int _mpk_mprotect(void *addr, size_t len, int prot)
{
    uintptr_t a = (uintptr_t)addr, b = 0;
    op_t op;
    int r = check_protect(a, len, prot, &b);
    if (r)
        return r < 0 ? r : 0;
    /* A JIT's flip of a converted region: a thread-local rights change, no system call. */
    if (_mpk_sealed.wx_enable && (prot == (PROT_READ | PROT_WRITE) || prot == (PROT_READ | PROT_EXEC)) &&
        _mpk_wx_flip_fast(a, b, prot))
        return 0;
    r = _mpk_wx_rwx("mprotect", addr, len, prot);
    if (r)
        return r;
    /* Memory no key is in (and no W^X region could be made of): the system call, no lock. */
    if (!_mpk_sealed.wx_enable && (prot & ~PROT_GROWS) != PROT_EXEC && untracked(a, b)) {
        r = (int)mpk_sys_mprotect(addr, len, prot);
        if (r || untracked(a, b))
            return r;
        return settle_raced(a, b, prot);
    }
    r = op_begin(&op);
    if (r)
        return r;
    if (_mpk_wx_mprotect_locked(op.t, a, b, prot, &r) ||
        (r = _mpk_seal_check_locked(a, b, "mprotect"))) {
        op_end(&op);
        return r;
    }
    if ((prot & ~PROT_GROWS) == PROT_EXEC)
        G->exec_only_maybe = 1;
    if (!mpk_ranges_any(&G->ranges, a, b)) {
        r = (int)mpk_sys_mprotect(addr, len, prot);
    } else if ((prot & ~PROT_GROWS) == PROT_EXEC) {
        /* The kernel moves such pages to its execute-only key: they leave ours. */
        r = (int)mpk_sys_mprotect(addr, len, prot);
        if (!r)
            r = _mpk_memory_forget(a, b);
    } else if (!any_evicted(a, b)) {
        r = (int)mpk_sys_mprotect(addr, len, prot);
        if (!r)
            r = -mpk_ranges_set_prot(&G->ranges, a, b, prot & ~PROT_GROWS);
    } else {
        r = protect_pieces(a, b, prot);
    }
    op_end(&op);
    return r;
}

/* ---- mmap, munmap, mremap ------------------------------------------------------------------- */

/* Lock held: a new mapping that a [region] rule names goes under the rule's key, or away. */
static long apply_region(op_t *op, long r, size_t len, int prot, int flags, int fd)
{
    unsigned rule = G->cfg.region_match((uintptr_t)r, len, prot, flags, fd);
    int e;
    if (!rule)
        return r;
    e = _mpk_region_tag_locked(op->t, rule, (uintptr_t)r, (uintptr_t)r + page_round(len), prot);
    if (!e)
        return r;
    mpk_sys_munmap((void *)r, len);
    _mpk_memory_forget((uintptr_t)r, (uintptr_t)r + page_round(len));
    return e;
}

/* Lock held, after mmap put new pages at r: the map forgets what it tracked there, a [region]
 * rule may key them, and where they came over a live key's pages (asked: at an address the
 * program asked for) the key's loss is settled (core/remap.c). Not inlined: its kilobyte of
 * stack would make mmap's lock-free path pay for a bigger frame (bench/count mmap_keyed). */
static __attribute__((noinline)) long settle_new(op_t *op, long r, size_t len, int prot, int flags,
                                                 int fd, bool asked, const char *name)
{
    uintptr_t a = (uintptr_t)r, b = a + page_round(len);
    mpk_remap_t rm;
    rm.n = 0;
    if (asked && G->live_keys)
        _mpk_remap_collect(&rm, a, b);
    if (mpk_ranges_any(&G->ranges, a, b))
        _mpk_memory_forget(a, b);
    if (G->cfg.nregions) {
        r = apply_region(op, r, len, prot, flags, fd);
        if (mpk_sys_failed(r))
            return r;
    }
    if (rm.n)
        _mpk_remap_settle(op->t, &rm, name, "mmap after munmap", prot);
    return r;
}

long _mpk_mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
    long r = _mpk_wx_rwx("mmap", addr, len, prot);
    op_t op;
    if (r)
        return r;
    /* Without MAP_FIXED the kernel never replaces a mapping: nothing we track changes, unless
     * the map still holds memory that left without our munmap (glibc's free of a large block)
     * and the kernel hands that address out again: then those entries are stale. An address
     * the program asked for and got, where munmap took a live key's pages, is a re-mapping
     * (the published extent covers those holes too). */
    if (!(flags & MAP_FIXED) && prot != PROT_EXEC && !G->cfg.nregions) {
        r = (long)mpk_sys_mmap(addr, len, prot, flags, fd, off);
        if (mpk_sys_failed(r) || (uintptr_t)r + len <= atomic_load(&map_lo) ||
            (uintptr_t)r >= atomic_load(&map_hi) || op_begin(&op))
            return r;
        r = settle_new(&op, r, len, prot, flags, fd, (void *)r == addr, "mmap after munmap");
        op_end(&op);
        return r;
    }
    if (op_begin(&op))
        return (long)mpk_sys_mmap(addr, len, prot, flags, fd, off);
    if ((flags & MAP_FIXED) &&
        (r = _mpk_seal_check_locked((uintptr_t)addr, (uintptr_t)addr + page_round(len), "mmap(MAP_FIXED)"))) {
        op_end(&op);
        return r;
    }
    if (prot == PROT_EXEC)
        G->exec_only_maybe = 1;
    r = (long)mpk_sys_mmap(addr, len, prot, flags, fd, off);
    if (!mpk_sys_failed(r))
        r = settle_new(&op, r, len, prot, flags, fd, (flags & MAP_FIXED) || (void *)r == addr,
                       (flags & MAP_FIXED) ? "mmap(MAP_FIXED)" : "mmap after munmap");
    op_end(&op);
    return r;
}

int _mpk_munmap(void *addr, size_t len)
{
    uintptr_t a = (uintptr_t)addr;
    op_t op;
    int r;
    if ((a & (PAGE - 1)) || !len)
        return -EINVAL;
    /* Memory no key is in: the system call, no lock (and the map after all, if a key came to
     * that memory while the call ran). */
    if (untracked(a, a + page_round(len))) {
        r = (int)mpk_sys_munmap(addr, len);
        if (r || untracked(a, a + page_round(len)) || op_begin(&op))
            return r;
        _mpk_remap_unmapping(a, a + page_round(len));
        _mpk_memory_forget(a, a + page_round(len));
        op_end(&op);
        return 0;
    }
    if (op_begin(&op))
        return (int)mpk_sys_munmap(addr, len);
    r = (int)mpk_sys_munmap(addr, len);
    if (!r) {
        _mpk_remap_unmapping(a, a + page_round(len)); /* a later mmap there re-maps the key's pages */
        _mpk_memory_forget(a, a + page_round(len));
    }
    op_end(&op);
    return r;
}

/* MREMAP_DONTUNMAP leaves the old range mapped, with its key: copy the entries. */
static void copy_ranges(uintptr_t old, size_t len, uintptr_t new_start)
{
    mpk_ranges_t *m = &G->ranges;
    uintptr_t pos = old;
    while (pos < old + len) {
        size_t i = mpk_ranges_lower_bound(m, pos);
        mpk_range_t r;
        if (i >= m->n || m->v[i].start >= old + len)
            break;
        r = m->v[i];
        if (r.start < pos)
            r.start = pos;
        if (r.end > old + len)
            r.end = old + len;
        mpk_ranges_set(m, new_start + (r.start - old), new_start + (r.end - old), r.key, r.prot);
        pos = r.end;
    }
}

long _mpk_mremap(void *old, size_t old_len, size_t new_len, int flags, void *new_addr)
{
    uintptr_t o = (uintptr_t)old;
    long r;
    op_t op;
    mpk_remap_t rm;
    if (op_begin(&op))
        return mpk_sys(SYS_mremap, old, old_len, new_len, flags, new_addr, 0);
    /* The pages it moves (or maps again: old_len 0), and those MREMAP_FIXED replaces. */
    if ((r = _mpk_seal_check_locked(o, o + page_round(old_len ? old_len : new_len), "mremap")) ||
        ((flags & MREMAP_FIXED) &&
         (r = _mpk_seal_check_locked((uintptr_t)new_addr, (uintptr_t)new_addr + page_round(new_len),
                                     "mremap")))) {
        op_end(&op);
        return r;
    }
    r = mpk_sys(SYS_mremap, old, old_len, new_len, flags, new_addr, 0);
    rm.n = 0;
    if (!mpk_sys_failed(r)) {
        _mpk_wx_forget(o, o + page_round(old_len)); /* a moved region is converted anew */
        uintptr_t n = (uintptr_t)r;
        /* Where the program chose the place (MREMAP_FIXED, or growing in place), what the map
         * held there before follows as mmap's does; a move the kernel placed lands on free
         * memory the program never named. */
        if (G->live_keys && ((flags & MREMAP_FIXED) || n == o))
            _mpk_remap_collect(&rm, n, n + page_round(new_len));
        if (old_len == 0) { /* a second mapping of shared memory: same key as the first */
            const mpk_range_t *src = mpk_ranges_find(&G->ranges, o);
            if (src)
                mpk_ranges_set(&G->ranges, n, n + page_round(new_len), src->key, src->prot);
            else
                mpk_ranges_clear(&G->ranges, n, n + page_round(new_len));
        } else if (flags & MREMAP_DONTUNMAP) {
            mpk_ranges_clear(&G->ranges, n, n + page_round(new_len));
            copy_ranges(o, page_round(old_len), n);
        } else {
            mpk_ranges_move(&G->ranges, o, page_round(old_len), n, page_round(new_len));
        }
        recount();
        if (rm.n) /* the pages' protection is the moved mapping's, which the map may not know */
            _mpk_remap_settle(op.t, &rm, "mremap", "mremap after munmap", -1);
    }
    op_end(&op);
    return r;
}

/* ---- madvise ---------------------------------------------------------------------------------- */

int _mpk_madvise(void *addr, size_t len, int advice)
{
    uintptr_t a = (uintptr_t)addr, b = a + page_round(len);
    const char *name = _mpk_seal_destructive_advice(advice);
    op_t op;
    int r;
    /* Hints, bad arguments (the kernel's errno) and memory no key is in: the system call. */
    if (!name || (a & (PAGE - 1)) || b <= a || untracked(a, b) || op_begin(&op))
        return (int)mpk_sys(SYS_madvise, addr, len, advice, 0, 0, 0);
    r = _mpk_seal_check_locked(a, b, name);
    if (!r)
        r = (int)mpk_sys(SYS_madvise, addr, len, advice, 0, 0, 0);
    op_end(&op);
    return r;
}
