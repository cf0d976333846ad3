/* tests/unit/test_core.c: the virtual-key manager linked directly (no preload): numbering,
 * limits, the hardware-key cache and eviction, freed keys with pages, pass-through for keys
 * the program allocated itself, the signal table. Each test runs in its own process (Criterion)
 * and boots the manager with the settings it needs. */
#include "core/core.h"
#include "core/revoke.h"
#include "core/signals.h"
#include "core/thread.h"
#include "tests/integration/it.h"

#include <criterion/criterion.h>
#include <pthread.h>

static int core_sigaction(int sig, const struct sigaction *act, struct sigaction *old)
{
    int r = _mpk_sigaction(sig, act, old);
    if (r) {
        errno = -r;
        return -1;
    }
    return 0;
}

/* Boot with defaults changed by the caller; skip the test without PKU. */
static void boot(void (*tweak)(mpk_settings_t *))
{
    mpk_settings_t s;
    if (!mpk_cpu_has_pku())
        cr_skip_test("this CPU or kernel has no PKU");
    _mpk_settings_default(&s);
    if (tweak)
        tweak(&s);
    cr_assert_eq(_mpk_boot(&s), 0);
    it_sigaction = core_sigaction;
    it_install_probe_handler();
}

static int alloc_key(unsigned rights)
{
    int k = _mpk_pkey_alloc(0, rights, NULL);
    cr_assert_gt(k, 0, "pkey_alloc: %s", strerror(-k));
    return k;
}

static char *keyed_page(int key)
{
    char *p = it_page(1);
    cr_assert_eq(_mpk_pkey_mprotect(p, 4096, PROT_READ | PROT_WRITE, key), 0);
    return p;
}

/* ---- numbering ------------------------------------------------------------------------------ */

Test(numbers, follow_the_hardware_while_it_lasts)
{
    int prev = 0;
    boot(NULL);
    /* A fresh process: the kernel would hand out 1, 2, 3...; the metadata key takes the top
     * one and one is left for execute-only memory, so 13 numbers match the hardware. */
    for (int i = 1; i <= 13; i++)
        cr_assert_eq(alloc_key(0), i);
    for (int i = 0; i < 100; i++) {
        int k = alloc_key(0);
        cr_assert_gt(k, prev > 15 ? prev : 15, "key %d after %d", k, prev);
        prev = k;
    }
}

Test(numbers, never_reused)
{
    static int seen[20000];
    int n = 0;
    boot(NULL);
    for (int round = 0; round < 300; round++) {
        int batch[40], m = 1 + round % 40;
        for (int i = 0; i < m; i++) {
            batch[i] = alloc_key(0);
            for (int j = 0; j < n; j++)
                cr_assert_neq(seen[j], batch[i], "number %d handed out twice", batch[i]);
            seen[n++] = batch[i];
        }
        for (int i = m - 1; i >= 0; i -= 2) /* odd ones first, then the rest: mixed orders */
            cr_assert_eq(_mpk_pkey_free(batch[i]), 0);
        for (int i = m - 2; i >= 0; i -= 2)
            cr_assert_eq(_mpk_pkey_free(batch[i]), 0);
    }
}

Test(numbers, dead_number_is_einval_everywhere)
{
    int k;
    boot(NULL);
    k = alloc_key(0);
    cr_assert_eq(_mpk_pkey_free(k), 0);
    cr_assert_eq(_mpk_pkey_free(k), -EINVAL);
    cr_assert_eq(_mpk_pkey_set(k, 0), -EINVAL);
    cr_assert_eq(_mpk_pkey_get(k), -EINVAL);
    cr_assert_eq(_mpk_pkey_mprotect(it_page(1), 4096, PROT_READ, k), -EINVAL);
    cr_assert_eq(_mpk_pkey_set(12345, 0), -EINVAL);
    cr_assert_eq(_mpk_pkey_free(0), -EINVAL, "key 0 is not ours to free");
}

static void max20(mpk_settings_t *s) { s->max_keys = 20; }
Test(limits, max_keys_then_enospc)
{
    int keys[20];
    boot(max20);
    for (int i = 0; i < 20; i++)
        keys[i] = alloc_key(0);
    cr_assert_eq(_mpk_pkey_alloc(0, 0, NULL), -ENOSPC);
    cr_assert_eq(_mpk_pkey_free(keys[3]), 0);
    cr_assert_gt(_mpk_pkey_alloc(0, 0, NULL), 0, "a freed key makes room");
}

