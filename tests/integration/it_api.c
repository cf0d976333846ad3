/* tests/integration/it_api.c: the libmpk API (mpk.h), linked with -lmpk. mpk_mprotect changes
 * every thread's rights: with 8 threads writing, after mpk_mprotect(k, PROT_READ) returns no
 * thread's write gets through, and after mpk_mprotect(k, PROT_READ|PROT_WRITE) every write does
 * without a fault the program sees (small and large groups, many and few threads: both ways
 * of revoking). mpk_begin is thread-local and never opens another
 * group; a running signal handler gets what mpk_mprotect gives its thread; keys in sections
 * are not evicted while others can be; 100 groups in turn; the per-key heap honours its key's
 * rights. */
#include "it.h"

#include <mpk.h>
#include <pthread.h>
#include <stdatomic.h>
#include <unistd.h>

#define THREADS 8

static int key;
static char *group;
static _Atomic int phase; /* 0 warm-up, 1 writes may fail, 2 revoked, 3 granted, 4 stop */
static _Atomic long epoch;  /* bumped with every phase change: a write that spans one is not judged */
static _Atomic long bad_after_revoke, bad_after_grant, writes;
static pthread_barrier_t started;

static void *writer(void *arg)
{
    (void)arg;
    pthread_barrier_wait(&started);
    for (;;) {
        long e = atomic_load(&epoch);
        int p = atomic_load(&phase), ok;
        if (p == 4)
            break;
        ok = it_probe_write(group + 64 * (it_rand() % 64));
        atomic_fetch_add(&writes, 1);
        if (atomic_load(&epoch) != e)
            continue; /* the phase changed during the write: it may have gone either way */
        if (p == 2 && ok)
            atomic_fetch_add(&bad_after_revoke, 1);
        if (p == 3 && !ok)
            atomic_fetch_add(&bad_after_grant, 1);
    }
    return NULL;
}

/* The phase first, then the epoch: a writer that saw the old epoch either saw the old phase or
 * sees the epoch move after its write. */
static void set_phase(int p)
{
    atomic_store(&phase, p);
    atomic_fetch_add(&epoch, 1);
}

static void wait_writes(long n)
{
    long target = atomic_load(&writes) + n;
    while (atomic_load(&writes) < target)
        usleep(1000);
}

