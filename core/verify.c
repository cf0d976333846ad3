/* core/verify.c: the range map checked against the kernel's own view of the address space
 * (/proc/self/smaps) for one key. Memory can leave without passing through our munmap: glibc
 * frees a large malloc block with its internal munmap, and may map something else there later.
 * Left alone, such stale entries would make a freed key look in use (its hardware key never
 * returns) and make an eviction re-tag someone else's mapping. The check is a read of smaps,
 * so it runs only where a stale entry would do harm: pkey_free of a key that seems to have
 * pages, and before a freed key's pages are moved. */
#include "core/verify.h"

#include "core/memory.h"

#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>

#define MAX_GOOD 512 /* mappings of one key we can vouch for; beyond that, nothing is dropped */

typedef struct span {
    uintptr_t lo, hi;
} span_t;

typedef struct scan {
    uint32_t slot;
    int hw;               /* the key's hardware key now, 0 if evicted */
    span_t good[MAX_GOOD]; /* mappings that do carry the key as we think */
    unsigned n;
    bool overflow;
    uintptr_t vma_lo, vma_hi;
    bool vma_none;        /* ---p: how an evicted key's pages look */
} scan_t;

static bool meets_slot(const scan_t *s, uintptr_t lo, uintptr_t hi)
{
    const mpk_ranges_t *m = &G->ranges;
    for (size_t i = mpk_ranges_lower_bound(m, lo); i < m->n && m->v[i].start < hi; i++)
        if (m->v[i].key == s->slot)
            return true;
    return false;
}

static unsigned long hex(const char **p)
{
    unsigned long v = 0;
    for (;; (*p)++) {
        char c = **p;
        if (c >= '0' && c <= '9')
            v = v * 16 + (unsigned long)(c - '0');
        else if (c >= 'a' && c <= 'f')
            v = v * 16 + (unsigned long)(c - 'a' + 10);
        else
            return v;
    }
}

static void line(scan_t *s, const char *l)
{
    const char *p = l;
    if (!strncmp(l, "ProtectionKey:", 14)) {
        int key = 0;
        for (p = l + 14; *p == ' ' || *p == '\t'; p++)
            ;
        while (*p >= '0' && *p <= '9')
            key = key * 10 + (*p++ - '0');
        if (s->vma_hi && meets_slot(s, s->vma_lo, s->vma_hi) &&
            (s->hw ? key == s->hw : key == 0 && s->vma_none)) {
            if (s->n < MAX_GOOD)
                s->good[s->n++] = (span_t){s->vma_lo, s->vma_hi};
            else
                s->overflow = true;
        }
        return;
    }
    /* A mapping's first line: "lo-hi perms ..."; other lines start with a capital letter. */
    if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
        return;
    s->vma_lo = hex(&p);
    if (*p++ != '-')
        return;
    s->vma_hi = hex(&p);
    s->vma_none = p[0] == ' ' && !strncmp(p + 1, "---p", 4);
}

bool _mpk_proc_lines(const char *path, bool (*each)(void *ctx, const char *l), void *ctx)
{
    static char buf[4096], l[4200]; /* l: a path of PATH_MAX and the fields before it */
    size_t ll = 0;
    long n;
    bool more = true;
    int fd = (int)mpk_sys(SYS_open, path, O_RDONLY | O_CLOEXEC, 0, 0, 0, 0);
    if (fd < 0)
        return false;
    while (more && (n = mpk_sys(SYS_read, fd, buf, sizeof buf, 0, 0, 0)) > 0)
        for (long i = 0; i < n && more; i++) {
            if (buf[i] != '\n') {
                if (ll < sizeof l - 1)
                    l[ll++] = buf[i];
                continue;
            }
            l[ll] = 0;
            ll = 0;
            more = each(ctx, l);
        }
    mpk_sys(SYS_close, fd, 0, 0, 0, 0, 0);
    return !more || n == 0;
}

static bool smaps_line(void *s, const char *l)
{
    line(s, l);
    return true;
}

/* The first stretch of [lo, hi) no good mapping covers, or false. */
static bool uncovered(const scan_t *s, uintptr_t lo, uintptr_t hi, span_t *out)
{
    uintptr_t pos = lo;
    bool moved = true;
    while (pos < hi && moved) {
        moved = false;
        for (unsigned i = 0; i < s->n; i++)
            if (s->good[i].lo <= pos && s->good[i].hi > pos) {
                pos = s->good[i].hi;
                moved = true;
            }
    }
    if (pos >= hi)
        return false;
    out->lo = pos;
    out->hi = hi;
    for (unsigned i = 0; i < s->n; i++) /* up to the next good mapping */
        if (s->good[i].lo > pos && s->good[i].lo < out->hi)
            out->hi = s->good[i].lo;
    return true;
}

unsigned _mpk_verify_key(uint32_t slot)
{
    /* 8 KiB: in the arena, not on a stack that may be a small signal stack. */
    scan_t *s = G->verify_scratch ? G->verify_scratch : (G->verify_scratch = _mpk_meta_alloc(sizeof *s));
    mpk_ranges_t *m = &G->ranges;
    unsigned dropped = 0;
    if (!s)
        return 0;
    memset(s, 0, sizeof *s);
    s->slot = slot;
    s->hw = vk_hw(atomic_load(&G->vkeys[slot].word));
    if (!_mpk_proc_lines("/proc/self/smaps", smaps_line, s) || s->overflow)
        return 0; /* cannot tell: keep everything (the safe side for protection) */
    for (size_t i = 0; i < m->n;) {
        span_t bad;
        if (m->v[i].key == slot && uncovered(s, m->v[i].start, m->v[i].end, &bad)) {
            _mpk_memory_forget(bad.lo, bad.hi); /* may retire the slot: look again from the start */
            dropped++;
            i = 0;
            continue;
        }
        i++;
    }
    return dropped;
}
