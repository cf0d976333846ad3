/* tests/stress/stress.c: model-checked stress. Threads run random sequences of pkey_alloc,
 * pkey_free, pkey_mprotect, pkey_set, pkey_get, mprotect, mmap/munmap, mpk_mprotect,
 * mpk_begin/mpk_end and read/write probes over hundreds of live keys (most of them evicted at
 * any time) and check every result against a reference model of who may access what.
 *
 * Three kinds of keys. Shared keys carry each thread's own rights (pkey_set), on one page per
 * thread; private keys are allocated, freed and re-tagged by their thread. A thread only
 * changes its own pages and rights on those, so its checks on them depend on its own
 * operations only, whatever the interleaving. Global keys are shared by all threads on one
 * page each; each has an owner thread that changes every thread's rights on it with
 * mpk_mprotect, and publishes in an atomic word which call is running or done (its number,
 * the rights before and after). A thread that reads the same word before and after a probe
 * knows the exact rights it must have: the last mpk_mprotect's (revocations are complete on
 * return, grants reach it at its next access), unless it set its own since, or sits inside
 * an mpk_begin section (which keeps the section's rights until mpk_end). A probe that overlaps
 * a running call may see the rights before or after it, and is checked for that. Seeded and
 * replayable: the sequence of operations each thread runs is a function of the seed.
 * Usage: stress [-t THREADS] [-k SHARED_KEYS] [-p PRIVATE_KEYS] [-g GLOBAL_KEYS] [-n OPS]
 *               [-s SEED] */
#include "../integration/it.h"

#include <mpk.h>
#include <pthread.h>
#include <stdatomic.h>
#include <unistd.h>

enum { RW = 0, RO = PKEY_DISABLE_WRITE, NONE = PKEY_DISABLE_ACCESS };
enum { MAX_SECTIONS = 4 };

static int nthreads = 8, nshared = 200, nprivate = 24, nglobal = 16;
static long nops = 20000;
static uint64_t seed = 1;
static int *shared_keys, *global_keys;
static char *global_pages;

/* ---- the published state of each global key ------------------------------------------------ */

/* gen (bits 32..63): mpk_mprotect calls started; running (bit 16): call number gen has not
 * returned yet; before (bits 8..15): the rights call gen-1 left; rights (0..7): what call gen
 * gives (or gave). */
static _Atomic uint64_t *global_state;

static uint64_t gs_make(uint32_t gen, bool running, int before, int rights)
{
    return (uint64_t)gen << 32 | (uint64_t)running << 16 | (uint64_t)(before & 0xff) << 8 |
           (uint64_t)(rights & 0xff);
}
static uint32_t gs_gen(uint64_t s) { return (uint32_t)(s >> 32); }
static bool gs_running(uint64_t s) { return (s >> 16) & 1; }
static int gs_before(uint64_t s) { return (int)((s >> 8) & 0xff); }
static int gs_rights(uint64_t s) { return (int)(s & 0xff); }

/* ---- each thread's model ----------------------------------------------------------------------- */

typedef struct page_model {
    char *addr;
    int key;  /* index into the thread's key list, -1: default key */
    int prot; /* PROT_* the page has */
} page_model_t;

/* A thread's knowledge of its rights on a global key: set by itself (pkey_set, or what a
 * section restored) while call number `gen` was the last one done; `known` is false when the
 * set overlapped a call, so either may have won until the next call. */
typedef struct global_model {
    int rights;
    uint32_t gen;
    bool known;
} global_model_t;

typedef struct section {
    int kidx;            /* key index (all kinds) */
    int rights;          /* what mpk_begin gave */
    uint64_t before;     /* global state before mpk_begin */
} section_t;

enum { OP_SET, OP_GET, OP_PROBE, OP_MPROTECT, OP_PRIVATE, OP_REMAP, OP_ALL, OP_BEGIN, OP_END,
       OP_GPROBE, N_OPS };

