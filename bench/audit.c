/* bench/audit.c: what audit mode costs, against mode off (and enforce) in the same run: the
 * pkey_set pair on a resident key, mmap+munmap of 64 KiB, and starting a program. One process
 * cannot change mode, so this one starts a child per mode under LD_PRELOAD and interleaves
 * their batches (a b c a b c ...), so that a change in machine load hits every mode alike.
 *
 *   bench_audit [PRELOAD]     (default: the libmpk_preload.so of this build)
 *
 * The pkey_set case needs PKU (in the TCG guest its times mean nothing in absolute terms, and
 * its ratios are the guest's, not a real CPU's); mmap and start-up are meaningful natively. */
#include "bench.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdbool.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

enum { MODES = 3 };
static const char *const mode_names[MODES] = {"off", "enforce", "audit"};

/* ---- the child: runs batches on request -------------------------------------------------- */

static int key = -1;
static char *page;

static void switch_pair(long n)
{
    for (long i = 0; i < n; i++) {
        pkey_set(key, 0);
        page[0]++;
        pkey_set(key, PKEY_DISABLE_ACCESS);
    }
}

static void map_pair(long n)
{
    for (long i = 0; i < n; i++)
        munmap(mmap(NULL, 65536, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0), 65536);
}

/* Commands on stdin: "s N" or "m N"; answers on stdout: CPU nanoseconds, or -1 (cannot). */
static int child(void)
{
    char cmd;
    long n;
    page = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    key = pkey_alloc(0, PKEY_DISABLE_ACCESS);
    if (key > 0 && pkey_mprotect(page, 4096, PROT_READ | PROT_WRITE, key) != 0)
        key = -1;
    setvbuf(stdout, NULL, _IONBF, 0);
    while (scanf(" %c %ld", &cmd, &n) == 2) {
        double t0 = bench_cpu_ns();
        if (cmd == 's' && key <= 0) {
            printf("-1\n");
            continue;
        }
        if (cmd == 's')
            switch_pair(n);
        else
            map_pair(n);
        printf("%.0f\n", bench_cpu_ns() - t0);
    }
    return 0;
}

/* ---- the parent ------------------------------------------------------------------------------ */

typedef struct kid {
    pid_t pid;
    FILE *to, *from;
} kid_t;

static void options_for(int mode, char *buf, size_t n)
{
    snprintf(buf, n, "LIBMPK_OPTIONS=mode=%s:log=/dev/null", mode_names[mode]);
}

static pid_t spawn(const char *self, const char *preload, int mode, const char *arg, int in, int out)
{
    char pre[4200], opts[128];
    char *envp[] = {pre, opts, NULL};
    char *argv[] = {(char *)self, (char *)arg, NULL};
    posix_spawn_file_actions_t fa;
    pid_t pid;
    snprintf(pre, sizeof pre, "LD_PRELOAD=%s", preload);
    options_for(mode, opts, sizeof opts);
    posix_spawn_file_actions_init(&fa);
    if (in >= 0)
        posix_spawn_file_actions_adddup2(&fa, in, 0);
    if (out >= 0)
        posix_spawn_file_actions_adddup2(&fa, out, 1);
    if (posix_spawn(&pid, self, &fa, NULL, argv, envp) != 0)
        pid = -1;
    posix_spawn_file_actions_destroy(&fa);
    return pid;
}

static int start_kid(kid_t *k, const char *self, const char *preload, int mode)
{
    int down[2], up[2];
    if (pipe2(down, O_CLOEXEC) || pipe2(up, O_CLOEXEC)) /* no other child may hold them */
        return -1;
    k->pid = spawn(self, preload, mode, "--child", down[0], up[1]);
    close(down[0]);
    close(up[1]);
    k->to = fdopen(down[1], "w");
    k->from = fdopen(up[0], "r");
    setvbuf(k->to, NULL, _IONBF, 0);
    return k->pid > 0 ? 0 : -1;
}

static double ask(kid_t *k, char cmd, long n)
{
    double ns = -1;
    fprintf(k->to, "%c %ld\n", cmd, n);
    if (fscanf(k->from, "%lf", &ns) != 1)
        return -1;
    return ns < 0 ? -1 : ns / (double)n;
}

