/* tests/peers/support/support/xunistd.h: our stand-in for glibc's memory and sysconf helpers
 * that tst-pkey.c uses: each ends the test (status 1) if the call fails. */
#ifndef PEERS_SUPPORT_XUNISTD_H
#define PEERS_SUPPORT_XUNISTD_H

#include <sys/mman.h>
#include <unistd.h>

#include "check.h"

static inline void *xmmap(void *addr, size_t len, int prot, int flags, int fd)
{
    void *p = mmap(addr, len, prot, flags, fd, 0);
    if (p == MAP_FAILED)
        FAIL_EXIT1("mmap (%zu bytes, prot 0x%x, flags 0x%x): %m", len, prot, flags);
    return p;
}

static inline void xmunmap(void *addr, size_t len)
{
    if (munmap(addr, len) != 0)
        FAIL_EXIT1("munmap (%p, %zu): %m", addr, len);
}

static inline long xsysconf(int name)
{
    long v = sysconf(name);
    if (v < 0)
        FAIL_EXIT1("sysconf (%d): %m", name);
    return v;
}

#endif