typedef struct worker {
    long id;
    int *rights;         /* per shared key */
    int *priv_keys;      /* private keys (0: none now) */
    int *priv_rights;
    global_model_t *global;
    page_model_t *pages; /* one page per shared key, then one per private key */
    section_t sections[MAX_SECTIONS];
    int n_sections;
    unsigned long checks, unchecked, ops[N_OPS];
} worker_t;

/* Key indices: [0, nshared) shared, then nprivate private, then nglobal global. */
static bool is_global(int kidx) { return kidx >= nshared + nprivate; }

static int key_of(worker_t *w, int kidx)
{
    if (kidx < nshared)
        return shared_keys[kidx];
    if (!is_global(kidx))
        return w->priv_keys[kidx - nshared];
    return global_keys[kidx - nshared - nprivate];
}

static section_t *section_on(worker_t *w, int kidx)
{
    for (int i = 0; i < w->n_sections; i++)
        if (w->sections[i].kidx == kidx)
            return &w->sections[i];
    return NULL;
}

/* The rights this thread has on a shared or private key. */
static int rights_of(worker_t *w, int kidx)
{
    section_t *s = section_on(w, kidx);
    if (s)
        return s->rights;
    return kidx < nshared ? w->rights[kidx] : w->priv_rights[kidx - nshared];
}

/* The rights this thread must have on global key j while its state word reads st (not
 * running); -1 when the model cannot say (its own set overlapped the last call). */
static int global_rights(worker_t *w, int j, uint64_t st)
{
    global_model_t *g = &w->global[j];
    section_t *s = section_on(w, nshared + nprivate + j);
    if (s)
        return s->rights;
    if (g->gen < gs_gen(st))
        return gs_rights(st); /* an mpk_mprotect since its own set */
    return g->known ? g->rights : -1;
}

/* The same while call number gen(st) runs: what the thread had before it, or -1. */
static int global_rights_before(worker_t *w, int j, uint64_t st)
{
    global_model_t *g = &w->global[j];
    if (g->gen + 1 < gs_gen(st))
        return gs_before(st);
    return g->gen + 1 == gs_gen(st) && g->known ? g->rights : -1;
}

static int random_rights(void)
{
    static const int r[] = {RW, RO, NONE, NONE | RO};
    return r[it_rand() % 4];
}

static int prot_of_rights(int r)
{
    return (r & NONE) ? PROT_NONE : (r & RO) ? PROT_READ : PROT_READ | PROT_WRITE;
}

/* A random key index of any kind, or -1 for a private key that does not exist now. */
static int random_kidx(worker_t *w)
{
    int k = (int)(it_rand() % (uint64_t)(nshared + nprivate + nglobal));
    if (k >= nshared && !is_global(k) && !w->priv_keys[k - nshared])
        return -1;
    return k;
}

/* ---- checks ------------------------------------------------------------------------------------ */

static void check_fault(worker_t *w, int key)
{
    w->checks++;
    IT_CHECK(it_last.code == SEGV_PKUERR && it_last.pkey == key,
             "seed %llu thread %ld: fault code %d pkey %d, expected key %d",
             (unsigned long long)seed, w->id, it_last.code, it_last.pkey, key);
}

static void check_page(worker_t *w, page_model_t *p)
{
    int r = p->key < 0 ? RW : rights_of(w, p->key);
    int can_r = it_can_read(r) && (p->prot & PROT_READ);
    int can_w = it_can_write(r) && (p->prot & PROT_WRITE);
    int got_r = it_probe_read(p->addr), got_w = it_probe_write(p->addr);
    w->checks += 2;
    IT_CHECK(got_r == can_r && got_w == can_w,
             "seed %llu thread %ld: page of key %d (rights %d prot %d): read %d write %d",
             (unsigned long long)seed, w->id, p->key < 0 ? 0 : key_of(w, p->key), r, p->prot, got_r,
             got_w);
    if (!got_r && !it_can_read(r) && (p->prot & PROT_READ))
        check_fault(w, key_of(w, p->key));
}

