/* bench/count/ops.c: the operations whose cost bench/count counts, one per process run:
 *   bench_count CASE WINDOW
 * warms the operation up, then repeats it N times inside counting window WINDOW (count.h) and
 * prints "case CASE window WINDOW ops N mode raw|libmpk status ok|n/a". Run raw, it measures the
 * baseline (glibc, the kernel); under LD_PRELOAD=libmpk_preload.so, libmpk. A case that cannot
 * run raw (more keys than the hardware has, the mpk_* API) says n/a there.
 *
 * The counts cover everything the guest runs while the window is open: threads the operation
 * wakes, children it starts, and the kernel on their behalf. So each case runs in a fresh
 * process, and "no key in play" cases allocate no key at all. */
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench/count/count.h"

extern char **environ;

static unsigned window;
static int (*api_begin)(int, int), (*api_end)(int), (*api_mprotect)(int, int);

#define PAGE 4096
#define NKEYS_MISS 32 /* more than the 15 hardware keys */

/* Runs `body` (a statement using i) `warm` times outside the window, then n times inside it. */
#define COUNTED(n, warm, body)                                                                     \
    do {                                                                                           \
        for (long i = 0; i < (warm); i++) {                                                        \
            body;                                                                                  \
        }                                                                                          \
        mpk_count_open(window);                                                                    \
        for (long i = 0; i < (n); i++) {                                                           \
            body;                                                                                  \
        }                                                                                          \
        mpk_count_close();                                                                         \
    } while (0)

static volatile long sink;

static void die(const char *what)
{
    fprintf(stderr, "bench_count: %s: %s\n", what, strerror(errno));
    exit(1);
}

