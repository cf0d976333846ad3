/* tests/integration/it_key_holders_lib.c: a library that takes protection keys and never frees
 * them (as a WebAssembly runtime that reserves a key per instance slot), built twice: GRAB names
 * the function, GRAB_BY_SYSCALL makes it allocate through syscall() instead of glibc's
 * pkey_alloc. For tests/integration/it_key_holders.c. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

/* Take up to n keys; how many were taken. */
__attribute__((visibility("default"), noinline)) int GRAB(int n)
{
    int taken = 0;
    while (taken < n) {
#ifdef GRAB_BY_SYSCALL
        long k = syscall(SYS_pkey_alloc, 0, 0);
#else
        int k = pkey_alloc(0, 0);
#endif
        if (k < 0)
            break;
        taken++;
    }
    return taken;
}
