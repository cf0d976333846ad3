/* tests/integration/it_no_pku.c: on a machine without PKU the preload never breaks a program:
 * the pkey calls fail exactly as the kernel makes them fail, memory calls work, threads and
 * signals work. Skipped where PKU exists (the VM runs it with PKU turned off). */
#include "it.h"

#include <pthread.h>
#include <sys/syscall.h>
#include <unistd.h>

static void *worker(void *arg) { return arg; }
static volatile int got_usr1;
static void on_usr1(int sig) { got_usr1 = sig; }

int main(void)
{
    long raw;
    int r, raw_errno;
    pthread_t t;
    void *ret;
    char *p;
    if (it_have_pku()) {
        printf("SKIP: this machine has PKU\n");
        return IT_SKIP;
    }
    /* The kernel's first answer may differ from the next ones (6.18 says EINVAL, then ENOSPC):
     * ask it once, then compare like with like. */
    syscall(SYS_pkey_alloc, 0, 0);
    errno = 0;
    raw = syscall(SYS_pkey_alloc, 0, 0);
    raw_errno = errno;
    errno = 0;
    r = pkey_alloc(0, 0);
    IT_CHECK(r == -1 && errno == raw_errno, "pkey_alloc: %d errno %s, kernel says errno %s (%ld)",
             r, strerror(errno), strerror(raw_errno), raw);
    errno = 0;
    IT_CHECK(pkey_free(1) == -1 && errno == EINVAL, "pkey_free: %s", strerror(errno));
    p = it_page(4);
    errno = 0;
    IT_CHECK(pkey_mprotect(p, 4096, PROT_READ, 1) == -1 && errno == EINVAL, "pkey_mprotect: %s",
             strerror(errno));
    IT_CHECK(pkey_mprotect(p, 4096, PROT_READ, -1) == 0, "pkey_mprotect(-1) is mprotect: %s",
             strerror(errno));
    IT_CHECK(mprotect(p, 4096, PROT_READ | PROT_WRITE) == 0 && munmap(p, 16384) == 0, "mprotect");
    IT_CHECK(pthread_create(&t, NULL, worker, (void *)7) == 0 && pthread_join(t, &ret) == 0 &&
                 ret == (void *)7,
             "threads");
    signal(SIGUSR1, on_usr1);
    raise(SIGUSR1);
    IT_CHECK(got_usr1 == SIGUSR1, "signals");
    return it_done("no_pku");
}
