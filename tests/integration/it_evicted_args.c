/* tests/integration/it_evicted_args.c: interposed calls whose arguments lie in memory of an
 * evicted key work as they do on any memory the thread may use: sigaction's act and old,
 * sigprocmask's and pthread_sigmask's set and old, sigpending's set, the raw rt_sigaction and
 * rt_sigprocmask system calls, prctl(PR_SET_NAME) and pthread_setname_np's name. No deadlock
 * (the fault that brings the key in must never find the library's lock held), no EFAULT (the
 * kernel cannot bring a key in, only a fault can), no crash. Each case runs in a child with a
 * deadline, once with the library's plain lock and once with a real-time signal handler
 * installed (which makes the lock block signals instead). Usage: it_evicted_args KEYS (more
 * keys than the hardware has: the program's pages are evicted when it passes them). */
#include "it.h"

#include <pthread.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define DEADLINE_S 60

static int nkeys;
static char *pages[1024];

/* Touch every keyed page but a and b, twice: the least recently used keys (a's and b's) are
 * evicted when the others need hardware keys. Offset 0, away from the arguments at 2048. */
static void evict(int a, int b)
{
    for (int round = 0; round < 2; round++)
        for (int i = 0; i < nkeys; i++)
            if (i != a && i != b)
                pages[i][0]++;
}

/* Where case arguments go: the second half of key i's page. */
static void *arg(int i) { return pages[i] + 2048; }

static void on_usr1(int sig) { (void)sig; }

static int case_sigaction(void)
{
    struct sigaction *act = arg(1), *old = arg(2), now;
    memset(act, 0, sizeof *act);
    act->sa_handler = on_usr1;
    sigaddset(&act->sa_mask, SIGUSR2);
    IT_CHECK(sigaction(SIGUSR1, act, NULL) == 0, "first sigaction: %s", strerror(errno));
    memset(act, 0, sizeof *act);
    act->sa_handler = SIG_IGN;
    memset(old, 0x5a, sizeof *old);
    evict(1, 2);
    IT_CHECK(sigaction(SIGUSR1, act, old) == 0, "sigaction(act, old on evicted pages): %s", strerror(errno));
    IT_CHECK(old->sa_handler == on_usr1, "old handler %p, not on_usr1", (void *)old->sa_handler);
    IT_CHECK(sigismember(&old->sa_mask, SIGUSR2) == 1, "old mask lost SIGUSR2");
    IT_CHECK(sigaction(SIGUSR1, NULL, &now) == 0 && now.sa_handler == SIG_IGN, "act was not installed");
    return it_failures;
}

static int check_mask_call(const char *name, int (*call)(int, const sigset_t *, sigset_t *))
{
    sigset_t *set = arg(3), *old = arg(4), now;
    int r;
    sigemptyset(set);
    sigaddset(set, SIGUSR1);
    IT_CHECK(call(SIG_SETMASK, set, NULL) == 0, "%s: first call", name);
    sigemptyset(set);
    sigaddset(set, SIGUSR2);
    memset(old, 0, sizeof *old);
    evict(3, 4);
    r = call(SIG_BLOCK, set, old);
    IT_CHECK(r == 0, "%s(set, old on evicted pages): %s", name, strerror(r));
    IT_CHECK(sigismember(old, SIGUSR1) == 1 && sigismember(old, SIGUSR2) == 0, "%s: old mask wrong", name);
    IT_CHECK(call(SIG_BLOCK, NULL, &now) == 0 && sigismember(&now, SIGUSR2) == 1, "%s: set not applied", name);
    return it_failures;
}

static int mask_sigprocmask(int how, const sigset_t *set, sigset_t *old)
{
    return sigprocmask(how, set, old) ? errno : 0;
}

static int mask_raw(int how, const sigset_t *set, sigset_t *old)
{
    return syscall(SYS_rt_sigprocmask, how, set, old, 8) ? errno : 0;
}

static int case_sigprocmask(void) { return check_mask_call("sigprocmask", mask_sigprocmask); }
static int case_pthread_sigmask(void) { return check_mask_call("pthread_sigmask", pthread_sigmask); }
static int case_raw_sigprocmask(void) { return check_mask_call("rt_sigprocmask", mask_raw); }

static int case_sigpending(void)
{
    sigset_t block, *set = arg(5);
    sigemptyset(&block);
    sigaddset(&block, SIGUSR1);
    sigprocmask(SIG_BLOCK, &block, NULL);
    raise(SIGUSR1);
    memset(set, 0, sizeof *set);
    evict(5, 5);
    IT_CHECK(sigpending(set) == 0, "sigpending(set on an evicted page): %s", strerror(errno));
    IT_CHECK(sigismember(set, SIGUSR1) == 1, "pending SIGUSR1 not reported");
    return it_failures;
}

