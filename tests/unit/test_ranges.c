/* tests/unit/test_ranges.c: core/ranges.c against hand-worked cases, against a page-by-page
 * model under random operations, under injected allocation failure, and at 100,000 ranges. */
#include <criterion/criterion.h>
#include <time.h>

#include "tests/unit/ranges_model.h"

/* ---------------------------------------------------------------- fixture */

#define B ((uintptr_t)0x10000000)
#define P RM_PAGE
#define PG(n) (B + (uintptr_t)(n) * P)
#define R(s, e, k, p) ((mpk_range_t){ PG(s), PG(e), (k), (p) })

static rm_heap_t heap;
static mpk_ranges_t map;

static void setup(void)
{
    mpk_alloc_t a = rm_heap_alloc(&heap);
    mpk_ranges_init(&map, &a);
}

static void teardown(void)
{
    mpk_ranges_destroy(&map);
    cr_expect(!heap.misuse, "the map misused its allocator");
    cr_expect(heap.block == NULL, "destroy did not release the array");
}

TestSuite(ranges, .init = setup, .fini = teardown);

static void expect_map(const mpk_range_t *want, size_t n)
{
    char why[256];
    cr_assert(rm_check_canonical(&map, why, sizeof(why)), "%s", why);
    cr_assert_eq(map.n, n, "map has %zu ranges, expected %zu", map.n, n);
    for (size_t i = 0; i < n; i++) {
        const mpk_range_t *g = &map.v[i];
        cr_assert(g->start == want[i].start && g->end == want[i].end && g->key == want[i].key &&
                      g->prot == want[i].prot,
                  "range %zu: got pages [%ld, %ld) key %u prot %d, expected [%ld, %ld) key %u "
                  "prot %d",
                  i, (long)((g->start - B) / P), (long)((g->end - B) / P), g->key, g->prot,
                  (long)((want[i].start - B) / P), (long)((want[i].end - B) / P), want[i].key,
                  want[i].prot);
    }
}

#define EXPECT(...)                                                  \
    do {                                                             \
        const mpk_range_t want_[] = { __VA_ARGS__ };                 \
        expect_map(want_, sizeof(want_) / sizeof(want_[0]));         \
    } while (0)
#define EXPECT_EMPTY() expect_map(NULL, 0)

/* Page-numbered wrappers that assert success, to keep the cases readable. */
static void set(long s, long e, uint32_t key, int prot)
{
    cr_assert_eq(mpk_ranges_set(&map, PG(s), PG(e), key, prot), 0);
}

static void clear(long s, long e)
{
    cr_assert_eq(mpk_ranges_clear(&map, PG(s), PG(e)), 0);
}

static void set_prot(long s, long e, int prot)
{
    cr_assert_eq(mpk_ranges_set_prot(&map, PG(s), PG(e), prot), 0);
}

static void move(long from, long old_n, long to, long new_n)
{
    cr_assert_eq(mpk_ranges_move(&map, PG(from), old_n * P, PG(to), new_n * P), 0);
}

/* ---------------------------------------------------------------- set */

Test(ranges, set_into_empty)
{
    set(10, 20, 1, 3);
    EXPECT(R(10, 20, 1, 3));
}

Test(ranges, set_splits_a_range_in_three)
{
    set(0, 30, 1, 1);
    set(10, 20, 2, 3);
    EXPECT(R(0, 10, 1, 1), R(10, 20, 2, 3), R(20, 30, 1, 1));
}

Test(ranges, set_over_several_ranges)
{
    set(0, 10, 1, 1);
    set(12, 20, 2, 1);
    set(22, 30, 3, 1);
    set(5, 25, 4, 2);
    EXPECT(R(0, 5, 1, 1), R(5, 25, 4, 2), R(25, 30, 3, 1));
    set(0, 30, 2, 2);
    EXPECT(R(0, 30, 2, 2));
}

Test(ranges, set_merges_left)
{
    set(0, 10, 1, 3);
    set(10, 20, 1, 3);
    EXPECT(R(0, 20, 1, 3));
}

Test(ranges, set_merges_right)
{
    set(10, 20, 1, 3);
    set(0, 10, 1, 3);
    EXPECT(R(0, 20, 1, 3));
}

Test(ranges, set_merges_both)
{
    set(0, 10, 1, 3);
    set(20, 30, 1, 3);
    set(10, 20, 1, 3);
    EXPECT(R(0, 30, 1, 3));
}

