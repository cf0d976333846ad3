/* tests/integration/it_bad_args.c: every bad argument fails with the errno the kernel or glibc
 * gives, with and without the preload (the test runs both ways). */
#include "it.h"

#define EXPECT_ERR(call, err)                                                                      \
    do {                                                                                           \
        errno = 0;                                                                                 \
        long r_ = (long)(call);                                                                    \
        IT_CHECK(r_ == -1 && errno == (err), "%s: got %ld errno %s, expected %s", #call, r_,       \
                 strerror(errno), strerror(err));                                                  \
    } while (0)

int main(void)
{
    char *page, *hole;
    int k;
    it_require_pku();
    k = pkey_alloc(0, 0);
    IT_CHECK(k > 0, "pkey_alloc: %s", strerror(errno));
    page = it_page(4);

    EXPECT_ERR(pkey_alloc(1, 0), EINVAL);                       /* flags must be 0 */
    EXPECT_ERR(pkey_alloc(0, 4), EINVAL);                       /* rights: AD|WD only */
    EXPECT_ERR(pkey_alloc(0, ~0u), EINVAL);
    EXPECT_ERR(pkey_free(-1), EINVAL);
    EXPECT_ERR(pkey_free(4096 * 1024), EINVAL);
    EXPECT_ERR(pkey_set(k, 4), EINVAL);                         /* glibc: rights > 3 */
    EXPECT_ERR(pkey_set(-1, 0), EINVAL);
    EXPECT_ERR(pkey_get(-1), EINVAL);
    EXPECT_ERR(pkey_mprotect(page + 1, 4096, PROT_READ, k), EINVAL);        /* unaligned */
    EXPECT_ERR(pkey_mprotect(page, 4096, PROT_READ | 0x1000, k), EINVAL);   /* unknown prot bit */
    EXPECT_ERR(pkey_mprotect(page, 4096, PROT_READ | PROT_GROWSDOWN | PROT_GROWSUP, k), EINVAL);
    EXPECT_ERR(pkey_mprotect(page, 4096, PROT_READ, 99999), EINVAL);        /* no such key */
    EXPECT_ERR(pkey_mprotect(page, (size_t)-4096, PROT_READ, k), ENOMEM);   /* wraps around */
    IT_CHECK(pkey_mprotect(page, 0, PROT_READ, 99999) == 0, "len 0 succeeds before the key check");

    /* An unmapped hole in the range. */
    hole = page + 4096;
    munmap(hole, 4096);
    EXPECT_ERR(pkey_mprotect(page, 3 * 4096, PROT_READ, k), ENOMEM);
    EXPECT_ERR(pkey_mprotect(hole, 4096, PROT_READ, k), ENOMEM);
    EXPECT_ERR(mprotect(hole, 4096, PROT_READ), ENOMEM);
    EXPECT_ERR(mprotect(page + 8, 4096, PROT_READ), EINVAL);
    EXPECT_ERR(munmap(page + 8, 4096), EINVAL);
    EXPECT_ERR(munmap(page, 0), EINVAL);
    IT_CHECK(pkey_mprotect(page, 4096, PROT_READ | PROT_WRITE, k) == 0, "a good call still works");
    return it_done("bad_args");
}
