/* tests/stress/stress.c: model-checked stress. Threads run random sequences of pkey_alloc,
 * pkey_free, pkey_mprotect, pkey_set, pkey_get, mprotect, mmap/munmap and read/write probes
 * over hundreds of live keys (most of them evicted at any time) and check every result
 * against a reference model of who may access what. Shared keys carry each thread's own
 * rights; each thread also has private keys it allocates, frees and re-tags. A thread only
 * changes its own pages, so its checks depend on its own operations only: the outcome is
 * deterministic per thread whatever the interleaving. Seeded and replayable.
 * Usage: stress [-t THREADS] [-k SHARED_KEYS] [-p PRIVATE_KEYS] [-n OPS] [-s SEED] */
#include "../integration/it.h"

#include <pthread.h>
#include <unistd.h>

enum { RW = 0, RO = PKEY_DISABLE_WRITE, NONE = PKEY_DISABLE_ACCESS };

static int nthreads = 8, nshared = 200, nprivate = 24;
static long nops = 20000;
static uint64_t seed = 1;
static int *shared_keys;

typedef struct page_model {
    char *addr;
    int key;  /* index into the thread's key list, -1: default key */
    int prot; /* PROT_* the page has */
} page_model_t;

typedef struct worker {
    long id;
    int *rights;        /* per shared key */
    int *priv_keys;     /* private keys (0: none now) */
    int *priv_rights;
    page_model_t *pages; /* one page per shared key, then one per private key */
    unsigned long checks, ops[10];
} worker_t;

static int rights_of(worker_t *w, int kidx)
{
    return kidx < nshared ? w->rights[kidx] : w->priv_rights[kidx - nshared];
}

static int key_of(worker_t *w, int kidx)
{
    return kidx < nshared ? shared_keys[kidx] : w->priv_keys[kidx - nshared];
}

static int random_rights(void)
{
    static const int r[] = {RW, RO, NONE, NONE | RO};
    return r[it_rand() % 4];
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
    if (!got_r && it_can_read(r) == 0 && (p->prot & PROT_READ)) {
        w->checks++;
        IT_CHECK(it_last.code == SEGV_PKUERR && it_last.pkey == key_of(w, p->key),
                 "thread %ld: fault code %d pkey %d, expected key %d", w->id, it_last.code,
                 it_last.pkey, key_of(w, p->key));
    }
}

static void op_set(worker_t *w)
{
    int k = (int)(it_rand() % (uint64_t)(nshared + nprivate)), r = random_rights();
    if (k >= nshared && !w->priv_keys[k - nshared])
        return;
    w->checks++;
    IT_CHECK(pkey_set(key_of(w, k), (unsigned)r) == 0, "pkey_set(%d): %s", key_of(w, k), strerror(errno));
    if (k < nshared)
        w->rights[k] = r;
    else
        w->priv_rights[k - nshared] = r;
    w->ops[0]++;
}

static void op_get(worker_t *w)
{
    int k = (int)(it_rand() % (uint64_t)(nshared + nprivate));
    if (k >= nshared && !w->priv_keys[k - nshared])
        return;
    w->checks++;
    IT_CHECK(pkey_get(key_of(w, k)) == rights_of(w, k), "thread %ld pkey_get(%d) = %d, model %d",
             w->id, key_of(w, k), pkey_get(key_of(w, k)), rights_of(w, k));
    w->ops[1]++;
}

static void op_probe(worker_t *w)
{
    check_page(w, &w->pages[it_rand() % (uint64_t)(nshared + nprivate)]);
    w->ops[2]++;
}

static void op_mprotect(worker_t *w)
{
    page_model_t *p = &w->pages[it_rand() % (uint64_t)(nshared + nprivate)];
    int prot = (it_rand() & 1) ? PROT_READ | PROT_WRITE : PROT_READ;
    w->checks++;
    IT_CHECK(mprotect(p->addr, 4096, prot) == 0, "mprotect: %s", strerror(errno));
    p->prot = prot; /* the page keeps its key */
    w->ops[3]++;
}

