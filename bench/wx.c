/* bench/wx.c: flips of a JIT's code region, RW (write a function) then RX (run it), with plain
 * mprotect system calls and with W^X under libmpk (mprotect interposed: a thread-local rights
 * change), for 1, 2 and 4 threads each with its own 16-page region, in one run. Run it under
 * LD_PRELOAD=libmpk_preload.so with a config that has [wx] enable = on (bench/wx.conf). Target
 * (issue 6): W^X flips at least 8.1x faster than mprotect. */
#include "bench.h"

#include <cpuid.h>
#include <pthread.h>
#include <sys/mman.h>
#include <sys/syscall.h>

#define SIZE (16 * 4096)

static long raw_mprotect(void *a, size_t l, int p)
{
    long r;
    __asm__ volatile("syscall" : "=a"(r) : "a"(SYS_mprotect), "D"(a), "S"(l), "d"((long)p)
                     : "rcx", "r11", "memory");
    return r;
}

typedef struct job {
    int interposed; /* 1: mprotect (libmpk's W^X), 0: the raw system call */
    long flips;
    double ns;      /* per flip pair */
    long wrong;
} job_t;

static void *run(void *arg)
{
    job_t *j = arg;
    unsigned char *r = mmap(NULL, SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    double t0;
    for (int warm = 0; warm < 2; warm++) {
        t0 = bench_now_ns();
        for (long i = 0; i < j->flips; i++) {
            unsigned char *code = r + (size_t)(i * 64) % SIZE;
            unsigned v = (unsigned)i;
            if (j->interposed)
                mprotect(r, SIZE, PROT_READ | PROT_WRITE);
            else
                raw_mprotect(r, SIZE, PROT_READ | PROT_WRITE);
            code[0] = 0xb8;
            memcpy(code + 1, &v, 4);
            code[5] = 0xc3;
            if (j->interposed)
                mprotect(r, SIZE, PROT_READ | PROT_EXEC);
            else
                raw_mprotect(r, SIZE, PROT_READ | PROT_EXEC);
            if ((unsigned)((int (*)(void))(void *)code)() != v)
                j->wrong++;
        }
    }
    j->ns = (bench_now_ns() - t0) / (double)j->flips; /* the second, warm pass */
    munmap(r, SIZE);
    return NULL;
}

static double rate(int interposed, int threads, long flips)
{
    pthread_t th[4];
    job_t jobs[4];
    double sum = 0;
    for (int i = 0; i < threads; i++) {
        jobs[i] = (job_t){.interposed = interposed, .flips = flips};
        pthread_create(&th[i], NULL, run, &jobs[i]);
    }
    for (int i = 0; i < threads; i++) {
        pthread_join(th[i], NULL);
        sum += jobs[i].ns;
        if (jobs[i].wrong)
            printf("wx: %ld wrong results!\n", jobs[i].wrong);
    }
    return sum / threads;
}

/* Both kinds, their runs interleaved (plain, W^X, plain, ...) so load changes hit both alike. */
static void repeat_rates(int threads, long flips, int batches, bench_stat_t *plain, bench_stat_t *wx)
{
    double p[256], w[256];
    for (int b = 0; b < batches && b < 256; b++) {
        p[b] = rate(0, threads, flips);
        w[b] = rate(1, threads, flips);
    }
    if (batches > 256)
        batches = 256;
    qsort(p, (size_t)batches, sizeof *p, bench_cmp);
    qsort(w, (size_t)batches, sizeof *w, bench_cmp);
    *plain = (bench_stat_t){.median = p[batches / 2], .min = p[0], .max = p[batches - 1]};
    *wx = (bench_stat_t){.median = w[batches / 2], .min = w[0], .max = w[batches - 1]};
}

/* RESULT lines: ns per flip pair and the rate in flip pairs per second per thread. */
static void results(int threads, bench_stat_t plain, bench_stat_t wx)
{
    char id[48], base[48], extra[48];
    snprintf(base, sizeof base, "wx.mprotect.t%d", threads);
    snprintf(id, sizeof id, "wx.wx.t%d", threads);
    snprintf(extra, sizeof extra, "threads=%d how=mprotect", threads);
    bench_result(base, "JIT flip pair by mprotect", "ns", plain, base, plain.median, extra);
    snprintf(extra, sizeof extra, "threads=%d how=wx", threads);
    bench_result(id, "JIT flip pair under W^X", "ns", wx, base, plain.median, extra);
}

int main(void)
{
    static const int threads[] = {1, 2, 4};
    unsigned a, b, c, d;
    long flips = bench_iters(getenv("BENCH_QUICK") ? 5000 : 50000);
    int batches = bench_batches();
    __cpuid_count(7, 0, a, b, c, d);
    if (!((c >> 3) & 1) || !((c >> 4) & 1)) {
        printf("wx: SKIP: this CPU or kernel has no PKU\n");
        return 77;
    }
    printf("\n### JIT flips (RW, write 6 bytes, RX, call), %ld flip pairs per thread\n", flips);
    printf("| threads | mprotect ns/pair | W^X ns/pair | speed-up |\n");
    for (unsigned i = 0; i < sizeof threads / sizeof *threads; i++) {
        bench_stat_t p, w;
        repeat_rates(threads[i], flips, batches, &p, &w);
        printf("| %d | %.0f | %.0f | %.1fx (target >= 8.1x) |\n", threads[i], p.median, w.median,
               p.median / w.median);
        results(threads[i], p, w);
    }
    return 0;
}
