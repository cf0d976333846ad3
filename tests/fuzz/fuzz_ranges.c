/* tests/fuzz/fuzz_ranges.c: libFuzzer target driving core/ranges.c and the page-by-page model
 * of tests/unit/ranges_model.h with operations decoded from the input; abort() on a mismatch. */

/* A small window keeps the per-operation check cheap, and a dense map exercises more merges. */
#define RM_PAGES 64
#include "tests/unit/ranges_model.h"

/* Input: byte 0 picks the window (bottom, middle, top of the address space), byte 1 how often
 * a grow fails (0: never, p: every p-th grow from the last failure), then 10 bytes per op:
 *   kind | key and prot | first page (2) | pages (2) | new first page (2) | new pages (2).
 * Kind 31 rebuilds the map from scratch, so one input meets the small capacities many times. */
#define HEADER 2
#define OP_BYTES 10
#define REBUILD 31

typedef struct run {
    mpk_ranges_t m;
    rm_model_t md;
    rm_heap_t h;
    unsigned long period;
} run_t;

static uint32_t u16_at(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8;
}

/* A page count in 1..max: mostly short (high bit clear), so merges and splits are frequent. */
static uint32_t decode_len(uint32_t raw, uint32_t max)
{
    uint32_t lim = raw & 0x8000 ? RM_PAGES : 8;
    return 1 + raw % (lim < max ? lim : max);
}

static void decode_op(const uint8_t *p, rm_op_t *op)
{
    static const rm_kind_t kinds[16] = { RM_SET,      RM_SET,      RM_SET,      RM_SET,
                                         RM_SET,      RM_CLEAR,    RM_CLEAR,    RM_CLEAR,
                                         RM_SET_PROT, RM_SET_PROT, RM_SET_PROT, RM_MOVE,
                                         RM_MOVE,     RM_MOVE,     RM_MOVE,     RM_BAD };
    op->kind = kinds[p[0] & 15];
    op->key = rm_keys[p[1] % RM_NKEYS];
    op->prot = rm_prots[(p[1] / RM_NKEYS) % RM_NPROTS];
    op->b = decode_len(u16_at(p + 4), RM_PAGES);
    op->a = u16_at(p + 2) % (RM_PAGES - op->b + 1);
    op->d = decode_len(u16_at(p + 8), RM_PAGES);
    op->c = u16_at(p + 6) % (RM_PAGES - op->d + 1);
    if (op->kind == RM_BAD)
        op->a %= RM_NBAD;
}

static void fail(const char *what, size_t i, const rm_op_t *op)
{
    char desc[128];
    rm_op_describe(op, desc, sizeof(desc));
    fprintf(stderr, "fuzz_ranges: op %zu %s: %s\n", i, desc, what);
    abort();
}

/* Calls the map: a failed grow must surface as ENOMEM with the map intact, after which the same
 * call must succeed. Returns the map's final answer. */
static int call_map(run_t *r, size_t i, const rm_op_t *op)
{
    static rm_snapshot_t snap;
    rm_snapshot_take(&snap, &r->m);
    unsigned long failures = r->h.failures;
    int got = rm_call_map(&r->m, &r->md, op);
    if (r->h.failures != failures && got != ENOMEM)
        fail("a failed grow was not reported", i, op);
    if (got != ENOMEM)
        return got;
    if (r->h.failures == failures)
        fail("ENOMEM without a failed grow", i, op);
    if (!rm_snapshot_same(&snap, &r->m))
        fail("ENOMEM changed the map", i, op);
    got = rm_call_map(&r->m, &r->md, op);
    r->h.fail_at = r->h.grows + r->period;
    return got;
}

static void check(run_t *r, size_t i, const rm_op_t *op)
{
    char why[256];
    if (!rm_check_all(&r->md, &r->m, why, sizeof(why)))
        fail(why, i, op);
    if (r->h.misuse)
        fail("allocator misused", i, op);
}

static void step(run_t *r, size_t i, const rm_op_t *op)
{
    static rm_snapshot_t snap;
    rm_snapshot_take(&snap, &r->m);
    int got = call_map(r, i, op), want = rm_apply_model(&r->md, op);
    if (got != want)
        fail(want ? "succeeded, should have failed" : "failed, should have succeeded", i, op);
    if (want && !rm_snapshot_same(&snap, &r->m))
        fail("a rejected call changed the map", i, op);
    check(r, i, op);
}

/* A fresh map holding the model's ranges, set in order. */
static void rebuild(run_t *r, size_t i)
{
    mpk_range_t want[RM_PAGES];
    size_t n = rm_model_ranges(&r->md, want);
    mpk_alloc_t a = r->m.alloc;
    mpk_ranges_destroy(&r->m);
    mpk_ranges_init(&r->m, &a);
    rm_op_t op = { .kind = RM_SET };
    for (size_t x = 0; x < n; x++) {
        op.a = (uint32_t)((want[x].start - r->md.base) / RM_PAGE);
        op.b = (uint32_t)((want[x].end - want[x].start) / RM_PAGE);
        op.key = want[x].key;
        op.prot = want[x].prot;
        if (call_map(r, i, &op) != 0)
            fail("rebuilding failed", i, &op);
    }
    check(r, i, &op);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const uintptr_t bases[] = { RM_BASE_LOW, RM_BASE_MID, RM_BASE_TOP };
    static run_t r;
    if (size < HEADER)
        return 0;
    mpk_alloc_t a = rm_heap_alloc(&r.h);
    r.period = data[1] % 5;
    r.h.fail_at = r.period;
    mpk_ranges_init(&r.m, &a);
    rm_model_init(&r.md, bases[data[0] % 3]);
    for (size_t off = HEADER, i = 0; off + OP_BYTES <= size; off += OP_BYTES, i++) {
        if ((data[off] & 31) == REBUILD) {
            rebuild(&r, i);
            continue;
        }
        rm_op_t op;
        decode_op(data + off, &op);
        step(&r, i, &op);
    }
    mpk_ranges_destroy(&r.m);
    if (r.h.misuse || r.h.block)
        abort();
    return 0;
}
