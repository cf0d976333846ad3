/* tests/integration/it_rights_threads.c: rights are per thread and checked at every access.
 * K keys, each tagging its own page; T threads, each giving itself random rights on every key
 * each round and probing every page for read and write in a shuffled order. Usage:
 * it_rights_threads KEYS THREADS ROUNDS (defaults 13 4 50: the keys the hardware gives a
 * preloaded program; more than that needs virtualisation, issue 3). */
#include "it.h"

#include <pthread.h>

static int nkeys, nthreads, nrounds;
static int *keys;
static char **pages;
static uint64_t seed;

static void shuffle(int *order, int n)
{
    for (int i = n - 1; i > 0; i--) {
        int j = (int)(it_rand() % (uint64_t)(i + 1)), t = order[i];
        order[i] = order[j];
        order[j] = t;
    }
}

static void *worker(void *arg)
{
    long id = (long)arg;
    int *rights = calloc((size_t)nkeys, sizeof *rights);
    int *order = calloc((size_t)nkeys, sizeof *order);
    it_seed(seed + (uint64_t)id * 7919);
    for (int i = 0; i < nkeys; i++)
        order[i] = i;
    for (int round = 0; round < nrounds; round++) {
        for (int i = 0; i < nkeys; i++) {
            static const int choice[] = {0, PKEY_DISABLE_WRITE, PKEY_DISABLE_ACCESS,
                                         PKEY_DISABLE_ACCESS | PKEY_DISABLE_WRITE};
            rights[i] = choice[it_rand() % 4];
            IT_CHECK(pkey_set(keys[i], (unsigned)rights[i]) == 0, "pkey_set(%d): %s", keys[i],
                     strerror(errno));
        }
        shuffle(order, nkeys);
        for (int n = 0; n < nkeys; n++) {
            int i = order[n], r = rights[i];
            int got_r = it_probe_read(pages[i]);
            int got_w = it_probe_write(pages[i]);
            IT_CHECK(pkey_get(keys[i]) == r, "thread %ld key %d: pkey_get %d, set %d", id, keys[i],
                     pkey_get(keys[i]), r);
            IT_CHECK(got_r == it_can_read(r) && got_w == it_can_write(r),
                     "thread %ld round %d key %d rights %d: read %d write %d (seed %llu)", id, round,
                     keys[i], r, got_r, got_w, (unsigned long long)seed);
            if (!got_w)
                IT_CHECK(it_last.code == SEGV_PKUERR && it_last.pkey == keys[i],
                         "thread %ld key %d: fault code %d pkey %d", id, keys[i], it_last.code,
                         it_last.pkey);
        }
    }
    free(rights);
    free(order);
    return NULL;
}

int main(int argc, char **argv)
{
    pthread_t th[64];
    nkeys = argc > 1 ? atoi(argv[1]) : 13;
    nthreads = argc > 2 ? atoi(argv[2]) : 4;
    nrounds = argc > 3 ? atoi(argv[3]) : 50;
    if (nthreads > 64)
        nthreads = 64;
    it_require_pku();
    seed = it_seed_from_env(20261128);
    it_install_probe_handler();
    keys = calloc((size_t)nkeys, sizeof *keys);
    pages = calloc((size_t)nkeys, sizeof *pages);
    for (int i = 0; i < nkeys; i++) {
        keys[i] = pkey_alloc(0, 0);
        if (keys[i] < 0) {
            printf("pkey_alloc #%d: %s\n", i + 1, strerror(errno));
            return 1;
        }
        pages[i] = it_page(1);
        IT_CHECK(pkey_mprotect(pages[i], 4096, PROT_READ | PROT_WRITE, keys[i]) == 0,
                 "pkey_mprotect: %s", strerror(errno));
    }
    for (long t = 0; t < nthreads; t++)
        pthread_create(&th[t], NULL, worker, (void *)t);
    for (long t = 0; t < nthreads; t++)
        pthread_join(th[t], NULL);
    printf("%d keys, %d threads, %d rounds, seed %llu: %llu probes\n", nkeys, nthreads, nrounds,
           (unsigned long long)seed, 2ull * (unsigned long long)nkeys * (unsigned)nthreads * (unsigned)nrounds);
    return it_done("rights_threads");
}
