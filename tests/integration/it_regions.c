/* tests/integration/it_regions.c: [region NAME] rules (issue 5, design.md §7), with
 * regions.conf. Mappings that match a rule (file glob, size, flags) go under a key of the
 * rule's own, and each thread's rights on them follow the rule and the thread's name, also
 * after renames (by the thread itself or by another); mappings that match nothing are left
 * alone; mprotect keeps the rule's key. Run without the preload, every rule check fails. */
#include "it.h"

#include <fcntl.h>
#include <pthread.h>
#include <unistd.h>

#define ARENA (8u << 20) /* regions.conf: [region arena] min_size = 8M, rw for worker-* */

typedef struct {
    volatile unsigned char *p;
    const char *name;     /* set by the thread itself, NULL: keep the creator's */
    int can_read, can_write;
    const char *rename_to; /* renamed by itself after the first probes */
    int read_after, write_after;
} probe_t;

static void *probe_thread(void *arg)
{
    probe_t *pr = arg;
    if (pr->name)
        pthread_setname_np(pthread_self(), pr->name);
    pr->can_read = it_probe_read(pr->p);
    pr->can_write = it_probe_write(pr->p + 64);
    if (pr->rename_to) {
        pthread_setname_np(pthread_self(), pr->rename_to);
        pr->read_after = it_probe_read(pr->p);
        pr->write_after = it_probe_write(pr->p + 64);
    }
    return NULL;
}

static probe_t run_probe(volatile unsigned char *p, const char *name, const char *rename_to)
{
    probe_t pr = {.p = p, .name = name, .rename_to = rename_to};
    pthread_t t;
    pthread_create(&t, NULL, probe_thread, &pr);
    pthread_join(t, NULL);
    return pr;
}

/* A thread that waits, so that another can rename it and then make it probe. */
typedef struct {
    volatile unsigned char *p;
    pthread_mutex_t m;
    pthread_cond_t c;
    int step, can_write;
} waiter_t;

static void *waiting_thread(void *arg)
{
    waiter_t *w = arg;
    for (int want = 1; want <= 2; want++) {
        pthread_mutex_lock(&w->m);
        while (w->step != want)
            pthread_cond_wait(&w->c, &w->m);
        w->can_write = it_probe_write(w->p + 128);
        w->step = want + 10;
        pthread_cond_broadcast(&w->c);
        pthread_mutex_unlock(&w->m);
    }
    return NULL;
}

static int waiter_step(waiter_t *w, int step)
{
    pthread_mutex_lock(&w->m);
    w->step = step;
    pthread_cond_broadcast(&w->c);
    while (w->step != step + 10)
        pthread_cond_wait(&w->c, &w->m);
    pthread_mutex_unlock(&w->m);
    return w->can_write;
}

