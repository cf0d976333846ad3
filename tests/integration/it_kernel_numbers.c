/* tests/integration/it_kernel_numbers.c: numbers = kernel (kernel_numbers.conf) gives a freed
 * key's number back as the kernel does, which glibc's tst-pkey relies on: the lowest number not
 * live comes first, and a freed number whose pages still exist comes back with them, every
 * other thread keeping the rights it had and only the caller getting the new key's; pkey_set
 * and pkey_get on a freed number reach the pages that still carry it, as glibc's. With the
 * argument `raw`: syscall(SYS_pkey_alloc) never returns a number a virtual key carries (a
 * virtual number 1..15 need not be its hardware key here). The same program passes without
 * libmpk; under the default (numbers = unique) no number comes back. */
#include "it.h"

#include <pthread.h>
#include <sys/syscall.h>
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

/* A raw key held before any virtual key, then given back, while the virtual keys took other
 * hardware keys: the kernel may then hand out a hardware number that a virtual key carries. */
static int raw_keys(void)
{
    int raw = (int)syscall(SYS_pkey_alloc, 0, 0), v1, v2, v3, raw2;
    char *page = it_page(1);
    IT_CHECK(raw > 0, "syscall(SYS_pkey_alloc): %s", raw < 0 ? strerror(errno) : "");
    v1 = pkey_alloc(0, 0);
    v2 = pkey_alloc(0, 0);
    IT_CHECK(v1 > 0 && v2 > 0 && v1 != raw && v2 != raw, "two keys beside raw key %d: %d %d", raw, v1, v2);
    IT_CHECK(pkey_free(v1) == 0 && syscall(SYS_pkey_free, raw) == 0, "free %d and raw %d", v1, raw);
    v3 = pkey_alloc(0, 0);
    IT_CHECK(v3 == raw, "the lowest number, %d, comes back (got %d)", raw, v3);
    raw2 = (int)syscall(SYS_pkey_alloc, 0, 0);
    IT_CHECK(raw2 > 0 && raw2 != v2 && raw2 != v3, "a raw key %d shares no number with keys %d %d", raw2,
             v2, v3);
    if (raw2 > 0) {
        IT_CHECK(syscall(SYS_pkey_mprotect, page, 4096, PROT_READ | PROT_WRITE, raw2) == 0,
                 "pkey_mprotect with raw %d: %s", raw2, strerror(errno));
        IT_CHECK(pkey_set(raw2, PKEY_DISABLE_ACCESS) == 0 && !it_probe_read(page),
                 "raw key %d closed: its page refuses a read", raw2);
        IT_CHECK(pkey_set(raw2, 0) == 0 && it_probe_write(page), "raw key %d opened: a write goes in", raw2);
        IT_CHECK(syscall(SYS_pkey_free, raw2) == 0, "syscall(SYS_pkey_free, %d)", raw2);
    }
    return it_done("kernel_numbers raw");
}

int main(int argc, char **argv)
{
    char *pages[N];
    int reused = -1, again, lone;
    pthread_t t;
    it_require_pku();
    it_install_probe_handler();
    if (argc > 1 && strcmp(argv[1], "raw") == 0)
        return raw_keys();
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
