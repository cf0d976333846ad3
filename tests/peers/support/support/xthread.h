/* tests/peers/support/support/xthread.h: our stand-in for glibc's pthread helpers that
 * tst-pkey.c uses: each ends the test (status 1) if the call fails. */
#ifndef PEERS_SUPPORT_XTHREAD_H
#define PEERS_SUPPORT_XTHREAD_H

#include <errno.h>
#include <pthread.h>
#include <string.h>

#include "check.h"

static inline pthread_t xpthread_create(pthread_attr_t *attr, void *(*fn)(void *), void *arg)
{
    pthread_t t;
    int e = pthread_create(&t, attr, fn, arg);
    if (e != 0)
        FAIL_EXIT1("pthread_create: %s", strerror(e));
    return t;
}

/* Joins THREAD and returns what it returned. */
static inline void *xpthread_join(pthread_t thread)
{
    void *ret;
    int e = pthread_join(thread, &ret);
    if (e != 0)
        FAIL_EXIT1("pthread_join: %s", strerror(e));
    return ret;
}

static inline void xpthread_barrier_init(pthread_barrier_t *b, pthread_barrierattr_t *attr,
                                         unsigned int count)
{
    int e = pthread_barrier_init(b, attr, count);
    if (e != 0)
        FAIL_EXIT1("pthread_barrier_init: %s", strerror(e));
}

/* Returns nonzero in the one thread that pthread_barrier_wait calls the serial thread. */
static inline int xpthread_barrier_wait(pthread_barrier_t *b)
{
    int e = pthread_barrier_wait(b);
    if (e != 0 && e != PTHREAD_BARRIER_SERIAL_THREAD)
        FAIL_EXIT1("pthread_barrier_wait: %s", strerror(e));
    return e == PTHREAD_BARRIER_SERIAL_THREAD;
}

static inline void xpthread_barrier_destroy(pthread_barrier_t *b)
{
    int e = pthread_barrier_destroy(b);
    if (e != 0)
        FAIL_EXIT1("pthread_barrier_destroy: %s", strerror(e));
}

#endif
