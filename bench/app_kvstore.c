/* bench/app_kvstore.c: the paper's Memcached case in miniature. An in-process hash table whose
 * values live in protected groups; each GET or SET opens the value's group only for the copy.
 * Three stores in one process, the same but for the protection (none, libmpk groups opened with
 * mpk_begin/mpk_end, mprotect of the group's pages), their batches interleaved; requests/s for
 * 1, 2 and 4 threads. Link with -lmpk. Without PKU the libmpk store is left out.
 * Options: --keys N (100000), --value BYTES (64), --groups G (8), --set PERCENT (10). */
#include "guard.h"

#include <pthread.h>
#include <unistd.h>

enum { MAX_GROUPS = 64, STRIPES = 1024 };

typedef struct entry {
    uint64_t key; /* 0: empty */
    uint32_t group, off;
} entry_t;

typedef struct store {
    guard_kind_t kind;
    guard_t group[MAX_GROUPS];
    /* Item locks, striped by slot as memcached's are: a GET never sees half a SET. Every
     * variant takes them. */
    pthread_mutex_t stripe[STRIPES];
    /* mprotect only: its rights are the whole process's, so one thread closing a group would
     * cut short another's window; a group's windows are serialised. libmpk's are per thread. */
    pthread_mutex_t window[MAX_GROUPS];
    entry_t *table; /* the index is ordinary memory: only values are secret */
    size_t mask;
} store_t;

static long nkeys = 100000, value_size = 64, ngroups = 8, set_percent = 10;
static uint64_t *keys;

static uint64_t mix(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdull;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ull;
    return x ^ (x >> 33);
}

static entry_t *lookup(store_t *s, uint64_t key)
{
    size_t i = mix(key) & s->mask;
    while (s->table[i].key != key && s->table[i].key != 0)
        i = (i + 1) & s->mask;
    return &s->table[i];
}

static uint32_t group_of(uint64_t key) { return (uint32_t)(mix(key + 1) % (uint64_t)ngroups); }

/* Fill the store: every key's value is its number repeated, written with the group open. Each
 * group is sized for the keys that hash to it. */
static int store_load(store_t *s, guard_kind_t kind)
{
    size_t cap = 1, count[MAX_GROUPS] = {0}, used[MAX_GROUPS] = {0};
    s->kind = kind;
    while (cap < 2 * (size_t)nkeys)
        cap *= 2;
    s->mask = cap - 1;
    s->table = calloc(cap, sizeof *s->table);
    if (!s->table)
        return -1;
    for (long i = 0; i < nkeys; i++)
        count[group_of(keys[i])]++;
    for (int i = 0; i < STRIPES; i++)
        pthread_mutex_init(&s->stripe[i], NULL);
    for (long g = 0; g < ngroups; g++) {
        pthread_mutex_init(&s->window[g], NULL);
        if (guard_make(&s->group[g], kind, (count[g] + 1) * (size_t)value_size))
            return -1;
        guard_open(&s->group[g], PROT_READ | PROT_WRITE);
    }
    for (long i = 0; i < nkeys; i++) {
        entry_t *e = lookup(s, keys[i]);
        e->key = keys[i];
        e->group = group_of(keys[i]);
        e->off = (uint32_t)used[e->group];
        used[e->group] += (size_t)value_size;
        memset(s->group[e->group].base + e->off, (int)(i & 0xff), (size_t)value_size);
    }
    for (long g = 0; g < ngroups; g++)
        guard_close(&s->group[g]);
    return 0;
}

/* One request: a GET copies the value out, a SET copies a new one in; the group is open only
 * around the copy. Returns a byte of the value, so the copies cannot be left out. */
