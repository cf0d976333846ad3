/* bench/api.c: the libmpk API against what a program would do without it, in one run.
 *  - mpk_begin + mpk_end on a resident key vs glibc's pkey_set pair (target <= 2x);
 *  - mpk_mprotect vs mprotect of the same group, revocation (rw -> read) and grant (read -> rw)
 *    measured apart, for 1-16 other threads that are busy (reading the group) or idle (asleep
 *    with the group open) and groups of 1-1024 pages. Targets: a grant far cheaper than
 *    mprotect; a revocation never above 1.2x mprotect. mprotect here is the raw system call.
 * Link with -lmpk (the benchmark calls the API). */
#include "bench.h"

#include <cpuid.h>
#include <dlfcn.h>
#include <mpk.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

static int key;
static char *group;
static size_t group_pages;
static _Atomic int stop;
static int (*glibc_pkey_set)(int, unsigned);

static long raw_mprotect(void *a, size_t l, int p)
{
    long r;
    __asm__ volatile("syscall" : "=a"(r) : "a"(SYS_mprotect), "D"(a), "S"(l), "d"((long)p)
                     : "rcx", "r11", "memory");
    return r;
}

static void begin_end(void *a, long n)
{
    (void)a;
    for (long i = 0; i < n; i++) {
        mpk_begin(key, PROT_READ | PROT_WRITE);
        group[0]++;
        mpk_end(key);
    }
}

static void glibc_pair(void *a, long n)
{
    (void)a;
    for (long i = 0; i < n; i++) {
        glibc_pkey_set(key, 0);
        group[0]++;
        glibc_pkey_set(key, PKEY_DISABLE_ACCESS);
    }
}

static void *busy(void *arg)
{
    volatile char sink;
    (void)arg;
    while (!atomic_load(&stop))
        for (size_t p = 0; p < group_pages; p++)
            sink = group[p * 4096];
    (void)sink;
    return NULL;
}

static void *idle(void *arg)
{
    (void)arg;
    while (!atomic_load(&stop))
        usleep(1000);
    return NULL;
}

/* Median ns of one call of fn(prot) alternating between the two protections. */
typedef int (*change_fn)(int prot);
static int by_mpk(int prot) { return mpk_mprotect(key, prot); }
static int by_mprotect(int prot) { return (int)raw_mprotect(group, group_pages * 4096, prot); }

static void measure(change_fn fn, int reps, bench_stat_t *revoke, bench_stat_t *grant)
{
    double r[64], g[64];
    if (reps > 64)
        reps = 64;
    for (int i = 0; i < reps && i < 64; i++) {
        double t0 = bench_now_ns();
        fn(PROT_READ);
        r[i] = bench_now_ns() - t0;
        t0 = bench_now_ns();
        fn(PROT_READ | PROT_WRITE);
        g[i] = bench_now_ns() - t0;
        usleep(200); /* let busy threads touch the group again (and pick up the grant) */
    }
    *revoke = bench_stat_of(r, reps);
    *grant = bench_stat_of(g, reps);
}

/* RESULT lines of one point of the sweep: mprotect's figure and mpk_mprotect's against it. */
static void sweep_results(int threads, const char *state, size_t pages, const char *op, bench_stat_t mp,
                          bench_stat_t mpk)
{
    char base[64], id[64], label[96], extra[96];
    snprintf(base, sizeof base, "api.mprotect.t%d.%s.p%zu.%s", threads, state, pages, op);
    snprintf(id, sizeof id, "api.mpk.t%d.%s.p%zu.%s", threads, state, pages, op);
    snprintf(label, sizeof label, "mprotect %s, %d %s threads, %zu pages", op, threads, state, pages);
    snprintf(extra, sizeof extra, "threads=%d state=%s pages=%zu op=%s how=mprotect", threads, state, pages, op);
    bench_result(base, label, "ns", mp, base, mp.median, extra);
    snprintf(label, sizeof label, "mpk_mprotect %s, %d %s threads, %zu pages", op, threads, state, pages);
    snprintf(extra, sizeof extra, "threads=%d state=%s pages=%zu op=%s how=mpk", threads, state, pages, op);
    bench_result(id, label, "ns", mpk, base, mp.median, extra);
}

