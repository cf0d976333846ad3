/* tests/reliability/rel_thread_exit.c: threads that come and go while their rights are being
 * taken away. Short-lived threads open the key (so a revocation must reach them) and exit at
 * once, by returning, by pthread_exit inside an mpk_begin section, detached, or cancelled
 * while blocked in read(); meanwhile the main thread revokes and grants with mpk_mprotect.
 * Every call must return (a thread that died before answering is answered for), long-lived
 * checkers must see each finished revocation exactly, and the thread records of the dead must
 * be reused: many more threads than the registry holds at once live and die (at least CALLS
 * of them: the calls go on until then).
 * Usage: rel_thread_exit [CALLS [SPAWNERS]] (default 1000 3). */
#include "../integration/it.h"
#include "rel.h"

#include <mpk.h>
#include <pthread.h>
#include <stdatomic.h>
#include <unistd.h>

#define STALL_DEADLINE_S 300

static int key, calls, nspawners;
static char *group;
static _Atomic uint64_t state; /* call number << 8 | running << 4 | rights */
static _Atomic int stop;
static _Atomic long progress, threads_made, checked, unchecked;
static int pipe_fds[2];

/* ---- the short-lived threads -------------------------------------------------------------- */

static void touch(void)
{
    pkey_set(key, 0); /* open in this thread whatever mpk_mprotect said last */
    it_probe_write(group);
}

static void *returns(void *arg)
{
    (void)arg;
    touch();
    return NULL;
}

static void *exits_in_section(void *arg)
{
    (void)arg;
    if (mpk_begin(key, PROT_READ | PROT_WRITE) == 0)
        it_probe_write(group + 128);
    pthread_exit(NULL); /* no mpk_end: the section dies with the thread */
}

static void *blocks(void *arg)
{
    char c;
    (void)arg;
    touch();
    if (read(pipe_fds[0], &c, 1) < 0) /* a cancellation point: cancelled here */
        return NULL;
    return NULL;
}

static void *spawner(void *arg)
{
    long id = (long)arg;
    it_seed(0xe817 + (uint64_t)id);
    while (!atomic_load(&stop)) {
        pthread_t t;
        pthread_attr_t attr;
        switch (it_rand() % 4) {
        case 0:
            if (pthread_create(&t, NULL, returns, NULL) == 0)
                pthread_join(t, NULL);
            break;
        case 1:
            if (pthread_create(&t, NULL, exits_in_section, NULL) == 0)
                pthread_join(t, NULL);
            break;
        case 2:
            pthread_attr_init(&attr);
            pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
            pthread_create(&t, &attr, returns, NULL);
            pthread_attr_destroy(&attr);
            break;
        default:
            if (pthread_create(&t, NULL, blocks, NULL) == 0) {
                usleep((useconds_t)(it_rand() % 2000));
                pthread_cancel(t);
                pthread_join(t, NULL);
            }
        }
        atomic_fetch_add(&threads_made, 1);
    }
    return NULL;
}

/* ---- the long-lived checker --------------------------------------------------------------- */

static void *checker(void *arg)
{
    (void)arg;
    while (!atomic_load(&stop)) {
        uint64_t s1 = atomic_load(&state), s2;
        int rd, wr, r;
        atomic_thread_fence(memory_order_seq_cst);
        rd = it_probe_read(group + 256);
        wr = it_probe_write(group + 256);
        atomic_thread_fence(memory_order_seq_cst);
        s2 = atomic_load(&state);
        if (s1 != s2 || (s1 >> 4 & 1)) {
            atomic_fetch_add(&unchecked, 1);
            continue;
        }
        r = (int)(s1 & 0xf);
        atomic_fetch_add(&checked, 1);
        IT_CHECK(rd == it_can_read(r) && wr == it_can_write(r),
                 "checker after mpk_mprotect #%llu (rights %d): read %d write %d",
                 (unsigned long long)(s1 >> 8), r, rd, wr);
    }
    return NULL;
}

int main(int argc, char **argv)
{
    static const int prots[] = {PROT_NONE, PROT_READ | PROT_WRITE, PROT_READ};
    pthread_t sp[16], chk[2], dog;
    double t0;
    calls = argc > 1 ? atoi(argv[1]) : 1000;
    nspawners = argc > 2 ? atoi(argv[2]) : 3;
    if (nspawners < 1 || nspawners > 16) {
        fprintf(stderr, "usage: rel_thread_exit [CALLS [SPAWNERS<=16]]\n");
        return 2;
    }
    it_require_pku();
    it_install_probe_handler();
    IT_CHECK(pipe(pipe_fds) == 0, "pipe");
    key = pkey_alloc(0, 0);
    if (key <= 0) {
        printf("SKIP: pkey_alloc: %s\n", strerror(errno));
        return it_preloaded() ? 1 : IT_SKIP;
    }
    group = mpk_mmap(key, NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    IT_CHECK(group != MAP_FAILED, "mpk_mmap: %s", strerror(errno));
    t0 = rel_now();
    dog = rel_watchdog_start("thread_exit", "mpk_mprotect", &progress, &stop, STALL_DEADLINE_S);
    for (int i = 0; i < 2; i++)
        pthread_create(&chk[i], NULL, checker, NULL);
    for (long i = 0; i < nspawners; i++)
        pthread_create(&sp[i], NULL, spawner, (void *)i);
    for (int c = 1; (c <= calls || atomic_load(&threads_made) < calls) && it_failures == 0; c++) {
        int prot = prots[c % 3];
        int r = prot == PROT_NONE ? PKEY_DISABLE_ACCESS : prot == PROT_READ ? PKEY_DISABLE_WRITE : 0;
        uint64_t old = atomic_load(&state);
        atomic_store(&state, (uint64_t)c << 8 | 1 << 4 | (old & 0xf));
        IT_CHECK(mpk_mprotect(key, prot) == 0, "mpk_mprotect #%d: %s", c, strerror(errno));
        atomic_store(&state, (uint64_t)c << 8 | (uint64_t)r);
        atomic_fetch_add(&progress, 1);
        if (c % 4 == 0)
            usleep(500);
    }
    atomic_store(&stop, 1);
    for (int i = 0; i < nspawners; i++)
        pthread_join(sp[i], NULL);
    for (int i = 0; i < 2; i++)
        pthread_join(chk[i], NULL);
    pthread_join(dog, NULL);
    IT_CHECK(atomic_load(&checked) > 0, "nothing was checked");
    printf("rel_thread_exit: %ld mpk_mprotect calls while %ld threads came and went; %ld probes "
           "checked exactly, %ld overlapped a call; %.1f s\n", atomic_load(&progress),
           atomic_load(&threads_made), atomic_load(&checked), atomic_load(&unchecked), rel_now() - t0);
    return it_done("thread_exit");
}