static unsigned request(store_t *s, uint64_t r, char *buf)
{
    entry_t *e = lookup(s, keys[(r >> 8) % (uint64_t)nkeys]);
    guard_t *g = &s->group[e->group];
    pthread_mutex_t *item = &s->stripe[(size_t)(e - s->table) % STRIPES];
    int set = (long)(r % 100) < set_percent;
    if (s->kind == GUARD_MPROTECT)
        pthread_mutex_lock(&s->window[e->group]);
    pthread_mutex_lock(item);
    guard_open(g, set ? PROT_READ | PROT_WRITE : PROT_READ);
    if (set)
        memcpy(g->base + e->off, buf, (size_t)value_size);
    else
        memcpy(buf, g->base + e->off, (size_t)value_size);
    guard_close(g);
    pthread_mutex_unlock(item);
    if (s->kind == GUARD_MPROTECT)
        pthread_mutex_unlock(&s->window[e->group]);
    return (unsigned char)buf[0];
}

/* One case (a store, a thread count). With more than one thread, workers are started once and
 * each batch hands them n requests and waits on a barrier: a batch's time is the requests'
 * time, not thread start-up. */
typedef struct run {
    store_t *store;
    int threads;
    long n; /* requests per thread in this batch; -1: workers exit */
    uint64_t seed;
    pthread_barrier_t go, done;
    pthread_t th[8];
    _Atomic unsigned sink;
    _Atomic int started; /* gives each worker its index */
} run_t;

static unsigned requests(store_t *s, long n, uint64_t x)
{
    char buf[4096];
    unsigned sink = 0;
    memset(buf, 0x5a, sizeof buf);
    for (long i = 0; i < n; i++) {
        x = x * 6364136223846793005ull + 1442695040888963407ull;
        sink += request(s, x >> 11, buf);
    }
    return sink;
}

static void *worker(void *arg)
{
    run_t *r = arg;
    unsigned index = (unsigned)r->started++;
    for (;;) {
        pthread_barrier_wait(&r->go);
        if (r->n < 0)
            return NULL;
        r->sink += requests(r->store, r->n, r->seed + 7919u * index);
        pthread_barrier_wait(&r->done);
    }
}

static void run_start(run_t *r)
{
    if (r->threads == 1)
        return;
    pthread_barrier_init(&r->go, NULL, (unsigned)r->threads + 1);
    pthread_barrier_init(&r->done, NULL, (unsigned)r->threads + 1);
    for (int i = 0; i < r->threads; i++)
        pthread_create(&r->th[i], NULL, worker, r);
}

static void run_stop(run_t *r)
{
    if (r->threads == 1)
        return;
    r->n = -1;
    pthread_barrier_wait(&r->go);
    for (int i = 0; i < r->threads; i++)
        pthread_join(r->th[i], NULL);
    pthread_barrier_destroy(&r->go);
    pthread_barrier_destroy(&r->done);
}

/* n requests in each of run->threads threads (the caller's own thread when there is one). */
static void batch(void *arg, long n)
{
    run_t *r = arg;
    r->seed += 977;
    if (r->threads == 1) {
        r->sink += requests(r->store, n, r->seed);
        return;
    }
    r->n = n;
    pthread_barrier_wait(&r->go);
    pthread_barrier_wait(&r->done);
}

static void options(int argc, char **argv)
{
    for (int i = 1; i + 1 < argc; i += 2) {
        long v = atol(argv[i + 1]);
        if (!strcmp(argv[i], "--keys") && v > 0)
            nkeys = v;
        else if (!strcmp(argv[i], "--value") && v > 0 && v <= 4096)
            value_size = v;
        else if (!strcmp(argv[i], "--groups") && v > 0 && v <= MAX_GROUPS)
            ngroups = v;
        else if (!strcmp(argv[i], "--set") && v >= 0 && v <= 100)
            set_percent = v;
        else {
            fprintf(stderr, "app_kvstore: bad option %s %s\n", argv[i], argv[i + 1]);
            exit(2);
        }
    }
}