int main(void)
{
    static const int threads[] = {1, 2, 4, 8, 16};
    static const size_t pages[] = {1, 16, 256, 1024};
    unsigned a, b, c, d;
    int quick = getenv("BENCH_QUICK") != NULL, reps = quick ? 9 : 31;
    if (getenv("BENCH_BATCHES"))
        reps = bench_batches() < 64 ? bench_batches() : 64;
    void *libc = dlopen("libc.so.6", RTLD_NOW | RTLD_NOLOAD);
    bench_stat_t be, gl;
    __cpuid_count(7, 0, a, b, c, d);
    if (!((c >> 3) & 1) || !((c >> 4) & 1) || mpk_init(-1) != 0) {
        printf("api: SKIP: this CPU or kernel has no PKU\n");
        return 77;
    }
    glibc_pkey_set = libc ? (int (*)(int, unsigned))dlsym(libc, "pkey_set") : NULL;
    key = pkey_alloc(0, PKEY_DISABLE_ACCESS);
    group = mpk_mmap(key, NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (key < 0 || group == MAP_FAILED || !glibc_pkey_set) {
        printf("api: setup failed\n");
        return 1;
    }
    {
        bench_case_t cs[] = {{.fn = glibc_pair, .iters = bench_iters(100000)}, {.fn = begin_end, .iters = bench_iters(100000)}};
        bench_interleaved(cs, 2, bench_batches());
        gl = cs[0].stat;
        be = cs[1].stat;
    }
    bench_header("mpk_begin + mpk_end on a resident key");
    bench_row("glibc pkey_set pair (baseline)", gl, gl, "glibc");
    bench_row("mpk_begin + access + mpk_end", be, gl, "glibc");
    printf("| begin/end / glibc pair: %.2fx (target <= 2x)\n", be.median / gl.median);
    bench_result("api.glibc", "glibc pkey_set pair", "ns", gl, "api.glibc", gl.median, NULL);
    bench_result("api.begin_end", "mpk_begin + access + mpk_end", "ns", be, "api.glibc", gl.median, NULL);
    mpk_munmap(key);

    printf("\n### mpk_mprotect vs mprotect of the same group (median ns per call, %d reps)\n", reps);
    printf("| threads | state | pages | mprotect revoke | mpk revoke | ratio | mprotect grant | mpk grant | ratio |\n");
    for (unsigned ti = 0; ti < sizeof threads / sizeof *threads; ti++)
        for (int state = 0; state < 2; state++)
            for (unsigned pi = 0; pi < sizeof pages / sizeof *pages; pi++) {
                pthread_t th[16];
                bench_stat_t mr, mg, kr, kg;
                if (quick && (threads[ti] == 16 || pages[pi] == 16))
                    continue;
                group_pages = pages[pi];
                key = pkey_alloc(0, 0); /* open in this thread: the threads below inherit it */
                group = mpk_mmap(key, NULL, group_pages * 4096, PROT_READ | PROT_WRITE,
                                 MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
                atomic_store(&stop, 0);
                for (int i = 0; i < threads[ti]; i++)
                    pthread_create(&th[i], NULL, state ? idle : busy, NULL);
                usleep(5000);
                measure(by_mprotect, reps, &mr, &mg);
                measure(by_mpk, reps, &kr, &kg);
                atomic_store(&stop, 1);
                for (int i = 0; i < threads[ti]; i++)
                    pthread_join(th[i], NULL);
                mpk_munmap(key);
                printf("| %2d | %s | %4zu | %9.0f | %9.0f | %5.2fx | %9.0f | %9.0f | %5.2fx |\n",
                       threads[ti], state ? "idle" : "busy", group_pages, mr.median, kr.median,
                       kr.median / mr.median, mg.median, kg.median, kg.median / mg.median);
                sweep_results(threads[ti], state ? "idle" : "busy", group_pages, "revoke", mr, kr);
                sweep_results(threads[ti], state ? "idle" : "busy", group_pages, "grant", mg, kg);
            }
    return 0;
}
