/* bench/miss.c: the cost of a hardware-key cache miss (issue 3). N keys each tag a page; threads
 * open a random key, touch its page and close it again. With N above the hardware's keys most
 * opens miss: the key is brought in and another evicted. The miss cost is the time per access
 * minus that with every key resident, set against two raw pkey_mprotect calls (the page-table
 * work a miss cannot avoid: the victim's pages out, the newcomer's in), measured in the same
 * run. Run it under LD_PRELOAD=libmpk_preload.so. Target: a miss <= 2 pkey_mprotect (1 thread). */
#include "bench.h"

#include <cpuid.h>
#include <pthread.h>
#include <sys/mman.h>
#include <sys/syscall.h>

static int *keys;
static char **pages;
static int nkeys;

static long raw_pkey_mprotect(void *a, size_t l, int p, int k)
{
    long r;
    register long r10 __asm__("r10") = k;
    __asm__ volatile("syscall" : "=a"(r) : "a"(SYS_pkey_mprotect), "D"(a), "S"(l), "d"((long)p), "r"(r10)
                     : "rcx", "r11", "memory");
    return r;
}

static void accesses(void *arg, long n)
{
    uint64_t x = (uint64_t)(uintptr_t)arg * 2654435761u + 1;
    for (long i = 0; i < n; i++) {
        int k;
        x = x * 6364136223846793005ull + 1442695040888963407ull;
        k = (int)((x >> 33) % (uint64_t)nkeys);
        pkey_set(keys[k], 0);
        pages[k][64]++;
        pkey_set(keys[k], PKEY_DISABLE_ACCESS);
    }
}

typedef struct job {
    long iters;
    double ns;
    pthread_barrier_t *go;
    long id;
} job_t;

static void *thread_run(void *arg)
{
    job_t *j = arg;
    double t0;
    pthread_barrier_wait(j->go);
    t0 = bench_now_ns();
    accesses((void *)j->id, j->iters);
    j->ns = (bench_now_ns() - t0) / (double)j->iters;
    return NULL;
}

/* ns per access with `threads` threads all working, median over batches. */
static bench_stat_t run_threads(int threads, long iters, int batches)
{
    double t[64];
    if (batches > 64)
        batches = 64;
    for (int b = 0; b < batches && b < 64; b++) {
        pthread_t th[8];
        job_t jobs[8];
        pthread_barrier_t go;
        double sum = 0;
        pthread_barrier_init(&go, NULL, (unsigned)threads);
        for (int i = 0; i < threads; i++) {
            jobs[i] = (job_t){.iters = iters, .go = &go, .id = b * 8 + i};
            pthread_create(&th[i], NULL, thread_run, &jobs[i]);
        }
        for (int i = 0; i < threads; i++) {
            pthread_join(th[i], NULL);
            sum += jobs[i].ns;
        }
        pthread_barrier_destroy(&go);
        t[b] = sum / threads;
    }
    return bench_stat_of(t, batches);
}

static void two_pkey_mprotects(void *arg, long n)
{
    int *raw = arg;
    for (long i = 0; i < n; i++) {
        raw_pkey_mprotect(pages[0], 4096, PROT_READ | PROT_WRITE, raw[i & 1]);
        raw_pkey_mprotect(pages[1], 4096, PROT_READ | PROT_WRITE, raw[(i + 1) & 1]);
    }
}

int main(void)
{
    static const int sizes[] = {8, 16, 64, 256, 1024, 4096};
    enum { MAXKEYS = 4096 };
    int have;
    static const int threads[] = {1, 2, 4};
    unsigned a, b, c, d;
    int batches = bench_batches() / 2 + 1, raw[2];
    char *mem;
    bench_stat_t base, hit = {0};
    __cpuid_count(7, 0, a, b, c, d);
    if (!((c >> 3) & 1) || !((c >> 4) & 1)) {
        printf("miss: SKIP: this CPU or kernel has no PKU\n");
        return 77;
    }
    keys = calloc(MAXKEYS, sizeof(int));
    pages = calloc(MAXKEYS, sizeof(char *));
    mem = mmap(NULL, MAXKEYS * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    for (have = 0; have < MAXKEYS; have++) {
        int i = have;
        keys[i] = pkey_alloc(0, PKEY_DISABLE_ACCESS);
        pages[i] = mem + 4096 * i;
        if (keys[i] < 0 && i >= 1024)
            break; /* the configured limit (max_keys): sweep as far as it allows */
        if (keys[i] < 0 || pkey_mprotect(pages[i], 4096, PROT_READ | PROT_WRITE, keys[i])) {
            printf("miss: setup failed at key %d\n", i);
            return 1;
        }
    }
    /* The baseline uses two keys of its own, allocated behind the library's back. */
    {
        long r0, r1;
        __asm__ volatile("syscall" : "=a"(r0) : "a"(SYS_pkey_alloc), "D"(0), "S"(0) : "rcx", "r11", "memory");
        __asm__ volatile("syscall" : "=a"(r1) : "a"(SYS_pkey_alloc), "D"(0), "S"(0) : "rcx", "r11", "memory");
        raw[0] = r0 > 0 ? (int)r0 : 0;
        raw[1] = r1 > 0 ? (int)r1 : 0;
    }
    base = bench_measure(two_pkey_mprotects, raw, bench_iters(2000), batches);
    bench_header("cache miss cost (one access = open + touch + close of a random key)");
    bench_row("two raw pkey_mprotect calls (baseline)", base, base, "2 pkey_mprotect");
    bench_result("miss.base", "two raw pkey_mprotect calls", "ns", base, "miss.base", base.median, NULL);
    for (unsigned t = 0; t < sizeof threads / sizeof *threads; t++) {
        for (unsigned s = 0; s < sizeof sizes / sizeof *sizes; s++) {
            char name[64], id[64], extra[96];
            bench_stat_t st;
            long iters = bench_iters(sizes[s] <= 8 ? 200000 : 2000);
            if (sizes[s] > have)
                continue;
            nkeys = sizes[s];
            st = run_threads(threads[t], iters, batches);
            if (sizes[s] <= 8 && threads[t] == 1)
                hit = st;
            snprintf(name, sizeof name, "%d keys, %d thread%s", sizes[s], threads[t], threads[t] > 1 ? "s" : "");
            bench_row(name, st, base, "2 pkey_mprotect");
            snprintf(id, sizeof id, "miss.k%d.t%d", sizes[s], threads[t]);
            snprintf(extra, sizeof extra, "keys=%d threads=%d", sizes[s], threads[t]);
            bench_result(id, name, "ns", st, "miss.base", base.median, extra);
        }
    }
    printf("| (8 keys stay resident: that row is the hit cost, %.0f ns; the others are mostly misses)\n",
           hit.median);
    return 0;
}