Test(ranges, set_same_value_inside_stays_one_range)
{
    set(0, 30, 1, 3);
    set(10, 20, 1, 3);
    EXPECT(R(0, 30, 1, 3));
    set(10, 20, 2, 3);
    set(10, 20, 1, 3);
    EXPECT(R(0, 30, 1, 3));
}

Test(ranges, set_no_merge_when_key_differs)
{
    set(0, 10, 1, 3);
    set(20, 30, 1, 3);
    set(10, 20, 2, 3);
    EXPECT(R(0, 10, 1, 3), R(10, 20, 2, 3), R(20, 30, 1, 3));
}

Test(ranges, set_no_merge_when_prot_differs)
{
    set(0, 10, 1, 3);
    set(20, 30, 1, 3);
    set(10, 20, 1, 1);
    EXPECT(R(0, 10, 1, 3), R(10, 20, 1, 1), R(20, 30, 1, 3));
}

Test(ranges, set_merges_one_side_only)
{
    set(0, 10, 1, 3);    /* same key and prot: merges */
    set(20, 30, 1, 1);   /* same key, other prot: stays */
    set(10, 20, 1, 3);
    EXPECT(R(0, 20, 1, 3), R(20, 30, 1, 1));
}

Test(ranges, set_with_a_gap_does_not_merge)
{
    set(0, 10, 1, 3);
    set(11, 20, 1, 3);
    EXPECT(R(0, 10, 1, 3), R(11, 20, 1, 3));
}

/* ---------------------------------------------------------------- clear */

Test(ranges, clear_middle)
{
    set(0, 30, 1, 3);
    clear(10, 20);
    EXPECT(R(0, 10, 1, 3), R(20, 30, 1, 3));
}

Test(ranges, clear_ends)
{
    set(0, 30, 1, 3);
    clear(0, 10);
    EXPECT(R(10, 30, 1, 3));
    clear(20, 30);
    EXPECT(R(10, 20, 1, 3));
    clear(15, 40);
    EXPECT(R(10, 15, 1, 3));
    clear(0, 11);
    EXPECT(R(11, 15, 1, 3));
}

Test(ranges, clear_across_several)
{
    set(0, 10, 1, 1);
    set(12, 20, 2, 1);
    set(22, 30, 3, 1);
    clear(5, 25);
    EXPECT(R(0, 5, 1, 1), R(25, 30, 3, 1));
    clear(0, 100);
    EXPECT_EMPTY();
}

Test(ranges, clear_untracked_changes_nothing)
{
    set(10, 20, 1, 1);
    clear(0, 10);
    clear(20, 30);
    EXPECT(R(10, 20, 1, 1));
}

/* ---------------------------------------------------------------- set_prot */

Test(ranges, set_prot_splits)
{
    set(0, 30, 1, 1);
    set_prot(10, 20, 3);
    EXPECT(R(0, 10, 1, 1), R(10, 20, 1, 3), R(20, 30, 1, 1));
    set_prot(0, 15, 3);
    EXPECT(R(0, 20, 1, 3), R(20, 30, 1, 1));
}

Test(ranges, set_prot_merges_inside_and_with_neighbours)
{
    set(0, 10, 1, 3);
    set(10, 20, 1, 1);
    set(20, 30, 1, 0);
    set(30, 40, 1, 3);
    set_prot(10, 30, 3);
    EXPECT(R(0, 40, 1, 3));
}

Test(ranges, set_prot_keeps_keys)
{
    set(0, 10, 1, 1);
    set(10, 20, 2, 1);
    set_prot(5, 20, 5);
    EXPECT(R(0, 5, 1, 1), R(5, 10, 1, 5), R(10, 20, 2, 5));
}

Test(ranges, set_prot_leaves_holes_untracked)
{
    set(0, 10, 1, 1);
    set(20, 30, 1, 1);
    set_prot(5, 25, 3);
    EXPECT(R(0, 5, 1, 1), R(5, 10, 1, 3), R(20, 25, 1, 3), R(25, 30, 1, 1));
}

Test(ranges, set_prot_on_nothing_tracked_neither_changes_nor_allocates)
{
    set_prot(0, 100, 3);
    EXPECT_EMPTY();
    cr_assert_eq(heap.grows, 0);
}

/* ---------------------------------------------------------------- move (mremap) */

Test(ranges, move_in_place_shrink)
{
    set(0, 10, 1, 1);
    set(10, 20, 2, 3);
    move(0, 20, 0, 15);
    EXPECT(R(0, 10, 1, 1), R(10, 15, 2, 3));
    move(0, 15, 0, 5);
    EXPECT(R(0, 5, 1, 1));
}

