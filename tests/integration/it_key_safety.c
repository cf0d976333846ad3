/* tests/integration/it_key_safety.c: the three unsafe behaviours of raw pkeys that the preload
 * removes (design.md §1): a freed key's number is dead and its pages cannot be opened by the
 * next key allocated (use-after-free); rights on a key never allocated are refused (corruption);
 * numbers are never reused. Without the preload the first two checks fail: the test knows. */
#include "it.h"

#include <sys/syscall.h>
#include <unistd.h>

int main(void)
{
    char *page;
    int k1, k2, r;
    it_require_pku();
    it_install_probe_handler();

    /* Use-after-free: k1 tags a page and is freed; the next key must not reach the page. */
    k1 = pkey_alloc(0, PKEY_DISABLE_ACCESS);
    IT_CHECK(k1 > 0, "pkey_alloc: %s", strerror(errno));
    page = it_page(1);
    IT_CHECK(pkey_mprotect(page, 4096, PROT_READ | PROT_WRITE, k1) == 0, "pkey_mprotect: %s",
             strerror(errno));
    IT_CHECK(!it_probe_read(page), "page readable with its key access-disabled");
    IT_CHECK(pkey_free(k1) == 0, "pkey_free: %s", strerror(errno));
    k2 = pkey_alloc(0, 0); /* the kernel alone hands out k1 again, with full access */
    IT_CHECK(k2 > 0, "pkey_alloc after free: %s", strerror(errno));
    IT_CHECK(k2 != k1, "the freed key's number %d came back", k1);
    IT_CHECK(pkey_set(k2, 0) == 0, "pkey_set(new key)");
    IT_CHECK(!it_probe_read(page), "the new key %d opened the freed key's page", k2);
    IT_CHECK(it_last.code == SEGV_PKUERR && it_last.pkey == k1,
             "fault on the freed key's page: code %d pkey %d (expected %d)", it_last.code,
             it_last.pkey, k1);

    /* The dead number stays dead for every call. */
    errno = 0;
    IT_CHECK(pkey_set(k1, 0) == -1 && errno == EINVAL, "pkey_set(freed) = EINVAL, got %s",
             strerror(errno));
    errno = 0;
    IT_CHECK(pkey_get(k1) == -1 && errno == EINVAL, "pkey_get(freed) = EINVAL, got %s",
             strerror(errno));
    errno = 0;
    IT_CHECK(pkey_mprotect(it_page(1), 4096, PROT_READ, k1) == -1 && errno == EINVAL,
             "pkey_mprotect(freed) = EINVAL, got %s", strerror(errno));
    errno = 0;
    IT_CHECK(pkey_free(k1) == -1 && errno == EINVAL, "pkey_free(freed) = EINVAL, got %s",
             strerror(errno));
    IT_CHECK(!it_probe_read(page), "page opened by calls on the dead number");

    /* Corruption: a number never handed out (the kernel alone accepts any of 1..15). */
    r = k2 + 1;
    while (r == k1)
        r++;
    errno = 0;
    IT_CHECK(pkey_set(r, 0) == -1 && errno == EINVAL, "pkey_set(never allocated %d) accepted", r);
    errno = 0;
    IT_CHECK(pkey_get(r) == -1 && errno == EINVAL, "pkey_get(never allocated %d) accepted", r);

    /* Numbers are never reused, over many rounds of alloc and free (in batches, so that
     * slots are freed in every order). */
    {
        static int seen[4000];
        int nseen = 0;
        seen[nseen++] = k1;
        seen[nseen++] = k2;
        for (int round = 0; round < 100; round++) {
            int batch[30], n = 1 + (int)(it_rand() % 30);
            for (int i = 0; i < n; i++) {
                batch[i] = pkey_alloc(0, 0);
                for (int j = 0; j < nseen; j++)
                    IT_CHECK(seen[j] != batch[i], "round %d: number %d handed out twice", round,
                             batch[i]);
                seen[nseen++] = batch[i];
            }
            for (int i = n - 1; i > 0; i--) { /* free in a random order */
                int j = (int)(it_rand() % (uint64_t)(i + 1)), t = batch[i];
                batch[i] = batch[j];
                batch[j] = t;
            }
            for (int i = 0; i < n; i++)
                IT_CHECK(pkey_free(batch[i]) == 0, "pkey_free(%d)", batch[i]);
        }
    }
    /* Through glibc's syscall(): the kernel's key, with the kernel's checks of a dead one. */
    {
        long sk = syscall(SYS_pkey_alloc, 0, 0);
        IT_CHECK(sk > 0 && syscall(SYS_pkey_free, sk) == 0, "syscall(SYS_pkey_alloc/free)");
        errno = 0;
        IT_CHECK(syscall(SYS_pkey_free, sk) == -1 && errno == EINVAL,
                 "syscall(SYS_pkey_free) of a dead key accepted");
        errno = 0;
        IT_CHECK(syscall(SYS_pkey_mprotect, it_page(1), 4096, PROT_READ, sk) == -1 && errno == EINVAL,
                 "syscall(SYS_pkey_mprotect) with a dead key accepted");
    }
    return it_done("key_safety");
}
