/* tests/integration/it_unchecked.c: when a system call the isolation depends on fails, libmpk
 * refuses or stops, never goes on weaker (issue 18, item 3). Each case runs in a child that a
 * seccomp filter makes one chosen call fail (SECCOMP_RET_ERRNO on a syscall number and one
 * argument: the library issues raw system calls, so no code of its own is changed for this),
 * before exec for the boot case, from main for the others; its status and stderr are checked
 * here. Cases: a re-tag at eviction (evict), at pkey_free under revoke (free), in
 * mpk_mprotect's revocation (revoke); tagging the arena at activation (activate), sealing the
 * start-up page (seal), installing the handlers at boot (boot). */
#include "it.h"

#include <dlfcn.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <pthread.h>
#include <sched.h>
#include <stddef.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

/* From now on, syscall nr fails with err when its argument argi equals val. */
static void fail_syscall(int nr, int argi, uint64_t val, int err)
{
    struct sock_filter f[] = {
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (uint32_t)nr, 0, 5),
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args[argi])),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (uint32_t)val, 0, 3),
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args[argi]) + 4),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (uint32_t)(val >> 32), 0, 1),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (uint32_t)err),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    };
    struct sock_fprog prog = {.len = sizeof f / sizeof f[0], .filter = f};
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) || prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog)) {
        perror("seccomp");
        exit(1);
    }
}

/* Key A on page pa, written once and then closed in this thread; from here on every
 * pkey_mprotect of pa fails with EIO. */
static int closed_key_with_failing_retag(char *pa)
{
    int a;
    it_install_probe_handler();
    a = pkey_alloc(0, 0);
    IT_CHECK(a > 0 && pkey_mprotect(pa, 4096, PROT_READ | PROT_WRITE, a) == 0, "key A: %s", strerror(errno));
    pa[0] = 1;
    IT_CHECK(pkey_set(a, PKEY_DISABLE_ACCESS) == 0, "close A");
    fail_syscall(SYS_pkey_mprotect, 0, (uintptr_t)pa, EIO);
    return a;
}

/* hw_keys = 1: key A holds the only hardware key; opening key C must evict A, and the re-tag of
 * A's page fails. The hardware key must not go to C while A's page still carries it: this
 * thread, with A closed and C open, must still not reach A's page. */
static int case_evict(void)
{
    int a, c;
    char *pa = it_page(1), *pc = it_page(1);
    a = closed_key_with_failing_retag(pa);
    c = pkey_alloc(0, 0);
    IT_CHECK(c > 0, "key C: %s", strerror(errno));
    if (c > 0) {
        pkey_mprotect(pc, 4096, PROT_READ | PROT_WRITE, c);
        pkey_set(c, 0); /* brings C in: A is the only victim */
        it_probe_read(pc);
    }
    IT_CHECK(!it_probe_read(pa), "A's page is readable with A closed (its hardware key went to C)");
    IT_CHECK(pkey_set(a, 0) == 0 && it_probe_read(pa), "A's page unreadable with A open");
    return it_done("unchecked evict");
}

/* hw_keys = 1, on_free_in_use = revoke: freeing key A must move its page to no access, and the
 * kernel refuses. pkey_free fails with its errno and A keeps its hardware key, rather than
 * forget the page and hand that key to C, whose owner would then reach it. */
static int case_free(void)
{
    int a, c, r;
    char *pa = it_page(1);
    a = closed_key_with_failing_retag(pa);
    r = pkey_free(a);
    IT_CHECK(r == -1 && errno == EIO, "pkey_free = %d (%s) though the page kept the key", r, strerror(errno));
    c = pkey_alloc(0, 0);
    if (c > 0)
        pkey_set(c, 0);
    IT_CHECK(!it_probe_read(pa), "A's page is readable through C after a failed revoke");
    return it_done("unchecked free");
}

/* mpk_mprotect takes the rights away from a thread that has key K open, by moving K's page to
 * a hardware key every thread has closed (one page, one thread: the re-tag is the cheaper
 * way), and the kernel refuses the move. The signals must take the rights away instead. */
static char *rv_page;
static int rv_key;
static volatile int rv_stage, rv_read_after;

static void *rv_thread(void *arg)
{
    (void)arg;
    pkey_set(rv_key, 0);
    IT_CHECK(it_probe_read(rv_page), "the other thread cannot read with K open");
    rv_stage = 1;
    while (rv_stage != 2)
        sched_yield();
    rv_read_after = it_probe_read(rv_page);
    return NULL;
}

static int case_revoke(void)
{
    int (*mprotect_all)(int, int) = (int (*)(int, int))dlsym(RTLD_DEFAULT, "mpk_mprotect");
    pthread_t t;
    int r;
    it_install_probe_handler();
    rv_page = it_page(1);
    rv_key = pkey_alloc(0, 0);
    IT_CHECK(mprotect_all && rv_key > 0 && pkey_mprotect(rv_page, 4096, PROT_READ | PROT_WRITE, rv_key) == 0,
             "key K: %s", strerror(errno));
    rv_page[0] = 1;
    pthread_create(&t, NULL, rv_thread, NULL);
    while (rv_stage != 1)
        sched_yield();
    fail_syscall(SYS_pkey_mprotect, 0, (uintptr_t)rv_page, EIO); /* this thread: the initiator */
    r = mprotect_all ? mprotect_all(rv_key, PROT_NONE) : -1;
    IT_CHECK(r == 0, "mpk_mprotect = %d (%s)", r, strerror(errno));
    rv_stage = 2;
    pthread_join(t, NULL);
    IT_CHECK(!rv_read_after, "the other thread still reads K's page after mpk_mprotect(PROT_NONE)");
    return it_done("unchecked revoke");
}

