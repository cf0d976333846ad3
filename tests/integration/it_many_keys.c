/* tests/integration/it_many_keys.c: far more keys than the hardware has (issue 3). KEYS keys
 * each tag their own page; for ROUNDS steps a random key gets random rights and its page is
 * probed for read and write; now and then a key is freed (its page moved to key 0 first, or
 * left on the freed key) and a new one allocated and put on a page, while most keys are
 * evicted. Every access must match the rights; no number may come back.
 * Usage: it_many_keys [KEYS] [ROUNDS] (default 1000 20000). */
#include "it.h"

int main(int argc, char **argv)
{
    int nkeys = argc > 1 ? atoi(argv[1]) : 1000;
    long rounds = argc > 2 ? atol(argv[2]) : 20000;
    int *keys = calloc((size_t)nkeys, sizeof(int)), *rights = calloc((size_t)nkeys, sizeof(int));
    char **pages = calloc((size_t)nkeys, sizeof(char *));
    char *heap;
    int max_seen = 0, reallocs = 0;
    uint64_t seed;
    it_require_pku();
    seed = it_seed_from_env(1000);
    it_install_probe_handler();
    heap = it_page((size_t)nkeys);
    for (int i = 0; i < nkeys; i++) {
        keys[i] = pkey_alloc(0, 0);
        if (keys[i] <= 0) {
            printf("SKIP: pkey_alloc #%d: %s (needs libmpk)\n", i + 1, strerror(errno));
            return it_preloaded() ? 1 : IT_SKIP;
        }
        if (keys[i] > max_seen)
            max_seen = keys[i];
        pages[i] = heap + 4096 * (size_t)i;
        IT_CHECK(pkey_mprotect(pages[i], 4096, PROT_READ | PROT_WRITE, keys[i]) == 0,
                 "pkey_mprotect #%d: %s", i, strerror(errno));
    }
    for (long n = 0; n < rounds && it_failures < 20; n++) {
        int i = (int)(it_rand() % (uint64_t)nkeys);
        if (it_rand() % 64 == 0) { /* free and replace, while most keys are evicted */
            int old = keys[i], k;
            if (it_rand() & 1)
                pkey_mprotect(pages[i], 4096, PROT_READ | PROT_WRITE, 0);
            IT_CHECK(pkey_free(old) == 0, "pkey_free(%d): %s", old, strerror(errno));
            k = pkey_alloc(0, 0);
            IT_CHECK(k > 0 && k != old, "pkey_alloc after free: %d", k);
            for (int j = 0; j < nkeys; j++)
                IT_CHECK(j == i || keys[j] != k, "number %d is still live as #%d", k, j);
            keys[i] = k;
            rights[i] = 0;
            IT_CHECK(pkey_mprotect(pages[i], 4096, PROT_READ | PROT_WRITE, k) == 0, "re-tag: %s",
                     strerror(errno));
            reallocs++;
            continue;
        }
        rights[i] = (int)(it_rand() % 4);
        IT_CHECK(pkey_set(keys[i], (unsigned)rights[i]) == 0, "pkey_set(%d)", keys[i]);
        IT_CHECK(pkey_get(keys[i]) == rights[i], "pkey_get(%d)", keys[i]);
        IT_CHECK(it_probe_read(pages[i]) == it_can_read(rights[i]) &&
                     it_probe_write(pages[i]) == it_can_write(rights[i]),
                 "round %ld key %d rights %d (seed %llu)", n, keys[i], rights[i],
                 (unsigned long long)seed);
        if (!it_can_read(rights[i]))
            IT_CHECK(it_last.code == SEGV_PKUERR && it_last.pkey == keys[i],
                     "key %d: fault code %d pkey %d", keys[i], it_last.code, it_last.pkey);
    }
    /* Every page, one last time, with its current rights. */
    for (int i = 0; i < nkeys; i++)
        IT_CHECK(it_probe_read(pages[i]) == it_can_read(rights[i]) &&
                     it_probe_write(pages[i]) == it_can_write(rights[i]),
                 "final: key %d rights %d", keys[i], rights[i]);
    printf("%d keys, %ld rounds, %d keys replaced, seed %llu\n", nkeys, rounds, reallocs,
           (unsigned long long)seed);
    return it_done("many_keys");
}
