/* tests/reliability/rel_fork_storm.c: fork, many times, from a process whose threads are in
 * the middle of everything that takes the manager's lock or signals other threads: rights
 * changes on more keys than the hardware has (so faults bring evicted keys in), mpk_mprotect
 * revocations (signals to every thread with the key open), sections, map traffic. Forks come
 * from the main thread and from the busy threads themselves. Every child must start at once
 * with the forking thread's rights on every key, take the lock (new key, new mapping, an
 * mpk_mprotect that may not wait for the parent's threads, which do not exist in the child),
 * start a thread of its own and exit within the deadline; the parent must never stop making
 * progress. Usage: rel_fork_storm [ROUNDS [THREADS [KEYS]]] (default 1000 8 40);
 * REL_RAW_FORK=1 forks by raw system call, around the manager's fork handlers, to show that
 * the test catches children that inherit the manager mid-operation. */
#include "../integration/it.h"
#include "rel.h"

#include <mpk.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define CHILD_DEADLINE_S 120 /* the PKU guest is an emulator: a fork there takes milliseconds */
#define STALL_DEADLINE_S 300

enum { MAX_KEYS = 256, MAX_THREADS = 32 };

static int nkeys, nthreads, rounds, raw_fork;
static int keys[MAX_KEYS];
static char *pages[MAX_KEYS];
static int sync_key;
static char *sync_page;
static _Atomic int stop;
static _Atomic long progress, forks_done, child_failures, child_hangs, syncs;

/* Each thread's rights on keys[], as it set them: a child checks its forking thread's. */
typedef struct model {
    int rights[MAX_KEYS];
} model_t;
static __thread model_t *self_model;

static const int all_rights[] = {0, PKEY_DISABLE_WRITE, PKEY_DISABLE_ACCESS};

/* ---- in the child --------------------------------------------------------------------------- */

static void *child_thread(void *arg)
{
    model_t *m = arg;
    int bad = 0;
    for (int i = 0; i < nkeys; i++) /* threads inherit their creator's rights */
        bad += pkey_get(keys[i]) != m->rights[i];
    return (void *)(long)bad;
}

static int child_checks(model_t *m)
{
    int bad = 0, k;
    char *p;
    pthread_t t;
    void *ret;
    for (int i = 0; i < nkeys; i++) {
        int r = m->rights[i], rd = it_probe_read(pages[i]), wr;
        if (pkey_get(keys[i]) != r || rd != it_can_read(r) || (rd && pages[i][0] != (char)i)) {
            fprintf(stderr, "child %d: key %d rights %d: get %d read %d\n", getpid(), keys[i], r,
                    pkey_get(keys[i]), rd);
            bad++;
        }
        wr = it_probe_write_byte(pages[i] + 2, 0);
        bad += wr != it_can_write(r);
    }
    k = pkey_alloc(0, 0);
    p = k > 0 ? mpk_mmap(k, NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0)
              : MAP_FAILED;
    bad += p == MAP_FAILED || !it_probe_write(p);
    bad += mpk_mprotect(sync_key, PROT_NONE) != 0 || it_probe_read(sync_page);
    bad += mpk_mprotect(sync_key, PROT_READ | PROT_WRITE) != 0 || !it_probe_write(sync_page);
    if (pthread_create(&t, NULL, child_thread, m) != 0 || pthread_join(t, &ret) != 0)
        bad++;
    else
        bad += (int)(long)ret;
    return bad;
}

/* ---- in the parent -------------------------------------------------------------------------- */

static pid_t do_fork(void)
{
    return raw_fork ? (pid_t)syscall(SYS_fork) : fork();
}

/* Fork, let the child check, and wait for it with a deadline. */
static void fork_once(model_t *m)
{
    int status;
    double deadline;
    pid_t pid = do_fork();
    if (pid == 0) {
        alarm(CHILD_DEADLINE_S + 10); /* never outlive the parent's patience */
        _exit(child_checks(m) ? 1 : 0);
    }
    if (pid < 0) {
        atomic_fetch_add(&child_failures, 1);
        return;
    }
    deadline = rel_now() + CHILD_DEADLINE_S;
    for (;;) {
        pid_t r = waitpid(pid, &status, WNOHANG);
        if (r == pid)
            break;
        if (rel_now() > deadline) {
            fprintf(stderr, "rel_fork_storm: child %d stuck for %d s: killed\n", pid,
                    CHILD_DEADLINE_S);
            kill(pid, SIGKILL);
            waitpid(pid, &status, 0);
            atomic_fetch_add(&child_hangs, 1);
            return;
        }
        usleep(1000);
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        if (atomic_load(&child_failures) < 10)
            fprintf(stderr, "rel_fork_storm: child %d ended with status %#x\n", pid, status);
        atomic_fetch_add(&child_failures, 1);
    }
    atomic_fetch_add(&forks_done, 1);
    atomic_fetch_add(&progress, 1);
}

