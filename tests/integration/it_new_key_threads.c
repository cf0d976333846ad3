/* tests/integration/it_new_key_threads.c: a thread pool started before the keys exist (V8's JIT
 * pool, Chromium 360909072). `all`: every pool thread must reach the pages with the rights
 * pkey_alloc was given (new_key = all_threads); `kernel`: the kernel's rule, they fault. Half
 * the pool starts before any key exists (libmpk not yet in play sees no thread being born),
 * half after a first key (libmpk knows those threads). */
#include "it.h"

#include <pthread.h>
#include <sys/syscall.h>
#include <unistd.h>

#define POOL 6

/* What one thread saw: pkey_get of each key, and each probe's outcome (1 reached, 0 faulted). */
typedef struct seen {
    int tid;
    int get_rw, get_ro;
    int read_rw, write_rw, read_ro, write_ro;
    int code_rw, pkey_rw, code_ro, pkey_ro; /* the fault of the read (else of the write) */
} seen_t;

static pthread_barrier_t keys_ready;
static int key_rw, key_ro; /* pkey_alloc(0, 0) and pkey_alloc(0, PKEY_DISABLE_WRITE) */
static char *page_rw, *page_ro;
static seen_t pool_seen[POOL], late_seen;

static void fault_of(int *code, int *pkey)
{
    if (it_last.faulted && !*code) {
        *code = it_last.code;
        *pkey = it_last.pkey;
    }
}

/* Every access this test makes, recorded for main to judge. */
static void look(seen_t *s)
{
    s->tid = (int)syscall(SYS_gettid);
    s->get_rw = pkey_get(key_rw);
    s->get_ro = pkey_get(key_ro);
    s->read_rw = it_probe_read(page_rw);
    fault_of(&s->code_rw, &s->pkey_rw);
    s->write_rw = it_probe_write(page_rw);
    fault_of(&s->code_rw, &s->pkey_rw);
    s->read_ro = it_probe_read(page_ro);
    fault_of(&s->code_ro, &s->pkey_ro);
    s->write_ro = it_probe_write(page_ro);
    fault_of(&s->code_ro, &s->pkey_ro);
}

static void *pool_thread(void *arg)
{
    seen_t *s = arg;
    pthread_barrier_wait(&keys_ready); /* started before the keys exist */
    look(s);
    return NULL;
}

static void *late_thread(void *arg)
{
    look(arg); /* created after: inherits main's rights, under either rule */
    return NULL;
}

/* The rights pkey_alloc was given, in a thread other than the allocating one. */
static void expect_granted(const seen_t *s, const char *who)
{
    IT_CHECK(s->get_rw == 0 && s->get_ro == PKEY_DISABLE_WRITE, "%s: pkey_get = %d, %d (want 0, %d)",
             who, s->get_rw, s->get_ro, PKEY_DISABLE_WRITE);
    IT_CHECK(s->read_rw && s->write_rw, "%s: read/write of the rw key's page: %d/%d (fault code %d key %d)",
             who, s->read_rw, s->write_rw, s->code_rw, s->pkey_rw);
    IT_CHECK(s->read_ro && !s->write_ro, "%s: read/write of the read-only key's page: %d/%d", who,
             s->read_ro, s->write_ro);
    IT_CHECK(s->code_ro == SEGV_PKUERR && s->pkey_ro == key_ro,
             "%s: its write to the read-only page faults on key %d (code %d key %d)", who, key_ro,
             s->code_ro, s->pkey_ro);
}

/* The kernel's rule for a thread that existed before the keys: closed, SEGV_PKUERR. */
static void expect_closed(const seen_t *s, const char *who)
{
    IT_CHECK(s->get_rw == PKEY_DISABLE_ACCESS && s->get_ro == PKEY_DISABLE_ACCESS,
             "%s: pkey_get = %d, %d (want %d)", who, s->get_rw, s->get_ro, PKEY_DISABLE_ACCESS);
    IT_CHECK(!s->read_rw && !s->write_rw && !s->read_ro && !s->write_ro,
             "%s: reached a page it has no rights to: %d %d %d %d", who, s->read_rw, s->write_rw,
             s->read_ro, s->write_ro);
    IT_CHECK(s->code_rw == SEGV_PKUERR && s->pkey_rw == key_rw && s->code_ro == SEGV_PKUERR &&
                 s->pkey_ro == key_ro,
             "%s: faults are SEGV_PKUERR on keys %d, %d (codes %d %d, keys %d %d)", who, key_rw,
             key_ro, s->code_rw, s->code_ro, s->pkey_rw, s->pkey_ro);
}

int main(int argc, char **argv)
{
    bool all = argc > 1 && strcmp(argv[1], "all") == 0;
    pthread_t pool[POOL], late;
    char who[32];
    it_require_pku();
    it_install_probe_handler();
    pthread_barrier_init(&keys_ready, NULL, POOL + 1);
    for (int i = 0; i < POOL / 2; i++)
        pthread_create(&pool[i], NULL, pool_thread, &pool_seen[i]);
    IT_CHECK(pkey_alloc(0, 0) > 0, "a first key: %s", strerror(errno));
    for (int i = POOL / 2; i < POOL; i++)
        pthread_create(&pool[i], NULL, pool_thread, &pool_seen[i]);

    key_rw = pkey_alloc(0, 0);
    key_ro = pkey_alloc(0, PKEY_DISABLE_WRITE);
    IT_CHECK(key_rw > 0 && key_ro > 0, "pkey_alloc: %s", strerror(errno));
    page_rw = it_page(1);
    page_ro = it_page(1);
    IT_CHECK(pkey_mprotect(page_rw, 4096, PROT_READ | PROT_WRITE, key_rw) == 0 &&
                 pkey_mprotect(page_ro, 4096, PROT_READ | PROT_WRITE, key_ro) == 0,
             "pkey_mprotect: %s", strerror(errno));
    IT_CHECK(it_probe_write(page_rw) && it_probe_read(page_ro) && !it_probe_write(page_ro),
             "the allocating thread has the rights it asked for");
    /* For audit_check.py foreign: who allocated which key, and who is in the pool. */
    fprintf(stderr, "it_new_key_threads: main tid=%d key_rw=%d key_ro=%d\n", (int)syscall(SYS_gettid),
            key_rw, key_ro);

    pthread_barrier_wait(&keys_ready);
    for (int i = 0; i < POOL; i++)
        pthread_join(pool[i], NULL);
    pthread_create(&late, NULL, late_thread, &late_seen);
    pthread_join(late, NULL);

    for (int i = 0; i < POOL; i++) {
        fprintf(stderr, "it_new_key_threads: pool tid=%d\n", pool_seen[i].tid);
        snprintf(who, sizeof who, "pool thread %d", i);
        if (all)
            expect_granted(&pool_seen[i], who);
        else
            expect_closed(&pool_seen[i], who);
    }
    fprintf(stderr, "it_new_key_threads: late tid=%d\n", late_seen.tid);
    expect_granted(&late_seen, "thread created after the keys");
    return it_done("new_key_threads");
}
