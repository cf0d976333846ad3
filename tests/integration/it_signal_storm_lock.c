/* tests/integration/it_signal_storm_lock.c: signals that land while a thread is inside libmpk
 * (holding its lock, which it takes without blocking signals) reach the program's handler
 * afterwards, each exactly once with its own data, and the handler may call into the library
 * (pkey_mprotect, mprotect of keyed memory) without a deadlock; real-time signals keep their
 * order. One thread churns keys (pkey_alloc, pkey_mprotect, pkey_free: each a locked section);
 * another sends it signals carrying 1, 2, 3, ...: first SIGUSR1, one at a time (each waits for the
 * handler, so none coalesces), then bursts of a queued real-time signal.
 * Usage: it_signal_storm_lock [SIGNALS] (default 1000). */
#include "it.h"

#include <pthread.h>
#include <stdatomic.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static pid_t victim_tid;
static int nsignals;
static atomic_int handled, wrong, sender_done, call_errno, call_value;
static atomic_int last; /* the value of the signal handled last */
static char *handler_page;
static int handler_key;

static void on_signal(int sig, siginfo_t *si, void *uc)
{
    (void)sig;
    (void)uc;
    int before = atomic_exchange(&last, si->si_value.sival_int);
    if (before != si->si_value.sival_int - 1 && atomic_fetch_add(&wrong, 1) < 3)
        fprintf(stderr, "signal %d came after %d\n", si->si_value.sival_int, before);
    /* Into the library from the handler: a locked section of its own. */
    if (pkey_mprotect(handler_page, 4096, PROT_READ | PROT_WRITE, handler_key) ||
        mprotect(handler_page, 4096, PROT_READ | PROT_WRITE)) {
        atomic_store(&call_errno, errno);
        atomic_store(&call_value, si->si_value.sival_int);
        atomic_fetch_add(&wrong, 1000);
    }
    atomic_fetch_add(&handled, 1);
}

static int send_value(int sig, int value)
{
    siginfo_t si;
    memset(&si, 0, sizeof si);
    si.si_signo = sig;
    si.si_code = SI_QUEUE;
    si.si_pid = getpid();
    si.si_uid = getuid();
    si.si_value.sival_int = value;
    while (syscall(SYS_rt_tgsigqueueinfo, getpid(), victim_tid, sig, &si) != 0) {
        if (errno != EAGAIN) {
            IT_CHECK(0, "rt_tgsigqueueinfo: %s", strerror(errno));
            return -1;
        }
        usleep(100); /* the queue is full: let the victim catch up */
    }
    return 0;
}

/* Waits (up to 30 s) until the handler has run `n` times in all. */
static void wait_handled(int n)
{
    for (time_t end = time(NULL) + 30; atomic_load(&handled) < n && time(NULL) < end;)
        sched_yield();
}

static void *sender(void *a)
{
    int rt = SIGRTMIN + 1;
    (void)a;
    for (int i = 1; i <= nsignals && !it_failures; i++) {
        if (send_value(SIGUSR1, i))
            break;
        wait_handled(i);
    }
    wait_handled(nsignals);
    IT_CHECK(atomic_load(&handled) == nsignals, "SIGUSR1: %d of %d arrived", atomic_load(&handled), nsignals);
    /* Real-time: bursts of 50 queued at once, in order. */
    {
        struct sigaction sa;
        memset(&sa, 0, sizeof sa);
        sa.sa_sigaction = on_signal;
        sa.sa_flags = SA_SIGINFO | SA_RESTART; /* (SA_NODEFER: the kernel nests pending ones LIFO) */
        sigaction(rt, &sa, NULL);
    }
    for (int i = nsignals + 1; i <= 2 * nsignals && !it_failures; i++) {
        if (send_value(rt, i))
            break;
        if (i % 50 == 0)
            wait_handled(i);
    }
    wait_handled(2 * nsignals);
    atomic_store(&sender_done, 1);
    return NULL;
}

int main(int argc, char **argv)
{
    struct sigaction sa;
    pthread_t th;
    char *page;
    long rounds = 0;
    nsignals = argc > 1 ? atoi(argv[1]) : 1000;
    it_require_pku();
    page = it_page(1);
    handler_page = it_page(1);
    handler_key = pkey_alloc(0, 0);
    IT_CHECK(handler_key > 0, "pkey_alloc: %s", strerror(errno));
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_signal;
    sa.sa_flags = SA_SIGINFO | SA_RESTART;
    sigaction(SIGUSR1, &sa, NULL);

    victim_tid = (pid_t)syscall(SYS_gettid);
    pthread_create(&th, NULL, sender, NULL);
    while (!atomic_load(&sender_done) && !it_failures) { /* locked sections, back to back */
        int k = pkey_alloc(0, 0);
        IT_CHECK(k > 0, "pkey_alloc: %s", strerror(errno));
        IT_CHECK(pkey_mprotect(page, 4096, PROT_READ | PROT_WRITE, k) == 0, "pkey_mprotect: %s", strerror(errno));
        IT_CHECK(pkey_mprotect(page, 4096, PROT_READ | PROT_WRITE, 0) == 0, "pkey_mprotect 0: %s",
                 strerror(errno));
        IT_CHECK(pkey_free(k) == 0, "pkey_free: %s", strerror(errno));
        rounds++;
    }
    pthread_join(th, NULL);
    IT_CHECK(atomic_load(&handled) == 2 * nsignals, "%d of %d signals arrived", atomic_load(&handled),
             2 * nsignals);
    IT_CHECK(atomic_load(&wrong) == 0, "%d arrived with a value out of turn (1000 each: a handler's call "
             "into the library failed: %s at signal %d)", atomic_load(&wrong), strerror(atomic_load(&call_errno)),
             atomic_load(&call_value));
    printf("it_signal_storm_lock: %d signals during %ld rounds of locked sections\n", atomic_load(&handled),
           rounds);
    return it_done("signal_storm_lock");
}