/* Probe global key j's page between two reads of its state word. */
static void check_global_page(worker_t *w, int j)
{
    char *page = global_pages + 4096 * (size_t)j;
    uint64_t s1, s2;
    int got_r, got_w, r, before;
    s1 = atomic_load(&global_state[j]);
    atomic_thread_fence(memory_order_seq_cst);
    got_r = it_probe_read(page);
    got_w = it_probe_write(page);
    atomic_thread_fence(memory_order_seq_cst);
    s2 = atomic_load(&global_state[j]);
    w->ops[OP_GPROBE]++;
    if (section_on(w, nshared + nprivate + j) || (s1 == s2 && !gs_running(s1))) {
        r = global_rights(w, j, s1);
        if (r < 0) {
            w->unchecked++;
            return;
        }
        w->checks += 2;
        IT_CHECK(got_r == it_can_read(r) && got_w == it_can_write(r),
                 "seed %llu thread %ld: global key %d (rights %d after mpk_mprotect #%u): read %d "
                 "write %d", (unsigned long long)seed, w->id, global_keys[j], r, gs_gen(s1), got_r,
                 got_w);
        if (!got_r && !it_can_read(r))
            check_fault(w, global_keys[j]);
        return;
    }
    /* A call ran during the probe: each access must agree with the rights before or after it. */
    if (s1 != s2 || (before = global_rights_before(w, j, s1)) < 0) {
        w->unchecked++;
        return;
    }
    r = gs_rights(s1);
    w->checks += 2;
    IT_CHECK(got_r == it_can_read(before) || got_r == it_can_read(r),
             "seed %llu thread %ld: global key %d read %d during mpk_mprotect #%u (%d -> %d)",
             (unsigned long long)seed, w->id, global_keys[j], got_r, gs_gen(s1), before, r);
    IT_CHECK(got_w == it_can_write(before) || got_w == it_can_write(r),
             "seed %llu thread %ld: global key %d write %d during mpk_mprotect #%u (%d -> %d)",
             (unsigned long long)seed, w->id, global_keys[j], got_w, gs_gen(s1), before, r);
}

/* ---- operations ---------------------------------------------------------------------------------- */

static void op_set(worker_t *w)
{
    int k = random_kidx(w), r = random_rights();
    uint64_t s1 = 0, s2;
    if (k < 0 || section_on(w, k))
        return; /* a section's rights are the section's */
    if (is_global(k))
        s1 = atomic_load(&global_state[k - nshared - nprivate]);
    w->checks++;
    IT_CHECK(pkey_set(key_of(w, k), (unsigned)r) == 0, "pkey_set(%d): %s", key_of(w, k), strerror(errno));
    if (k < nshared) {
        w->rights[k] = r;
    } else if (!is_global(k)) {
        w->priv_rights[k - nshared] = r;
    } else {
        global_model_t *g = &w->global[k - nshared - nprivate];
        s2 = atomic_load(&global_state[k - nshared - nprivate]);
        g->rights = r;
        g->known = s1 == s2 && !gs_running(s1);
        g->gen = gs_gen(s2);
    }
    w->ops[OP_SET]++;
}

static void op_get(worker_t *w)
{
    int k = random_kidx(w), expect, got;
    uint64_t s1 = 0, s2 = 0;
    if (k < 0)
        return;
    if (is_global(k))
        s1 = atomic_load(&global_state[k - nshared - nprivate]);
    got = pkey_get(key_of(w, k));
    if (!is_global(k)) {
        expect = rights_of(w, k);
    } else {
        s2 = atomic_load(&global_state[k - nshared - nprivate]);
        expect = section_on(w, k) || (s1 == s2 && !gs_running(s1))
                     ? global_rights(w, k - nshared - nprivate, s1) : -1;
    }
    if (expect < 0) {
        w->unchecked++;
        return;
    }
    w->checks++;
    IT_CHECK(got == expect, "seed %llu thread %ld: pkey_get(%d) = %d, model %d",
             (unsigned long long)seed, w->id, key_of(w, k), got, expect);
    w->ops[OP_GET]++;
}