static void op_private_cycle(worker_t *w)
{
    int i = (int)(it_rand() % (uint64_t)nprivate);
    page_model_t *p = &w->pages[nshared + i];
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
    w->ops[4]++;
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
    w->ops[5]++;
}

static void *run(void *arg)
{
    worker_t *w = arg;
    it_seed(seed * 1000003 + (uint64_t)w->id);
    for (long i = 0; i < nops && it_failures == 0; i++) {
        unsigned c = (unsigned)(it_rand() % 100);
        if (c < 35)
            op_set(w);
        else if (c < 45)
            op_get(w);
        else if (c < 85)
            op_probe(w);
        else if (c < 92)
            op_mprotect(w);
        else if (c < 97)
            op_private_cycle(w);
        else
            op_remap(w);
    }
    return NULL;
}

int main(int argc, char **argv)
{
    pthread_t th[64];
    worker_t *ws;
    unsigned long checks = 0, ops[10] = {0};
    int opt;
    while ((opt = getopt(argc, argv, "t:k:p:n:s:")) != -1) {
        switch (opt) {
        case 't': nthreads = atoi(optarg); break;
        case 'k': nshared = atoi(optarg); break;
        case 'p': nprivate = atoi(optarg); break;
        case 'n': nops = atol(optarg); break;
        case 's': seed = strtoull(optarg, NULL, 0); break;
        default: fprintf(stderr, "usage: stress [-t n] [-k n] [-p n] [-n ops] [-s seed]\n"); return 2;
        }
    }
    if (nthreads > 64)
        nthreads = 64;
    it_require_pku();
    it_install_probe_handler();
    shared_keys = calloc((size_t)nshared, sizeof *shared_keys);
    for (int i = 0; i < nshared; i++) {
        shared_keys[i] = pkey_alloc(0, 0); /* threads made later inherit rights 0 */
        if (shared_keys[i] <= 0) {
            printf("SKIP: pkey_alloc #%d: %s\n", i + 1, strerror(errno));
            return it_preloaded() ? 1 : IT_SKIP;
        }
    }
    ws = calloc((size_t)nthreads, sizeof *ws);
    for (int t = 0; t < nthreads; t++) {
        worker_t *w = &ws[t];
        char *mem = it_page((size_t)(nshared + nprivate));
        w->id = t;
        w->rights = calloc((size_t)nshared, sizeof(int));
        w->priv_keys = calloc((size_t)nprivate, sizeof(int));
        w->priv_rights = calloc((size_t)nprivate, sizeof(int));
        w->pages = calloc((size_t)(nshared + nprivate), sizeof(page_model_t));
        for (int i = 0; i < nshared + nprivate; i++) {
            page_model_t *p = &w->pages[i];
            p->addr = mem + 4096 * (size_t)i;
            p->prot = PROT_READ | PROT_WRITE;
            p->key = -1;
            if (i < nshared && pkey_mprotect(p->addr, 4096, p->prot, shared_keys[i]) == 0)
                p->key = i;
        }
    }
    for (int t = 0; t < nthreads; t++)
        pthread_create(&th[t], NULL, run, &ws[t]);
    for (int t = 0; t < nthreads; t++) {
        pthread_join(th[t], NULL);
        checks += ws[t].checks;
        for (int i = 0; i < 10; i++)
            ops[i] += ws[t].ops[i];
    }
    printf("stress: seed %llu, %d threads, %d shared + %d private keys per thread: %lu checks "
           "(set %lu, get %lu, probe %lu, mprotect %lu, alloc/free %lu, remap %lu)\n",
           (unsigned long long)seed, nthreads, nshared, nprivate, checks, ops[0], ops[1], ops[2],
           ops[3], ops[4], ops[5]);
    return it_done("stress");
}
