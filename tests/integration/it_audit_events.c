/* tests/integration/it_audit_events.c: the audit events the A/B/C program does not make: more
 * keys than the hardware has (K), the reserved signal (S), and, in a child, a write into
 * libmpk's protected state (T), which kills the child. audit_check.py events reads the log. */
#include "it.h"

#include <sys/wait.h>
#include <unistd.h>

__attribute__((noinline, noclone, used)) void K(void)
{
    for (int i = 0; i < 16; i++)
        pkey_alloc(0, 0);
    __asm__ volatile("" ::: "memory");
}

static void handler(int sig) { (void)sig; }

__attribute__((noinline, noclone, used)) int S(void)
{
    struct sigaction sa;
    int r;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = handler;
    r = sigaction(SIGRTMAX - 2, &sa, NULL); /* libmpk's sync_signal by default */
    __asm__ volatile("" ::: "memory");
    return r;
}

__attribute__((noinline, noclone, used)) void T(volatile char *p)
{
    p[64] ^= 1;
    __asm__ volatile("" ::: "memory");
}

int main(void)
{
    char *meta;
    int status = 0, r;
    pid_t pid;
    it_require_pku();
    K();
    r = S();
    fprintf(stderr, "it_audit_events: sigaction(%d) = %d\n", SIGRTMAX - 2, r);
    meta = it_preloaded() ? it_libmpk_arena() : NULL;
    if (meta) {
        pid = fork();
        if (pid == 0) {
            T(meta);
            _exit(0); /* not reached under libmpk */
        }
        waitpid(pid, &status, 0);
        fprintf(stderr, "it_audit_events: child %d ended by signal %d\n", (int)pid,
                WIFSIGNALED(status) ? WTERMSIG(status) : 0);
    }
    printf("done\n");
    return 0;
}