static void report(int threads, bench_case_t *c, const int *kinds, int n)
{
    bench_stat_t rate[GUARD_KINDS];
    printf("| %d | ", threads);
    for (int i = 0; i < n; i++) {
        rate[kinds[i]] = bench_scale(bench_rate(c[i].stat), threads);
        printf("%s %.0f (%.0f-%.0f) | ", guard_names[kinds[i]], rate[kinds[i]].median, rate[kinds[i]].min,
               rate[kinds[i]].max);
    }
    printf("\n");
    for (int i = 0; i < n; i++) {
        char id[48], base[48], label[96], extra[48];
        snprintf(id, sizeof id, "kv.%s.t%d", guard_names[kinds[i]], threads);
        snprintf(base, sizeof base, "kv.plain.t%d", threads);
        snprintf(label, sizeof label, "key-value store, %s, %d thread%s", guard_names[kinds[i]], threads,
                 threads > 1 ? "s" : "");
        snprintf(extra, sizeof extra, "threads=%d how=%s", threads, guard_names[kinds[i]]);
        bench_result(id, label, "req/s", rate[kinds[i]], base, rate[GUARD_PLAIN].median, extra);
        if (kinds[i] == GUARD_MPK && n == GUARD_KINDS) {
            snprintf(id, sizeof id, "kv.libmpk_vs_mprotect.t%d", threads);
            snprintf(base, sizeof base, "kv.mprotect.t%d", threads);
            bench_result(id, label, "req/s", rate[GUARD_MPK], base, rate[GUARD_MPROTECT].median, extra);
        }
    }
}

int main(int argc, char **argv)
{
    static const int threads[] = {1, 2, 4};
    static store_t stores[GUARD_KINDS];
    int kinds[GUARD_KINDS], n = 0, batches = bench_batches();
    options(argc, argv);
    keys = malloc((size_t)nkeys * sizeof *keys);
    for (long i = 0; i < nkeys; i++)
        keys[i] = mix((uint64_t)i + 12345) | 1;
    for (int k = 0; k < GUARD_KINDS; k++) {
        if (k == GUARD_MPK && !guard_have_mpk())
            continue;
        if (store_load(&stores[k], (guard_kind_t)k)) {
            perror("app_kvstore: setup");
            return 1;
        }
        kinds[n++] = k;
    }
    printf("\n### key-value store: %ld keys, %ld-byte values in %ld groups of %ld pages, %ld%% SET; "
           "requests/s, median (min-max) of %d batches\n",
           nkeys, value_size, ngroups, (long)(stores[0].group[0].len / 4096), set_percent, batches);
    if (n < GUARD_KINDS)
        printf("(no PKU here: the libmpk store is left out)\n");
    printf("| threads | variants |\n");
    for (unsigned t = 0; t < sizeof threads / sizeof *threads; t++) {
        run_t run[GUARD_KINDS];
        /* More threads than CPUs measures the scheduler: a thread preempted while it holds an
         * item lock stalls every other thread that needs it (lock-holder preemption). */
        if (threads[t] > sysconf(_SC_NPROCESSORS_ONLN)) {
            printf("| %d | left out: more threads than the %ld CPUs here |\n", threads[t],
                   sysconf(_SC_NPROCESSORS_ONLN));
            continue;
        }
        bench_case_t c[GUARD_KINDS];
        for (int i = 0; i < n; i++) {
            /* Sized on this thread alone: a batch of several threads also pays two barrier
             * wake-ups, which must stay small against its requests. */
            run_t one = {.store = &stores[kinds[i]], .threads = 1, .seed = 42};
            run[i] = (run_t){.store = &stores[kinds[i]], .threads = threads[t], .seed = 42};
            run_start(&run[i]);
            c[i] = (bench_case_t){.fn = batch, .arg = &run[i], .wall = threads[t] > 1};
            c[i].iters = bench_calibrate(batch, &one, bench_batch_ns());
        }
        bench_interleaved(c, n, batches);
        for (int i = 0; i < n; i++)
            run_stop(&run[i]);
        report(threads[t], c, kinds, n);
    }
    printf("INFO name=kv text=\"%ld keys, %ld-byte values in %ld groups of %ld pages each, %ld%% SET, "
           "%ld%% GET; a request opens only its value's group, for the copy; the index is not protected; every "
           "variant takes striped item locks; the mprotect variant also serialises each group's windows, since "
           "its rights are process-wide\"\n",
           nkeys, value_size, ngroups, (long)(stores[0].group[0].len / 4096), set_percent, 100 - set_percent);
    return 0;
}
