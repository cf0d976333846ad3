/* tests/reliability/rel_signal_storm.c: mpk_mprotect under a storm of program signals. Worker
 * threads have SIGUSR1 and SIGUSR2 handlers of their own (one of them opens the key inside the
 * handler, as handlers may) and are flooded with both by a sender thread, and so is the thread
 * calling mpk_mprotect, whose wait for the other threads' acknowledgements is interrupted over
 * and over. Every call must return, every revocation must be complete when it does (a worker
 * that reads the same finished call number before and after a probe gets exactly its rights),
 * a handler must start with the key closed (unless a call runs meanwhile: it changes the
 * handler's rights too), never with rights a nested handler set, and leave the thread's rights as they were, and a thread blocked in
 * read() must come out with its rights right.
 * Usage: rel_signal_storm [CALLS [WORKERS]] (default 2000 4). */
#include "../integration/it.h"
#include "rel.h"

#include <mpk.h>
#include <pthread.h>
#include <stdatomic.h>
#include <unistd.h>

#define STALL_DEADLINE_S 300

enum { MAX_WORKERS = 16 };

static int key, calls, nworkers;
static char *group;
static _Atomic uint64_t state; /* call number << 8 | running << 4 | rights */
static _Atomic int stop;
static _Atomic long progress, handled, handler_bad, checked, unchecked;
static pthread_t workers[MAX_WORKERS], caller;
static int pipe_fds[2];

static int rights_of_prot(int prot)
{
    return prot == PROT_NONE ? PKEY_DISABLE_ACCESS : prot == PROT_READ ? PKEY_DISABLE_WRITE : 0;
}

/* Did an mpk_mprotect call run while a handler did (it changes every level's rights)? */
static bool quiet(uint64_t s1)
{
    return s1 == atomic_load(&state) && !(s1 >> 4 & 1);
}

/* What a handler saw, for the failure message (write(2): we are in a handler). */
static void note_bad(const char *which, int a, int b, uint64_t s1)
{
    char msg[160];
    int n = snprintf(msg, sizeof msg, "rel_signal_storm: %s handler in thread %d after call #%llu "
                     "(rights %d): %d %d\n", which, gettid(), (unsigned long long)(s1 >> 8),
                     (int)(s1 & 0xf), a, b);
    if (write(2, msg, (size_t)n) < 0)
        return;
}

/* SIGUSR1: the kernel's rule, kept by libmpk for virtual keys: the key is closed in here. */
static void on_usr1(int sig)
{
    uint64_t s1 = atomic_load(&state);
    int saved = errno, get = pkey_get(key), rd = it_probe_read(group);
    (void)sig;
    /* Closed, or what the last call gave every level if it ended while this handler was being
     * entered (the wrapper starts before this code reads s1); never anything else. */
    if (quiet(s1) && ((get != PKEY_DISABLE_ACCESS && get != (int)(s1 & 0xf)) || rd != it_can_read(get)) &&
        atomic_fetch_add(&handler_bad, 1) < 5)
        note_bad("SIGUSR1", get, rd, s1);
    atomic_fetch_add(&handled, 1);
    errno = saved;
}

/* SIGUSR2: opens the key for itself; the interrupted code must not notice. */
static void on_usr2(int sig, siginfo_t *si, void *uc)
{
    uint64_t s1 = atomic_load(&state);
    int saved = errno, set = pkey_set(key, 0), wr = it_probe_write(group + 64);
    (void)sig;
    (void)si;
    (void)uc;
    if (quiet(s1) && (set != 0 || !wr) && atomic_fetch_add(&handler_bad, 1) < 5)
        note_bad("SIGUSR2", set, wr, s1);
    atomic_fetch_add(&handled, 1);
    errno = saved;
}

/* Probe between two reads of the published state; exact when no call overlapped. */
static void probe_and_check(long id)
{
    uint64_t s1 = atomic_load(&state), s2;
    int rd, wr, r;
    atomic_thread_fence(memory_order_seq_cst);
    rd = it_probe_read(group);
    wr = it_probe_write(group);
    atomic_thread_fence(memory_order_seq_cst);
    s2 = atomic_load(&state);
    if (s1 != s2 || (s1 >> 4 & 1)) {
        atomic_fetch_add(&unchecked, 1);
        return;
    }
    r = (int)(s1 & 0xf);
    atomic_fetch_add(&checked, 1);
    IT_CHECK(rd == it_can_read(r) && wr == it_can_write(r),
             "worker %ld: after mpk_mprotect #%llu (rights %d): read %d write %d", id,
             (unsigned long long)(s1 >> 8), r, rd, wr);
}

