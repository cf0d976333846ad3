/* tests/integration/it_siglongjmp.c: a SIGSEGV handler that leaves by siglongjmp (as glibc's
 * tst-pkey and many fault-probing programs do) can take the next fault, and the next signal,
 * as without libmpk. glibc's siglongjmp restores the signal mask with a system call of its own:
 * whatever libmpk believes the handler blocked must end with the jump too, or the next fault
 * is taken for one in a thread that blocks SIGSEGV (death), and a raised SIGSEGV stays held.
 * Faults of three kinds: an unmapped page (no key in play yet), a page whose key the thread
 * closed, and the same with KEYS keys (evicted ones among them). On the program's normal stack
 * and on an alternate stack. Usage: it_siglongjmp [KEYS] */
#include "it.h"

#include <setjmp.h>
#include <unistd.h>

#define ROUNDS 4

static sigjmp_buf env;
static volatile sig_atomic_t faults;
static int nkeys;
static char *pages[1024];

/* Every keyed page written: with more keys than the hardware has, faults libmpk resolves
 * (evictions) between the ones the program takes. */
static void touch_all(void)
{
    for (int i = 0; i < nkeys; i++)
        pages[i][0]++;
}

static void on_segv(int sig, siginfo_t *si, void *uc)
{
    (void)sig;
    (void)si;
    (void)uc;
    faults++;
    siglongjmp(env, 1);
}

static void install(bool altstack)
{
    struct sigaction a;
    memset(&a, 0, sizeof a);
    a.sa_sigaction = on_segv;
    a.sa_flags = SA_SIGINFO | (altstack ? SA_ONSTACK : 0);
    IT_CHECK(sigaction(SIGSEGV, &a, NULL) == 0, "sigaction: %s", strerror(errno));
}

/* ROUNDS reads of p, each one faulting into the handler and jumping back here. */
static void fault_rounds(const char *what, volatile char *p)
{
    faults = 0;
    for (volatile int i = 0; i < ROUNDS; i++) {
        touch_all();
        if (!sigsetjmp(env, 1))
            (void)*p;
    }
    IT_CHECK(faults == ROUNDS, "%s: %d of %d faults reached the handler", what, (int)faults, ROUNDS);
}

/* After the jumps, a raised SIGSEGV is delivered at once (the program blocks nothing). */
static void raise_round(const char *what)
{
    faults = 0;
    if (!sigsetjmp(env, 1))
        raise(SIGSEGV);
    IT_CHECK(faults == 1, "%s: raise(SIGSEGV) after the jumps did not reach the handler", what);
}

static void all_kinds(const char *stack)
{
    char what[128];
    char *p = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    int key;
    munmap(p, 4096);
    snprintf(what, sizeof what, "unmapped page, %s stack", stack);
    fault_rounds(what, p);
    raise_round(what);
    key = pkey_alloc(0, PKEY_DISABLE_ACCESS);
    IT_CHECK(key > 0, "pkey_alloc: %s", strerror(errno));
    p = it_page(1);
    pkey_mprotect(p, 4096, PROT_READ | PROT_WRITE, key);
    snprintf(what, sizeof what, "closed key, %s stack, %d other keys", stack, nkeys);
    fault_rounds(what, p);
    raise_round(what);
}

int main(int argc, char **argv)
{
    stack_t ss = {.ss_sp = malloc(SIGSTKSZ * 4), .ss_size = SIGSTKSZ * 4};
    it_require_pku();
    nkeys = argc > 1 ? atoi(argv[1]) : 0;
    if (nkeys < 0 || nkeys > 1000) {
        fprintf(stderr, "usage: it_siglongjmp [KEYS] (0 to 1000)\n");
        return 2;
    }
    it_keyed_pages(nkeys, NULL, pages);
    install(false);
    all_kinds("normal");
    IT_CHECK(sigaltstack(&ss, NULL) == 0, "sigaltstack: %s", strerror(errno));
    install(true);
    all_kinds("alternate");
    return it_done("siglongjmp");
}