static void no_virt(mpk_settings_t *s) { s->virtualize = 0; }
Test(limits, without_virtualisation_the_hardware_is_the_limit)
{
    int n = 0;
    boot(no_virt);
    while (_mpk_pkey_alloc(0, 0, NULL) > 0)
        n++;
    cr_assert_eq(n, 13, "%d keys (15 - metadata - execute-only reserve)", n);
    cr_assert_eq(_mpk_pkey_alloc(0, 0, NULL), -ENOSPC);
}

Test(limits, bad_arguments)
{
    boot(NULL);
    cr_assert_eq(_mpk_pkey_alloc(1, 0, NULL), -EINVAL);
    cr_assert_eq(_mpk_pkey_alloc(0, 4, NULL), -EINVAL);
    cr_assert_eq(_mpk_pkey_set(alloc_key(0), 4), -EINVAL);
}

/* ---- the cache ------------------------------------------------------------------------------ */

static void budget2(mpk_settings_t *s) { s->hw_budget = 2; }
Test(cache, eviction_keeps_every_threads_rights)
{
    int keys[6];
    char *pages[6];
    mpk_stats_t st;
    boot(budget2);
    for (int i = 0; i < 6; i++) {
        keys[i] = alloc_key(0);
        pages[i] = keyed_page(keys[i]);
        pages[i][0] = (char)i;
    }
    for (int round = 0; round < 20; round++)
        for (int i = 0; i < 6; i++) {
            unsigned r = (unsigned)((i + round) % 3);
            r = r == 2 ? PKEY_DISABLE_ACCESS : r; /* 0 rw, 1 ro, AD */
            cr_assert_eq(_mpk_pkey_set(keys[i], r), 0);
            cr_assert_eq(_mpk_pkey_get(keys[i]), (int)r);
            cr_assert_eq(it_probe_read(pages[i]), it_can_read((int)r), "key %d rights %u", keys[i], r);
            cr_assert_eq(it_probe_write(pages[i]), it_can_write((int)r), "key %d rights %u", keys[i], r);
            if (!it_can_read((int)r))
                cr_assert(it_last.code == SEGV_PKUERR && it_last.pkey == keys[i],
                          "evicted key fault reported as code %d pkey %d", it_last.code, it_last.pkey);
        }
    _mpk_stats(&st);
    cr_assert_leq(st.hw_held, 2, "budget of 2 hardware keys, %u held", st.hw_held);
    cr_assert_gt(st.evictions, 10);
    cr_assert_gt(st.swapins, 10, "keys came back %llu times", st.swapins);
}

static void *open_and_probe(void *arg)
{
    char **p = arg;
    /* Inherited: this thread may write; key 1 gets evicted by the main thread meanwhile. */
    return (void *)(intptr_t)(it_probe_write(p[0]) && it_probe_write(p[1]));
}

Test(cache, evicted_key_comes_back_in_another_thread)
{
    int k1, k2;
    char *pages[2];
    pthread_t t;
    void *ok;
    boot(budget2);
    k1 = alloc_key(0);
    k2 = alloc_key(0);
    pages[0] = keyed_page(k1);
    pages[1] = keyed_page(k2);
    for (int i = 0; i < 4; i++) /* two more keys, touched: k1 and k2 are evicted */
        keyed_page(alloc_key(0))[0] = 1;
    /* Created as the preload creates threads, so that it inherits this thread's rights. */
    cr_assert_eq(pthread_create(&t, NULL, _mpk_thread_trampoline,
                                _mpk_thread_prepare(open_and_probe, pages)), 0);
    pthread_join(t, &ok);
    cr_assert(ok, "a thread with rights lost them to an eviction");
}

Test(cache, a_key_coming_back_brings_all_its_pages)
{
    int k1, k2, k3;
    char *a, *b, *p2;
    boot(budget2);
    k1 = alloc_key(0);
    a = keyed_page(k1);
    a[0] = 1;
    k2 = alloc_key(0);
    p2 = keyed_page(k2);
    p2[0] = 1;
    k3 = alloc_key(0);
    keyed_page(k3)[0] = 1; /* budget 2: k1 is evicted now */
    cr_assert_eq(_mpk_pkey_free(k2), 0);
    cr_assert_eq(_mpk_munmap(p2, 4096), 0); /* k2 dies: its hardware key is spare */
    b = it_page(1);
    /* A new page for the evicted k1 takes the spare hardware key: all of k1's pages must
     * move onto it, not only the new one. */
    cr_assert_eq(_mpk_pkey_mprotect(b, 4096, PROT_READ | PROT_WRITE, k1), 0);
    cr_assert(it_probe_write(b), "the new page");
    cr_assert(it_probe_write(a), "the old page of the key was left behind");
}