static void set_rights(model_t *m, int i, int r)
{
    if (pkey_set(keys[i], (unsigned)r) == 0)
        m->rights[i] = r;
}

static void *worker(void *arg)
{
    long id = (long)arg;
    model_t *m = calloc(1, sizeof *m);
    self_model = m;
    it_seed(0x5eed + (uint64_t)id);
    for (int i = 0; i < nkeys; i++)
        m->rights[i] = pkey_get(keys[i]);
    while (!atomic_load(&stop)) {
        int i = (int)(it_rand() % (uint64_t)nkeys);
        switch (it_rand() % 8) {
        case 0: case 1: case 2: /* open, touch (an evicted key faults in), close */
            set_rights(m, i, 0);
            pages[i][1]++;
            set_rights(m, i, all_rights[it_rand() % 3]);
            break;
        case 3: /* every thread's rights on the sync key: a revocation signals them */
            mpk_mprotect(sync_key, (it_rand() & 1) ? PROT_NONE : PROT_READ | PROT_WRITE);
            atomic_fetch_add(&syncs, 1);
            break;
        case 4: /* touch the sync key: opens it here, so revocations must reach this thread */
            it_probe_write(sync_page);
            break;
        case 5: /* a section */
            if (mpk_begin(keys[i], PROT_READ) == 0) {
                (void)*(volatile char *)pages[i];
                mpk_end(keys[i]);
            }
            break;
        case 6: { /* map traffic */
            void *p = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
            if (p != MAP_FAILED) {
                pkey_mprotect(p, 8192, PROT_READ | PROT_WRITE, keys[i]);
                munmap(p, 8192);
            }
            break;
        }
        default: /* and now and then, fork from here */
            if (it_rand() % 64 == 0)
                fork_once(m);
        }
    }
    return NULL;
}

int main(int argc, char **argv)
{
    pthread_t th[MAX_THREADS], dog;
    model_t *m;
    double t0;
    rounds = argc > 1 ? atoi(argv[1]) : 1000;
    nthreads = argc > 2 ? atoi(argv[2]) : 8;
    nkeys = argc > 3 ? atoi(argv[3]) : 40;
    raw_fork = getenv("REL_RAW_FORK") && atoi(getenv("REL_RAW_FORK"));
    if (nthreads < 1 || nthreads > MAX_THREADS || nkeys < 1 || nkeys > MAX_KEYS) {
        fprintf(stderr, "usage: rel_fork_storm [ROUNDS [THREADS<=%d [KEYS<=%d]]]\n", MAX_THREADS,
                MAX_KEYS);
        return 2;
    }
    it_require_pku();
    it_install_probe_handler();
    m = calloc(1, sizeof *m);
    self_model = m;
    for (int i = 0; i <= nkeys; i++) {
        int k = pkey_alloc(0, 0);
        if (k <= 0) {
            printf("SKIP: pkey_alloc #%d: %s\n", i + 1, strerror(errno));
            return it_preloaded() ? 1 : IT_SKIP;
        }
        if (i == nkeys) {
            sync_key = k;
            sync_page = mpk_mmap(k, NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
                                 -1, 0);
            IT_CHECK(sync_page != MAP_FAILED, "mpk_mmap: %s", strerror(errno));
            break;
        }
        keys[i] = k;
        pages[i] = it_page(1);
        IT_CHECK(pkey_mprotect(pages[i], 4096, PROT_READ | PROT_WRITE, k) == 0, "pkey_mprotect");
        pages[i][0] = (char)i;
    }
    t0 = rel_now();
    dog = rel_watchdog_start("fork_storm", "fork", &progress, &stop, STALL_DEADLINE_S);
    for (long i = 0; i < nthreads; i++)
        pthread_create(&th[i], NULL, worker, (void *)i);
    /* The main thread keeps rights of its own (rw, ro, none, ...) and forks ROUNDS times. */
    for (int i = 0; i < nkeys; i++)
        set_rights(m, i, all_rights[i % 3]);
    for (int r = 0; r < rounds && atomic_load(&child_hangs) == 0; r++)
        fork_once(m);
    atomic_store(&stop, 1);
    for (int i = 0; i < nthreads; i++)
        pthread_join(th[i], NULL);
    pthread_join(dog, NULL);
    IT_CHECK(atomic_load(&child_hangs) == 0, "%ld children hung", atomic_load(&child_hangs));
    IT_CHECK(atomic_load(&child_failures) == 0, "%ld of %ld children saw the wrong keys or rights",
             atomic_load(&child_failures), atomic_load(&forks_done));
    printf("rel_fork_storm: %ld forks (%d from the main thread) with %d busy threads on %d keys "
           "and %ld mpk_mprotect calls meanwhile, in %.1f s\n", atomic_load(&forks_done), rounds,
           nthreads, nkeys, atomic_load(&syncs), rel_now() - t0);
    return it_done("fork_storm");
}
