/* bench/switch.c: the cost of a rights switch on a resident key (a pkey_set pair: open, then
 * close) under libmpk, against glibc's own pkey_set, a bare WRPKRU pair, and an mprotect pair
 * on one page, all in one process. Run it under LD_PRELOAD=libmpk_preload.so. Targets
 * (issue 2): libmpk <= 2x glibc, and >= 40x cheaper than mprotect. */
#include "bench.h"

#include <cpuid.h>
#include <dlfcn.h>
#include <sys/mman.h>

static int key;
static char *page;
static int (*glibc_pkey_set)(int, unsigned);

static void libmpk_pair(void *a, long n)
{
    (void)a;
    for (long i = 0; i < n; i++) {
        pkey_set(key, 0);
        page[0]++;
        pkey_set(key, PKEY_DISABLE_ACCESS);
    }
}

static void glibc_pair(void *a, long n)
{
    (void)a;
    for (long i = 0; i < n; i++) {
        glibc_pkey_set(key, 0);
        page[0]++;
        glibc_pkey_set(key, PKEY_DISABLE_ACCESS);
    }
}

static inline unsigned rdpkru(void)
{
    unsigned eax, edx;
    __asm__ volatile(".byte 0x0f,0x01,0xee" : "=a"(eax), "=d"(edx) : "c"(0));
    return eax;
}
static inline void wrpkru(unsigned v)
{
    __asm__ volatile(".byte 0x0f,0x01,0xef" : : "a"(v), "c"(0), "d"(0) : "memory");
}

static void wrpkru_pair(void *a, long n)
{
    unsigned open = rdpkru() & ~(3u << (2 * key)), closed = open | (1u << (2 * key));
    (void)a;
    for (long i = 0; i < n; i++) {
        wrpkru(open);
        page[0]++;
        wrpkru(closed);
    }
}

static void mprotect_pair(void *a, long n)
{
    char *p = a;
    for (long i = 0; i < n; i++) {
        mprotect(p, 4096, PROT_READ | PROT_WRITE);
        p[0]++;
        mprotect(p, 4096, PROT_NONE);
    }
}

int main(void)
{
    unsigned ea, eb, ec, ed;
    void *libc;
    char *mp;
    bench_stat_t g, l, w, m;
    int batches = bench_batches();
    __cpuid_count(7, 0, ea, eb, ec, ed);
    if (!((ec >> 3) & 1) || !((ec >> 4) & 1)) {
        printf("switch: SKIP: this CPU or kernel has no PKU\n");
        return 77;
    }
    libc = dlopen("libc.so.6", RTLD_NOW | RTLD_NOLOAD);
    glibc_pkey_set = libc ? (int (*)(int, unsigned))dlsym(libc, "pkey_set") : NULL;
    key = pkey_alloc(0, PKEY_DISABLE_ACCESS);
    page = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    mp = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (key < 0 || !glibc_pkey_set || pkey_mprotect(page, 4096, PROT_READ | PROT_WRITE, key)) {
        printf("switch: setup failed\n");
        return 1;
    }
    pkey_set(key, PKEY_DISABLE_ACCESS);
    {
        long n = bench_iters(100000), np = bench_iters(1000);
        bench_case_t c[] = {{.fn = glibc_pair, .arg = NULL, .iters = n}, {.fn = libmpk_pair, .arg = NULL, .iters = n},
                            {.fn = wrpkru_pair, .arg = NULL, .iters = n}, {.fn = mprotect_pair, .arg = mp, .iters = np}};
        bench_interleaved(c, 4, batches);
        g = c[0].stat;
        l = c[1].stat;
        w = c[2].stat;
        m = c[3].stat;
    }
    bench_header("rights switch on a resident key (pair: open + access + close)");
    bench_row("glibc pkey_set pair (baseline)", g, g, "glibc");
    bench_row("libmpk pkey_set pair", l, g, "glibc");
    bench_row("bare WRPKRU pair", w, g, "glibc");
    bench_row("mprotect pair, one page", m, g, "glibc");
    printf("| mprotect pair / libmpk pair: %.1fx (target >= 40x); libmpk / glibc: %.2fx (target <= 2x)\n",
           m.median / l.median, l.median / g.median);
    bench_result("switch.glibc", "glibc pkey_set pair", "ns", g, "switch.glibc", g.median, NULL);
    bench_result("switch.libmpk", "libmpk pkey_set pair", "ns", l, "switch.glibc", g.median, NULL);
    bench_result("switch.wrpkru", "bare WRPKRU pair", "ns", w, "switch.glibc", g.median, NULL);
    bench_result("switch.mprotect", "mprotect pair, one page", "ns", m, "switch.glibc", g.median, NULL);
    /* The same mprotect figure against libmpk's pair: how many times cheaper the switch is. */
    bench_result("switch.mprotect_vs_libmpk", "mprotect pair / libmpk pair", "ns", m, "switch.libmpk", l.median, NULL);
    return 0;
}
