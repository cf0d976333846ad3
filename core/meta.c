/* core/meta.c: the metadata arena: chunks of pages that hold every piece of manager state,
 * a lock-free bump allocator over them, size-class free lists for blocks that grow, and the
 * sealed page of values fixed at start-up. */
#include "core/meta.h"

#include "core/report.h"

#include <errno.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/mman.h>

#define MPK_PAGE 4096u
#define CHUNK_BYTES (16u << 20) /* reserved, not committed: pages are backed on first touch */
#define ALIGN 64u
#define GROW_CLASSES 40 /* power-of-two block sizes from 64 bytes up */

typedef struct chunk {
    struct chunk *next; /* older chunk */
    size_t size;
    _Atomic size_t used;
} chunk_t;

typedef struct arena {
    _Atomic(chunk_t *) cur;
    _Atomic int hw; /* hardware key new chunks get, 0 before activation */
    void *free_blocks[GROW_CLASSES];
} arena_t;

__attribute__((aligned(MPK_PAGE))) mpk_sealed_page_t _mpk_sealed_page;
#define arena_ptr (*(arena_t **)&_mpk_sealed.arena)

static size_t round_up(size_t n, size_t a) { return (n + a - 1) & ~(a - 1); }

static chunk_t *chunk_new(size_t min_bytes, int hw)
{
    size_t size = round_up(min_bytes + round_up(sizeof(chunk_t), ALIGN), MPK_PAGE);
    chunk_t *c;
    if (size < CHUNK_BYTES)
        size = CHUNK_BYTES;
    c = mpk_sys_mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
                     -1, 0);
    if (mpk_sys_failed((long)c))
        return NULL;
    if (hw > 0 && mpk_sys_pkey_mprotect(c, size, PROT_READ | PROT_WRITE, hw) < 0) {
        mpk_sys_munmap(c, size); /* state outside the metadata key: none rather than that */
        return NULL;
    }
    c->size = size;
    atomic_store(&c->used, round_up(sizeof(chunk_t), ALIGN));
    return c;
}

/* The first chunk carries the arena header; made on first use (from the constructor, or from
 * whichever entry point comes first: still single-threaded in practice, and racing creators
 * are resolved by a compare-and-swap). */
static arena_t *arena_get(void)
{
    arena_t *a = __atomic_load_n(&arena_ptr, __ATOMIC_ACQUIRE);
    chunk_t *c;
    arena_t *expected = NULL;
    if (mpk_likely(a != NULL))
        return a;
    c = chunk_new(sizeof(arena_t), 0);
    if (!c)
        return NULL;
    a = (arena_t *)((char *)c + atomic_load(&c->used));
    atomic_fetch_add(&c->used, round_up(sizeof(arena_t), ALIGN));
    atomic_store(&a->cur, c);
    if (!__atomic_compare_exchange_n(&arena_ptr, &expected, a, false, __ATOMIC_ACQ_REL,
                                     __ATOMIC_ACQUIRE)) {
        mpk_sys_munmap(c, c->size);
        return expected;
    }
    return a;
}

void *_mpk_meta_alloc(size_t bytes)
{
    arena_t *a = arena_get();
    if (!a)
        return NULL;
    bytes = round_up(bytes ? bytes : 1, ALIGN);
    for (;;) {
        chunk_t *c = atomic_load(&a->cur);
        size_t off = atomic_fetch_add(&c->used, bytes);
        chunk_t *n;
        long r;
        int hw;
        if (off + bytes <= c->size)
            return (char *)c + off;
        n = chunk_new(bytes, atomic_load(&a->hw));
        if (!n)
            return NULL;
        n->next = c;
        if (!atomic_compare_exchange_strong(&a->cur, &c, n)) {
            mpk_sys_munmap(n, n->size);
            continue;
        }
        /* Activation may have walked the chunks just before we linked this one in. */
        hw = atomic_load(&a->hw);
        r = hw > 0 ? mpk_sys_pkey_mprotect(n, n->size, PROT_READ | PROT_WRITE, hw) : 0;
        if (r < 0) /* already linked in and in use: there is no taking it back */
            _mpk_stop_unsealed("a new chunk of libmpk's state with its key", r);
    }
}

int _mpk_meta_protect(int hw)
{
    arena_t *a = arena_get();
    long r = 0;
    if (!a)
        return -ENOMEM;
    atomic_store(&a->hw, hw);
    for (chunk_t *c = atomic_load(&a->cur); c; c = c->next) {
        r = mpk_sys_pkey_mprotect(c, c->size, PROT_READ | PROT_WRITE, hw);
        if (r < 0)
            return (int)r;
    }
    return 0;
}

void _mpk_meta_seal(void)
{
    long r = mpk_sys_mprotect(&_mpk_sealed_page, MPK_PAGE, PROT_READ);
    if (r)
        _mpk_stop_unsealed("the page of start-up values read-only", r);
}

/* ---- growable blocks (manager lock held) ------------------------------------------------ */

static unsigned grow_class(size_t bytes)
{
    unsigned c = 0;
    while (((size_t)ALIGN << c) < bytes)
        c++;
    return c;
}

static void *grow_block(void *ctx, void *old, size_t old_bytes, size_t new_bytes)
{
    arena_t *a = arena_get();
    unsigned c = grow_class(new_bytes);
    void *p;
    (void)ctx;
    if (!a || c >= GROW_CLASSES)
        return NULL;
    p = a->free_blocks[c];
    if (p)
        a->free_blocks[c] = *(void **)p;
    else
        p = _mpk_meta_alloc((size_t)ALIGN << c);
    if (!p)
        return NULL;
    if (old) {
        memcpy(p, old, old_bytes < new_bytes ? old_bytes : new_bytes);
        _mpk_meta_grow_alloc.release(NULL, old, old_bytes);
    }
    return p;
}

static void release_block(void *ctx, void *p, size_t bytes)
{
    arena_t *a = arena_get();
    unsigned c = grow_class(bytes);
    (void)ctx;
    if (!p || !a || c >= GROW_CLASSES)
        return;
    *(void **)p = a->free_blocks[c];
    a->free_blocks[c] = p;
}

const mpk_alloc_t _mpk_meta_grow_alloc = {grow_block, release_block, NULL};
