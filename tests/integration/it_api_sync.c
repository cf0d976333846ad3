/* tests/integration/it_api_sync.c: mpk_mprotect stays correct under the conditions that break
 * naive cross-thread schemes: several threads calling it at once, threads blocked in a system
 * call when their rights are taken away, and threads being created and exiting during syncs.
 * Usage: it_api_sync [ROUNDS] (default 200). */
#include "it.h"

#include <mpk.h>
#include <pthread.h>
#include <stdatomic.h>
#include <unistd.h>

static int key;
static char *group;
static _Atomic int stop;
static int rounds;

/* Several threads flip the same key's rights at once; one of them has the last word. */
static void *flipper(void *arg)
{
    long id = (long)arg;
    for (int i = 0; i < rounds; i++)
        IT_CHECK(mpk_mprotect(key, (i + id) & 1 ? PROT_READ : PROT_READ | PROT_WRITE) == 0,
                 "mpk_mprotect: %s", strerror(errno));
    return NULL;
}

/* Threads that come and go, each touching the group, while rights change under them. */
static void *short_lived(void *arg)
{
    (void)arg;
    it_probe_read(group);
    it_probe_write(group);
    return NULL;
}

static void *churner(void *arg)
{
    (void)arg;
    while (!atomic_load(&stop)) {
        pthread_t t;
        if (pthread_create(&t, NULL, short_lived, NULL) == 0)
            pthread_join(t, NULL);
    }
    return NULL;
}

/* A thread asleep in read() when its write access is revoked: its first write after waking
 * must fault. */
static int pipe_fds[2];
static int blocked_wrote;
static void *blocked_reader(void *arg)
{
    char c;
    (void)arg;
    it_probe_write(group); /* it has the group open */
    if (read(pipe_fds[0], &c, 1) == 1)
        blocked_wrote = it_probe_write(group);
    return NULL;
}

int main(int argc, char **argv)
{
    pthread_t f[4], churn[2], reader;
    rounds = argc > 1 ? atoi(argv[1]) : 200;
    it_require_pku();
    it_install_probe_handler();
    key = pkey_alloc(0, 0);
    group = mpk_mmap(key, NULL, 16 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    IT_CHECK(key > 0 && group != MAP_FAILED, "set-up: %s", strerror(errno));

    for (int i = 0; i < 2; i++)
        pthread_create(&churn[i], NULL, churner, NULL);
    for (long i = 0; i < 4; i++)
        pthread_create(&f[i], NULL, flipper, (void *)i);
    for (int i = 0; i < 4; i++)
        pthread_join(f[i], NULL);
    atomic_store(&stop, 1);
    for (int i = 0; i < 2; i++)
        pthread_join(churn[i], NULL);

    /* The last word: read-only for everyone, this thread included. */
    IT_CHECK(mpk_mprotect(key, PROT_READ) == 0, "final mpk_mprotect");
    IT_CHECK(it_probe_read(group) && !it_probe_write(group), "after the storm: not read-only");
    {
        pthread_t t;
        pthread_create(&t, NULL, short_lived, NULL); /* a new thread inherits read-only */
        pthread_join(t, NULL);
    }

    /* Revocation reaches a thread blocked in a system call. */
    IT_CHECK(mpk_mprotect(key, PROT_READ | PROT_WRITE) == 0 && pipe(pipe_fds) == 0, "set-up 2");
    pthread_create(&reader, NULL, blocked_reader, NULL);
    usleep(100000); /* let it block in read() */
    IT_CHECK(mpk_mprotect(key, PROT_READ) == 0, "revoke");
    IT_CHECK(write(pipe_fds[1], "x", 1) == 1, "wake");
    pthread_join(reader, NULL);
    IT_CHECK(!blocked_wrote, "a thread blocked in read() kept its write access");
    printf("%d rounds of 4 concurrent mpk_mprotect callers with threads coming and going\n", rounds);
    return it_done("api_sync");
}
