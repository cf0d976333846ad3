/* tests/unit/test_selfwrite.c: which paths and ids core/selfwrite.c takes for this process's own
 * (self_write): the spellings it promises, and near misses it must let through untouched. */
#include "core/selfwrite.h"

#include <criterion/criterion.h>
#include <pthread.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <unistd.h>

Test(selfwrite, own_mem_paths)
{
    char p[96];
    cr_expect(_mpk_self_write_path("/proc/self/mem"));
    cr_expect(_mpk_self_write_path("/proc/thread-self/mem"));
    snprintf(p, sizeof p, "/proc/%d/mem", (int)getpid());
    cr_expect(_mpk_self_write_path(p), "%s", p);
    snprintf(p, sizeof p, "/proc/%d/task/%ld/mem", (int)getpid(), (long)syscall(SYS_gettid));
    cr_expect(_mpk_self_write_path(p), "%s", p);
    snprintf(p, sizeof p, "/proc/self/task/%ld/mem", (long)syscall(SYS_gettid));
    cr_expect(_mpk_self_write_path(p), "%s", p);
}

Test(selfwrite, other_paths_untouched)
{
    char p[96];
    static const char *const others[] = {
        "/proc/self/maps", "/proc/self/memx", "/proc/self/mem/", "/proc/selfish/mem",
        "proc/self/mem", "/proc/", "/proc/12a/mem", "/proc/self/task/mem", "/tmp/mem", "",
        "/proc/thread-self/maps",
    };
    for (size_t i = 0; i < sizeof others / sizeof *others; i++)
        cr_expect_not(_mpk_self_write_path(others[i]), "%s", others[i]);
    cr_expect_not(_mpk_self_write_path(NULL));
    snprintf(p, sizeof p, "/proc/%d/mem", (int)getppid()); /* another process's */
    cr_expect_not(_mpk_self_write_path(p), "%s", p);
}

static void *report_tid(void *arg)
{
    *(long *)arg = syscall(SYS_gettid);
    return NULL;
}

Test(selfwrite, own_ids)
{
    pthread_t t;
    long tid = 0;
    cr_expect(_mpk_self_write_id(getpid()));
    cr_expect(_mpk_self_write_id(syscall(SYS_gettid)));
    cr_expect_not(_mpk_self_write_id(getppid()));
    /* A thread of this process while it lives: process_vm_writev takes any of its tids. */
    cr_assert_eq(pthread_create(&t, NULL, report_tid, &tid), 0);
    pthread_join(t, NULL);
    /* join returns when the kernel clears the thread's tid word, which is before the task is
     * gone: tgkill may still find it for a moment (seen in the emulated guest). */
    for (int i = 0; i < 2000 && _mpk_self_write_id(tid); i++)
        usleep(1000);
    cr_expect_not(_mpk_self_write_id(tid), "a thread that has exited is no longer ours (2 s after join)");
}
