/* tests/integration/it_sent_segv.c: a SIGSEGV that a program sends itself (kill, raise, tgkill,
 * sigqueue: si_code <= 0) is a signal like any other, not a page fault: it reaches the
 * program's disposition unchanged. Default: death by SIGSEGV. A handler: called once, with the
 * sender's si_code, si_pid and si_value. Ignored: nothing happens. Blocked: pending until the
 * program unblocks it. Each case runs in a child, after KEYS keys were allocated and touched
 * (default 1; more than the hardware has means most are evicted when the signal lands), and
 * afterwards the keyed pages still work (the library's own fault handling survived).
 * Usage: it_sent_segv [KEYS] */
#include "it.h"

#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

enum { BY_KILL, BY_RAISE, BY_TGKILL, BY_SIGQUEUE, N_WAYS };
static const char *way_name[N_WAYS] = {"kill", "raise", "tgkill", "sigqueue"};
static const int way_code[N_WAYS] = {SI_USER, SI_TKILL, SI_TKILL, SI_QUEUE};

static int nkeys;
static char *pages[1024];

static volatile sig_atomic_t calls;
static volatile int seen_code, seen_pid, seen_value;

static void handler(int sig, siginfo_t *si, void *uc)
{
    (void)uc;
    calls++;
    seen_code = sig == SIGSEGV ? si->si_code : -1000;
    seen_pid = si->si_pid;
    seen_value = si->si_value.sival_int;
}

static void send_segv(int way)
{
    union sigval v = {.sival_int = 4242};
    switch (way) {
    case BY_KILL: kill(getpid(), SIGSEGV); break;
    case BY_RAISE: raise(SIGSEGV); break;
    case BY_TGKILL: syscall(SYS_tgkill, getpid(), (pid_t)syscall(SYS_gettid), SIGSEGV); break;
    case BY_SIGQUEUE: sigqueue(getpid(), SIGSEGV, v); break;
    }
}

/* Every keyed page, read and written: with many keys, faults the library must resolve. */
static int pages_work(void)
{
    for (int i = 0; i < nkeys; i++) {
        pages[i][1] = (char)i;
        if (pages[i][1] != (char)i)
            return 0;
    }
    return 1;
}

static void install(void (*h)(int, siginfo_t *, void *), void (*plain)(int))
{
    struct sigaction a;
    memset(&a, 0, sizeof a);
    if (h) {
        a.sa_sigaction = h;
        a.sa_flags = SA_SIGINFO;
    } else {
        a.sa_handler = plain;
    }
    sigaction(SIGSEGV, &a, NULL);
}

/* Run fn(way) in a child; its wait status. */
static int in_child(int (*fn)(int), int way)
{
    int status;
    pid_t pid = fork();
    if (pid == 0)
        _exit(fn(way));
    waitpid(pid, &status, 0);
    return status;
}

static int default_action(int way)
{
    send_segv(way);
    return 3; /* still alive: wrong */
}

static int with_handler(int way)
{
    install(handler, NULL);
    send_segv(way);
    if (calls != 1)
        return 10 + calls;
    if (seen_code != way_code[way])
        return 20;
    if (seen_pid != getpid())
        return 21;
    if (way == BY_SIGQUEUE && seen_value != 4242)
        return 22;
    return pages_work() ? 0 : 23;
}

static int ignored(int way)
{
    install(NULL, SIG_IGN);
    send_segv(way);
    return pages_work() ? 0 : 30;
}

/* Blocked: pending (sigpending says so), the handler not called; unblocked: called once. */
static int blocked_then_handled(int way)
{
    sigset_t segv, pend;
    sigemptyset(&segv);
    sigaddset(&segv, SIGSEGV);
    install(handler, NULL);
    sigprocmask(SIG_BLOCK, &segv, NULL);
    send_segv(way);
    if (calls != 0)
        return 40;
    if (!pages_work())
        return 41;
    sigpending(&pend);
    if (!sigismember(&pend, SIGSEGV))
        return 42;
    sigprocmask(SIG_UNBLOCK, &segv, NULL);
    if (calls != 1)
        return 43;
    if (seen_code != way_code[way])
        return 44;
    return pages_work() ? 0 : 45;
}

/* Blocked with no handler: the program lives until it unblocks, then dies by SIGSEGV. */
static int blocked_then_default(int way)
{
    sigset_t segv;
    sigemptyset(&segv);
    sigaddset(&segv, SIGSEGV);
    sigprocmask(SIG_BLOCK, &segv, NULL);
    send_segv(way);
    if (!pages_work())
        return 50;
    sigprocmask(SIG_UNBLOCK, &segv, NULL);
    return 51; /* still alive: wrong */
}

static int exited(int status, int code) { return WIFEXITED(status) && WEXITSTATUS(status) == code; }
static int killed(int status) { return WIFSIGNALED(status) && WTERMSIG(status) == SIGSEGV; }

int main(int argc, char **argv)
{
    int s;
    nkeys = argc > 1 ? atoi(argv[1]) : 1;
    if (nkeys < 1 || nkeys > 1024)
        nkeys = 1;
    it_require_pku();
    it_keyed_pages(nkeys, NULL, pages);
    for (int i = 0; i < nkeys; i++)
        pages[i][0] = 1;
    for (int way = 0; way < N_WAYS; way++) {
        s = in_child(default_action, way);
        IT_CHECK(killed(s), "%s, default action: status %#x, not death by SIGSEGV", way_name[way], s);
        s = in_child(with_handler, way);
        IT_CHECK(exited(s, 0), "%s, a handler: status %#x", way_name[way], s);
        s = in_child(ignored, way);
        IT_CHECK(exited(s, 0), "%s, ignored: status %#x", way_name[way], s);
        s = in_child(blocked_then_handled, way);
        IT_CHECK(exited(s, 0), "%s, blocked then handled: status %#x", way_name[way], s);
        s = in_child(blocked_then_default, way);
        IT_CHECK(killed(s), "%s, blocked then default: status %#x", way_name[way], s);
    }
    IT_CHECK(pages_work(), "the keyed pages in the parent");
    return it_done("sent_segv");
}