Test(ranges, move_in_place_grow_inherits_tracked_last_page)
{
    set(0, 5, 1, 1);
    set(5, 10, 2, 3);
    set(15, 18, 3, 3);   /* in the growth: replaced */
    move(0, 10, 0, 20);
    EXPECT(R(0, 5, 1, 1), R(5, 20, 2, 3));
}

Test(ranges, move_in_place_grow_after_untracked_last_page)
{
    set(0, 5, 1, 1);
    set(12, 14, 2, 2);   /* in the growth, which stays untracked */
    move(0, 10, 0, 20);
    EXPECT(R(0, 5, 1, 1));
}

Test(ranges, move_to_disjoint_address)
{
    set(0, 10, 1, 1);
    set(10, 20, 2, 3);
    move(0, 20, 100, 20);
    EXPECT(R(100, 110, 1, 1), R(110, 120, 2, 3));
}

Test(ranges, move_part_of_ranges_and_grow)
{
    set(0, 10, 1, 1);
    set(10, 20, 2, 3);
    move(5, 10, 100, 20);
    EXPECT(R(0, 5, 1, 1), R(15, 20, 2, 3), R(100, 105, 1, 1), R(105, 120, 2, 3));
}

Test(ranges, move_and_shrink_drops_the_tail)
{
    set(0, 10, 1, 1);
    set(10, 20, 2, 3);
    move(0, 20, 100, 12);
    EXPECT(R(100, 110, 1, 1), R(110, 112, 2, 3));
}

Test(ranges, move_forward_into_itself)
{
    set(0, 10, 1, 1);
    set(10, 20, 2, 3);
    move(0, 20, 5, 20);
    EXPECT(R(5, 15, 1, 1), R(15, 25, 2, 3));
}

Test(ranges, move_backward_into_itself)
{
    set(10, 20, 1, 1);
    set(20, 22, 2, 2);   /* outside the old range: untouched */
    move(10, 10, 5, 10);
    EXPECT(R(5, 15, 1, 1), R(20, 22, 2, 2));
}

Test(ranges, move_old_inside_new_grows_with_last_page)
{
    set(0, 5, 3, 3);
    set(10, 19, 1, 1);
    set(19, 20, 2, 2);
    set(25, 30, 4, 4);
    move(10, 10, 0, 30);
    EXPECT(R(0, 9, 1, 1), R(9, 30, 2, 2));
}

Test(ranges, move_old_inside_new_untracked_last_page)
{
    set(0, 5, 3, 3);
    set(10, 15, 1, 1);
    set(25, 30, 4, 4);
    move(10, 10, 0, 30);
    EXPECT(R(0, 5, 1, 1));
}

Test(ranges, move_new_inside_old)
{
    set(0, 30, 1, 1);
    set(10, 12, 2, 2);
    move(0, 30, 10, 10);
    EXPECT(R(10, 20, 1, 1));
}

Test(ranges, move_replaces_destination)
{
    set(0, 10, 1, 1);
    set(100, 120, 2, 2);
    set(130, 140, 5, 5);
    move(0, 10, 105, 10);
    EXPECT(R(100, 105, 2, 2), R(105, 115, 1, 1), R(115, 120, 2, 2), R(130, 140, 5, 5));
}

Test(ranges, move_of_untracked_clears_destination)
{
    set(100, 110, 1, 1);
    move(0, 5, 102, 5);
    EXPECT(R(100, 102, 1, 1), R(107, 110, 1, 1));
}

Test(ranges, move_merges_at_destination)
{
    set(0, 10, 1, 1);
    set(100, 105, 1, 1);
    set(115, 120, 1, 1);
    move(0, 10, 105, 10);
    EXPECT(R(100, 120, 1, 1));
}

/* The most a move can add: both ends of the old range and the destination split, plus the
 * moved piece. 13 ranges leave the array (16 slots) exactly 3 free, one too few. */
Test(ranges, move_between_range_middles_with_three_slots_free)
{
    rm_model_t md;
    rm_model_init(&md, B);
    for (long i = 0; i < 13; i++) {
        set(10 * i, 10 * i + 5, 1 + (uint32_t)i % 3, 1);
        rm_model_fill(&md, 10 * (size_t)i, 5, 1 + (uint32_t)i % 3, 1);
    }
    cr_assert_eq(map.cap - map.n, 3, "the map's growth policy changed: adjust this test");
    move(12, 1, 52, 1);
    rm_model_move(&md, 12, 1, 52, 1);
    char why[256];
    cr_assert(rm_check_canonical(&map, why, sizeof(why)) &&
                  rm_check_equal(&md, &map, why, sizeof(why)),
              "%s", why);
    cr_assert_eq(map.n, 16);
}

