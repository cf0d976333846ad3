/* tests/integration/it_syscall_pkeys.c: keys taken through glibc's syscall() are the kernel's,
 * as the kernel's protection_keys selftest expects (issue 17): hardware numbers, the lowest free
 * one first (a freed number comes back), exhaustion at the hardware's count, PKRU bits exactly
 * the kernel's (pkey_alloc sets the caller's, pkey_free leaves them), a WRPKRU of the program's
 * own governing its pages. Then the same once virtual keys are in play (glibc's pkey_alloc):
 * the syscall() keys stay hardware keys and the virtual ones keep working beside them. */
#include "it.h"

#include <sys/syscall.h>

/* Takes every key syscall() gives (at most 16); returns how many, numbers in keys[]. Checks
 * each number is a hardware one and that only the new key's bits changed, to `rights`. */
static int take_all(int *keys, unsigned rights, const char *when)
{
    int n = 0;
    long k;
    for (;;) {
        unsigned before = it_rdpkru();
        errno = 0;
        k = syscall(SYS_pkey_alloc, 0, rights);
        if (k < 0 || n == 16)
            break;
        IT_CHECK(k >= 1 && k <= 15, "%s: syscall(SYS_pkey_alloc) gave %ld, not a hardware key", when, k);
        if (k < 1 || k > 15)
            break;
        IT_CHECK(it_rdpkru() == ((before & ~(3u << (2 * k))) | (rights << (2 * k))),
                 "%s: key %ld: PKRU %#x -> %#x, where only its bits become %u", when, k, before,
                 it_rdpkru(), rights);
        keys[n++] = (int)k;
    }
    IT_CHECK(k == -1 && errno == ENOSPC, "%s: after %d keys: %ld (%s), not ENOSPC", when, n, k,
             strerror(errno));
    return n;
}

/* A page under key k: closed by the program's own WRPKRU, then opened again. */
static void check_wrpkru_governs(int k, const char *when)
{
    char *p = it_page(1);
    IT_CHECK(syscall(SYS_pkey_mprotect, p, 4096, PROT_READ | PROT_WRITE, k) == 0,
             "%s: syscall(SYS_pkey_mprotect, key %d): %s", when, k, strerror(errno));
    it_wrpkru(it_rdpkru() | (1u << (2 * k)));
    IT_CHECK(!it_probe_read(p) && it_last.code == SEGV_PKUERR && it_last.pkey == k,
             "%s: key %d closed by WRPKRU, yet a read went through (code %d pkey %d)", when, k,
             it_last.code, it_last.pkey);
    it_wrpkru(it_rdpkru() & ~(3u << (2 * k)));
    IT_CHECK(it_probe_write(p), "%s: key %d opened by WRPKRU, yet a write faulted", when, k);
    munmap(p, 4096);
}

int main(void)
{
    int keys[16], n, again, v;
    unsigned start, before;
    it_require_pku();
    it_install_probe_handler();
    start = it_rdpkru();
    IT_CHECK(start == 0x55555554, "start-up PKRU %#x, not the kernel's 0x55555554", start);

    /* Before any virtual key: all 15 of the kernel's keys (none is taken for libmpk). */
    n = take_all(keys, 0, "alone");
    IT_CHECK(n == 15, "alone: %d keys through syscall(), 15 without libmpk", n);
    for (int i = 0; i < n; i++)
        check_wrpkru_governs(keys[i], "alone");
    before = it_rdpkru();
    IT_CHECK(n > 3 && syscall(SYS_pkey_free, keys[3]) == 0, "syscall(SYS_pkey_free, %d): %s",
             keys[3], strerror(errno));
    IT_CHECK(it_rdpkru() == before, "pkey_free changed PKRU %#x -> %#x (the kernel leaves it)", before,
             it_rdpkru());
    again = (int)syscall(SYS_pkey_alloc, 0, 0);
    IT_CHECK(again == keys[3], "after freeing key %d the kernel gives it again; got %d", keys[3], again);
    errno = 0;
    IT_CHECK(syscall(SYS_pkey_free, 16) == -1 && errno == EINVAL, "syscall(SYS_pkey_free, 16): %s",
             strerror(errno));
    for (int i = 0; i < n; i++)
        IT_CHECK(syscall(SYS_pkey_free, keys[i]) == 0, "syscall(SYS_pkey_free, %d): %s", keys[i],
                 strerror(errno));
    errno = 0;
    IT_CHECK(syscall(SYS_pkey_free, keys[0]) == -1 && errno == EINVAL,
             "a second syscall(SYS_pkey_free, %d): %s, not EINVAL", keys[0], strerror(errno));
    it_wrpkru(start);

    /* With a virtual key in play: syscall() still gives hardware keys, until the kernel has none. */
    v = pkey_alloc(0, 0);
    IT_CHECK(v > 0, "pkey_alloc: %s", strerror(errno));
    n = take_all(keys, PKEY_DISABLE_WRITE, "beside a virtual key");
    IT_CHECK(n >= 1, "beside a virtual key: no key through syscall()");
    for (int i = 0; i < n; i++)
        check_wrpkru_governs(keys[i], "beside a virtual key");
    if (v > 0) {
        char *p = it_page(1);
        IT_CHECK(pkey_mprotect(p, 4096, PROT_READ | PROT_WRITE, v) == 0, "pkey_mprotect(%d): %s", v,
                 strerror(errno));
        IT_CHECK(pkey_set(v, PKEY_DISABLE_ACCESS) == 0 && !it_probe_read(p),
                 "the virtual key %d, closed, lets a read through", v);
        IT_CHECK(pkey_set(v, 0) == 0 && it_probe_write(p), "the virtual key %d, opened, faults", v);
        IT_CHECK(pkey_free(v) == 0, "pkey_free(%d): %s", v, strerror(errno));
    }
    for (int i = 0; i < n; i++)
        IT_CHECK(syscall(SYS_pkey_free, keys[i]) == 0, "syscall(SYS_pkey_free, %d): %s", keys[i],
                 strerror(errno));
    return it_done("syscall_pkeys");
}
