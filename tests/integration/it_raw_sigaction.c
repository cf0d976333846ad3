/* tests/integration/it_raw_sigaction.c: a handler installed with glibc's syscall()
 * (SYS_rt_sigaction, the kernel's own layout) is the library's business as much as one from
 * sigaction: the reserved sync signal is refused with EINVAL; a SIGSEGV handler installed so
 * gets the program's violations while the library still resolves its own faults (keys brought
 * back in after eviction); a handler runs with every key closed in the library's view too
 * (pkey_get), and its thread's rights are back when it returns; the old disposition reads
 * back in the kernel's layout. SIGSEGV and the sync signal blocked through syscall()
 * (SYS_rt_sigprocmask) stay deliverable to the library, the program reading back its mask. Usage: it_raw_sigaction [KEYS] (default 40: more than the
 * hardware has). */
#include "it.h"

#include <sys/syscall.h>
#include <unistd.h>

#ifndef SA_RESTORER
#define SA_RESTORER 0x04000000
#endif

/* The kernel's struct sigaction on x86-64, and a restorer, as a program without glibc's
 * sigaction would have them. */
struct ksigaction {
    void *handler;
    unsigned long flags;
    void (*restorer)(void);
    uint64_t mask;
};
void it_raw_restorer(void);
__asm__(".text\n"
        ".globl it_raw_restorer\n"
        "it_raw_restorer:\n"
        "  movq $15, %rax\n"
        "  syscall\n");

static int raw_sigaction(int sig, const struct sigaction *act, struct sigaction *old)
{
    struct ksigaction k, ko;
    long r;
    if (act) {
        k.handler = (void *)act->sa_sigaction;
        k.flags = (unsigned long)act->sa_flags | SA_RESTORER;
        k.restorer = it_raw_restorer;
        memcpy(&k.mask, &act->sa_mask, sizeof k.mask);
    }
    r = syscall(SYS_rt_sigaction, sig, act ? &k : NULL, old ? &ko : NULL, sizeof k.mask);
    if (r == 0 && old) {
        memset(old, 0, sizeof *old);
        old->sa_sigaction = (void (*)(int, siginfo_t *, void *))ko.handler;
        old->sa_flags = (int)(ko.flags & ~(unsigned long)SA_RESTORER);
        memcpy(&old->sa_mask, &ko.mask, sizeof ko.mask);
    }
    return (int)r;
}

static int nkeys;
static int keys[256];
static char *pages[256];
static volatile int usr1_key_state = -2, usr1_read = -1;

static void on_usr1(int sig, siginfo_t *si, void *uc)
{
    (void)sig, (void)si, (void)uc;
    usr1_key_state = pkey_get(keys[0]);
    usr1_read = it_probe_read(pages[0]);
}

int main(int argc, char **argv)
{
    struct sigaction sa, old;
    struct ksigaction k;
    nkeys = argc > 1 ? atoi(argv[1]) : 40;
    if (nkeys < 1 || nkeys > 256)
        nkeys = 40;
    it_require_pku();
    if (!it_preloaded()) {
        printf("SKIP: the rules checked here are the library's\n");
        return IT_SKIP;
    }
    /* The program's SIGSEGV handler, installed raw. */
    it_sigaction = raw_sigaction;
    it_install_probe_handler();
    IT_CHECK(raw_sigaction(SIGSEGV, NULL, &old) == 0 && (old.sa_flags & SA_SIGINFO),
             "the raw query does not return the program's SIGSEGV handler");

    /* The sync signal is the library's. */
    memset(&k, 0, sizeof k);
    k.handler = SIG_IGN;
    k.flags = SA_RESTORER;
    k.restorer = it_raw_restorer;
    errno = 0;
    IT_CHECK(syscall(SYS_rt_sigaction, SIGRTMAX - 2, &k, NULL, 8) == -1 && errno == EINVAL,
             "the reserved signal was given away through syscall()");
    errno = 0;
    IT_CHECK(syscall(SYS_rt_sigaction, SIGUSR2, &k, NULL, 4) == -1 && errno == EINVAL,
             "a wrong sigset size was accepted");

    /* More keys than hardware keys, each open on its page: every access that needs a key
     * brought back in is the library's fault to resolve, not the program's. */
    for (int i = 0; i < nkeys; i++) {
        keys[i] = pkey_alloc(0, 0);
        pages[i] = it_page(1);
        IT_CHECK(keys[i] > 0 && pkey_mprotect(pages[i], 4096, PROT_READ | PROT_WRITE, keys[i]) == 0,
                 "key %d: %s", i, strerror(errno));
    }
    for (int round = 0; round < 3; round++)
        for (int i = 0; i < nkeys; i++)
            IT_CHECK(it_probe_write(pages[i]), "round %d: key %d's page faulted to the program", round, i);
    /* SIGSEGV blocked through syscall(): the program sees it blocked, and the library still
     * takes its own faults (the kernel kills a thread that faults with SIGSEGV blocked). */
    {
        uint64_t set = 1ull << (SIGSEGV - 1) | 1ull << (SIGRTMAX - 2 - 1), was = 0, now = 0;
        IT_CHECK(syscall(SYS_rt_sigprocmask, SIG_BLOCK, &set, &was, 8) == 0, "raw block: %s",
                 strerror(errno));
        for (int i = 0; i < nkeys; i++)
            IT_CHECK(it_probe_write(pages[i]), "SIGSEGV blocked raw: key %d's page faulted", i);
        IT_CHECK(syscall(SYS_rt_sigprocmask, SIG_BLOCK, NULL, &now, 8) == 0 &&
                     (now & set) == set,
                 "the raw mask read back %#llx, not what the program blocked", (unsigned long long)now);
        IT_CHECK(syscall(SYS_rt_sigprocmask, SIG_SETMASK, &was, NULL, 8) == 0, "raw restore");
    }
    /* A real violation still reaches the program's handler, as a key fault. */
    pkey_set(keys[1], PKEY_DISABLE_ACCESS);
    IT_CHECK(!it_probe_read(pages[1]) && it_last.code == SEGV_PKUERR,
             "a violation did not reach the program's raw SIGSEGV handler as SEGV_PKUERR");
    pkey_set(keys[1], 0);

    /* A raw handler starts with every key closed, in the library's view as in PKRU. */
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_usr1;
    sa.sa_flags = SA_SIGINFO;
    IT_CHECK(raw_sigaction(SIGUSR1, &sa, NULL) == 0, "raw SIGUSR1: %s", strerror(errno));
    pkey_set(keys[0], 0);
    IT_CHECK(it_probe_write(pages[0]), "key 0 closed before the signal");
    raise(SIGUSR1);
    IT_CHECK(usr1_key_state == PKEY_DISABLE_ACCESS, "pkey_get in a raw handler: %d, not closed",
             usr1_key_state);
    IT_CHECK(usr1_read == 0, "a raw handler could read a key its thread had open");
    IT_CHECK(pkey_get(keys[0]) == 0 && it_probe_write(pages[0]),
             "the thread's rights did not come back after a raw handler");
    IT_CHECK(raw_sigaction(SIGUSR1, NULL, &old) == 0 && old.sa_sigaction == on_usr1 &&
                 (old.sa_flags & SA_SIGINFO),
             "the raw query does not return the program's SIGUSR1 handler");
    return it_done("raw_sigaction");
}