static void *worker(void *arg)
{
    long id = (long)arg;
    char c;
    while (!atomic_load(&stop)) {
        probe_and_check(id);
        if (id == 0 && read(pipe_fds[0], &c, 1) < 0 && errno != EINTR) /* blocked, interrupted */
            break;
    }
    return NULL;
}

static void *sender(void *arg)
{
    (void)arg;
    while (!atomic_load(&stop)) {
        for (int burst = 0; burst < 8; burst++) {
            for (int i = 0; i < nworkers; i++)
                pthread_kill(workers[i], (i + burst) & 1 ? SIGUSR1 : SIGUSR2);
            pthread_kill(caller, SIGUSR1);
        }
        if (write(pipe_fds[1], "x", 1) < 0)
            break;
        sched_yield();
    }
    return NULL;
}

int main(int argc, char **argv)
{
    static const int prots[] = {PROT_NONE, PROT_READ, PROT_READ | PROT_WRITE};
    struct sigaction sa;
    pthread_t snd, dog;
    double t0;
    calls = argc > 1 ? atoi(argv[1]) : 2000;
    nworkers = argc > 2 ? atoi(argv[2]) : 4;
    if (nworkers < 1 || nworkers > MAX_WORKERS) {
        fprintf(stderr, "usage: rel_signal_storm [CALLS [WORKERS<=%d]]\n", MAX_WORKERS);
        return 2;
    }
    it_require_pku();
    it_install_probe_handler();
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_usr1; /* no SA_RESTART: interrupted calls return EINTR */
    sigaction(SIGUSR1, &sa, NULL);
    sa.sa_sigaction = on_usr2;
    sa.sa_flags = SA_SIGINFO | SA_RESTART;
    sigaction(SIGUSR2, &sa, NULL);
    IT_CHECK(pipe(pipe_fds) == 0, "pipe");
    key = pkey_alloc(0, 0);
    if (key <= 0) {
        printf("SKIP: pkey_alloc: %s\n", strerror(errno));
        return it_preloaded() ? 1 : IT_SKIP;
    }
    group = mpk_mmap(key, NULL, 4 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    IT_CHECK(group != MAP_FAILED, "mpk_mmap: %s", strerror(errno));
    caller = pthread_self();
    t0 = rel_now();
    for (long i = 0; i < nworkers; i++)
        pthread_create(&workers[i], NULL, worker, (void *)i);
    pthread_create(&snd, NULL, sender, NULL);
    dog = rel_watchdog_start("signal_storm", "mpk_mprotect", &progress, &stop, STALL_DEADLINE_S);
    for (int c = 1; c <= calls && it_failures == 0; c++) {
        int prot = prots[(unsigned)c * 7 % 3], r = rights_of_prot(prot);
        uint64_t old = atomic_load(&state);
        atomic_store(&state, (uint64_t)c << 8 | 1 << 4 | (old & 0xf));
        IT_CHECK(mpk_mprotect(key, prot) == 0, "mpk_mprotect #%d: %s", c, strerror(errno));
        atomic_store(&state, (uint64_t)c << 8 | (uint64_t)r);
        /* The caller itself: rights exact at once, interrupted or not. */
        IT_CHECK(it_probe_read(group) == it_can_read(r) && it_probe_write(group) == it_can_write(r),
                 "caller after mpk_mprotect #%d", c);
        atomic_fetch_add(&progress, 1);
        if (c % 4 == 0)
            usleep(500); /* quiet spells, in which every probe is checked exactly */
    }
    atomic_store(&stop, 1);
    for (int i = 0; i < 8; i++)
        if (write(pipe_fds[1], "x", 1) < 0)
            break;
    pthread_join(snd, NULL);
    for (int i = 0; i < nworkers; i++)
        pthread_join(workers[i], NULL);
    pthread_join(dog, NULL);
    IT_CHECK(atomic_load(&handler_bad) == 0, "%ld handlers saw the key open or could not open it",
             atomic_load(&handler_bad));
    IT_CHECK(atomic_load(&checked) > 0 && atomic_load(&handled) > 0, "nothing was checked");
    printf("rel_signal_storm: %ld mpk_mprotect calls under %ld program signals; %ld probes checked "
           "exactly, %ld overlapped a call; %.1f s\n", atomic_load(&progress),
           atomic_load(&handled), atomic_load(&checked), atomic_load(&unchecked), rel_now() - t0);
    return it_done("signal_storm");
}