/* The kernel's struct for rt_sigaction on x86-64. */
struct k_sigaction {
    void (*handler)(int);
    unsigned long flags;
    void (*restorer)(void);
    uint64_t mask;
};

static int case_raw_sigaction(void)
{
    struct k_sigaction *act = arg(6), *old = arg(7);
    struct sigaction a;
    memset(&a, 0, sizeof a);
    a.sa_handler = on_usr1;
    sigaction(SIGUSR2, &a, NULL);
    memset(act, 0, sizeof *act);
    act->handler = SIG_IGN;
    memset(old, 0, sizeof *old);
    evict(6, 7);
    IT_CHECK(syscall(SYS_rt_sigaction, SIGUSR2, act, old, 8) == 0, "rt_sigaction(evicted): %s", strerror(errno));
    IT_CHECK(old->handler == on_usr1, "old handler %p, not on_usr1", (void *)old->handler);
    return it_failures;
}

static int case_prctl_name(void)
{
    char *name = arg(8), now[16] = "";
    strcpy(name, "evicted-name");
    evict(8, 8);
    IT_CHECK(prctl(PR_SET_NAME, name, 0, 0, 0) == 0, "prctl(PR_SET_NAME, evicted): %s", strerror(errno));
    prctl(PR_GET_NAME, now, 0, 0, 0);
    IT_CHECK(strcmp(now, "evicted-name") == 0, "name is \"%s\"", now);
    return it_failures;
}

/* Waits for the end of the process. A loop: the library's sync signal (an eviction reaching a
 * thread that may hold the key) interrupts pause(), which the kernel never restarts. */
static void *idle(void *p)
{
    for (;;)
        pause();
    return p;
}

static int case_setname(void)
{
    char *name = arg(9), now[16] = "";
    pthread_t other;
    int r;
    strcpy(name, "evicted-self");
    evict(9, 9);
    r = pthread_setname_np(pthread_self(), name);
    IT_CHECK(r == 0, "pthread_setname_np(self, evicted): %s", strerror(r));
    pthread_getname_np(pthread_self(), now, sizeof now);
    IT_CHECK(strcmp(now, "evicted-self") == 0, "own name is \"%s\"", now);
    r = pthread_create(&other, NULL, idle, NULL);
    IT_CHECK(r == 0, "pthread_create: %s", strerror(r));
    strcpy(name, "evicted-other");
    evict(9, 9);
    r = pthread_setname_np(other, name);
    IT_CHECK(r == 0, "pthread_setname_np(other, evicted): %s", strerror(r));
    pthread_getname_np(other, now, sizeof now);
    IT_CHECK(strcmp(now, "evicted-other") == 0, "other's name is \"%s\"", now);
    return it_failures;
}

static const struct {
    const char *name;
    int (*fn)(void);
} cases[] = {
    {"sigaction", case_sigaction},
    {"sigprocmask", case_sigprocmask},
    {"pthread_sigmask", case_pthread_sigmask},
    {"sigpending", case_sigpending},
    {"raw rt_sigaction", case_raw_sigaction},
    {"raw rt_sigprocmask", case_raw_sigprocmask},
    {"prctl PR_SET_NAME", case_prctl_name},
    {"pthread_setname_np", case_setname},
};

static void on_rt(int sig) { (void)sig; }

/* Run one case in a child; a child that outlives the deadline is killed and counts as hung. */
static void run_case(int i, bool rt_handler)
{
    const char *mode = rt_handler ? " (real-time handler installed)" : "";
    struct timespec tick = {0, 10 * 1000 * 1000};
    int status = 0;
    pid_t pid = fork(), done = 0;
    if (pid == 0) {
        it_failures = 0; /* the child's own verdict, and its own messages */
        if (rt_handler)
            signal(SIGRTMIN + 1, on_rt);
        _exit(cases[i].fn() ? 1 : 0);
    }
    for (int waited = 0; waited < DEADLINE_S * 100 && !(done = waitpid(pid, &status, WNOHANG)); waited++)
        nanosleep(&tick, NULL);
    if (!done) {
        kill(pid, SIGKILL);
        waitpid(pid, &status, 0);
        IT_CHECK(0, "%s%s: hung for %d s (deadlock)", cases[i].name, mode, DEADLINE_S);
        return;
    }
    IT_CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0, "%s%s: %s %d", cases[i].name, mode,
             WIFSIGNALED(status) ? "killed by signal" : "exit status",
             WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
}

int main(int argc, char **argv)
{
    it_require_pku();
    nkeys = argc > 1 ? atoi(argv[1]) : 40;
    if (nkeys < 10 || nkeys > 1024) {
        fprintf(stderr, "usage: it_evicted_args KEYS (10 to 1024)\n");
        return 2;
    }
    it_keyed_pages(nkeys, NULL, pages);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        run_case((int)i, false);
        run_case((int)i, true);
    }
    return it_done("evicted_args");
}
