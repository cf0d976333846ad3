/* tests/integration/it_signals.c: the kernel's rule for rights in signal handlers holds for
 * virtual keys: a handler starts with every key but the default closed, and when it returns
 * the thread has exactly the rights it had, whatever the handler changed; also nested, and on
 * an alternate stack. The program's own SIGSEGV handler gets its faults; without a handler a
 * real violation kills the process with SIGSEGV. Usage: it_signals [KEYS] (default 8). */
#include "it.h"

#include <sys/wait.h>
#include <unistd.h>

static int nkeys;
static int keys[4096];
static char *pages[4096];
static int rights[4096];
static volatile int in_handler_ok, nested_ok, handler_ran;

/* Every key closed inside a handler, by pkey_get and by access. */
static int all_closed(void)
{
    int ok = 1;
    for (int i = 0; i < nkeys; i++) {
        if (pkey_get(keys[i]) != PKEY_DISABLE_ACCESS)
            ok = 0;
        if (it_probe_read(pages[i]))
            ok = 0;
    }
    return ok;
}

static void open_all(void)
{
    for (int i = 0; i < nkeys; i++)
        pkey_set(keys[i], 0);
}

static void on_usr2(int sig)
{
    (void)sig;
    nested_ok = all_closed();
    open_all(); /* gone when we return into the SIGUSR1 handler */
}

static void on_usr1(int sig, siginfo_t *si, void *uc)
{
    (void)sig;
    (void)si;
    (void)uc;
    handler_ran++;
    in_handler_ok = all_closed();
    open_all();
    raise(SIGUSR2); /* nested: starts closed again, and its changes vanish on return */
    for (int i = 0; i < nkeys; i++)
        if (!it_probe_write(pages[i]) || pkey_get(keys[i]) != 0)
            in_handler_ok = 0; /* our own changes survive the nested handler */
}

static void check_unchanged(const char *when)
{
    for (int i = 0; i < nkeys; i++) {
        IT_CHECK(pkey_get(keys[i]) == rights[i], "%s: key %d pkey_get %d, had %d", when, keys[i],
                 pkey_get(keys[i]), rights[i]);
        IT_CHECK(it_probe_read(pages[i]) == it_can_read(rights[i]) &&
                     it_probe_write(pages[i]) == it_can_write(rights[i]),
                 "%s: key %d access does not match rights %d", when, keys[i], rights[i]);
    }
}

static void run_handlers(int onstack, const char *when)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_usr1;
    sa.sa_flags = SA_SIGINFO | (onstack ? SA_ONSTACK : 0);
    IT_CHECK(sigaction(SIGUSR1, &sa, NULL) == 0, "sigaction(SIGUSR1)");
    IT_CHECK(signal(SIGUSR2, on_usr2) != SIG_ERR, "signal(SIGUSR2)");
    for (int round = 0; round < 3; round++) {
        for (int i = 0; i < nkeys; i++) {
            static const int choice[] = {0, PKEY_DISABLE_WRITE, PKEY_DISABLE_ACCESS};
            rights[i] = choice[it_rand() % 3];
            pkey_set(keys[i], (unsigned)rights[i]);
        }
        in_handler_ok = nested_ok = 0;
        raise(SIGUSR1);
        IT_CHECK(in_handler_ok, "%s round %d: keys not all closed in the handler", when, round);
        IT_CHECK(nested_ok, "%s round %d: keys not all closed in the nested handler", when, round);
        check_unchanged(when);
    }
}

/* A real violation without a handler: the process dies by SIGSEGV, as without libmpk. */
static void default_action_kills(void)
{
    int status;
    pid_t pid = fork();
    if (pid == 0) {
        signal(SIGSEGV, SIG_DFL);
        pkey_set(keys[0], PKEY_DISABLE_ACCESS);
        *(volatile char *)pages[0] = 1;
        _exit(0);
    }
    waitpid(pid, &status, 0);
    IT_CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGSEGV,
             "violation without a handler: status %#x", status);
}

int main(int argc, char **argv)
{
    stack_t ss;
    struct sigaction old;
    nkeys = argc > 1 ? atoi(argv[1]) : 8;
    it_require_pku();
    it_seed_from_env(42);
    it_install_probe_handler();
    IT_CHECK(sigaction(SIGSEGV, NULL, &old) == 0 && (old.sa_flags & SA_SIGINFO),
             "sigaction(SIGSEGV) query returns the program's handler");
    for (int i = 0; i < nkeys; i++) {
        keys[i] = pkey_alloc(0, 0);
        IT_CHECK(keys[i] > 0, "pkey_alloc #%d: %s", i, strerror(errno));
        pages[i] = it_page(1);
        pkey_mprotect(pages[i], 4096, PROT_READ | PROT_WRITE, keys[i]);
    }
    run_handlers(0, "main stack");
    ss.ss_sp = malloc(1 << 16);
    ss.ss_size = 1 << 16;
    ss.ss_flags = 0;
    IT_CHECK(sigaltstack(&ss, NULL) == 0, "sigaltstack");
    run_handlers(1, "alternate stack");
    IT_CHECK(handler_ran == 6, "handler ran %d times", handler_ran);
    default_action_kills();
    if (it_preloaded()) { /* the sync signal is the library's */
        struct sigaction sa;
        memset(&sa, 0, sizeof sa);
        sa.sa_handler = SIG_IGN;
        errno = 0;
        IT_CHECK(sigaction(SIGRTMAX - 2, &sa, NULL) == -1 && errno == EINVAL,
                 "the reserved signal was given away");
    }
    return it_done("signals");
}
