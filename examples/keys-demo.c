/* examples/keys-demo.c: a small program that uses protection keys through glibc's pkey_* calls
 * only (no libmpk header), to show what libmpk adds when it is preloaded: rights kept per thread,
 * a key use-after-free refused, and more keys than the hardware has, each still protecting its
 * page. examples/run builds it and runs it under tools/mpk-run (in the PKU guest where the CPU
 * has no PKU). Exit status: 0 when every check held, 1 when one broke (as with the kernel
 * alone), 77 when this machine has no protection keys at all. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define MANY_KEYS 40 /* the hardware has 15 */
#define ROUNDS 3

static size_t page_size;
static int broken; /* checks that did not hold */

/* ---- reading a page that may be protected ----------------------------------------------------
 * A read that protection keys forbid raises SIGSEGV with si_code SEGV_PKUERR and the key in
 * si_pkey. The handler jumps back to the probe that asked; a jump leaves the thread with the
 * handler's rights (every key closed), so probes run in threads that end right after. */

/* volatile: the handler reads them, so the compiler must store them before the access. */
static __thread sigjmp_buf *volatile probe_jump;
static __thread volatile int probe_code, probe_pkey;

static void on_segv(int sig, siginfo_t *si, void *uc)
{
    (void)uc;
    if (!probe_jump) { /* not a probe: die of it, as without this handler */
        signal(sig, SIG_DFL);
        return;
    }
    probe_code = si->si_code;
    probe_pkey = si->si_code == SEGV_PKUERR ? (int)si->si_pkey : -1;
    siglongjmp(*probe_jump, 1);
}

/* Reads *p in the calling thread: 1 if it worked, 0 if it faulted (*pkey = the key that refused
 * it, or -1 for a fault of another kind). */
static int read_or_fault(const volatile char *p, int *pkey)
{
    sigjmp_buf jump;
    if (sigsetjmp(jump, 1)) {
        probe_jump = NULL;
        *pkey = probe_code == SEGV_PKUERR ? probe_pkey : -1;
        return 0;
    }
    probe_jump = &jump;
    (void)*p;
    probe_jump = NULL;
    return 1;
}

typedef struct probe {
    const volatile char *p;
    int ok, pkey;
} probe_t;

static void *probe_thread(void *arg)
{
    probe_t *pr = arg;
    pr->ok = read_or_fault(pr->p, &pr->pkey);
    return NULL;
}

/* Reads *p in a new thread, which starts with this thread's rights. */
static int probe_read(const volatile char *p, int *pkey)
{
    probe_t pr = {.p = p, .ok = 0, .pkey = -1};
    pthread_t t;
    if (pthread_create(&t, NULL, probe_thread, &pr) != 0 || pthread_join(t, NULL) != 0) {
        perror("keys-demo: pthread_create");
        return -1;
    }
    *pkey = pr.pkey;
    return pr.ok;
}

/* ---- helpers --------------------------------------------------------------------------------- */