/* ---------------------------------------------------------------- queries */

Test(ranges, find_at_edges_and_holes)
{
    cr_assert_null(mpk_ranges_find(&map, PG(0)));
    set(10, 20, 1, 3);
    set(30, 40, 2, 3);
    cr_assert_eq(mpk_ranges_find(&map, PG(10)), &map.v[0]);
    cr_assert_eq(mpk_ranges_find(&map, PG(15) + 7), &map.v[0]);
    cr_assert_eq(mpk_ranges_find(&map, PG(20) - 1), &map.v[0]);
    cr_assert_null(mpk_ranges_find(&map, PG(20)));
    cr_assert_null(mpk_ranges_find(&map, PG(10) - 1));
    cr_assert_null(mpk_ranges_find(&map, PG(25)));
    cr_assert_eq(mpk_ranges_find(&map, PG(30)), &map.v[1]);
    cr_assert_eq(mpk_ranges_find(&map, PG(40) - 1), &map.v[1]);
    cr_assert_null(mpk_ranges_find(&map, PG(40)));
    cr_assert_null(mpk_ranges_find(&map, 0));
    cr_assert_null(mpk_ranges_find(&map, UINTPTR_MAX));
}

Test(ranges, lower_bound)
{
    cr_assert_eq(mpk_ranges_lower_bound(&map, PG(5)), 0);
    set(10, 20, 1, 3);
    set(30, 40, 2, 3);
    cr_assert_eq(mpk_ranges_lower_bound(&map, 0), 0);
    cr_assert_eq(mpk_ranges_lower_bound(&map, PG(10)), 0);
    cr_assert_eq(mpk_ranges_lower_bound(&map, PG(20) - 1), 0);
    cr_assert_eq(mpk_ranges_lower_bound(&map, PG(20)), 1);
    cr_assert_eq(mpk_ranges_lower_bound(&map, PG(25)), 1);
    cr_assert_eq(mpk_ranges_lower_bound(&map, PG(40) - 1), 1);
    cr_assert_eq(mpk_ranges_lower_bound(&map, PG(40)), 2);
    cr_assert_eq(mpk_ranges_lower_bound(&map, UINTPTR_MAX), 2);

    /* The walk the header documents, over [15, 35): both ranges. */
    size_t seen = 0;
    for (size_t i = mpk_ranges_lower_bound(&map, PG(15)); i < map.n && map.v[i].start < PG(35);
         i++)
        seen++;
    cr_assert_eq(seen, 2);
}

Test(ranges, any)
{
    cr_assert_not(mpk_ranges_any(&map, PG(0), PG(100)));
    set(10, 20, 1, 3);
    cr_assert_not(mpk_ranges_any(&map, PG(0), PG(10)));
    cr_assert(mpk_ranges_any(&map, PG(0), PG(11)));
    cr_assert(mpk_ranges_any(&map, PG(19), PG(30)));
    cr_assert(mpk_ranges_any(&map, PG(12), PG(13)));
    cr_assert(mpk_ranges_any(&map, PG(0), PG(100)));
    cr_assert_not(mpk_ranges_any(&map, PG(20), PG(30)));
    cr_assert_not(mpk_ranges_any(&map, PG(15), PG(15)));
}

Test(ranges, count_key_with_bytes)
{
    set(0, 10, 1, 1);
    set(10, 20, 2, 1);
    set(20, 25, 1, 1);
    set(30, 31, 1, 3);
    size_t bytes = 0;
    cr_assert_eq(mpk_ranges_count_key(&map, 1, &bytes), 3);
    cr_assert_eq(bytes, 16 * P);
    cr_assert_eq(mpk_ranges_count_key(&map, 2, &bytes), 1);
    cr_assert_eq(bytes, 10 * P);
    cr_assert_eq(mpk_ranges_count_key(&map, 9, &bytes), 0);
    cr_assert_eq(bytes, 0);
    cr_assert_eq(mpk_ranges_count_key(&map, 1, NULL), 3);
}

/* ---------------------------------------------------------------- invalid arguments */