static char *page_map(size_t len, int prot)
{
    char *p = mmap(NULL, len, prot, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        die("mmap");
    return p;
}

/* A key that tags one fresh page of its own; its rights in this thread are `rights`. */
static int keyed_page(unsigned rights, char **page)
{
    int k = pkey_alloc(0, rights);
    if (k < 0)
        return -1;
    *page = page_map(PAGE, PROT_READ | PROT_WRITE);
    if (pkey_mprotect(*page, PAGE, PROT_READ | PROT_WRITE, k))
        die("pkey_mprotect");
    return k;
}

/* ---- the cases: each returns the number of operations counted, or 0 for n/a ----------------- */

static long c_switch(void)
{
    char *p;
    int k = keyed_page(PKEY_DISABLE_ACCESS, &p);
    if (k < 0)
        die("pkey_alloc");
    COUNTED(1000, 100, (pkey_set(k, 0), pkey_set(k, PKEY_DISABLE_ACCESS)));
    return 1000;
}

static long c_get(void)
{
    char *p;
    int k = keyed_page(PKEY_DISABLE_WRITE, &p);
    if (k < 0)
        die("pkey_alloc");
    COUNTED(1000, 100, sink += pkey_get(k));
    return 1000;
}

static long c_begin_end(void)
{
    char *p;
    int k;
    if (!api_begin)
        return 0;
    k = keyed_page(PKEY_DISABLE_ACCESS, &p);
    if (k < 0)
        die("pkey_alloc");
    COUNTED(1000, 100, (api_begin(k, PROT_READ | PROT_WRITE), api_end(k)));
    return 1000;
}

/* At a hint address far from every other mapping, so that the kernel does the same work in both
 * runs (no merge with a neighbour that the preload's own mappings would change). */
static long c_mmap(void)
{
    void *hint = (void *)0x5a0000000000ul;
    COUNTED(200, 20, {
        char *p = mmap(hint, 16 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED || munmap(p, 16 * PAGE))
            die("mmap/munmap");
    });
    return 200;
}

/* The same two in a process that holds a key (tagging a page elsewhere): what a program that
 * uses keys at all pays on every mmap and mprotect of its other memory. */
static long with_a_key(long (*run)(void))
{
    char *p;
    if (keyed_page(PKEY_DISABLE_WRITE, &p) < 0)
        die("pkey_alloc");
    return run();
}

/* The page toggles between RW and R between two PROT_NONE guard pages, so that no change merges
 * or splits a mapping with its neighbours, whatever else the process has mapped next to it. */
static long c_mprotect(void)
{
    char *g = page_map(3 * PAGE, PROT_NONE), *p = g + PAGE;
    if (mprotect(p, PAGE, PROT_READ | PROT_WRITE))
        die("mprotect");
    p[0] = 1;
    COUNTED(200, 20, {
        if (mprotect(p, PAGE, PROT_READ) || mprotect(p, PAGE, PROT_READ | PROT_WRITE))
            die("mprotect");
    });
    return 200;
}

static long c_mmap_keyed(void) { return with_a_key(c_mmap); }
static long c_mprotect_keyed(void) { return with_a_key(c_mprotect); }

/* Read accesses round robin over more keys than the hardware has: each one misses. */
static long c_miss(void)
{
    static char *pages[NKEYS_MISS];
    for (int i = 0; i < NKEYS_MISS; i++)
        if (keyed_page(0, &pages[i]) < 0)
            return 0; /* raw: ENOSPC past the hardware's keys */
    COUNTED(10 * NKEYS_MISS, 2 * NKEYS_MISS, sink += pages[i % NKEYS_MISS][0]);
    return 10 * NKEYS_MISS;
}

/* A pkey_set pair on a key that is not on a hardware key (round robin over too many keys). */
static long c_evicted(void)
{
    static int keys[NKEYS_MISS];
    char *p;
    for (int i = 0; i < NKEYS_MISS; i++)
        if ((keys[i] = keyed_page(PKEY_DISABLE_ACCESS, &p)) < 0)
            return 0;
    COUNTED(10 * NKEYS_MISS, 2 * NKEYS_MISS,
            (pkey_set(keys[i % NKEYS_MISS], 0), pkey_set(keys[i % NKEYS_MISS], PKEY_DISABLE_ACCESS)));
    return 10 * NKEYS_MISS;
}

/* As stress-ng --pkey: allocate, tag a page, set rights, untag, free. */
static long c_churn(void)
{
    char *p = page_map(PAGE, PROT_READ | PROT_WRITE);
    COUNTED(100, 10, {
        int k = pkey_alloc(0, 0);
        if (k < 0 || pkey_mprotect(p, PAGE, PROT_READ | PROT_WRITE, k))
            die("pkey_alloc/pkey_mprotect");
        pkey_set(k, PKEY_DISABLE_WRITE);
        if (pkey_mprotect(p, PAGE, PROT_READ | PROT_WRITE, 0) || pkey_free(k))
            die("pkey_mprotect/pkey_free");
    });
    return 100;
}

/* ---- all-thread rights: mpk_mprotect (libmpk) or mprotect (raw) with N other threads ---------
 * Busy threads read the group's page whenever it is open and count their reads, so each pair
 * revokes rights they use and they take the grant up again; idle ones sleep. Around each pair
 * the main thread closes the gate and waits until no busy thread is reading, and after it waits
 * (spinning, no system call: the scheduler's timer moves it) until each has read again. The same
 * steps raw and under libmpk; the spinning makes instruction counts the scheduler's. */
static volatile int stop_threads, gate_open;
static _Atomic int reading;
static _Atomic long reads[8];
static char *group_page;
static pthread_mutex_t idle_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t idle_cond = PTHREAD_COND_INITIALIZER;

static void *busy_thread(void *a)
{
    _Atomic long *mine = a;
    while (!stop_threads) {
        if (!gate_open)
            continue;
        atomic_fetch_add(&reading, 1);
        if (gate_open) {
            sink += group_page[0];
            atomic_fetch_add(mine, 1);
        }
        atomic_fetch_sub(&reading, 1);
    }
    return NULL;
}

static void *idle_thread(void *a)
{
    (void)a;
    pthread_mutex_lock(&idle_lock);
    while (!stop_threads)
        pthread_cond_wait(&idle_cond, &idle_lock);
    pthread_mutex_unlock(&idle_lock);
    return NULL;
}

static void revoke_grant(int k, int busy)
{
    long before[8];
    gate_open = 0;
    while (atomic_load(&reading))
        ;
    for (int i = 0; i < busy; i++)
        before[i] = atomic_load(&reads[i]);
    if (api_mprotect) {
        if (api_mprotect(k, PROT_NONE) || api_mprotect(k, PROT_READ | PROT_WRITE))
            die("mpk_mprotect");
    } else if (mprotect(group_page, PAGE, PROT_NONE) || mprotect(group_page, PAGE, PROT_READ | PROT_WRITE)) {
        die("mprotect");
    }
    gate_open = 1;
    for (int i = 0; i < busy; i++)
        while (atomic_load(&reads[i]) == before[i])
            ;
}

static long all_threads(int nthreads, int busy)
{
    pthread_t th[8];
    int k = keyed_page(0, &group_page);
    if (k < 0)
        die("pkey_alloc");
    gate_open = 1;
    for (int i = 0; i < nthreads; i++)
        if (pthread_create(&th[i], NULL, busy ? busy_thread : idle_thread, (void *)&reads[i]))
            die("pthread_create");
    usleep(20000); /* the threads are running (or asleep) before the window opens */
    long n = busy ? 10 : 20; /* fewer pairs when each waits for the scheduler */
    COUNTED(n, 2, revoke_grant(k, busy ? nthreads : 0));
    pthread_mutex_lock(&idle_lock);
    stop_threads = 1;
    pthread_cond_broadcast(&idle_cond);
    pthread_mutex_unlock(&idle_lock);
    for (int i = 0; i < nthreads; i++)
        pthread_join(th[i], NULL);
    return n;
}

static long c_all1(void) { return all_threads(0, 0); }
static long c_all2_idle(void) { return all_threads(1, 0); }
static long c_all4_idle(void) { return all_threads(3, 0); }
static long c_all8_idle(void) { return all_threads(7, 0); }
static long c_all2_busy(void) { return all_threads(1, 1); }
static long c_all4_busy(void) { return all_threads(3, 1); }
static long c_all8_busy(void) { return all_threads(7, 1); }

/* A JIT's flip pair: RW, write a function, RX, call it (W^X under libmpk with bench/wx.conf). */
static long c_wx(void)
{
    unsigned char *r = (unsigned char *)page_map(16 * PAGE, PROT_READ | PROT_WRITE);
    COUNTED(100, 10, {
        if (mprotect(r, 16 * PAGE, PROT_READ | PROT_WRITE))
            die("mprotect RW");
        r[0] = 0xb8; /* mov $i, %eax; ret */
        memcpy(r + 1, &(int){(int)i}, 4);
        r[5] = 0xc3;
        if (mprotect(r, 16 * PAGE, PROT_READ | PROT_EXEC))
            die("mprotect RX");
        sink += ((int (*)(void))(void *)r)();
    });
    return 100;
}

static long c_fork(void)
{
    COUNTED(20, 2, {
        pid_t pid = fork();
        if (pid == 0)
            _exit(0);
        if (pid < 0 || waitpid(pid, NULL, 0) != pid)
            die("fork/waitpid");
    });
    return 20;
}

/* Start-up and exit of /bin/true (the preload's start-up included when LD_PRELOAD is set). */
static long c_true(void)
{
    char *argv[] = {"/bin/true", NULL};
    COUNTED(10, 1, {
        pid_t pid;
        int st;
        if (posix_spawn(&pid, argv[0], NULL, NULL, argv, environ) || waitpid(pid, &st, 0) != pid || st)
            die("posix_spawn /bin/true");
    });
    return 10;
}

static const struct {
    const char *name;
    long (*run)(void);
} cases[] = {
    {"switch", c_switch},       {"get", c_get},           {"begin_end", c_begin_end},
    {"mmap", c_mmap},           {"mprotect", c_mprotect}, {"mmap_keyed", c_mmap_keyed},
    {"mprotect_keyed", c_mprotect_keyed},                 {"miss", c_miss},
    {"evicted", c_evicted},     {"churn", c_churn},       {"all1", c_all1},
    {"all2_idle", c_all2_idle}, {"all4_idle", c_all4_idle}, {"all8_idle", c_all8_idle},
    {"all2_busy", c_all2_busy}, {"all4_busy", c_all4_busy}, {"all8_busy", c_all8_busy},
    {"wx", c_wx},               {"fork", c_fork},         {"true", c_true},
};

int main(int argc, char **argv)
{
    const char *mode;
    if (argc == 2 && strcmp(argv[1], "--list") == 0) {
        for (size_t c = 0; c < sizeof cases / sizeof *cases; c++)
            printf("%s\n", cases[c].name);
        return 0;
    }
    if (argc != 3) {
        fprintf(stderr, "usage: bench_count CASE WINDOW | --list\n");
        return 2;
    }
    window = (unsigned)strtoul(argv[2], NULL, 10) & COUNT_WINDOW_MASK;
    /* libmpk's API, where the preload is there (libmpk.so and the preload are one file). */
    api_begin = (int (*)(int, int))dlsym(RTLD_DEFAULT, "mpk_begin");
    api_end = (int (*)(int))dlsym(RTLD_DEFAULT, "mpk_end");
    api_mprotect = (int (*)(int, int))dlsym(RTLD_DEFAULT, "mpk_mprotect");
    mode = api_begin ? "libmpk" : "raw";
    for (size_t c = 0; c < sizeof cases / sizeof *cases; c++) {
        if (strcmp(argv[1], cases[c].name) != 0)
            continue;
        long n = cases[c].run();
        printf("case %s window %u ops %ld mode %s status %s\n", cases[c].name, window, n, mode,
               n ? "ok" : "n/a");
        return 0;
    }
    fprintf(stderr, "bench_count: unknown case %s (--list lists them)\n", argv[1]);
    return 2;
}
