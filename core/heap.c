/* core/heap.c: mpk_malloc's heaps. Small blocks (16 B to 2 KiB, powers of two) come from 64 KiB
 * chunks of the key's group, one size class per chunk, with a bitmap of used blocks kept in the
 * arena; larger blocks get a mapping of their own. Chunk and heap records are recycled through
 * free lists when a key dies. Simple on purpose: a per-key heap is a protection tool, not a
 * general-purpose allocator. */
#include "core/heap.h"

#include "core/memory.h"

#include <errno.h>
#include <string.h>

#define CHUNK_BYTES (64u << 10)
#define MIN_SHIFT 4 /* 16 bytes */
#define MAX_SHIFT 11 /* 2 KiB */
#define CLASSES (MAX_SHIFT - MIN_SHIFT + 1)
#define MAX_BLOCKS (CHUNK_BYTES >> MIN_SHIFT)

typedef struct mpk_chunk {
    struct mpk_chunk *next;
    uintptr_t base;
    size_t len;        /* CHUNK_BYTES, or the mapping's length for a large block */
    unsigned shift;    /* block size 1 << shift; 0 for a large block */
    unsigned used;     /* blocks in use */
    uint64_t bits[MAX_BLOCKS / 64];
} mpk_chunk_t;

typedef struct mpk_heap {
    struct mpk_heap *next_free;
    mpk_chunk_t *chunks;
} mpk_heap_t;

/* Recycled records, kept in the state so that fork and the arena's protection cover them. */
static mpk_chunk_t **free_chunks(void) { return (mpk_chunk_t **)&G->heap_free_chunks; }
static mpk_heap_t **free_heaps(void) { return (mpk_heap_t **)&G->heap_free_heaps; }

static mpk_chunk_t *new_chunk_record(void)
{
    mpk_chunk_t *c = *free_chunks();
    if (c) {
        *free_chunks() = c->next;
        memset(c, 0, sizeof *c);
        return c;
    }
    return _mpk_meta_alloc(sizeof *c);
}

static mpk_heap_t *heap_of(uint32_t slot, bool create)
{
    mpk_heap_t *h = G->vkeys[slot].heap;
    if (h || !create)
        return h;
    h = *free_heaps();
    if (h)
        *free_heaps() = h->next_free;
    else
        h = _mpk_meta_alloc(sizeof *h);
    if (h) {
        memset(h, 0, sizeof *h);
        G->vkeys[slot].heap = h;
    }
    return h;
}

static unsigned class_shift(size_t size)
{
    unsigned s = MIN_SHIFT;
    while (((size_t)1 << s) < size)
        s++;
    return s;
}

/* A free block in c, marked used; its index, or -1. */
static long take_block(mpk_chunk_t *c)
{
    unsigned blocks = CHUNK_BYTES >> c->shift;
    for (unsigned w = 0; w < blocks / 64 + (blocks % 64 != 0); w++) {
        uint64_t free_bits = ~c->bits[w];
        unsigned bit;
        if (!free_bits)
            continue;
        bit = (unsigned)__builtin_ctzll(free_bits);
        if (w * 64 + bit >= blocks)
            return -1;
        c->bits[w] |= 1ull << bit;
        c->used++;
        return (long)(w * 64 + bit);
    }
    return -1;
}

static int add_chunk(mpk_thread_t *t, uint32_t slot, mpk_heap_t *h, size_t len, unsigned shift,
                     mpk_chunk_t **out)
{
    mpk_chunk_t *c = new_chunk_record();
    void *p;
    int r;
    if (!c)
        return -ENOMEM;
    r = _mpk_memory_map_locked(t, slot, len, &p);
    if (r) {
        c->next = *free_chunks();
        *free_chunks() = c;
        return r;
    }
    c->base = (uintptr_t)p;
    c->len = len;
    c->shift = shift;
    c->next = h->chunks;
    h->chunks = c;
    *out = c;
    return 0;
}

int _mpk_heap_alloc(mpk_thread_t *t, uint32_t slot, size_t size, void **out)
{
    mpk_heap_t *h = heap_of(slot, true);
    mpk_chunk_t *c;
    unsigned shift;
    long i;
    int r;
    if (!h)
        return -ENOMEM;
    if (size > ((size_t)1 << MAX_SHIFT)) {
        size_t len = (size + 4095) & ~(size_t)4095;
        if (len < size)
            return -ENOMEM;
        r = add_chunk(t, slot, h, len, 0, &c);
        if (!r) {
            c->used = 1;
            *out = (void *)c->base;
        }
        return r;
    }
    shift = class_shift(size ? size : 1);
    for (c = h->chunks; c; c = c->next)
        if (c->shift == shift && c->used < (CHUNK_BYTES >> shift) && (i = take_block(c)) >= 0)
            goto found;
    r = add_chunk(t, slot, h, CHUNK_BYTES, shift, &c);
    if (r)
        return r;
    i = take_block(c);
found:
    *out = (void *)(c->base + ((uintptr_t)i << shift));
    return 0;
}

static mpk_chunk_t *chunk_of(mpk_heap_t *h, uintptr_t p, mpk_chunk_t ***link)
{
    for (mpk_chunk_t **l = &h->chunks; *l; l = &(*l)->next)
        if (p >= (*l)->base && p < (*l)->base + (*l)->len) {
            *link = l;
            return *l;
        }
    return NULL;
}

int _mpk_heap_free(void *ptr)
{
    uintptr_t p = (uintptr_t)ptr;
    const mpk_range_t *r = mpk_ranges_find(&G->ranges, p);
    mpk_heap_t *h = r ? heap_of(r->key, false) : NULL;
    mpk_chunk_t *c, **link;
    uintptr_t i;
    if (!h || !(c = chunk_of(h, p, &link)))
        return -EINVAL;
    if (!c->shift) { /* a large block: its mapping goes */
        if (p != c->base)
            return -EINVAL;
        *link = c->next;
        _mpk_memory_unmap_locked((void *)c->base, c->len);
        c->next = *free_chunks();
        *free_chunks() = c;
        return 0;
    }
    i = (p - c->base) >> c->shift;
    if ((p - c->base) & (((uintptr_t)1 << c->shift) - 1) || !(c->bits[i / 64] & (1ull << (i % 64))))
        return -EINVAL; /* not a block start, or already free */
    c->bits[i / 64] &= ~(1ull << (i % 64));
    c->used--;
    return 0;
}

void _mpk_heap_forget(uint32_t slot)
{
    mpk_heap_t *h = G->vkeys[slot].heap;
    if (!h)
        return;
    while (h->chunks) {
        mpk_chunk_t *c = h->chunks;
        h->chunks = c->next;
        c->next = *free_chunks();
        *free_chunks() = c;
    }
    G->vkeys[slot].heap = NULL;
    h->next_free = *free_heaps();
    *free_heaps() = h;
}
