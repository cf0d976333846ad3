/* tests/integration/it_wx_jit.c: a synthetic JIT (issue 6). One thread flips a 16-page region
 * RW, writes a small function, flips it RX and runs it, FLIPS times; another keeps trying to
 * write into the region (a `ret` byte, which would corrupt the code). With [wx] enable = on the
 * second thread never gets a write in, every function returns what it should, and the JIT
 * thread itself cannot write once it flipped back to RX. With plain mprotect (run without the
 * preload) the intruder gets writes in during the windows: the test must report that.
 * Usage: it_wx_jit [FLIPS] (default 50000). Prints the flip rate. */
#include "it.h"

#include <pthread.h>
#include <stdatomic.h>
#include <time.h>

#define PAGES 16
#define SIZE (PAGES * 4096)

static unsigned char *region;
static _Atomic int stop;
static _Atomic long intruder_writes, intruder_tries;

static void *intruder(void *arg)
{
    (void)arg;
    it_seed(7);
    while (!atomic_load(&stop)) {
        unsigned char *p = region + (it_rand() % SIZE);
        /* a `ret` byte: code it lands in returns early, with a wrong value, but never crashes */
        atomic_fetch_add(&intruder_tries, 1);
        if (it_probe_write_byte(p, 0xc3))
            atomic_fetch_add(&intruder_writes, 1);
    }
    return NULL;
}

int main(int argc, char **argv)
{
    long flips = argc > 1 ? atol(argv[1]) : 50000, wrong = 0, jit_wrote_after_rx = 0;
    pthread_t t;
    struct timespec t0, t1;
    double secs;
    it_require_pku();
    it_install_probe_handler();
    region = mmap(NULL, SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    IT_CHECK(region != MAP_FAILED, "mmap");
    memset(region, 0xc3, SIZE);
    /* The first flip, before the intruder starts: until a region is flipped it is ordinary
     * read-write memory, for every thread, with or without the library. */
    IT_CHECK(mprotect(region, SIZE, PROT_READ | PROT_EXEC) == 0, "first flip: %s", strerror(errno));
    pthread_create(&t, NULL, intruder, NULL);
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (long i = 0; i < flips; i++) {
        unsigned char *code = region + (size_t)(i * 64) % SIZE;
        unsigned v = (unsigned)i * 2654435761u;
        int (*fn)(void) = (int (*)(void))(void *)code;
        if (mprotect(region, SIZE, PROT_READ | PROT_WRITE)) {
            IT_CHECK(0, "mprotect RW: %s", strerror(errno));
            break;
        }
        code[0] = 0xb8; /* mov eax, imm32; ret */
        memcpy(code + 1, &v, 4);
        code[5] = 0xc3;
        if (mprotect(region, SIZE, PROT_READ | PROT_EXEC)) {
            IT_CHECK(0, "mprotect RX: %s", strerror(errno));
            break;
        }
        if ((unsigned)fn() != v)
            wrong++;
        if (i % 1000 == 0 && it_probe_write(code + 8))
            jit_wrote_after_rx++;
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    atomic_store(&stop, 1);
    pthread_join(t, NULL);
    secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    printf("%ld flips in %.3f s (%.0f flip pairs/s); intruder: %ld of %ld writes got in; %ld wrong "
           "results\n",
           flips, secs, flips / secs, atomic_load(&intruder_writes), atomic_load(&intruder_tries),
           wrong);
    IT_CHECK(atomic_load(&intruder_writes) == 0, "another thread wrote into the code %ld times",
             atomic_load(&intruder_writes));
    IT_CHECK(wrong == 0, "%ld functions returned the wrong value (corrupted code)", wrong);
    IT_CHECK(jit_wrote_after_rx == 0, "the JIT thread wrote after flipping to RX");
    return it_done("wx_jit");
}
