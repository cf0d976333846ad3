/* bench/count/units.c: measures the cost model's unit costs on this CPU (bench/count/units has
 * the format and the defaults used where no PKU CPU measured them): an instruction, a WRPKRU, a
 * RDPKRU, a system call, a signal, an XSAVE/XRSTOR pair. Prints "NAME NS SOURCE" lines.
 * bench/run runs it natively on a CPU with PKU only: elsewhere WRPKRU raises SIGILL, and timings
 * off such a CPU are not the figures the model stands for. */
#include "bench/bench.h"

#include <cpuid.h>
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#define ROUNDS 200000L

static volatile long sink;

/* A chain of 8 dependent adds per round, plus the loop's 2: 10 instructions a round. */
static void insns(void *a, long n)
{
    long x = (long)a;
    for (long i = 0; i < n; i++)
        __asm__ volatile("add $1,%0; add $1,%0; add $1,%0; add $1,%0; add $1,%0; add $1,%0; add $1,%0; add $1,%0"
                         : "+r"(x));
    sink = x;
}

static void wrpkru_loop(void *a, long n)
{
    unsigned v = (unsigned)(long)a;
    for (long i = 0; i < n; i++)
        __asm__ volatile(".byte 0x0f,0x01,0xef" : : "a"(v), "c"(0), "d"(0) : "memory");
}

static void rdpkru_loop(void *a, long n)
{
    unsigned eax = 0, edx;
    for (long i = 0; i < n; i++)
        __asm__ volatile(".byte 0x0f,0x01,0xee" : "=a"(eax), "=d"(edx) : "c"(0));
    sink = eax;
}

static void syscall_loop(void *a, long n)
{
    for (long i = 0; i < n; i++)
        syscall(SYS_getppid);
}

static void on_usr1(int s) { (void)s; }

static void signal_loop(void *a, long n)
{
    for (long i = 0; i < n; i++)
        raise(SIGUSR1);
}

static void xsave_loop(void *a, long n)
{
    static unsigned char area[16384] __attribute__((aligned(64)));
    for (long i = 0; i < n; i++) {
        __asm__ volatile("xsave64 %0" : "+m"(area) : "a"(~0u), "d"(~0u));
        __asm__ volatile("xrstor64 %0" : : "m"(area), "a"(~0u), "d"(~0u));
    }
}

static double per(void (*fn)(void *, long), void *arg, long n)
{
    return bench_measure(fn, arg, n, 11).median;
}

int main(void)
{
    unsigned a, b, c, d;
    double insn, sys;
    __cpuid_count(7, 0, a, b, c, d);
    if (!((c >> 3) & 1) || !((c >> 4) & 1)) {
        fprintf(stderr, "bench_units: this CPU or kernel has no PKU: the defaults stand\n");
        return 77;
    }
    signal(SIGUSR1, on_usr1);
    insn = per(insns, NULL, ROUNDS) / 10;
    unsigned pkru;
    __asm__ volatile(".byte 0x0f,0x01,0xee" : "=a"(pkru), "=d"(d) : "c"(0));
    printf("instruction %.3f measured here: dependent adds\n", insn);
    printf("wrpkru %.2f measured here: WRPKRU of the current value\n",
           per(wrpkru_loop, (void *)(long)pkru, ROUNDS) - 2 * insn);
    printf("rdpkru %.2f measured here\n", per(rdpkru_loop, NULL, ROUNDS) - 2 * insn);
    sys = per(syscall_loop, NULL, ROUNDS / 10);
    printf("syscall %.1f measured here: getppid, whole\n", sys);
    /* raise(): rt_sigprocmask, tgkill, rt_sigprocmask, and the signal (its rt_sigreturn counted in it). */
    printf("signal %.0f measured here: raise(SIGUSR1) to an empty handler, less its 3 system calls\n",
           per(signal_loop, NULL, ROUNDS / 100) - 3 * sys);
    printf("xsave %.1f measured here: half an XSAVE64+XRSTOR64 pair of every component\n",
           per(xsave_loop, NULL, ROUNDS / 10) / 2);
    return 0;
}