Test(ranges, invalid_arguments_change_nothing)
{
    rm_model_t md;
    rm_model_init(&md, B);
    set(0, 10, 1, 1);
    set(20, 30, 2, 2);
    for (uint32_t variant = 0; variant < RM_NBAD; variant++) {
        rm_snapshot_t snap;
        rm_snapshot_take(&snap, &map);
        cr_assert_eq(rm_call_bad(&map, &md, variant), EINVAL, "variant %u", variant);
        cr_assert(rm_snapshot_same(&snap, &map), "variant %u changed the map", variant);
    }
}

Test(ranges, extreme_addresses)
{
    uintptr_t top = (uintptr_t)0 - P;   /* the last page-aligned address: an end, never a start */
    cr_assert_eq(mpk_ranges_set(&map, 0, P, 1, 1), 0);
    cr_assert_eq(mpk_ranges_set(&map, top - 2 * P, top, 1, 1), 0);
    cr_assert_eq(mpk_ranges_move(&map, top - 2 * P, 2 * P, P, 2 * P), 0);
    cr_assert_eq(map.n, 1);
    cr_assert_eq(map.v[0].start, 0);
    cr_assert_eq(map.v[0].end, 3 * P);
    cr_assert_eq(mpk_ranges_move(&map, 0, 3 * P, top - 3 * P, 3 * P), 0);
    cr_assert_not_null(mpk_ranges_find(&map, top - 1));
    cr_assert_null(mpk_ranges_find(&map, top));
    cr_assert_null(mpk_ranges_find(&map, 0));
}

/* ---------------------------------------------------------------- random model */

static uint64_t next_rand(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ull);   /* splitmix64 */
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static uint32_t rand_below(uint64_t *s, uint32_t n)
{
    return (uint32_t)(next_rand(s) % n);
}

/* 1..max pages, mostly short so the window holds many ranges. */
static uint32_t rand_len(uint64_t *s, uint32_t max)
{
    uint32_t r = rand_below(s, 10), lim = r < 6 ? 8 : r < 9 ? 64 : RM_PAGES;
    return 1 + rand_below(s, lim < max ? lim : max);
}

/* mremap destinations: in place, overlapping the source, or anywhere. */
static void random_move(uint64_t *s, rm_op_t *op)
{
    uint32_t mode = rand_below(s, 4);
    if (mode == 0) {
        op->c = op->a;
        op->d = rand_len(s, RM_PAGES - op->a);
        return;
    }
    op->d = rand_len(s, RM_PAGES);
    long c = mode == 1 ? (long)op->a + (long)rand_below(s, 2 * op->b - 1) - (long)(op->b - 1)
                       : (long)rand_below(s, RM_PAGES - op->d + 1);
    long hi = RM_PAGES - (long)op->d;
    op->c = (uint32_t)(c < 0 ? 0 : c > hi ? hi : c);
}

static void random_op(uint64_t *s, rm_op_t *op)
{
    uint32_t r = rand_below(s, 100);
    op->kind = r < 35 ? RM_SET : r < 55 ? RM_CLEAR : r < 75 ? RM_SET_PROT : r < 98 ? RM_MOVE
                                                                                   : RM_BAD;
    op->b = rand_len(s, RM_PAGES);
    op->a = rand_below(s, RM_PAGES - op->b + 1);
    op->c = op->d = 0;
    op->key = rm_keys[rand_below(s, RM_NKEYS)];
    op->prot = rm_prots[rand_below(s, RM_NPROTS)];
    if (op->kind == RM_MOVE)
        random_move(s, op);
    if (op->kind == RM_BAD)
        op->a = rand_below(s, RM_NBAD);
}

/* Drives map and model with the same ops, checking everything after each; a failure names the
 * seed and op index, which replay it exactly. */