/* Interleaved batches of one case in the three children; false when a child cannot run it. */
static bool measure(kid_t *kids, char cmd, long iters, int batches, bench_stat_t *out)
{
    static double t[MODES][256];
    for (int m = 0; m < MODES; m++)
        if (ask(&kids[m], cmd, iters / 10 + 1) < 0) /* warm-up, and can it? */
            return false;
    for (int b = 0; b < batches; b++)
        for (int m = 0; m < MODES; m++)
            t[m][b] = ask(&kids[m], cmd, iters);
    for (int m = 0; m < MODES; m++)
        out[m] = bench_stat_of(t[m], batches);
    return true;
}

/* Start-up: spawn the program to exit at once, per mode, interleaved; per-run wall time. */
static void measure_startup(const char *self, const char *preload, int runs, bench_stat_t *out)
{
    static double t[MODES][256];
    for (int r = 0; r < runs; r++)
        for (int m = 0; m < MODES; m++) {
            double t0 = bench_now_ns();
            int status;
            pid_t pid = spawn(self, preload, m, "--exit", -1, -1);
            if (pid > 0)
                waitpid(pid, &status, 0);
            t[m][r] = bench_now_ns() - t0;
        }
    for (int m = 0; m < MODES; m++)
        out[m] = bench_stat_of(t[m], runs);
}

/* The table rows and RESULT lines audit.ID.MODE of one case, each mode against mode off. */
static void rows(const char *id, const char *what, const bench_stat_t *s)
{
    char name[80], rid[64], base[64], extra[32];
    snprintf(base, sizeof base, "audit.%s.off", id);
    for (int m = 0; m < MODES; m++) {
        snprintf(name, sizeof name, "%s, mode %s%s", what, mode_names[m], m == 0 ? " (baseline)" : "");
        bench_row(name, s[m], s[0], "off");
        snprintf(name, sizeof name, "%s, mode %s", what, mode_names[m]);
        snprintf(rid, sizeof rid, "audit.%s.%s", id, mode_names[m]);
        snprintf(extra, sizeof extra, "mode=%s", mode_names[m]);
        bench_result(rid, name, "ns", s[m], base, s[0].median, extra);
    }
    printf("| %s: audit / off %.3fx, audit / enforce %.3fx, enforce / off %.3fx\n", what,
           s[2].median / s[0].median, s[2].median / s[1].median, s[1].median / s[0].median);
}

int main(int argc, char **argv)
{
    const char *preload = argc > 1 && argv[1][0] != '-' ? argv[1] : MPK_PRELOAD_PATH;
    int batches = bench_batches();
    kid_t kids[MODES];
    bench_stat_t s[MODES];
    char self[4096];
    ssize_t n;
    if (argc > 1 && strcmp(argv[1], "--child") == 0)
        return child();
    if (argc > 1 && strcmp(argv[1], "--exit") == 0)
        return 0;
    n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n <= 0 || access(preload, R_OK) != 0) {
        printf("audit: cannot find itself or the preload %s\n", preload);
        return 1;
    }
    self[n] = 0;
    signal(SIGPIPE, SIG_IGN);
    for (int m = 0; m < MODES; m++)
        if (start_kid(&kids[m], self, preload, m) != 0) {
            printf("audit: cannot start the child for mode %s\n", mode_names[m]);
            return 1;
        }
    bench_header("audit mode against mode off and enforce, one child per mode, batches interleaved");
    if (measure(kids, 's', bench_iters(20000), batches, s))
        rows("switch", "pkey_set pair on a resident key", s);
    else
        printf("| pkey_set pair: skipped (no PKU here)\n");
    if (measure(kids, 'm', bench_iters(2000), batches, s))
        rows("map", "mmap+munmap 64 KiB", s);
    for (int m = 0; m < MODES; m++) {
        fclose(kids[m].to);
        waitpid(kids[m].pid, NULL, 0);
        fclose(kids[m].from);
    }
    measure_startup(self, preload, batches, s);
    rows("startup", "start-up (spawn, exit, wait)", s);
    return 0;
}
