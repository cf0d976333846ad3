/* tests/integration/it_silent_sync.c: a thread that blocks every signal, the sync signal included,
 * with an inline rt_sigprocmask (out of libmpk's reach) must not hang other threads' key changes:
 * the sync gives up waiting for it, and the revocation still holds in it, and no hardware key it
 * may still have open is handed to another key meanwhile (design.md §5). The test runs in a
 * child with a deadline, so that a hang fails instead of hanging ctest. */
#include "it.h"

#include <mpk.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define BIG (4u << 20) /* large enough that mpk_mprotect revokes by signal, not by re-tag */
#define NB 6           /* keys the silent thread has open when it goes silent */
#define ND 40          /* keys made afterwards, closed in it: more than the hardware holds */
#define DEADLINE_S 60  /* a correct run takes a few seconds even under emulation */

static char *big;
static int big_key;
static int bkeys[NB], dkeys[ND];
static char *bpages[NB], *dpages[ND];
static _Atomic int phase;

/* The kernel's rt_sigprocmask, by an instruction of our own: glibc's syscall() is libmpk's. */
static long raw_sigmask(int how, const uint64_t *set, uint64_t *old)
{
    long r;
    register long r10 __asm__("r10") = sizeof(uint64_t);
    __asm__ volatile("syscall"
                     : "=a"(r)
                     : "0"((long)SYS_rt_sigprocmask), "D"((long)how), "S"(set), "d"(old), "r"(r10)
                     : "rcx", "r11", "memory");
    return r;
}

static void wait_phase(int p)
{
    while (atomic_load(&phase) != p)
        usleep(1000);
}

/* Opens the big key and the B keys, goes silent, and, once told, checks what it can reach. */
static void *silent(void *arg)
{
    uint64_t all = ~0ull, segv = 1ull << (SIGSEGV - 1), none = 0;
    (void)arg;
    big[0] = 1;
    for (int i = 0; i < NB; i++)
        bpages[i][0] = 1;
    IT_CHECK(raw_sigmask(SIG_BLOCK, &all, NULL) == 0, "rt_sigprocmask");
    atomic_store(&phase, 1);
    wait_phase(2);
    /* SIGSEGV back (the probes need it), the sync signal still blocked. */
    raw_sigmask(SIG_UNBLOCK, &segv, NULL);
    IT_CHECK(!it_probe_read(big), "the revoked key is still readable in the silent thread");
    for (int i = 0; i < ND; i++)
        IT_CHECK(!it_probe_read(dpages[i]),
                 "key %d, never granted here, is readable: its hardware key was still open", dkeys[i]);
    raw_sigmask(SIG_SETMASK, &none, NULL); /* the late answer */
    atomic_store(&phase, 3);
    return NULL;
}

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* Every page of every key, written by this thread (which has rights to all): misses, evictions,
 * hardware keys handed from key to key. */
static void churn(int rounds)
{
    for (int r = 0; r < rounds; r++) {
        for (int i = 0; i < ND; i++)
            dpages[i][r] = (char)r;
        for (int i = 0; i < NB; i++)
            bpages[i][r] = (char)r;
    }
}

static int run(void)
{
    pthread_t t;
    double t0;
    it_install_probe_handler();
    big = mmap(NULL, BIG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    IT_CHECK(big != MAP_FAILED, "mmap");
    big_key = pkey_alloc(0, 0);
    IT_CHECK(big_key > 0 && pkey_mprotect(big, BIG, PROT_READ | PROT_WRITE, big_key) == 0,
             "big key: %s", strerror(errno));
    it_keyed_pages(NB, bkeys, bpages);
    pthread_create(&t, NULL, silent, NULL);
    wait_phase(1);

    t0 = now_ms();
    IT_CHECK(mpk_mprotect(big_key, PROT_NONE) == 0, "mpk_mprotect: %s", strerror(errno));
    printf("revocation with a silent thread: %.0f ms\n", now_ms() - t0);
    IT_CHECK(!it_probe_read(big), "the revoked key is still readable here");

    it_keyed_pages(ND, dkeys, dpages); /* closed in the silent thread: allocated after it */
    t0 = now_ms();
    churn(4);
    printf("evictions with a silent thread: %.0f ms\n", now_ms() - t0);

    atomic_store(&phase, 2);
    wait_phase(3);
    t0 = now_ms();
    churn(4);
    printf("evictions after its late answer: %.0f ms\n", now_ms() - t0);
    pthread_join(t, NULL);
    return it_done("silent_sync");
}

int main(void)
{
    int status = 0;
    pid_t pid;
    it_require_pku();
    fflush(stdout);
    pid = fork();
    if (pid == 0) {
        int rc = run();
        fflush(stdout);
        _exit(rc);
    }
    for (int i = 0; i < DEADLINE_S * 20; i++) {
        if (waitpid(pid, &status, WNOHANG) == pid)
            break;
        usleep(50 * 1000);
        if (i == DEADLINE_S * 20 - 1) {
            kill(pid, SIGKILL);
            waitpid(pid, &status, 0);
            printf("FAIL silent_sync: 1 check: hung for %d s (a sync waits for the silent thread)\n",
                   DEADLINE_S);
            return 1;
        }
    }
    if (WIFEXITED(status))
        return WEXITSTATUS(status);
    printf("FAIL silent_sync: 1 check: killed by signal %d\n", WTERMSIG(status));
    return 1;
}