static void run_model(uint64_t seed, uintptr_t base, size_t nops)
{
    rm_heap_t h;
    mpk_alloc_t a = rm_heap_alloc(&h);
    mpk_ranges_t m;
    mpk_ranges_init(&m, &a);
    rm_model_t md;
    rm_model_init(&md, base);
    uint64_t s = seed;
    size_t most = 0;
    char why[256], desc[128];
    for (size_t i = 0; i < nops; i++) {
        rm_op_t op;
        random_op(&s, &op);
        rm_op_describe(&op, desc, sizeof(desc));
        rm_snapshot_t snap;
        rm_snapshot_take(&snap, &m);
        int got = rm_call_map(&m, &md, &op), want = rm_apply_model(&md, &op);
        cr_assert_eq(got, want, "seed %#llx op %zu %s: returned %d, expected %d",
                     (unsigned long long)seed, i, desc, got, want);
        cr_assert(want == 0 || rm_snapshot_same(&snap, &m),
                  "seed %#llx op %zu %s: failed call changed the map", (unsigned long long)seed,
                  i, desc);
        cr_assert(rm_check_all(&md, &m, why, sizeof(why)), "seed %#llx op %zu %s: %s",
                  (unsigned long long)seed, i, desc, why);
        most = m.n > most ? m.n : most;
    }
    cr_assert(!h.misuse, "seed %#llx: allocator misused", (unsigned long long)seed);
    mpk_ranges_destroy(&m);
    fprintf(stderr, "model: seed %#llx base %#lx: %zu ops checked, up to %zu ranges, %lu grows\n",
            (unsigned long long)seed, (unsigned long)base, nops, most, h.grows);
}

#define MODEL_OPS 100000

Test(ranges_model, random_ops_mid_window, .timeout = 300)
{
    static const uint64_t seeds[] = { 1, 0x5eed, 0xdeadbeef, 20240611 };
    for (size_t i = 0; i < sizeof(seeds) / sizeof(seeds[0]); i++)
        run_model(seeds[i], RM_BASE_MID, MODEL_OPS);
}

Test(ranges_model, random_ops_at_address_zero, .timeout = 300)
{
    run_model(0x10, RM_BASE_LOW, MODEL_OPS);
}

Test(ranges_model, random_ops_at_top_of_address_space, .timeout = 300)
{
    run_model(0x70, RM_BASE_TOP, MODEL_OPS);
}

/* ---------------------------------------------------------------- allocation failure */

/* Short runs from an empty map, so one run grows the array several times. */
#define EPOCHS 200
#define EPOCH_OPS 400

typedef struct fail_stats {
    unsigned long enomem[RM_NKINDS];
    unsigned long runs;
} fail_stats_t;

/* One epoch with the fail_at-th grow failing (0: none): the failing call must return ENOMEM
 * and leave the map exactly as it was; the same call retried must then succeed. Returns the
 * number of grows the epoch made. */
static unsigned long run_epoch(uint64_t seed, unsigned long fail_at, fail_stats_t *st)
{
    rm_heap_t h;
    mpk_alloc_t a = rm_heap_alloc(&h);
    h.fail_at = fail_at;
    mpk_ranges_t m;
    mpk_ranges_init(&m, &a);
    rm_model_t md;
    rm_model_init(&md, RM_BASE_MID);
    uint64_t s = seed;
    char why[256], desc[128];
    unsigned long seen = 0;
    for (size_t i = 0; i < EPOCH_OPS; i++) {
        rm_op_t op;
        random_op(&s, &op);
        rm_op_describe(&op, desc, sizeof(desc));
        rm_snapshot_t snap;
        rm_snapshot_take(&snap, &m);
        int got = rm_call_map(&m, &md, &op);
        if (got == ENOMEM) {
            cr_assert(h.failures == 1 && h.grows == fail_at,
                      "seed %#llx op %zu %s: ENOMEM without an injected failure",
                      (unsigned long long)seed, i, desc);
            cr_assert(rm_snapshot_same(&snap, &m),
                      "seed %#llx fail_at %lu op %zu %s: ENOMEM changed the map",
                      (unsigned long long)seed, fail_at, i, desc);
            seen++;
            st->enomem[op.kind]++;
            got = rm_call_map(&m, &md, &op);
        }
        int want = rm_apply_model(&md, &op);
        cr_assert_eq(got, want, "seed %#llx fail_at %lu op %zu %s: returned %d, expected %d",
                     (unsigned long long)seed, fail_at, i, desc, got, want);
        cr_assert(rm_check_canonical(&m, why, sizeof(why)) &&
                      rm_check_equal(&md, &m, why, sizeof(why)),
                  "seed %#llx fail_at %lu op %zu %s: %s", (unsigned long long)seed, fail_at, i,
                  desc, why);
    }
    cr_assert_eq(seen, h.failures, "seed %#llx fail_at %lu: a failed grow went unreported",
                 (unsigned long long)seed, fail_at);
    cr_assert(!h.misuse);
    mpk_ranges_destroy(&m);
    st->runs++;
    return h.grows;
}

