/* tests/peers/support/support/support.h: our stand-in for glibc's test helpers that tst-pkey.c
 * uses: allocation that ends the test (status 1) when memory runs out. */
#ifndef PEERS_SUPPORT_SUPPORT_H
#define PEERS_SUPPORT_SUPPORT_H

#include <stddef.h>
#include <stdlib.h>

#include "check.h"

static inline void *xmalloc(size_t n)
{
    void *p = malloc(n);
    if (p == NULL)
        FAIL_EXIT1("malloc (%zu): %m", n);
    return p;
}

static inline void *xcalloc(size_t n, size_t size)
{
    void *p = calloc(n, size);
    if (p == NULL)
        FAIL_EXIT1("calloc (%zu, %zu): %m", n, size);
    return p;
}

#endif
