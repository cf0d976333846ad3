/* bench/bench.h: timing for the microbenchmarks: batches timed with clock_gettime, medians and
 * spreads over repeated batches, and results printed as ratios to a baseline measured in the
 * same process. No single absolute time is ever the result.
 *
 * Clocks: a batch that runs in one thread is timed with that thread's CPU time, so the time the
 * scheduler gives other jobs on a shared machine is not counted (kernel time in its system calls
 * is); a batch that waits for other threads is timed with the wall clock. */
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
    double q1, q3;           /* quartiles: the noise the report judges a ratio against */
    int n;                   /* samples (batches or runs) behind these figures */
} bench_stat_t;

static inline double bench_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e9 + ts.tv_nsec;
}

/* CPU time of the calling thread, user and kernel. */
static inline double bench_cpu_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static int bench_cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Median, extremes and quartiles of n samples (sorted in place). Every benchmark's figures go
 * through here, so they all mean the same thing. */
static inline bench_stat_t bench_stat_of(double *t, int n)
{
    bench_stat_t s;
    qsort(t, (size_t)n, sizeof *t, bench_cmp);
    s.median = t[n / 2];
    s.min = t[0];
    s.max = t[n - 1];
    s.q1 = t[n / 4];
    s.q3 = t[(3 * n) / 4 < n ? (3 * n) / 4 : n - 1];
    s.n = n;
    return s;
}

/* Run fn(arg, iters) `batches` times in this thread; per-operation CPU time of each batch. */
static inline bench_stat_t bench_measure(void (*fn)(void *, long), void *arg, long iters, int batches)
{
    double t[256];
    if (batches > 256)
        batches = 256;
    fn(arg, iters / 10 + 1); /* warm-up */
    for (int b = 0; b < batches; b++) {
        double t0 = bench_cpu_ns();
        fn(arg, iters);
        t[b] = (bench_cpu_ns() - t0) / (double)iters;
    }
    return bench_stat_of(t, batches);
}

/* Measure several cases with their batches interleaved (a b c a b c ...), so that a change in
 * machine load during the run hits every case alike and the ratios stay meaningful. */
typedef struct bench_case {
    void (*fn)(void *, long);
    void *arg;
    long iters;
    int wall; /* the batch waits for other threads: time it with the wall clock */
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
            double (*clock)(void) = c[i].wall ? bench_now_ns : bench_cpu_ns;
            double t0 = clock();
            c[i].fn(c[i].arg, c[i].iters);
            t[i][b] = (clock() - t0) / (double)c[i].iters;
        }
    for (int i = 0; i < n && i < 16; i++)
        c[i].stat = bench_stat_of(t[i], batches);
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

/* ---- knobs bench/run sets through the environment ---------------------------------------
 * BENCH_QUICK=1: fewer batches. BENCH_BATCHES=N: exactly N batches (more where runs are cheap
 * and the machine is noisy). BENCH_DIVISOR=D: divide iteration counts by D, because in the TCG
 * guest a key switch costs microseconds and the native counts would take minutes. */
static inline int bench_batches(void)
{
    const char *n = getenv("BENCH_BATCHES");
    if (n && atoi(n) > 0)
        return atoi(n) < 256 ? atoi(n) : 256;
    return getenv("BENCH_QUICK") ? 9 : 31;
}

static inline long bench_iters(long n)
{
    const char *d = getenv("BENCH_DIVISOR");
    long div = d ? atol(d) : 1;
    return div > 1 ? (n / div > 0 ? n / div : 1) : n;
}

/* Iterations of fn that take about target_ns (at least 1): for cases whose cost per operation
 * differs by orders of magnitude between variants and between a PKU CPU and the TCG guest.
 * Each size is timed three times and the fastest kept: one preemption while n is still small
 * would otherwise make every batch tiny, and all overhead. */
static inline long bench_calibrate(void (*fn)(void *, long), void *arg, double target_ns)
{
    long n = 1;
    for (;;) {
        double dt = 1e300;
        for (int k = 0; k < 3; k++) {
            double t0 = bench_now_ns();
            fn(arg, n);
            t0 = bench_now_ns() - t0;
            dt = t0 < dt ? t0 : dt;
        }
        if (dt >= target_ns / 8 || n >= (1L << 30))
            return dt > 0 && target_ns / dt * (double)n >= 1 ? (long)(target_ns / dt * (double)n) : 1;
        n *= 4;
    }
}

/* Target time of one batch in ms, BENCH_BATCH_MS (default 40; 15 in quick mode). */
static inline double bench_batch_ns(void)
{
    const char *m = getenv("BENCH_BATCH_MS");
    if (m && atof(m) > 0)
        return atof(m) * 1e6;
    return getenv("BENCH_QUICK") ? 15e6 : 40e6;
}

/* ---- the machine-readable line bench/run collects -----------------------------------------
 * RESULT name=ID label="text" unit=U median=M min=A max=B q1=Q q3=Q n=N baseline=ID ratio=R [extra]
 * ratio is median / the baseline's median, both from this run. extra is more key=value fields
 * (the parameters of a point of a sweep: threads=4 pages=256 ...), or NULL. Values with spaces
 * are quoted. */
static inline void bench_result(const char *name, const char *label, const char *unit, bench_stat_t s,
                                const char *base_name, double base_median, const char *extra)
{
    printf("RESULT name=%s label=\"%s\" unit=%s median=%.6g min=%.6g max=%.6g q1=%.6g q3=%.6g n=%d "
           "baseline=%s ratio=%.6g%s%s\n",
           name, label, unit, s.median, s.min, s.max, s.q1, s.q3, s.n, base_name, s.median / base_median,
           extra ? " " : "", extra ? extra : "");
}

/* Times in ns per operation as rates in operations per second (the slowest batch is the min). */
static inline bench_stat_t bench_rate(bench_stat_t ns)
{
    bench_stat_t r = {.median = 1e9 / ns.median, .min = 1e9 / ns.max, .max = 1e9 / ns.min,
                      .q1 = 1e9 / ns.q3, .q3 = 1e9 / ns.q1, .n = ns.n};
    return r;
}

/* A rate scaled by k (per thread to all threads). */
static inline bench_stat_t bench_scale(bench_stat_t s, double k)
{
    bench_stat_t r = {.median = s.median * k, .min = s.min * k, .max = s.max * k, .q1 = s.q1 * k, .q3 = s.q3 * k,
                      .n = s.n};
    return r;
}

#endif
