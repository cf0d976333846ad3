/* policy/audit_modules.c: the module table. Two copies alternate: a refresh fills the one not
 * in use and then publishes it; a reader that saw the copy change under it (two refreshes
 * during one lookup) tries again. Refreshes are serialised by the caller (policy/audit.c). */
#include "policy/audit_modules.h"

#include "core/prim.h"
#include "policy/audit_sealed.h"

#include <errno.h>
#include <link.h>
#include <stdatomic.h>
#include <string.h>

#define POOL_BYTES (128 * 1024) /* module paths */

typedef struct module {
    uintptr_t lo, hi, bias;
    uint32_t path; /* offset in the pool */
} module_t;

typedef struct table {
    _Atomic unsigned seq; /* odd while being filled */
    unsigned n;
    bool overflow;
    module_t m[MPK_AUDIT_MODULES_MAX]; /* sorted by lo */
    size_t pool_used;
    char pool[POOL_BYTES];
} table_t;

static table_t tables[2];
static _Atomic int current = -1; /* no table before the first refresh */
static bool first_done; /* the sealed values below are written by the first refresh only */
static uintptr_t self_lo, self_hi;

const char *mpk_audit_program_path(void) { return mpk_audit_fixed.program_path; }

bool mpk_audit_is_self(uintptr_t pc) { return pc >= mpk_audit_fixed.self_lo && pc < mpk_audit_fixed.self_hi; }

static const char *pool_add(table_t *t, const char *s, uint32_t *off)
{
    size_t n = strlen(s) + 1;
    if (t->pool_used + n > POOL_BYTES)
        return NULL;
    memcpy(t->pool + t->pool_used, s, n);
    *off = (uint32_t)t->pool_used;
    t->pool_used += n;
    return t->pool + *off;
}

static int add_object(struct dl_phdr_info *info, size_t size, void *data)
{
    table_t *t = data;
    uintptr_t lo = UINTPTR_MAX, hi = 0, self = (uintptr_t)mpk_audit_is_self;
    const char *name = info->dlpi_name;
    module_t *m;
    (void)size;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type != PT_LOAD)
            continue;
        if (info->dlpi_addr + ph->p_vaddr < lo)
            lo = info->dlpi_addr + ph->p_vaddr;
        if (info->dlpi_addr + ph->p_vaddr + ph->p_memsz > hi)
            hi = info->dlpi_addr + ph->p_vaddr + ph->p_memsz;
    }
    if (lo >= hi)
        return 0;
    if (self >= lo && self < hi) {
        self_lo = lo;
        self_hi = hi;
    }
    if (t->n == MPK_AUDIT_MODULES_MAX) {
        t->overflow = true;
        return 0;
    }
    m = &t->m[t->n];
    if (!name || !*name)
        name = mpk_audit_fixed.program_path[0] ? mpk_audit_fixed.program_path : "[program]";
    if (!pool_add(t, name, &m->path)) {
        t->overflow = true;
        return 0;
    }
    m->lo = lo;
    m->hi = hi;
    m->bias = info->dlpi_addr;
    t->n++;
    return 0;
}

static void sort_by_start(table_t *t)
{
    for (unsigned i = 1; i < t->n; i++) { /* insertion sort: the loader's order is nearly sorted */
        module_t x = t->m[i];
        unsigned j = i;
        while (j > 0 && t->m[j - 1].lo > x.lo) {
            t->m[j] = t->m[j - 1];
            j--;
        }
        t->m[j] = x;
    }
}

int mpk_audit_modules_refresh(void)
{
    table_t *t;
    int cur, r;
    if (!first_done) {
        char *path = mpk_audit_fixed.program_path;
        long n = mpk_sys(SYS_readlink, "/proc/self/exe", path, sizeof mpk_audit_fixed.program_path - 1, 0, 0, 0);
        path[n > 0 ? n : 0] = 0;
    }
    cur = atomic_load(&current) == 0 ? 0 : 1;
    t = &tables[cur == 0 ? 1 : 0];
    atomic_fetch_add(&t->seq, 1); /* odd: readers that still look at this copy retry */
    t->n = 0;
    t->pool_used = 0;
    t->overflow = false;
    dl_iterate_phdr(add_object, t);
    sort_by_start(t);
    if (!first_done) {
        mpk_audit_fixed.self_lo = self_lo;
        mpk_audit_fixed.self_hi = self_hi;
        first_done = true;
    }
    r = t->overflow ? -ENOSPC : 0;
    atomic_fetch_add(&t->seq, 1);
    atomic_store(&current, cur == 0 ? 1 : 0);
    return r;
}

static const module_t *find(const table_t *t, uintptr_t pc)
{
    unsigned lo = 0, hi = t->n < MPK_AUDIT_MODULES_MAX ? t->n : MPK_AUDIT_MODULES_MAX;
    while (lo < hi) { /* the last module starting at or below pc */
        unsigned mid = lo + (hi - lo) / 2;
        if (t->m[mid].lo <= pc)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo == 0 || pc >= t->m[lo - 1].hi)
        return NULL;
    return &t->m[lo - 1];
}

bool mpk_audit_module_of(uintptr_t pc, char *path, size_t n, uintptr_t *bias)
{
    for (int tries = 0; tries < 4; tries++) {
        int cur = atomic_load(&current);
        const table_t *t;
        const module_t *m;
        unsigned seq;
        size_t len;
        if (cur < 0)
            return false;
        t = &tables[cur & 1]; /* the program may have scribbled on it: stay in bounds */
        seq = atomic_load(&t->seq);
        if (seq & 1)
            continue;
        m = find(t, pc);
        if (m) {
            *bias = m->bias;
            size_t room = m->path < POOL_BYTES ? POOL_BYTES - m->path : 0;
            len = strnlen(t->pool + (m->path < POOL_BYTES ? m->path : 0), n - 1 < room ? n - 1 : room);
            memcpy(path, t->pool + (m->path < POOL_BYTES ? m->path : 0), len);
            path[len] = 0;
        }
        atomic_thread_fence(memory_order_acquire);
        if (atomic_load(&t->seq) == seq)
            return m != NULL;
    }
    return false;
}
