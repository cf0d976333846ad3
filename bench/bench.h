/* bench/bench.h: timing for the microbenchmarks: batches timed with clock_gettime, medians and
 * spreads over repeated batches, and results printed as ratios to a baseline measured in the
 * same process. No single absolute time is ever the result. */
#ifndef MPK_BENCH_H
#define MPK_BENCH_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct bench_stat {
    double median, min, max; /* nanoseconds per operation */
} bench_stat_t;

static inline double bench_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static int bench_cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Run fn(arg, iters) `batches` times; per-operation time of each batch; median/min/max. */
static inline bench_stat_t bench_measure(void (*fn)(void *, long), void *arg, long iters, int batches)
{
    double t[256];
    bench_stat_t s;
    if (batches > 256)
        batches = 256;
    fn(arg, iters / 10 + 1); /* warm-up */
    for (int b = 0; b < batches; b++) {
        double t0 = bench_now_ns();
        fn(arg, iters);
        t[b] = (bench_now_ns() - t0) / (double)iters;
    }
    qsort(t, (size_t)batches, sizeof *t, bench_cmp);
    s.median = t[batches / 2];
    s.min = t[0];
    s.max = t[batches - 1];
    return s;
}

/* Measure several cases with their batches interleaved (a b c a b c ...), so that a change in
 * machine load during the run hits every case alike and the ratios stay meaningful. */
typedef struct bench_case {
    void (*fn)(void *, long);
    void *arg;
    long iters;
    bench_stat_t stat;
} bench_case_t;

static inline void bench_interleaved(bench_case_t *c, int n, int batches)
{
    static double t[16][256];
    if (batches > 256)
        batches = 256;
    for (int i = 0; i < n; i++)
        c[i].fn(c[i].arg, c[i].iters / 10 + 1); /* warm-up */
    for (int b = 0; b < batches; b++)
        for (int i = 0; i < n && i < 16; i++) {
            double t0 = bench_now_ns();
            c[i].fn(c[i].arg, c[i].iters);
            t[i][b] = (bench_now_ns() - t0) / (double)c[i].iters;
        }
    for (int i = 0; i < n && i < 16; i++) {
        qsort(t[i], (size_t)batches, sizeof(double), bench_cmp);
        c[i].stat.median = t[i][batches / 2];
        c[i].stat.min = t[i][0];
        c[i].stat.max = t[i][batches - 1];
    }
}

static inline void bench_row(const char *name, bench_stat_t s, bench_stat_t base, const char *base_name)
{
    printf("| %-40s | %9.1f | %9.1f - %-9.1f | %7.2fx %s\n", name, s.median, s.min, s.max,
           s.median / base.median, base_name);
}

static inline void bench_header(const char *title)
{
    printf("\n### %s\n| %-40s | %9s | %21s | ratio to baseline\n", title, "case", "median ns",
           "min - max ns");
}

/* Quick mode (environment BENCH_QUICK=1): fewer batches. */
static inline int bench_batches(void) { return getenv("BENCH_QUICK") ? 9 : 31; }

#endif
