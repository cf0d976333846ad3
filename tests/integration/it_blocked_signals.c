/* tests/integration/it_blocked_signals.c: a thread that blocks every signal (a common server
 * pattern, and libuv does it around sigaction) keeps working under virtualisation: faults the
 * library resolves (an evicted key it may use) do not kill it, other threads' key changes
 * reach it, the mask it reads back is the one it set, and a real violation still kills it as
 * the kernel would. Usage: it_blocked_signals [KEYS] (default 40: more than the hardware). */
#include "it.h"

#include <pthread.h>
#include <sys/wait.h>
#include <unistd.h>

static int nkeys;
static int keys[1024];
static char *pages[1024];

static void *blocked_worker(void *arg)
{
    sigset_t all, back;
    (void)arg;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, NULL);
    pthread_sigmask(SIG_BLOCK, NULL, &back);
    IT_CHECK(sigismember(&back, SIGSEGV) && sigismember(&back, SIGUSR1),
             "the mask read back is not the one set");
    /* Rights inherited (all open): touch every page, many times; most keys are evicted. */
    for (int round = 0; round < 5; round++)
        for (int i = 0; i < nkeys; i++) {
            pages[i][round] = (char)round; /* a plain access: a fault here would kill us */
            IT_CHECK(pages[i][round] == (char)round, "page %d", i);
        }
    return NULL;
}

int main(int argc, char **argv)
{
    pthread_t t;
    int status;
    pid_t pid;
    nkeys = argc > 1 ? atoi(argv[1]) : 40;
    it_require_pku();
    it_keyed_pages(nkeys, keys, pages);
    for (int i = 0; i < nkeys; i++)
        pages[i][0] = 1;
    pthread_create(&t, NULL, blocked_worker, NULL);
    pthread_join(t, NULL);

    /* A real violation in a thread that blocked SIGSEGV: killed, as without the library. */
    pid = fork();
    if (pid == 0) {
        sigset_t all;
        sigfillset(&all);
        sigprocmask(SIG_BLOCK, &all, NULL);
        pkey_set(keys[0], PKEY_DISABLE_ACCESS);
        pages[0][0] = 2;
        _exit(0);
    }
    waitpid(pid, &status, 0);
    IT_CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGSEGV, "status %#x", status);
    return it_done("blocked_signals");
}