static void op_probe(worker_t *w)
{
    if (nglobal && it_rand() % 4 == 0)
        check_global_page(w, (int)(it_rand() % (uint64_t)nglobal));
    else
        check_page(w, &w->pages[it_rand() % (uint64_t)(nshared + nprivate)]);
    w->ops[OP_PROBE]++;
}

static void op_mprotect(worker_t *w)
{
    page_model_t *p = &w->pages[it_rand() % (uint64_t)(nshared + nprivate)];
    int prot = (it_rand() & 1) ? PROT_READ | PROT_WRITE : PROT_READ;
    w->checks++;
    IT_CHECK(mprotect(p->addr, 4096, prot) == 0, "mprotect: %s", strerror(errno));
    p->prot = prot; /* the page keeps its key */
    w->ops[OP_MPROTECT]++;
}

static void op_private_cycle(worker_t *w)
{
    int i = (int)(it_rand() % (uint64_t)nprivate);
    page_model_t *p = &w->pages[nshared + i];
    if (section_on(w, nshared + i))
        return;
    if (w->priv_keys[i]) { /* free it: first move the page off it, or free it in use */
        int old = w->priv_keys[i];
        if (it_rand() & 1) {
            w->checks++;
            IT_CHECK(pkey_mprotect(p->addr, 4096, p->prot, 0) == 0, "pkey_mprotect to key 0");
            p->key = -1;
        }
        w->checks += 2;
        IT_CHECK(pkey_free(old) == 0, "pkey_free(%d): %s", old, strerror(errno));
        IT_CHECK(pkey_set(old, 0) == -1 && errno == EINVAL, "freed key %d still settable", old);
        w->priv_keys[i] = 0;
        if (p->key >= 0) { /* freed in use: the pages keep this thread's rights; retag them */
            w->checks++;
            IT_CHECK(!it_probe_read(p->addr) || it_can_read(w->priv_rights[i]), "freed key page");
            IT_CHECK(pkey_mprotect(p->addr, 4096, p->prot, 0) == 0, "retag to key 0");
            p->key = -1;
        }
    } else {
        int r = random_rights(), k = pkey_alloc(0, (unsigned)r);
        w->checks += 2;
        IT_CHECK(k > 0, "pkey_alloc: %s", strerror(errno));
        if (k <= 0)
            return;
        w->priv_keys[i] = k;
        w->priv_rights[i] = r;
        IT_CHECK(pkey_mprotect(p->addr, 4096, p->prot, k) == 0, "pkey_mprotect(%d)", k);
        p->key = nshared + i;
    }
    w->ops[OP_PRIVATE]++;
}

