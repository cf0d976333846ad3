/* bench/exec.c: the wall time of a whole command (spawn, run, wait), in up to four cases that
 * differ only by environment (plain, under the preload, with a policy...), the cases run in
 * turn so load changes hit all alike. The first case is the baseline; for each other case the
 * median of the paired differences is reported too. Start-up cost and LuaJIT under [wx].
 *   bench_exec --name ID --label TEXT [--runs N] [--warm N]
 *              --case NAME [--env VAR=VALUE]... [--case NAME [--env VAR=VALUE]...]... -- COMMAND... */
#include "bench.h"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>

extern char **environ;

enum { MAX_CASES = 4, MAX_ENV = 8, MAX_RUNS = 2001 };

typedef struct xcase {
    const char *name;
    const char *env[MAX_ENV];
    int nenv;
    char **envp;
    double *ms;
} xcase_t;

static xcase_t cases[MAX_CASES];
static int ncases;

static void usage(void)
{
    fprintf(stderr, "usage: bench_exec --name ID --label TEXT [--runs N] [--warm N] --case NAME "
                    "[--env VAR=VALUE]... [--case ...]... -- COMMAND [ARGS...]\n");
    exit(2);
}

/* The environment of a case: ours, with the case's variables set over it. */
static char **case_env(const xcase_t *c)
{
    size_t n = 0, k = 0;
    char **e;
    while (environ[n])
        n++;
    e = calloc(n + (size_t)c->nenv + 1, sizeof *e);
    for (size_t i = 0; i < n; i++) {
        int overridden = 0;
        for (int j = 0; j < c->nenv; j++) {
            size_t len = strcspn(c->env[j], "=") + 1;
            overridden |= !strncmp(environ[i], c->env[j], len);
        }
        if (!overridden)
            e[k++] = environ[i];
    }
    for (int j = 0; j < c->nenv; j++)
        e[k++] = (char *)c->env[j];
    return e;
}

/* One run: ms from spawn to exit; the command's output goes to /dev/null. Exits on failure. */
static double run_once(char **argv, char **envp)
{
    posix_spawn_file_actions_t fa;
    pid_t pid;
    int status;
    double t0;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
    t0 = bench_now_ns();
    if (posix_spawnp(&pid, argv[0], &fa, NULL, argv, envp) != 0) {
        perror("bench_exec: spawn");
        exit(1);
    }
    waitpid(pid, &status, 0);
    t0 = (bench_now_ns() - t0) / 1e6;
    posix_spawn_file_actions_destroy(&fa);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        fprintf(stderr, "bench_exec: %s failed (status 0x%x)\n", argv[0], status);
        exit(1);
    }
    return t0;
}

/* The statistics of v, left in its order (the paired differences need the rounds' order). */
static bench_stat_t stat_of(const double *v, int n)
{
    double *t = malloc((size_t)n * sizeof *t);
    bench_stat_t s;
    memcpy(t, v, (size_t)n * sizeof *t);
    s = bench_stat_of(t, n);
    free(t);
    return s;
}

static int parse(int argc, char **argv, const char **id, const char **label, int *runs, int *warm)
{
    int i;
    for (i = 1; i < argc && strcmp(argv[i], "--"); i++) {
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!v)
            usage();
        if (!strcmp(argv[i], "--name"))
            *id = v;
        else if (!strcmp(argv[i], "--label"))
            *label = v;
        else if (!strcmp(argv[i], "--runs"))
            *runs = atoi(v);
        else if (!strcmp(argv[i], "--warm"))
            *warm = atoi(v);
        else if (!strcmp(argv[i], "--case") && ncases < MAX_CASES)
            cases[ncases++].name = v;
        else if (!strcmp(argv[i], "--env") && ncases > 0 && cases[ncases - 1].nenv < MAX_ENV)
            cases[ncases - 1].env[cases[ncases - 1].nenv++] = v;
        else
            usage();
        i++;
    }
    if (i + 1 >= argc || !*id || ncases == 0 || *runs < 1 || *runs > MAX_RUNS)
        usage();
    return i + 1;
}

int main(int argc, char **argv)
{
    const char *id = NULL, *label = "";
    int runs = 51, warm = 3, cmd = parse(argc, argv, &id, &label, &runs, &warm);
    bench_stat_t base;
    for (int c = 0; c < ncases; c++) {
        cases[c].envp = case_env(&cases[c]);
        cases[c].ms = calloc((size_t)runs, sizeof(double));
        for (int w = 0; w < warm; w++)
            run_once(argv + cmd, cases[c].envp);
    }
    for (int r = 0; r < runs; r++)
        for (int c = 0; c < ncases; c++)
            cases[(c + r) % ncases].ms[r] = run_once(argv + cmd, cases[(c + r) % ncases].envp);
    base = stat_of(cases[0].ms, runs);
    printf("\n### %s: wall time of `%s`, %d runs per case, cases taken in turn\n", label, argv[cmd], runs);
    printf("| case | median ms | min - max ms | ratio | median paired difference ms |\n");
    for (int c = 0; c < ncases; c++) {
        bench_stat_t s = stat_of(cases[c].ms, runs), d = {0};
        char name[96], base_name[96], extra[128], text[160];
        if (c) { /* paired with the baseline's run of the same round */
            for (int r = 0; r < runs; r++)
                cases[c].ms[r] -= cases[0].ms[r];
            d = stat_of(cases[c].ms, runs);
        }
        printf("| %s | %.3f | %.3f - %.3f | %.3fx | %+.3f |\n", cases[c].name, s.median, s.min, s.max,
               s.median / base.median, d.median);
        snprintf(name, sizeof name, "%s.%s", id, cases[c].name);
        snprintf(base_name, sizeof base_name, "%s.%s", id, cases[0].name);
        snprintf(extra, sizeof extra, "how=%s runs=%d", cases[c].name, runs);
        snprintf(text, sizeof text, "%s, %s", label, cases[c].name);
        bench_result(name, text, "ms", s, base_name, base.median, extra);
        if (c) {
            /* The added time itself: its ratio is to the baseline's median, a fraction. */
            snprintf(name, sizeof name, "%s.%s_delta", id, cases[c].name);
            snprintf(text, sizeof text, "%s, %s: time added (paired per round)", label, cases[c].name);
            bench_result(name, text, "ms", d, base_name, base.median, extra);
        }
    }
    return 0;
}
