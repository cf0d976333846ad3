/* tests/integration/it_kernel_numbers.c: numbers = kernel (kernel_numbers.conf) gives a freed
 * key's number back as the kernel does, which glibc's tst-pkey relies on: the lowest number not
 * live comes first, and a freed number whose pages still exist comes back with them, every
 * other thread keeping the rights it had and only the caller getting the new key's; pkey_set
 * and pkey_get on a freed number reach the pages that still carry it, as glibc's. The same
 * program passes without libmpk; under the default (numbers = unique) no number comes back. */
#include "it.h"

#include <pthread.h>
#include <unistd.h>

enum { N = 3 };
static int keys[N];
static pthread_barrier_t go, done;
static int seen_rights; /* the old thread's pkey_get of the reused number */
static int seen_write;  /* its write to the reused key's page went through */
static char *page0;

/* Started while every key is open to the main thread (and so to it, by inheritance); reports
 * after the number came back. */
static void *old_thread(void *arg)
{
    int *reused = arg;
    it_install_probe_handler();
    pthread_barrier_wait(&go);
    seen_rights = pkey_get(*reused);
    seen_write = it_probe_write(page0);
    pthread_barrier_wait(&done);
    return NULL;
}

int main(void)
{
    char *pages[N];
    int reused = -1, again, lone;
    pthread_t t;
    it_require_pku();
    it_install_probe_handler();
    for (int i = 0; i < N; i++) {
        keys[i] = pkey_alloc(0, (unsigned)i);
        IT_CHECK(keys[i] > 0 && keys[i] < 16, "pkey_alloc #%d: %d (%s)", i, keys[i],
                 keys[i] < 0 ? strerror(errno) : "a hardware number");
        pages[i] = it_page(1);
        IT_CHECK(pkey_mprotect(pages[i], 4096, PROT_READ | PROT_WRITE, keys[i]) == 0,
                 "pkey_mprotect: %s", strerror(errno));
    }
    IT_CHECK(keys[1] == keys[0] + 1 && keys[2] == keys[1] + 1, "the lowest numbers first: %d %d %d",
             keys[0], keys[1], keys[2]);
    for (int i = 0; i < N; i++)
        IT_CHECK(pkey_set(keys[i], 0) == 0, "pkey_set(%d, 0): %s", keys[i], strerror(errno));
    page0 = pages[0];
    pthread_barrier_init(&go, NULL, 2);
    pthread_barrier_init(&done, NULL, 2);
    IT_CHECK(pthread_create(&t, NULL, old_thread, &reused) == 0, "pthread_create");

    for (int i = 0; i < N; i++)
        IT_CHECK(pkey_free(keys[i]) == 0, "pkey_free(%d): %s", keys[i], strerror(errno));
    IT_CHECK(pkey_free(keys[0]) == -1 && errno == EINVAL, "a second pkey_free(%d): EINVAL", keys[0]);

    /* glibc's pkey_set and pkey_get on a freed number: the thread's bits for it, which still
     * govern the pages that carry it. */
    IT_CHECK(pkey_get(keys[1]) == 0, "pkey_get of freed %d: the rights it had (%d)", keys[1],
             pkey_get(keys[1]));
    IT_CHECK(pkey_set(keys[1], PKEY_DISABLE_ACCESS) == 0 && pkey_get(keys[1]) == PKEY_DISABLE_ACCESS,
             "pkey_set of freed %d: %s", keys[1], strerror(errno));
    IT_CHECK(!it_probe_read(pages[1]), "freed %d closed: its page refuses a read", keys[1]);
    IT_CHECK(pkey_set(keys[1], 0) == 0 && it_probe_write(pages[1]), "freed %d opened: its page takes a write",
             keys[1]);

    /* The kernel's reuse: the lowest freed number, and its pages come under the new key. */
    reused = pkey_alloc(0, PKEY_DISABLE_WRITE);
    IT_CHECK(reused == keys[0], "pkey_alloc after the frees gives %d back (got %d)", keys[0], reused);
    IT_CHECK(pkey_get(reused) == PKEY_DISABLE_WRITE, "the caller has the new key's rights: %d",
             pkey_get(reused));
    IT_CHECK(it_probe_read(pages[0]), "the reused key's page is readable by the caller");
    IT_CHECK(!it_probe_write(pages[0]), "the reused key's page refuses the caller's write");
    IT_CHECK(it_last.pkey == reused, "the fault names the reused number %d (si_pkey %d)", reused,
             it_last.pkey);
    pthread_barrier_wait(&go);
    pthread_barrier_wait(&done);
    pthread_join(t, NULL);
    IT_CHECK(seen_rights == 0, "the thread started before keeps the rights it had: %d", seen_rights);
    IT_CHECK(seen_write, "the thread started before still writes the page");

    /* The next lowest, and a number freed with no pages left comes back too. */
    again = pkey_alloc(0, 0);
    IT_CHECK(again == keys[1], "the next pkey_alloc gives %d (got %d)", keys[1], again);
    IT_CHECK(pkey_mprotect(pages[1], 4096, PROT_READ | PROT_WRITE, 0) == 0 &&
             munmap(pages[2], 4096) == 0, "untag page 1, unmap page 2");
    IT_CHECK(pkey_free(again) == 0, "pkey_free(%d): %s", again, strerror(errno));
    lone = pkey_alloc(0, 0);
    IT_CHECK(lone == keys[1], "a number freed without pages comes back: %d (got %d)", keys[1], lone);
    IT_CHECK(pkey_free(lone) == 0 && pkey_free(reused) == 0, "pkey_free the two: %s", strerror(errno));
    return it_done("kernel_numbers");
}