Test(ranges_alloc, every_failing_grow_leaves_the_map_untouched, .timeout = 300)
{
    fail_stats_t st = { 0 };
    unsigned long total = 0;
    for (uint64_t e = 0; e < EPOCHS; e++) {
        uint64_t seed = 0xa110c000 + e;
        unsigned long grows = run_epoch(seed, 0, &st);
        for (unsigned long n = 1; n <= grows; n++)
            run_epoch(seed, n, &st);
        total += grows;
    }
    unsigned long failed = 0;
    for (int k = 0; k < RM_NKINDS; k++)
        failed += st.enomem[k];
    cr_assert_eq(failed, total, "every injected failure must surface as one ENOMEM");
    for (int k = RM_SET; k <= RM_MOVE; k++)
        cr_expect_gt(st.enomem[k], 0, "no ENOMEM was injected into %s", rm_kind_name(k));
    fprintf(stderr,
            "alloc: %lu grows failed one at a time over %lu runs; ENOMEM from set %lu, clear "
            "%lu, set_prot %lu, move %lu\n",
            total, st.runs, st.enomem[RM_SET], st.enomem[RM_CLEAR], st.enomem[RM_SET_PROT],
            st.enomem[RM_MOVE]);
}

/* Long runs leave the array roomier than needed, so operations rarely meet a full array there.
 * Here each trial builds a fresh map holding exactly n ranges, n at or just below a capacity the
 * map grows to (16, 32, ...), then applies one random operation with the next grow failing. */
static const size_t tight_sizes[] = { 16, 15, 14, 32, 31, 30, 64, 63, 62, 128, 127, 126 };
#define TIGHT_TRIALS 1500

/* Random model state with exactly n ranges: runs of 1-4 pages, half of them right after the
 * previous one (so some merge), and everything after the n-th range cleared. */
static void tight_model(rm_model_t *md, uint64_t *s, size_t n)
{
    rm_model_init(md, RM_BASE_MID);
    for (size_t p = 0, len; p < RM_PAGES; p += len + rand_below(s, 2)) {
        len = 1 + rand_below(s, 4);
        len = len < RM_PAGES - p ? len : RM_PAGES - p;
        rm_model_fill(md, p, len, rm_keys[rand_below(s, 2)], rm_prots[rand_below(s, 2)]);
    }
    mpk_range_t r[RM_PAGES];
    size_t have = rm_model_ranges(md, r);
    cr_assert_geq(have, n, "window too small for %zu ranges", n);
    size_t from = (r[n - 1].end - md->base) / RM_PAGE;
    rm_model_fill(md, from, RM_PAGES - from, 0, 0);
}

/* Sets only ever leave two free slots (set reserves for a three-way split), so the map is
 * built with n - 1 ranges and then a clear splits one range in two, as a program would. */
static bool tight_map(mpk_ranges_t *m, rm_model_t *md, uint64_t *s, size_t n)
{
    tight_model(md, s, n - 1);
    mpk_range_t r[RM_PAGES];
    size_t k = rm_model_ranges(md, r), x = rand_below(s, (uint32_t)k), tries = 0;
    for (size_t i = 0; i < k; i++)
        cr_assert_eq(mpk_ranges_set(m, r[i].start, r[i].end, r[i].key, r[i].prot), 0);
    while (r[x].end - r[x].start < 3 * RM_PAGE) {
        x = (x + 1) % k;
        if (++tries == k)
            return false;
    }
    size_t page = (r[x].start - md->base) / RM_PAGE + 1;
    cr_assert_eq(mpk_ranges_clear(m, rm_addr(md, page), rm_addr(md, page + 1)), 0);
    rm_model_fill(md, page, 1, 0, 0);
    return m->n == n;
}

typedef struct tight_stats {
    fail_stats_t fail;
    unsigned long slack[3];   /* trials starting with 0, 1, 2 free slots */
} tight_stats_t;