/* Activation cannot tag the metadata arena (the highest hardware key, 15): pkey_alloc fails
 * with the kernel's errno instead of running with the library's state unprotected. */
static int case_activate(void)
{
    int k;
    fail_syscall(SYS_pkey_mprotect, 3, 15, EIO);
    k = pkey_alloc(0, 0);
    IT_CHECK(k < 0 && errno == EIO, "pkey_alloc = %d (%s) with the arena unprotected", k, strerror(errno));
    return it_done("unchecked activate");
}

/* Activation cannot seal the page of start-up values: the program stops (the parent checks). */
static int case_seal(void)
{
    fail_syscall(SYS_mprotect, 2, PROT_READ, EIO);
    pkey_alloc(0, 0);
    printf("still running after the seal failed\n");
    return 0;
}

/* Boot could not install the sync signal's handler (the filter came before exec): the
 * handler it had installed for SIGSEGV must be gone too, since it has no state behind it. */
static int case_boot(void)
{
    struct sigaction old;
    sigaction(SIGSEGV, NULL, &old);
    IT_CHECK(old.sa_handler == SIG_DFL, "SIGSEGV is left with libmpk's handler (%p) after a failed boot",
             (void *)old.sa_handler);
    return it_done("unchecked boot");
}

/* Run `name` in a child (the filter first for the boot case); its status and stderr. */
static int run_case(const char *self, const char *name, const char *options, char *err, size_t n)
{
    int fd[2], status;
    size_t got = 0;
    ssize_t r;
    pid_t pid;
    if (pipe(fd))
        exit(1);
    fflush(NULL);
    pid = fork();
    if (pid == 0) {
        dup2(fd[1], 2);
        close(fd[0]);
        if (options)
            setenv("LIBMPK_OPTIONS", options, 1);
        if (!strcmp(name, "boot"))
            fail_syscall(SYS_rt_sigaction, 0, (uint64_t)(SIGRTMAX - 2), EIO);
        execl(self, self, name, (char *)NULL);
        _exit(2);
    }
    close(fd[1]);
    while (got + 1 < n && (r = read(fd[0], err + got, n - 1 - got)) > 0)
        got += (size_t)r;
    err[got] = 0;
    close(fd[0]);
    waitpid(pid, &status, 0);
    fprintf(stderr, "--- case %s: status %#x, stderr:\n%s", name, status, err);
    return status;
}

int main(int argc, char **argv)
{
    char err[8192], self[4096];
    ssize_t len;
    int st;
    if (argc > 1) {
        if (!strcmp(argv[1], "evict"))
            return case_evict();
        if (!strcmp(argv[1], "revoke"))
            return case_revoke();
        if (!strcmp(argv[1], "free"))
            return case_free();
        if (!strcmp(argv[1], "activate"))
            return case_activate();
        if (!strcmp(argv[1], "seal"))
            return case_seal();
        return case_boot();
    }
    it_require_pku();
    len = readlink("/proc/self/exe", self, sizeof self - 1);
    if (len <= 0)
        return 1;
    self[len] = 0;
    st = run_case(self, "evict", "hw_keys=1", err, sizeof err);
    IT_CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "evict: the child failed");
    IT_CHECK(strstr(err, "error key=1 msg=\"key 1: its pages could not be moved"), "evict: not reported");
    st = run_case(self, "free", "hw_keys=1:on_free_in_use=revoke", err, sizeof err);
    IT_CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "free: the child failed");
    IT_CHECK(strstr(err, "error key=1 msg=\"key 1: its pages could not be moved"), "free: not reported");
    st = run_case(self, "revoke", NULL, err, sizeof err);
    IT_CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "revoke: the child failed");
    IT_CHECK(strstr(err, "msg=\"key 1: its pages could not be moved"), "revoke: not reported");
    st = run_case(self, "activate", NULL, err, sizeof err);
    IT_CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "activate: the child failed");
    IT_CHECK(strstr(err, "error msg=\"protecting libmpk's state with its key failed (errno 5)"),
             "activate: not reported");
    st = run_case(self, "seal", NULL, err, sizeof err);
    IT_CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 1, "seal: the program went on unsealed");
    IT_CHECK(strstr(err, "error msg=\"cannot protect the page of start-up values"), "seal: not reported");
    st = run_case(self, "boot", NULL, err, sizeof err);
    IT_CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "boot: the child failed");
    IT_CHECK(strstr(err, "libmpk: error: cannot start (errno 5)"), "boot: not reported");
    return it_done("unchecked");
}
