/* tests/reliability/rel.h: what the concurrency-fault programs share: a monotonic clock, and a
 * watchdog that fails the test when the program stops making progress (a deadlock). */
#ifndef MPK_TESTS_REL_H
#define MPK_TESTS_REL_H

#include <pthread.h>
#include <stdatomic.h>

/* Seconds on the monotonic clock. */
double rel_now(void);

/* A thread that, until *stop is set, checks *progress every 100 ms; when it has not moved for
 * deadline_s seconds it prints why and "FAIL NAME: 1 check(s) failed (stalled)", and exits 1.
 * `what` names the unit of progress ("fork", "mpk_mprotect"). Join it after setting *stop. */
pthread_t rel_watchdog_start(const char *name, const char *what, _Atomic long *progress, _Atomic int *stop,
                             int deadline_s);

#endif