Test(cache, revocation_cost_model)
{
    boot(NULL);
    G->ncpus = 2;
    cr_assert(!_mpk_revoke_by_signal(1, 4096), "one page: moving it is cheaper than a signal");
    cr_assert(_mpk_revoke_by_signal(1, 1024 * 4096), "1 thread, 4 MiB: a signal is cheaper");
    cr_assert(_mpk_revoke_by_signal(2, 1024 * 4096), "2 threads on 2 CPUs, 4 MiB: signals");
    cr_assert(!_mpk_revoke_by_signal(4, 1024 * 4096), "4 threads queue on 2 CPUs: move the pages");
}

/* ---- freed keys with pages ------------------------------------------------------------------ */

Test(free, in_use_keeps_rights_until_pages_go)
{
    int k;
    char *p;
    mpk_stats_t st;
    boot(NULL);
    k = alloc_key(PKEY_DISABLE_WRITE);
    p = keyed_page(k);
    cr_assert_eq(_mpk_pkey_free(k), 0);
    cr_assert(it_probe_read(p) && !it_probe_write(p), "the pages keep the rights they had");
    _mpk_stats(&st);
    cr_assert_eq(st.live_keys, 0);
    cr_assert_eq(_mpk_munmap(p, 4096), 0);
    /* Its hardware key is free again: the next key gets it back without a new one. */
    _mpk_stats(&st);
    cr_assert_eq(st.hw_held, 1);
    alloc_key(0);
    _mpk_stats(&st);
    cr_assert_eq(st.hw_held, 1, "the dead key's hardware key was not recycled");
}

static void refuse_on_free(mpk_settings_t *s) { s->on_free_in_use = MPK_FREE_REFUSE; }
Test(free, refuse_policy)
{
    int k;
    boot(refuse_on_free);
    k = alloc_key(0);
    keyed_page(k);
    cr_assert_eq(_mpk_pkey_free(k), -EBUSY);
    cr_assert_eq(_mpk_pkey_set(k, 0), 0, "a refused free leaves the key alive");
}

static void revoke_on_free(mpk_settings_t *s) { s->on_free_in_use = MPK_FREE_REVOKE; }
Test(free, revoke_policy)
{
    int k;
    char *p;
    boot(revoke_on_free);
    k = alloc_key(0);
    p = keyed_page(k);
    cr_assert_eq(_mpk_pkey_free(k), 0);
    cr_assert(!it_probe_read(p), "revoked pages must be unreachable");
    cr_assert_eq(it_last.code, SEGV_ACCERR);
}

/* ---- keys the program took itself --------------------------------------------------------- */

Test(foreign, raw_keys_pass_through)
{
    long raw;
    boot(NULL);
    alloc_key(0); /* the manager is active */
    raw = mpk_sys_pkey_alloc(0, 0);
    cr_assert_gt(raw, 0);
    cr_assert_eq(_mpk_pkey_set((int)raw, PKEY_DISABLE_WRITE), 0);
    cr_assert_eq(_mpk_pkey_get((int)raw), PKEY_DISABLE_WRITE);
    cr_assert_eq(mpk_pkru_bits(mpk_rdpkru(), (int)raw), PKEY_DISABLE_WRITE);
    cr_assert_eq(_mpk_pkey_free((int)raw), 0);
    cr_assert_eq(_mpk_pkey_set((int)raw, 0), -EINVAL, "freed raw key");
    cr_assert_eq(_mpk_pkey_set(0, 0), 0, "key 0 is the default key");
}

/* ---- signals ---------------------------------------------------------------------------------- */

Test(signals, table)
{
    struct sigaction sa, old;
    boot(NULL);
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = SIG_IGN;
    cr_assert_eq(_mpk_sigaction(SIGKILL, &sa, NULL), -EINVAL);
    cr_assert_eq(_mpk_sigaction(32, &sa, NULL), -EINVAL, "glibc's internal signals");
    cr_assert_eq(_mpk_sigaction(0, &sa, NULL), -EINVAL);
    cr_assert_eq(_mpk_sigaction(65, &sa, NULL), -EINVAL);
    cr_assert_eq(_mpk_sigaction(SIGRTMAX - 2, &sa, NULL), -EINVAL, "the sync signal");
    cr_assert_eq(_mpk_sigaction(SIGUSR1, &sa, NULL), 0);
    cr_assert_eq(_mpk_sigaction(SIGUSR1, NULL, &old), 0);
    cr_assert_eq((void *)old.sa_handler, (void *)SIG_IGN);
}

Test(signals, derive_matches_the_hardware)
{
    mpk_thread_t *t;
    int k;
    boot(NULL);
    k = alloc_key(PKEY_DISABLE_WRITE);
    (void)k;
    t = _mpk_thread();
    cr_assert_not_null(t);
    cr_assert_eq(_mpk_pkru_derive(t, t->depth, mpk_rdpkru()), mpk_rdpkru());
}