static char *tagged_page(int key, char fill)
{
    char *p = mmap(NULL, page_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        return NULL;
    memset(p, fill, page_size);
    if (pkey_mprotect(p, page_size, PROT_READ | PROT_WRITE, key) != 0) {
        munmap(p, page_size);
        return NULL;
    }
    return p;
}

static void verdict(int held, const char *what)
{
    if (!held)
        broken++;
    printf("keys-demo:    %s %s\n", held ? "held:  " : "BROKEN:", what);
}

/* ---- 1. rights per thread -------------------------------------------------------------------- */

typedef struct early {
    pthread_barrier_t go, done;
    const volatile char *secret;
    int ok, pkey;
} early_t;

/* A thread that exists before the key does: the kernel's rule is that only the allocating
 * thread gets the key's rights, so this thread must be refused. */
static void *early_thread(void *arg)
{
    early_t *e = arg;
    pthread_barrier_wait(&e->go);
    e->ok = read_or_fault(e->secret, &e->pkey);
    pthread_barrier_wait(&e->done);
    return NULL;
}

static void rights_per_thread(void)
{
    early_t e = {.ok = -1, .pkey = -1};
    pthread_t t;
    int key, pkey = -1;
    char *secret;
    char line[160];

    printf("keys-demo: 1. rights are per thread\n");
    pthread_barrier_init(&e.go, NULL, 2);
    pthread_barrier_init(&e.done, NULL, 2);
    pthread_create(&t, NULL, early_thread, &e);
    key = pkey_alloc(0, 0);
    secret = key < 0 ? NULL : tagged_page(key, 's');
    if (!secret) {
        printf("keys-demo:    pkey_alloc or pkey_mprotect failed: %s\n", strerror(errno));
        broken++;
        e.secret = (char[1]){0};
    } else {
        e.secret = secret;
    }
    pthread_barrier_wait(&e.go);
    pthread_barrier_wait(&e.done);
    pthread_join(t, NULL);
    if (!secret)
        return;
    printf("keys-demo:    key %d tags a page; this thread allocated it and may read it\n", key);
    verdict(secret[0] == 's', "the allocating thread reads the page");
    snprintf(line, sizeof line, "a thread started before the key existed is refused (SIGSEGV, SEGV_PKUERR, key %d)",
             e.pkey);
    verdict(e.ok == 0 && e.pkey == key, line);
    pkey_set(key, PKEY_DISABLE_ACCESS);
    verdict(probe_read(secret, &pkey) == 0 && pkey == key,
            "after pkey_set(key, PKEY_DISABLE_ACCESS) here, a new thread inherits the closed key");
    pkey_set(key, 0);
    verdict(probe_read(secret, &pkey) == 1, "after pkey_set(key, 0), a new thread reads the page again");
}

/* ---- 2. a key use-after-free ------------------------------------------------------------------ */

static void use_after_free(void)
{
    int old_key, new_key, pkey = -1, set_err;
    char *old_page;
    char line[200];

    printf("keys-demo: 2. a freed key's number is dead for good\n");
    old_key = pkey_alloc(0, 0);
    old_page = old_key < 0 ? NULL : tagged_page(old_key, 'o');
    if (!old_page) {
        printf("keys-demo:    pkey_alloc or pkey_mprotect failed: %s\n", strerror(errno));
        broken++;
        return;
    }
    /* The bug: freeing a key whose page still carries it. The kernel hands the number out
     * again, and the next owner's rights then govern the old page. */
    pkey_free(old_key);
    new_key = pkey_alloc(0, PKEY_DISABLE_ACCESS);
    printf("keys-demo:    key %d freed while its page still carries it; the next pkey_alloc gave key %d\n",
           old_key, new_key);
    verdict(new_key >= 0 && new_key != old_key, "the freed number is not handed out again");
    errno = 0;
    set_err = pkey_set(old_key, 0) == 0 ? 0 : errno;
    snprintf(line, sizeof line, "pkey_set on the freed key %d is refused (%s)", old_key,
             set_err ? strerror(set_err) : "it succeeded");
    verdict(set_err == EINVAL, line);
    snprintf(line, sizeof line, "the new owner closing key %d does not reach the old page", new_key);
    verdict(probe_read(old_page, &pkey) == 1, line);
}

/* ---- 3. more keys than the hardware has -------------------------------------------------------- */

static void many_keys(void)
{
    static int keys[MANY_KEYS];
    static char *pages[MANY_KEYS];
    int n, i, r, bad = 0, pkey = -1;
    char line[200];

    printf("keys-demo: 3. more keys than the hardware has (it has 15)\n");
    for (n = 0; n < MANY_KEYS; n++) {
        keys[n] = pkey_alloc(0, 0);
        if (keys[n] < 0) {
            printf("keys-demo:    pkey_alloc number %d failed: %s\n", n + 1, strerror(errno));
            break;
        }
        pages[n] = tagged_page(keys[n], (char)n);
        if (!pages[n]) {
            printf("keys-demo:    pkey_mprotect with key %d failed: %s\n", keys[n], strerror(errno));
            break;
        }
    }
    snprintf(line, sizeof line, "%d keys allocated (numbers %d to %d), each tagging a page of its own", n,
             n ? keys[0] : 0, n ? keys[n - 1] : 0);
    verdict(n == MANY_KEYS, line);
    for (r = 0; r < ROUNDS; r++)
        for (i = 0; i < n; i++)
            bad += pages[i][r] != (char)i;
    snprintf(line, sizeof line, "every page read back %d times, round robin, intact", ROUNDS);
    verdict(n > 0 && bad == 0, line);
    if (n == 0)
        return;
    pkey_set(keys[0], PKEY_DISABLE_ACCESS);
    r = probe_read(pages[0], &pkey);
    snprintf(line, sizeof line, "key %d, closed with pkey_set, still refuses a read of its page (SIGSEGV, key %d)",
             keys[0], pkey);
    verdict(r == 0 && pkey == keys[0], line);
}

int main(void)
{
    struct sigaction sa;
    int k;

    setvbuf(stdout, NULL, _IOLBF, 0);
    page_size = (size_t)sysconf(_SC_PAGESIZE);
    /* Is there PKU at all? The key stays allocated (and closed): freed, its number would
     * come back with the kernel alone, rights and all, and muddle the checks below. */
    k = pkey_alloc(0, PKEY_DISABLE_ACCESS);
    if (k < 0) {
        printf("keys-demo: no protection keys on this machine (pkey_alloc: %s); examples/run runs this\n"
               "keys-demo: program in a guest whose CPU has them\n",
               strerror(errno));
        return 77;
    }

    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_segv;
    sa.sa_flags = SA_SIGINFO;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGSEGV, &sa, NULL);

    rights_per_thread();
    use_after_free();
    many_keys();
    if (broken)
        printf("keys-demo: %d check%s BROKEN (what the kernel alone gives; run it under libmpk: examples/run)\n",
               broken, broken == 1 ? "" : "s");
    else
        printf("keys-demo: every check held\n");
    return broken ? 1 : 0;
}