static void arena_follows_names(void)
{
    unsigned char *a = mmap(NULL, ARENA, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    probe_t pr;
    IT_CHECK(a != MAP_FAILED, "mmap of the arena");
    pthread_setname_np(pthread_self(), "it-main");
    IT_CHECK(!it_probe_read(a) && !it_probe_write(a + 8), "a thread not named worker-* cannot touch the arena");
    pr = run_probe(a, "worker-1", "retired");
    IT_CHECK(pr.can_read && pr.can_write, "worker-1 reads and writes the arena");
    IT_CHECK(!pr.read_after && !pr.write_after, "renamed away from worker-*, it loses the arena");
    pr = run_probe(a, "other", "worker-9");
    IT_CHECK(!pr.can_read && !pr.can_write, "a thread named other cannot touch the arena");
    IT_CHECK(pr.read_after && pr.write_after, "renamed to worker-9, it gets the arena");
    IT_CHECK(mprotect(a, ARENA, PROT_READ) == 0, "mprotect of the arena");
    pr = run_probe(a, "worker-2", NULL);
    IT_CHECK(pr.can_read && !pr.can_write, "after mprotect(PROT_READ) the page rule and the key both hold");
    IT_CHECK(!it_probe_read(a), "mprotect keeps the arena's key: it-main still cannot read");
    munmap(a, ARENA);
}

static void renamed_by_another(void)
{
    unsigned char *a = mmap(NULL, ARENA, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    waiter_t w = {.p = a, .m = PTHREAD_MUTEX_INITIALIZER, .c = PTHREAD_COND_INITIALIZER};
    pthread_t t;
    IT_CHECK(a != MAP_FAILED, "mmap of the arena");
    pthread_create(&t, NULL, waiting_thread, &w);
    pthread_setname_np(t, "worker-5");
    IT_CHECK(waiter_step(&w, 1), "named worker-5 by its creator, the thread writes the arena");
    pthread_setname_np(t, "idle");
    IT_CHECK(!waiter_step(&w, 2), "renamed idle by its creator, it no longer can");
    pthread_join(t, NULL);
    munmap(a, ARENA);
}

/* The kernel honours PKRU when read() copies: a worker's first touch of the arena may be a
 * system call, and its rights must hold there too. */
static void *read_first(void *arg)
{
    unsigned char *a = arg;
    int fds[2];
    long ok = 0;
    pthread_setname_np(pthread_self(), "worker-3");
    if (pipe(fds) == 0) {
        ok = write(fds[1], "abc", 3) == 3 && read(fds[0], a + 4096, 3) == 3 && a[4096] == 'a';
        close(fds[0]);
        close(fds[1]);
    }
    return (void *)ok;
}

static void first_touch_by_system_call(void)
{
    unsigned char *a = mmap(NULL, ARENA, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    pthread_t t;
    void *ok = NULL;
    IT_CHECK(a != MAP_FAILED, "mmap of the arena");
    pthread_create(&t, NULL, read_first, a);
    pthread_join(t, &ok);
    IT_CHECK(ok != NULL, "a worker's first touch of the arena is read(): it works");
    munmap(a, ARENA);
}

static void others_left_alone(void)
{
    unsigned char *small = mmap(NULL, 1u << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    unsigned char *shared = mmap(NULL, 64 << 10, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    unsigned char *tiny = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    IT_CHECK(it_probe_write(small) && it_probe_read(small), "a 1 MiB mapping matches no rule: untouched");
    IT_CHECK(it_probe_read(shared) && !it_probe_write(shared), "[region shared]: everyone reads, nobody writes");
    IT_CHECK(it_probe_write(tiny), "a shared mapping below min_size matches no rule");
    munmap(small, 1u << 20);
    munmap(shared, 64 << 10);
    munmap(tiny, 4096);
}

static void secret_file(void)
{
    char path[64];
    int fd;
    unsigned char *p;
    snprintf(path, sizeof path, "/tmp/it-regions-secret.%d", (int)getpid());
    fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
    IT_CHECK(fd >= 0 && write(fd, "top secret", 10) == 10, "create the secret file");
    p = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, fd, 0);
    IT_CHECK(p != MAP_FAILED, "mmap of the secret file");
    IT_CHECK(!it_probe_read(p), "[region secret]: nobody reads a mapping of *it-regions-secret*");
    IT_CHECK(!run_probe(p, "worker-1", NULL).can_read, "not even a worker");
    munmap(p, 4096);
    close(fd);
    unlink(path);
}

/* The rules live in libmpk's memory: a stray write there must not rewrite them. */
static void rules_sealed(void)
{
    uintptr_t range[2] = {0, 0};
    const char *hit = NULL;
    IT_CHECK(it_libmpk_data(&range[0], &range[1]), "libmpk's data segment found");
    for (const char *p = (const char *)range[0]; range[0] && p + 9 <= (const char *)range[1]; p++)
        if (!memcmp(p, "worker-*", 9)) {
            hit = p;
            break;
        }
    IT_CHECK(hit != NULL, "the arena rule's threads glob is in libmpk's data");
    IT_CHECK(hit && !it_probe_write_byte((void *)hit, '*'), "writing over the rule faults: the policy is read-only");
}

int main(void)
{
    it_require_pku();
    it_install_probe_handler();
    arena_follows_names();
    renamed_by_another();
    first_touch_by_system_call();
    others_left_alone();
    secret_file();
    rules_sealed();
    return it_done("regions");
}
