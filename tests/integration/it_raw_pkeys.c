/* tests/integration/it_raw_pkeys.c: zero footprint until used. A program that never calls the
 * pkey functions holds no hardware key of the preload's, and one that makes its own raw pkey
 * system calls and writes PKRU itself (as the kernel's protection_keys selftest does) keeps
 * working: it gets all 15 keys and its WRPKRU works on them. */
#include "it.h"

#include <sys/syscall.h>

static long raw_syscall(long n, long a, long b)
{
    long r;
    __asm__ volatile("syscall" : "=a"(r) : "a"(n), "D"(a), "S"(b) : "rcx", "r11", "memory");
    return r;
}

int main(void)
{
    int keys[16], n = 0;
    long k;
    it_require_pku();
    it_install_probe_handler();
    while (n < 16 && (k = raw_syscall(SYS_pkey_alloc, 0, 0)) > 0)
        keys[n++] = (int)k;
    IT_CHECK(n == 15, "%d hardware keys for the program (15 without the preload)", n);
    for (int i = 0; i < n; i++) {
        char *p = it_page(1);
        long r;
        register long r10 __asm__("r10") = keys[i];
        __asm__ volatile("syscall"
                         : "=a"(r)
                         : "a"(SYS_pkey_mprotect), "D"(p), "S"(4096L), "d"(3L), "r"(r10)
                         : "rcx", "r11", "memory");
        IT_CHECK(r == 0, "raw pkey_mprotect with key %d: %ld", keys[i], r);
        it_wrpkru(it_rdpkru() | (1u << (2 * keys[i]))); /* access-disable, by hand */
        IT_CHECK(!it_probe_read(p) && it_last.code == SEGV_PKUERR && it_last.pkey == keys[i],
                 "key %d: raw WRPKRU did not close the page (code %d pkey %d)", keys[i],
                 it_last.code, it_last.pkey);
        it_wrpkru(it_rdpkru() & ~(3u << (2 * keys[i])));
        IT_CHECK(it_probe_write(p), "key %d: raw WRPKRU did not reopen the page", keys[i]);
    }
    for (int i = 0; i < n; i++)
        IT_CHECK(raw_syscall(SYS_pkey_free, keys[i], 0) == 0, "raw pkey_free(%d)", keys[i]);
    return it_done("raw_pkeys");
}