static void op_remap(worker_t *w)
{
    page_model_t *p = &w->pages[it_rand() % (uint64_t)(nshared + nprivate)];
    void *q = mmap(p->addr, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    w->checks++;
    IT_CHECK(q == p->addr, "mmap MAP_FIXED: %s", strerror(errno));
    p->prot = PROT_READ | PROT_WRITE;
    p->key = -1; /* a new mapping has the default key */
    check_page(w, p);
    if (p - w->pages < nshared || w->priv_keys[p - w->pages - nshared]) {
        int kidx = (int)(p - w->pages);
        w->checks++;
        IT_CHECK(pkey_mprotect(p->addr, 4096, p->prot, key_of(w, kidx)) == 0, "re-tag");
        p->key = kidx;
    }
    w->ops[OP_REMAP]++;
}

/* Rights of every thread on one of the global keys this thread owns (j % nthreads == id). */
static void op_mprotect_all(worker_t *w)
{
    int owned = (nglobal - (int)w->id + nthreads - 1) / nthreads, j, r;
    uint64_t st;
    if (owned <= 0)
        return;
    j = (int)w->id + nthreads * (int)(it_rand() % (uint64_t)owned);
    r = (int[]){RW, RO, NONE}[it_rand() % 3];
    st = atomic_load(&global_state[j]);
    atomic_store(&global_state[j], gs_make(gs_gen(st) + 1, true, gs_rights(st), r));
    w->checks++;
    IT_CHECK(mpk_mprotect(global_keys[j], prot_of_rights(r)) == 0, "mpk_mprotect(%d): %s",
             global_keys[j], strerror(errno));
    atomic_store(&global_state[j], gs_make(gs_gen(st) + 1, false, gs_rights(st), r));
    w->ops[OP_ALL]++;
}

static void op_begin(worker_t *w)
{
    int k = random_kidx(w), r = (int[]){RW, RO, NONE}[it_rand() % 3];
    section_t *s;
    if (k < 0 || section_on(w, k) || w->n_sections == MAX_SECTIONS)
        return;
    s = &w->sections[w->n_sections];
    s->kidx = k;
    s->rights = r;
    if (is_global(k))
        s->before = atomic_load(&global_state[k - nshared - nprivate]);
    w->checks++;
    IT_CHECK(mpk_begin(key_of(w, k), prot_of_rights(r)) == 0, "mpk_begin(%d): %s", key_of(w, k),
             strerror(errno));
    w->n_sections++;
    w->ops[OP_BEGIN]++;
}

static void op_end(worker_t *w)
{
    int i, k;
    section_t s;
    if (!w->n_sections)
        return;
    i = (int)(it_rand() % (uint64_t)w->n_sections);
    s = w->sections[i];
    k = s.kidx;
    w->checks++;
    IT_CHECK(mpk_end(key_of(w, k)) == 0, "mpk_end(%d): %s", key_of(w, k), strerror(errno));
    w->sections[i] = w->sections[--w->n_sections];
    if (is_global(k) && gs_running(s.before)) {
        /* mpk_end restores what the thread had before mpk_begin, or the rights of the
         * mpk_mprotect calls made since, even those that overlapped mpk_begin or mpk_end: the
         * model already says which, except for a call that was running when mpk_begin
         * started: its rights are the thread's for sure by now. */
        global_model_t *g = &w->global[k - nshared - nprivate];
        g->known = true;
        g->rights = gs_rights(s.before);
        g->gen = gs_gen(s.before);
    }
    /* A key without a section here: mpk_end says so. */
    if (!section_on(w, k)) {
        w->checks++;
        IT_CHECK(mpk_end(key_of(w, k)) == -1 && errno == EINVAL, "mpk_end(%d) without mpk_begin",
                 key_of(w, k));
    }
    w->ops[OP_END]++;
}

static void *run(void *arg)
{
    worker_t *w = arg;
    it_seed(seed * 1000003 + (uint64_t)w->id);
    for (long i = 0; i < nops && it_failures == 0; i++) {
        unsigned c = (unsigned)(it_rand() % 100);
        if (c < 30)
            op_set(w);
        else if (c < 38)
            op_get(w);
        else if (c < 76)
            op_probe(w);
        else if (c < 82)
            op_mprotect(w);
        else if (c < 87)
            op_private_cycle(w);
        else if (c < 90)
            op_remap(w);
        else if (c < 94)
            op_mprotect_all(w);
        else if (c < 97)
            op_begin(w);
        else
            op_end(w);
    }
    while (w->n_sections) /* leave no section open */
        op_end(w);
    return NULL;
}

/* ---- set-up ----------------------------------------------------------------------------------------- */

static int alloc_keys(int **keys, int n)
{
    *keys = calloc((size_t)n + 1, sizeof **keys);
    for (int i = 0; i < n; i++) {
        (*keys)[i] = pkey_alloc(0, 0); /* threads made later inherit rights 0 */
        if ((*keys)[i] <= 0) {
            printf("SKIP: pkey_alloc: %s\n", strerror(errno));
            return it_preloaded() ? 1 : IT_SKIP;
        }
    }
    return 0;
}

static void setup_worker(worker_t *w, long id)
{
    char *mem = it_page((size_t)(nshared + nprivate));
    w->id = id;
    w->rights = calloc((size_t)nshared, sizeof(int));
    w->priv_keys = calloc((size_t)nprivate, sizeof(int));
    w->priv_rights = calloc((size_t)nprivate, sizeof(int));
    w->global = calloc((size_t)nglobal + 1, sizeof(global_model_t));
    w->pages = calloc((size_t)(nshared + nprivate), sizeof(page_model_t));
    for (int i = 0; i < nglobal; i++)
        w->global[i] = (global_model_t){.rights = RW, .gen = 0, .known = true};
    for (int i = 0; i < nshared + nprivate; i++) {
        page_model_t *p = &w->pages[i];
        p->addr = mem + 4096 * (size_t)i;
        p->prot = PROT_READ | PROT_WRITE;
        p->key = -1;
        if (i < nshared && pkey_mprotect(p->addr, 4096, p->prot, shared_keys[i]) == 0)
            p->key = i;
    }
}

int main(int argc, char **argv)
{
    pthread_t th[64];
    worker_t *ws;
    unsigned long checks = 0, unchecked = 0, ops[N_OPS] = {0};
    int opt, r;
    while ((opt = getopt(argc, argv, "t:k:p:g:n:s:")) != -1) {
        switch (opt) {
        case 't': nthreads = atoi(optarg); break;
        case 'k': nshared = atoi(optarg); break;
        case 'p': nprivate = atoi(optarg); break;
        case 'g': nglobal = atoi(optarg); break;
        case 'n': nops = atol(optarg); break;
        case 's': seed = strtoull(optarg, NULL, 0); break;
        default:
            fprintf(stderr, "usage: stress [-t n] [-k n] [-p n] [-g n] [-n ops] [-s seed]\n");
            return 2;
        }
    }
    if (nthreads < 1 || nthreads > 64 || nshared < 1 || nprivate < 1 || nglobal < 0) {
        fprintf(stderr, "stress: 1..64 threads, at least one shared and one private key\n");
        return 2;
    }
    it_require_pku();
    it_install_probe_handler();
    if ((r = alloc_keys(&shared_keys, nshared)) || (r = alloc_keys(&global_keys, nglobal)))
        return r;
    global_state = calloc((size_t)nglobal + 1, sizeof *global_state);
    if (nglobal) {
        global_pages = it_page((size_t)nglobal);
        for (int j = 0; j < nglobal; j++)
            IT_CHECK(pkey_mprotect(global_pages + 4096 * (size_t)j, 4096, PROT_READ | PROT_WRITE,
                                   global_keys[j]) == 0, "pkey_mprotect(global %d)", global_keys[j]);
    }
    ws = calloc((size_t)nthreads, sizeof *ws);
    for (int t = 0; t < nthreads; t++)
        setup_worker(&ws[t], t);
    for (int t = 0; t < nthreads; t++)
        pthread_create(&th[t], NULL, run, &ws[t]);
    for (int t = 0; t < nthreads; t++) {
        pthread_join(th[t], NULL);
        checks += ws[t].checks;
        unchecked += ws[t].unchecked;
        for (int i = 0; i < N_OPS; i++)
            ops[i] += ws[t].ops[i];
    }
    printf("stress: seed %llu, %d threads, %d shared + %d private keys per thread + %d global: "
           "%lu checks (set %lu, get %lu, probe %lu of which global %lu, mprotect %lu, "
           "alloc/free %lu, remap %lu, mpk_mprotect %lu, mpk_begin %lu, mpk_end %lu); "
           "%lu results left unchecked (overlapping an mpk_mprotect)\n",
           (unsigned long long)seed, nthreads, nshared, nprivate, nglobal, checks, ops[OP_SET],
           ops[OP_GET], ops[OP_PROBE], ops[OP_GPROBE], ops[OP_MPROTECT], ops[OP_PRIVATE],
           ops[OP_REMAP], ops[OP_ALL], ops[OP_BEGIN], ops[OP_END], unchecked);
    return it_done("stress");
}