static void all_threads(size_t pages, int nthreads, const char *what)
{
    pthread_t th[THREADS];
    key = pkey_alloc(0, 0);
    group = mpk_mmap(key, NULL, pages * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    IT_CHECK(key > 0 && group != MAP_FAILED, "%s: mpk_mmap: %s", what, strerror(errno));
    set_phase(0);
    atomic_store(&bad_after_revoke, 0);
    atomic_store(&bad_after_grant, 0);
    pthread_barrier_init(&started, NULL, (unsigned)nthreads + 1);
    for (int i = 0; i < nthreads; i++)
        pthread_create(&th[i], NULL, writer, NULL);
    pthread_barrier_wait(&started);
    wait_writes(2000);
    for (int round = 0; round < 5; round++) {
        set_phase(1);
        IT_CHECK(mpk_mprotect(key, PROT_READ) == 0, "mpk_mprotect(READ): %s", strerror(errno));
        set_phase(2); /* from here on, no write may succeed */
        wait_writes(500);
        set_phase(1);
        IT_CHECK(mpk_mprotect(key, PROT_READ | PROT_WRITE) == 0, "mpk_mprotect(RW)");
        set_phase(3); /* from here on, every write must succeed */
        wait_writes(500);
    }
    set_phase(4);
    for (int i = 0; i < nthreads; i++)
        pthread_join(th[i], NULL);
    pthread_barrier_destroy(&started);
    IT_CHECK(atomic_load(&bad_after_revoke) == 0, "%s: %ld writes got through after revocation",
             what, atomic_load(&bad_after_revoke));
    IT_CHECK(atomic_load(&bad_after_grant) == 0, "%s: %ld writes failed after the grant", what,
             atomic_load(&bad_after_grant));
    IT_CHECK(mpk_munmap(key) == 0, "mpk_munmap: %s", strerror(errno));
    errno = 0;
    IT_CHECK(pkey_set(key, 0) == -1 && errno == EINVAL, "mpk_munmap did not free the key");
}

static int other_thread_ok;
static void *other_probe(void *arg)
{
    other_thread_ok = !it_probe_read(arg) && !it_probe_write(arg);
    return NULL;
}

static void begin_is_thread_local(void)
{
    pthread_t t;
    int k = pkey_alloc(0, PKEY_DISABLE_ACCESS);
    char *g = mpk_mmap(k, NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    IT_CHECK(!it_probe_read(g), "group open before mpk_begin");
    IT_CHECK(mpk_begin(k, PROT_READ | PROT_WRITE) == 0, "mpk_begin: %s", strerror(errno));
    IT_CHECK(it_probe_write(g), "group closed inside mpk_begin");
    pthread_create(&t, NULL, other_probe, g);
    pthread_join(t, NULL);
    IT_CHECK(other_thread_ok, "mpk_begin in one thread opened the group in another");
    IT_CHECK(mpk_begin(k, PROT_READ) == 0 && !it_probe_write(g) && it_probe_read(g), "nested begin");
    IT_CHECK(mpk_end(k) == 0 && it_probe_write(g), "inner end restores the outer section");
    IT_CHECK(mpk_end(k) == 0 && !it_probe_read(g), "mpk_end did not restore the rights");
    errno = 0;
    IT_CHECK(mpk_end(k) == -1 && errno == EINVAL, "mpk_end without mpk_begin");
    errno = 0;
    IT_CHECK(mpk_begin(k, PROT_EXEC) == -1 && errno == EINVAL, "mpk_begin with PROT_EXEC");
    errno = 0;
    IT_CHECK(mpk_begin(987654, PROT_READ) == -1 && errno == EINVAL, "mpk_begin on no key");
    mpk_munmap(k);
}

/* A handler that is running when mpk_mprotect is called belongs to its thread: it gets the
 * grant, loses the revocation, and its thread has the new rights once it returns. */
static int h_key;
static char *h_group;
static _Atomic int h_step; /* 1 handler waiting, 2 granted, 3 checked, 4 revoked, 5 checked */
static int h_wrote, h_read_after_revoke;

static void wait_step(int s)
{
    while (atomic_load(&h_step) != s)
        usleep(100);
}

static void on_usr1(int sig)
{
    (void)sig;
    atomic_store(&h_step, 1);
    wait_step(2);
    h_wrote = it_probe_write(h_group);
    atomic_store(&h_step, 3);
    wait_step(4);
    h_read_after_revoke = it_probe_read(h_group);
    atomic_store(&h_step, 5);
}

static void *signalled(void *arg)
{
    (void)arg;
    raise(SIGUSR1);
    return (void *)(long)it_probe_read(h_group);
}

static void handler_gets_all_thread_rights(void)
{
    pthread_t t;
    void *read_after;
    signal(SIGUSR1, on_usr1);
    h_key = pkey_alloc(0, PKEY_DISABLE_ACCESS);
    h_group = mpk_mmap(h_key, NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    IT_CHECK(h_key > 0 && h_group != MAP_FAILED, "mpk_mmap: %s", strerror(errno));
    pthread_create(&t, NULL, signalled, NULL);
    wait_step(1);
    IT_CHECK(mpk_mprotect(h_key, PROT_READ | PROT_WRITE) == 0, "grant: %s", strerror(errno));
    atomic_store(&h_step, 2);
    wait_step(3);
    IT_CHECK(mpk_mprotect(h_key, PROT_NONE) == 0, "revoke: %s", strerror(errno));
    atomic_store(&h_step, 4);
    pthread_join(t, &read_after);
    IT_CHECK(h_wrote, "a running handler did not get the grant of mpk_mprotect");
    IT_CHECK(!h_read_after_revoke, "a running handler kept the rights mpk_mprotect took away");
    IT_CHECK(!read_after, "the thread had rights after its handler returned");
    signal(SIGUSR1, SIG_DFL);
    mpk_munmap(h_key);
}

/* Keys inside a section are never evicted while others can be (design.md §4): six groups in
 * sections keep their hardware keys while 40 other keys take turns on the rest. */
static void sections_stay_resident(void)
{
    enum { IN = 6, OTHERS = 40 };
    int in[IN], hw[IN], others[OTHERS];
    char *g[IN], *o[OTHERS];
    for (int i = 0; i < IN; i++) {
        in[i] = pkey_alloc(0, PKEY_DISABLE_ACCESS);
        g[i] = mpk_mmap(in[i], NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        IT_CHECK(in[i] > 0 && g[i] != MAP_FAILED && mpk_begin(in[i], PROT_READ | PROT_WRITE) == 0,
                 "section %d: %s", i, strerror(errno));
        g[i][0] = 1;
        hw[i] = it_pkey_of(g[i]);
        IT_CHECK(hw[i] > 0, "section %d's group has no hardware key (%d)", i, hw[i]);
    }
    for (int i = 0; i < OTHERS; i++) {
        others[i] = pkey_alloc(0, 0);
        o[i] = mpk_mmap(others[i], NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        IT_CHECK(others[i] > 0 && o[i] != MAP_FAILED, "other key %d", i);
    }
    for (int round = 0; round < 3; round++)
        for (int i = 0; i < OTHERS; i++)
            IT_CHECK(it_probe_write(o[i]), "other key %d not writable", i);
    for (int i = 0; i < IN; i++) {
        IT_CHECK(it_pkey_of(g[i]) == hw[i], "section %d's group was evicted (key %d, was %d)", i,
                 it_pkey_of(g[i]), hw[i]);
        IT_CHECK(mpk_end(in[i]) == 0 && mpk_munmap(in[i]) == 0, "end %d", i);
    }
    for (int i = 0; i < OTHERS; i++)
        mpk_munmap(others[i]);
}

static void hundred_groups(void)
{
    enum { N = 100 };
    int keys[N];
    char *g[N];
    for (int i = 0; i < N; i++) {
        keys[i] = pkey_alloc(0, PKEY_DISABLE_ACCESS);
        g[i] = mpk_mmap(keys[i], NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        IT_CHECK(keys[i] > 0 && g[i] != MAP_FAILED, "group %d", i);
    }
    for (int round = 0; round < 3; round++)
        for (int i = 0; i < N; i++) {
            int prev = (i + N - 1) % N, next = (i + 1) % N;
            IT_CHECK(mpk_begin(keys[i], PROT_READ | PROT_WRITE) == 0, "begin %d", i);
            g[i][0] = (char)(round + i);
            IT_CHECK(it_probe_write(g[i]), "group %d closed in its own section", i);
            IT_CHECK(!it_probe_read(g[prev]) && !it_probe_read(g[next]),
                     "group %d's section opened a neighbour", i);
            IT_CHECK(mpk_end(keys[i]) == 0, "end %d", i);
            IT_CHECK(!it_probe_read(g[i]), "group %d open after its section", i);
        }
    for (int i = 0; i < N; i++)
        mpk_munmap(keys[i]);
}

static void heap(void)
{
    int k1 = pkey_alloc(0, 0), k2 = pkey_alloc(0, 0);
    char *small[64], *big;
    for (int i = 0; i < 64; i++) {
        small[i] = mpk_malloc(k1, 1 + (size_t)i * 37);
        IT_CHECK(small[i] != NULL, "mpk_malloc %d: %s", i, strerror(errno));
        memset(small[i], i, 1 + (size_t)i * 37);
    }
    big = mpk_malloc(k2, 100000);
    IT_CHECK(big != NULL, "mpk_malloc large");
    memset(big, 7, 100000);
    pkey_set(k1, PKEY_DISABLE_ACCESS);
    for (int i = 0; i < 64; i++)
        IT_CHECK(!it_probe_read(small[i]), "block %d of a closed key readable", i);
    IT_CHECK(it_probe_write(big + 99999), "another key's heap closed with the first");
    pkey_set(k1, PKEY_DISABLE_WRITE);
    for (int i = 0; i < 64; i++)
        IT_CHECK(it_probe_read(small[i]) && !it_probe_write(small[i]) && small[i][0] == (char)i,
                 "block %d with the key read-only", i);
    pkey_set(k1, 0);
    for (int i = 0; i < 64; i++)
        mpk_free(small[i]);
    mpk_free(big);
    mpk_free(small[0] + 1); /* not a block: reported, ignored */
    IT_CHECK(mpk_malloc(k1, 16) != NULL, "heap usable after frees");
    errno = 0;
    IT_CHECK(mpk_malloc(424242, 16) == NULL && errno == EINVAL, "mpk_malloc on no key");
}

int main(void)
{
    it_require_pku();
    it_install_probe_handler();
    IT_CHECK(mpk_init(-1) == 0, "mpk_init: %s", strerror(errno));
    errno = 0;
    IT_CHECK(mpk_init(101) == -1 && errno == EINVAL, "mpk_init(101)");
    begin_is_thread_local();
    handler_gets_all_thread_rights();
    sections_stay_resident();
    hundred_groups();
    heap();
    /* Two ways to revoke: moving a group's pages (one page-table change) is cheaper for small
     * groups and for more threads than CPUs; signals for large groups and few threads. */
    all_threads(1, THREADS, "1-page group, 8 threads");
    all_threads(1024, THREADS, "1024-page group, 8 threads");
    all_threads(1024, 2, "1024-page group, 2 threads");
    all_threads(1024, 1, "1024-page group, 1 thread");
    return it_done("api");
}
