/* bench/wx.c: flips of a JIT's code region, RW (write a function) then RX (run it), with plain
 * mprotect system calls and with W^X under libmpk (mprotect interposed: a thread-local rights
 * change), against the same work on an RWX region that is never flipped (no protection), for
 * 1, 2 and 4 threads each with its own 16-page region, in one run. Run it under
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

enum how { RAW, WX, NONE, HOWS };
static const char *const how_names[HOWS] = {"mprotect", "wx", "none"};

/* The region: RWX for the unprotected case, mapped by the system call itself so that no policy
 * can audit or refuse it; else RW, as a JIT maps it. */
static unsigned char *region(enum how how)
{
    long r;
    register long r10 __asm__("r10") = MAP_PRIVATE | MAP_ANONYMOUS;
    register long r8 __asm__("r8") = -1;
    register long r9 __asm__("r9") = 0;
    if (how != NONE)
        return mmap(NULL, SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    __asm__ volatile("syscall" : "=a"(r) : "a"(SYS_mmap), "D"(0), "S"((long)SIZE),
                     "d"((long)(PROT_READ | PROT_WRITE | PROT_EXEC)), "r"(r10), "r"(r8), "r"(r9)
                     : "rcx", "r11", "memory");
    return (unsigned char *)r;
}

/* Make the region writable (open) or executable (close), the way `how` says. */
static void flip(enum how how, void *r, int open)
{
    int prot = open ? PROT_READ | PROT_WRITE : PROT_READ | PROT_EXEC;
    if (how == WX)
        mprotect(r, SIZE, prot);
    else if (how == RAW)
        raw_mprotect(r, SIZE, prot);
}

typedef struct job {
    enum how how;
    long flips;
    double ns;      /* per flip pair */
    long wrong;
} job_t;

static void *run(void *arg)
{
    job_t *j = arg;
    unsigned char *r = region(j->how);
    double t0;
    for (int warm = 0; warm < 2; warm++) {
        t0 = bench_now_ns();
        for (long i = 0; i < j->flips; i++) {
            unsigned char *code = r + (size_t)(i * 64) % SIZE;
            unsigned v = (unsigned)i;
            flip(j->how, r, 1);
            code[0] = 0xb8;
            memcpy(code + 1, &v, 4);
            code[5] = 0xc3;
            flip(j->how, r, 0);
            if ((unsigned)((int (*)(void))(void *)code)() != v)
                j->wrong++;
        }
    }
    j->ns = (bench_now_ns() - t0) / (double)j->flips; /* the second, warm pass */
    munmap(r, SIZE);
    return NULL;
}

static double rate(enum how how, int threads, long flips)
{
    pthread_t th[4];
    job_t jobs[4];
    double sum = 0;
    for (int i = 0; i < threads; i++) {
        jobs[i] = (job_t){.how = how, .flips = flips};
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

/* Every kind, their runs interleaved (mprotect, W^X, none, mprotect, ...) so load changes hit
 * all alike. */
static void repeat_rates(int threads, long flips, int batches, bench_stat_t *out)
{
    static double t[HOWS][256];
    if (batches > 256)
        batches = 256;
    for (int b = 0; b < batches; b++)
        for (int h = 0; h < HOWS; h++)
            t[h][b] = rate((enum how)h, threads, flips);
    for (int h = 0; h < HOWS; h++)
        out[h] = bench_stat_of(t[h], batches);
}

/* RESULT lines: ns per flip pair (or per write + call when nothing is flipped); W^X against
 * mprotect, and W^X against no protection at all. */
static void results(int threads, const bench_stat_t *s)
{
    static const char *const labels[HOWS] = {"JIT flip pair by mprotect", "JIT flip pair under W^X",
                                             "JIT write + call, RWX region, no flips"};
    char id[48], base[48], extra[48];
    snprintf(base, sizeof base, "wx.mprotect.t%d", threads);
    for (int h = 0; h < HOWS; h++) {
        snprintf(id, sizeof id, "wx.%s.t%d", how_names[h], threads);
        snprintf(extra, sizeof extra, "threads=%d how=%s", threads, how_names[h]);
        bench_result(id, labels[h], "ns", s[h], base, s[RAW].median, extra);
    }
    snprintf(id, sizeof id, "wx.wx_vs_none.t%d", threads);
    snprintf(base, sizeof base, "wx.none.t%d", threads);
    snprintf(extra, sizeof extra, "threads=%d", threads);
    bench_result(id, "JIT flip pair under W^X, against no protection", "ns", s[WX], base, s[NONE].median, extra);
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
    printf("| threads | mprotect ns/pair | W^X ns/pair | no flips ns | speed-up over mprotect |\n");
    for (unsigned i = 0; i < sizeof threads / sizeof *threads; i++) {
        bench_stat_t s[HOWS];
        repeat_rates(threads[i], flips, batches, s);
        printf("| %d | %.0f | %.0f | %.0f | %.1fx (target >= 8.1x) |\n", threads[i], s[RAW].median,
               s[WX].median, s[NONE].median, s[RAW].median / s[WX].median);
        results(threads[i], s);
    }
    return 0;
}
