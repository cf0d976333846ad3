/* tests/reliability/rel.c: the clock and the stall watchdog of the reliability programs. */
#include "rel.h"

#include <stdio.h>
#include <time.h>
#include <unistd.h>

static struct {
    const char *name, *what;
    _Atomic long *progress;
    _Atomic int *stop;
    int deadline_s;
} watch; /* one watchdog per program */

double rel_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void *watchdog(void *arg)
{
    long last = -1;
    double since = rel_now();
    (void)arg;
    while (!atomic_load(watch.stop)) {
        long p = atomic_load(watch.progress);
        if (p != last) {
            last = p;
            since = rel_now();
        } else if (rel_now() - since > watch.deadline_s) {
            fprintf(stderr, "rel_%s: no %s completed for %d s after %ld: stalled\n", watch.name, watch.what,
                    watch.deadline_s, p);
            printf("FAIL %s: 1 check(s) failed (stalled)\n", watch.name);
            fflush(stdout);
            _exit(1);
        }
        usleep(100 * 1000);
    }
    return NULL;
}

pthread_t rel_watchdog_start(const char *name, const char *what, _Atomic long *progress, _Atomic int *stop,
                             int deadline_s)
{
    pthread_t t;
    watch.name = name;
    watch.what = what;
    watch.progress = progress;
    watch.stop = stop;
    watch.deadline_s = deadline_s;
    pthread_create(&t, NULL, watchdog, NULL);
    return t;
}
