/* bench/ssl_heap.h: OpenSSL's allocator, redirected into a guarded region while a private key
 * is parsed, so the parsed key (its numbers, its structures) lives in that region and nowhere
 * else; every other allocation goes to malloc. A region is a bump allocator whose freed blocks
 * are reused first-fit, so the parse's temporaries do not spread the key over more pages. */
#ifndef MPK_BENCH_SSL_HEAP_H
#define MPK_BENCH_SSL_HEAP_H

#include "guard.h"

#include <openssl/crypto.h>

typedef struct ssl_heap {
    guard_t region;  /* its len shrinks to the pages in use once the key is parsed */
    size_t reserved; /* the region's whole size */
    size_t used;     /* bytes handed out, headers included */
    size_t *freed;   /* freed blocks, linked through their first word */
} ssl_heap_t;

static ssl_heap_t *ssl_heap_loading; /* the region allocations go to now, or NULL */
static ssl_heap_t *ssl_heap_all[GUARD_KINDS];

/* A freed block of at least n bytes, taken off the list, or NULL. */
static size_t *ssl_heap_reuse(ssl_heap_t *h, size_t n)
{
    for (size_t **link = &h->freed; *link; link = (size_t **)&(*link)[1]) {
        size_t *b = *link;
        if (b[0] >= n) {
            *link = (size_t *)b[1];
            return b;
        }
    }
    return NULL;
}

/* Each block starts with its capacity, so realloc can copy a block out of a region and free
 * can put it on the list. */
static void *ssl_heap_alloc(size_t n, const char *file, int line)
{
    ssl_heap_t *h = ssl_heap_loading;
    size_t need = (n + sizeof(size_t) + 15) & ~(size_t)15;
    size_t *b;
    (void)file, (void)line;
    if (!h)
        return malloc(n);
    if ((b = ssl_heap_reuse(h, need - sizeof(size_t))))
        return b + 1;
    if (h->used + need > h->reserved)
        return NULL; /* OpenSSL reports the failure; the benchmark stops */
    b = (size_t *)(h->region.base + h->used);
    h->used += need;
    b[0] = need - sizeof(size_t);
    return b + 1;
}

static ssl_heap_t *ssl_heap_owner(const void *p)
{
    for (int i = 0; i < GUARD_KINDS; i++) {
        ssl_heap_t *h = ssl_heap_all[i];
        if (h && (const char *)p >= h->region.base && (const char *)p < h->region.base + h->reserved)
            return h;
    }
    return NULL;
}

/* A region's block goes on its list while the key is parsed (the region is open then); later
 * it stays where it is: OpenSSL frees some blocks at exit, with every region closed. */
static void ssl_heap_free(void *p, const char *file, int line)
{
    ssl_heap_t *h = p ? ssl_heap_owner(p) : NULL;
    (void)file, (void)line;
    if (!h) {
        free(p);
        return;
    }
    if (h != ssl_heap_loading)
        return;
    ((size_t *)p)[0] = (size_t)h->freed;
    h->freed = (size_t *)p - 1;
}

static void *ssl_heap_realloc(void *p, size_t n, const char *file, int line)
{
    void *q;
    size_t old;
    if (!p)
        return ssl_heap_alloc(n, file, line);
    if (!ssl_heap_owner(p))
        return realloc(p, n); /* a block from before the parse stays where it was */
    old = ((size_t *)p)[-1];
    if (n <= old)
        return p;
    q = ssl_heap_alloc(n, file, line);
    if (q) {
        memcpy(q, p, old);
        ssl_heap_free(p, file, line);
    }
    return q;
}

/* Before OpenSSL allocates anything. 0 if OpenSSL refused (it already allocated). */
static inline int ssl_heap_install(void)
{
    return CRYPTO_set_mem_functions(ssl_heap_alloc, ssl_heap_realloc, ssl_heap_free);
}

static inline int ssl_heap_make(ssl_heap_t *h, guard_kind_t kind, size_t len)
{
    h->used = 0;
    h->freed = NULL;
    if (guard_make(&h->region, kind, len))
        return -1;
    h->reserved = h->region.len;
    ssl_heap_all[kind] = h;
    return 0;
}

/* After the parse: open and close only the pages that hold something (what mprotect pays for;
 * a libmpk group costs the same whatever its size). */
static inline void ssl_heap_seal(ssl_heap_t *h)
{
    h->region.len = (h->used + 4095) & ~(size_t)4095;
}

#endif
