/* tests/integration/it_section_race.c: mpk_begin/mpk_end racing mpk_mprotect on the same key.
 * One thread calls mpk_mprotect(k, PROT_NONE / PROT_READ) in turn and publishes which call is
 * running or done; two threads open read-write sections on k over and over. The rules
 * (design.md §5): inside its section a thread can always write, whatever mpk_mprotect does
 * meanwhile; after mpk_end it has exactly the rights of the last mpk_mprotect, since each of
 * those calls either came before the section began (so the thread had them) or overlapped it
 * (so mpk_end must restore them, not what the thread had before). Neither rights allows a
 * write, so a write after mpk_end is a stale section. Usage: it_section_race [ROUNDS]. */
#include "it.h"

#include <mpk.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>

#define SECTION_THREADS 2

static int key;
static char *group;
static _Atomic int stop;
/* calls started << 1 | 1 while the latest call runs; its rights: PROT_NONE for odd numbers */
static _Atomic unsigned long calls;
static _Atomic long sections, judged, lost_in_section, stale_after_end;

static int prot_of_call(unsigned long n) { return n & 1 ? PROT_NONE : PROT_READ; }

static void *revoker(void *arg)
{
    long rounds = (long)arg;
    for (unsigned long n = 1; n <= (unsigned long)rounds && !atomic_load(&stop); n++) {
        atomic_store(&calls, n << 1 | 1);
        IT_CHECK(mpk_mprotect(key, prot_of_call(n)) == 0, "mpk_mprotect: %s", strerror(errno));
        atomic_store(&calls, n << 1);
        /* Let a section or two run before the next call, so most probes can be judged. */
        for (long seen = atomic_load(&sections); atomic_load(&sections) < seen + 2 && !atomic_load(&stop);)
            sched_yield();
    }
    atomic_store(&stop, 1);
    return NULL;
}

/* After mpk_end, with no call running from before the probe to after it: exactly the rights
 * of the last call. */
static void check_after_end(char *p)
{
    unsigned long c1 = atomic_load(&calls);
    int r = it_probe_read(p), w = it_probe_write(p);
    unsigned long c2 = atomic_load(&calls);
    if (w)
        atomic_fetch_add(&stale_after_end, 1);
    if (c1 != c2 || (c1 & 1) || c1 == 0)
        return;
    atomic_fetch_add(&judged, 1);
    if (r != (prot_of_call(c1 >> 1) == PROT_READ))
        atomic_fetch_add(&stale_after_end, 1);
}

static void *sectioner(void *arg)
{
    char *p = group + 64 * (long)arg;
    while (!atomic_load(&stop)) {
        IT_CHECK(mpk_begin(key, PROT_READ | PROT_WRITE) == 0, "mpk_begin: %s", strerror(errno));
        if (!it_probe_write(p) || !it_probe_write(p + 1))
            atomic_fetch_add(&lost_in_section, 1);
        IT_CHECK(mpk_end(key) == 0, "mpk_end: %s", strerror(errno));
        atomic_fetch_add(&sections, 1);
        check_after_end(p);
    }
    return NULL;
}

int main(int argc, char **argv)
{
    long rounds = argc > 1 ? atol(argv[1]) : 20000;
    pthread_t rv, th[SECTION_THREADS];
    it_require_pku();
    it_install_probe_handler();
    key = pkey_alloc(0, PKEY_DISABLE_ACCESS);
    group = mpk_mmap(key, NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    IT_CHECK(key > 0 && group != MAP_FAILED, "mpk_mmap: %s", strerror(errno));
    IT_CHECK(mpk_mprotect(key, PROT_NONE) == 0, "mpk_mprotect: %s", strerror(errno));
    for (long i = 0; i < SECTION_THREADS; i++)
        pthread_create(&th[i], NULL, sectioner, (void *)i);
    pthread_create(&rv, NULL, revoker, (void *)rounds);
    pthread_join(rv, NULL);
    for (int i = 0; i < SECTION_THREADS; i++)
        pthread_join(th[i], NULL);
    printf("section race: %ld mpk_mprotect calls, %ld sections, %ld judged after mpk_end\n", rounds,
           atomic_load(&sections), atomic_load(&judged));
    IT_CHECK(atomic_load(&lost_in_section) == 0,
             "%ld sections lost their rights to a concurrent mpk_mprotect",
             atomic_load(&lost_in_section));
    IT_CHECK(atomic_load(&stale_after_end) == 0,
             "%ld times mpk_end left rights other than the last mpk_mprotect's",
             atomic_load(&stale_after_end));
    IT_CHECK(atomic_load(&judged) > 0, "no probe after mpk_end could be judged");
    return it_done("section_race");
}