static void tight_trial(uint64_t seed, size_t n, tight_stats_t *st)
{
    rm_heap_t h;
    mpk_alloc_t a = rm_heap_alloc(&h);
    mpk_ranges_t m;
    mpk_ranges_init(&m, &a);
    rm_model_t md;
    uint64_t s = seed;
    cr_assert(tight_map(&m, &md, &s, n), "seed %#llx: could not build %zu ranges",
              (unsigned long long)seed, n);
    if (m.cap - m.n < 3)
        st->slack[m.cap - m.n]++;

    rm_op_t op;
    char why[256], desc[128];
    random_op(&s, &op);
    rm_op_describe(&op, desc, sizeof(desc));
    rm_snapshot_t snap;
    rm_snapshot_take(&snap, &m);
    h.fail_at = h.grows + 1;
    int got = rm_call_map(&m, &md, &op);
    if (got == ENOMEM) {
        cr_assert(rm_snapshot_same(&snap, &m), "seed %#llx n %zu %s: ENOMEM changed the map",
                  (unsigned long long)seed, n, desc);
        st->fail.enomem[op.kind]++;
        got = rm_call_map(&m, &md, &op);
    }
    int want = rm_apply_model(&md, &op);
    cr_assert_eq(got, want, "seed %#llx n %zu %s: returned %d, expected %d",
                 (unsigned long long)seed, n, desc, got, want);
    cr_assert(rm_check_all(&md, &m, why, sizeof(why)), "seed %#llx n %zu %s: %s",
              (unsigned long long)seed, n, desc, why);
    cr_assert(!h.misuse);
    mpk_ranges_destroy(&m);
    st->fail.runs++;
}

Test(ranges_alloc, one_op_on_a_nearly_full_array, .timeout = 300)
{
    tight_stats_t st = { 0 };
    for (size_t x = 0; x < sizeof(tight_sizes) / sizeof(tight_sizes[0]); x++)
        for (uint64_t t = 0; t < TIGHT_TRIALS; t++)
            tight_trial(0x7197000000ull + x * TIGHT_TRIALS + t, tight_sizes[x], &st);
    for (int k = 0; k < 3; k++)
        cr_expect_gt(st.slack[k], 0, "no trial started with %d free slots", k);
    for (int k = RM_SET; k <= RM_MOVE; k++)
        cr_expect_gt(st.fail.enomem[k], 0, "no ENOMEM was injected into %s", rm_kind_name(k));
    fprintf(stderr,
            "tight: %lu trials (%lu/%lu/%lu with 0/1/2 free slots); ENOMEM from set %lu, clear "
            "%lu, set_prot %lu, move %lu\n",
            st.fail.runs, st.slack[0], st.slack[1], st.slack[2], st.fail.enomem[RM_SET],
            st.fail.enomem[RM_CLEAR], st.fail.enomem[RM_SET_PROT], st.fail.enomem[RM_MOVE]);
}

/* ---------------------------------------------------------------- scale */

#define MANY 100000

/* ASan's memmove is a byte loop, 15 times slower here: a tight bound would measure ASan. */
#if defined(__SANITIZE_ADDRESS__)
#define MANY_SECONDS 60.0
#else
#define MANY_SECONDS 5.0
#endif

/* CPU time, not wall time: the bound must hold on a loaded machine too. */
static double seconds_since(const struct timespec *t0)
{
    struct timespec t;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return (double)(t.tv_sec - t0->tv_sec) + (double)(t.tv_nsec - t0->tv_nsec) / 1e9;
}

/* Every other page, inserted in random order: no merges, so the map ends with MANY ranges. */
Test(ranges, hundred_thousand_single_pages, .timeout = 120)
{
    static uint32_t order[MANY];
    uint64_t s = 42;
    for (uint32_t i = 0; i < MANY; i++)
        order[i] = i;
    for (uint32_t i = MANY - 1; i > 0; i--) {
        uint32_t j = rand_below(&s, i + 1), t = order[i];
        order[i] = order[j];
        order[j] = t;
    }
    struct timespec t0;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t0);
    for (uint32_t i = 0; i < MANY; i++)
        set(2 * (long)order[i], 2 * (long)order[i] + 1, 1 + order[i] % 3, 3);
    double insert = seconds_since(&t0);
    cr_assert_eq(map.n, MANY);
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t0);
    for (uint32_t i = 0; i < MANY; i++) {
        const mpk_range_t *r = mpk_ranges_find(&map, PG(2 * (long)i) + 5);
        cr_assert(r && r->start == PG(2 * (long)i) && r->key == 1 + i % 3, "page %u", 2 * i);
        cr_assert_null(mpk_ranges_find(&map, PG(2 * (long)i + 1)));
    }
    double find = seconds_since(&t0);
    char why[256];
    cr_assert(rm_check_canonical(&map, why, sizeof(why)), "%s", why);
    fprintf(stderr, "scale: %d random-order inserts %.3f s, %d finds + %d misses %.3f s (CPU)\n",
            MANY, insert, MANY, MANY, find);
    cr_assert_lt(insert + find, MANY_SECONDS, "100,000 ranges took %.1f s", insert + find);
}
