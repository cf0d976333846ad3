/* bench/guard.h: a region of secret bytes kept in one of the three ways the application
 * benchmarks compare: not at all, in a libmpk group opened by this thread only (mpk_begin/end),
 * or behind mprotect (readable while open, PROT_NONE while closed, for every thread). */
#ifndef MPK_BENCH_GUARD_H
#define MPK_BENCH_GUARD_H

#include "bench.h"

#include <mpk.h>
#include <sys/mman.h>
#include <sys/syscall.h>

typedef enum guard_kind { GUARD_PLAIN, GUARD_MPK, GUARD_MPROTECT, GUARD_KINDS } guard_kind_t;

static const char *const guard_names[GUARD_KINDS] = {"plain", "libmpk", "mprotect"};

typedef struct guard {
    guard_kind_t kind;
    int key;     /* GUARD_MPK: the group's virtual key */
    char *base;  /* page aligned, len bytes */
    size_t len;
} guard_t;

/* The system call itself: in a process that links libmpk, mprotect() is libmpk's interposed
 * one, which takes its slow path once any key is in play; the mprotect variant must not pay
 * for the libmpk variant living in the same process. */
static inline long guard_sys_mprotect(void *a, size_t l, int p)
{
    long r;
    __asm__ volatile("syscall" : "=a"(r) : "a"(SYS_mprotect), "D"(a), "S"(l), "d"((long)p)
                     : "rcx", "r11", "memory");
    return r;
}

/* Map len bytes (rounded up to pages) and leave them closed. 0, or -1 with errno. */
static inline int guard_make(guard_t *g, guard_kind_t kind, size_t len)
{
    g->kind = kind;
    g->key = -1;
    g->len = (len + 4095) & ~(size_t)4095;
    if (kind == GUARD_MPK) {
        g->key = pkey_alloc(0, 0); /* open in this thread until the memset below */
        if (g->key < 0)
            return -1;
        g->base = mpk_mmap(g->key, NULL, g->len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    } else {
        g->base = mmap(NULL, g->len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    }
    if (g->base == MAP_FAILED)
        return -1;
    memset(g->base, 0, g->len); /* fault every page in now, not inside a timed request */
    if (kind == GUARD_MPK)
        pkey_set(g->key, PKEY_DISABLE_ACCESS); /* threads made later inherit this: closed */
    else if (kind == GUARD_MPROTECT)
        guard_sys_mprotect(g->base, g->len, PROT_NONE);
    return 0;
}

/* Open for this request: prot is PROT_READ or PROT_READ | PROT_WRITE. */
static inline void guard_open(guard_t *g, int prot)
{
    if (g->kind == GUARD_MPK)
        mpk_begin(g->key, prot);
    else if (g->kind == GUARD_MPROTECT)
        guard_sys_mprotect(g->base, g->len, prot);
}

static inline void guard_close(guard_t *g)
{
    if (g->kind == GUARD_MPK)
        mpk_end(g->key);
    else if (g->kind == GUARD_MPROTECT)
        guard_sys_mprotect(g->base, g->len, PROT_NONE);
}

/* Whether libmpk can keep groups here (a PKU CPU and kernel); else the libmpk variant is left
 * out and the others still run. */
static inline int guard_have_mpk(void) { return mpk_init(-1) == 0; }

#endif
