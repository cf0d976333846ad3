/* bench/mmap.c: the interposed mmap+munmap and mprotect when no key is in play, against glibc's
 * own functions called in the same process. Run it under LD_PRELOAD=libmpk_preload.so.
 * Target (issue 2): <= 1.25x. Also the same calls once a key is in play (slow path). */
#include "bench.h"

#include <dlfcn.h>
#include <sys/mman.h>

static void *(*glibc_mmap)(void *, size_t, int, int, int, off_t);
static int (*glibc_munmap)(void *, size_t);
static int (*glibc_mprotect)(void *, size_t, int);

static void ours_map(void *a, long n)
{
    (void)a;
    for (long i = 0; i < n; i++)
        munmap(mmap(NULL, 65536, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0), 65536);
}

static void glibc_map(void *a, long n)
{
    (void)a;
    for (long i = 0; i < n; i++)
        glibc_munmap(glibc_mmap(NULL, 65536, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0),
                     65536);
}

static void ours_protect(void *a, long n)
{
    for (long i = 0; i < n; i++)
        mprotect(a, 4096, (i & 1) ? PROT_READ : PROT_READ | PROT_WRITE);
}

static void glibc_protect(void *a, long n)
{
    for (long i = 0; i < n; i++)
        glibc_mprotect(a, 4096, (i & 1) ? PROT_READ : PROT_READ | PROT_WRITE);
}

int main(void)
{
    void *libc = dlopen("libc.so.6", RTLD_NOW | RTLD_NOLOAD);
    void *page = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    int batches = bench_batches();
    bench_stat_t gm, om, gp, op;
    glibc_mmap = dlsym(libc, "mmap");
    glibc_munmap = dlsym(libc, "munmap");
    glibc_mprotect = dlsym(libc, "mprotect");
    {
        bench_case_t c[] = {{.fn = glibc_map, .arg = NULL, .iters = bench_iters(2000)}, {.fn = ours_map, .arg = NULL, .iters = bench_iters(2000)},
                            {.fn = glibc_protect, .arg = page, .iters = bench_iters(5000)}, {.fn = ours_protect, .arg = page, .iters = bench_iters(5000)}};
        bench_interleaved(c, 4, batches);
        gm = c[0].stat;
        om = c[1].stat;
        gp = c[2].stat;
        op = c[3].stat;
    }
    bench_header("memory calls with no key in play");
    bench_row("glibc mmap+munmap 64 KiB (baseline)", gm, gm, "glibc");
    bench_row("interposed mmap+munmap 64 KiB", om, gm, "glibc");
    bench_row("glibc mprotect (baseline)", gp, gp, "glibc");
    bench_row("interposed mprotect", op, gp, "glibc");
    printf("| mmap+munmap: %.3fx, mprotect: %.3fx (target <= 1.25x)\n", om.median / gm.median,
           op.median / gp.median);
    bench_result("mmap.glibc_map", "glibc mmap+munmap 64 KiB", "ns", gm, "mmap.glibc_map", gm.median, NULL);
    bench_result("mmap.map", "interposed mmap+munmap 64 KiB, no key in play", "ns", om, "mmap.glibc_map", gm.median, NULL);
    bench_result("mmap.glibc_protect", "glibc mprotect one page", "ns", gp, "mmap.glibc_protect", gp.median, NULL);
    bench_result("mmap.protect", "interposed mprotect one page, no key in play", "ns", op, "mmap.glibc_protect", gp.median, NULL);
    if (pkey_alloc(0, 0) > 0) { /* keys in play: the slow path, for the record */
        bench_case_t c[] = {{.fn = glibc_map, .arg = NULL, .iters = bench_iters(2000)}, {.fn = ours_map, .arg = NULL, .iters = bench_iters(2000)},
                            {.fn = glibc_protect, .arg = page, .iters = bench_iters(5000)}, {.fn = ours_protect, .arg = page, .iters = bench_iters(5000)}};
        bench_interleaved(c, 4, batches);
        gm = c[0].stat;
        om = c[1].stat;
        gp = c[2].stat;
        op = c[3].stat;
        bench_header("memory calls once a key is in play");
        bench_row("glibc mmap+munmap 64 KiB (baseline)", gm, gm, "glibc");
        bench_row("interposed mmap+munmap 64 KiB", om, gm, "glibc");
        bench_row("glibc mprotect (baseline)", gp, gp, "glibc");
        bench_row("interposed mprotect (untracked page)", op, gp, "glibc");
        bench_result("mmap.keyed_map", "interposed mmap+munmap 64 KiB, a key in play", "ns", om, "mmap.glibc_map", gm.median, NULL);
        bench_result("mmap.keyed_protect", "interposed mprotect, a key in play (untracked page)", "ns", op, "mmap.glibc_protect", gp.median, NULL);
    }
    return 0;
}
