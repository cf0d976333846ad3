/* tests/integration/it_altstack.c: the library's fault and sync paths fit on a program's small
 * alternate signal stack (8 KiB, glibc's historical SIGSTKSZ) shared with the program's own
 * SIGSEGV handler; below each stack is a guard page, so an overflow kills the program.
 * Phase 1: threads with such a stack touch more keys than the hardware has: each miss runs the
 * fault path there, and evictions send the other threads syncs. No sync may nest a second
 * signal frame on the fault path: at most 6 KiB used (one kernel frame is about 3.5 KiB with
 * AVX-512 state). Phase 2: real violations run the program's handler, which uses 1 KiB itself;
 * when it starts, at most 5 KiB of the stack are taken, which leaves the program 3 KiB.
 * Usage: it_altstack [KEYS] [THREADS] [ROUNDS] */
#include "it.h"

#include <pthread.h>
#include <sys/auxv.h>
#include <unistd.h>

#define ALT_SIZE 8192
#define FAULT_PATH_MAX 6144
#define HANDLER_ENTRY_MAX 5120
#define PATTERN 0xa5
#define MAX_THREADS 8

static int nkeys, nthreads, rounds;
static char *pages[256];
static char *forbidden; /* a page under a key every thread has access-disabled */
static int forbidden_key;
static size_t used[MAX_THREADS], entry[MAX_THREADS];

static __thread volatile int handled;
static __thread uintptr_t alt_top;
static __thread size_t deepest_entry;

/* The program's handler: 1 KiB of its own stack, then skip the faulting one-byte store. */
static void program_handler(int sig, siginfo_t *si, void *ucv)
{
    volatile char scratch[1024];
    ucontext_t *uc = ucv;
    size_t depth = alt_top - (uintptr_t)&scratch[sizeof scratch];
    (void)sig;
    if (depth > deepest_entry && depth < ALT_SIZE)
        deepest_entry = depth;
    for (size_t i = 0; i < sizeof scratch; i += 64)
        scratch[i] = (char)i;
    if (si->si_code == SEGV_PKUERR && si->si_addr == forbidden) {
        handled++;
        uc->uc_mcontext.gregs[REG_RIP] += 3; /* movb $imm, (%reg): see store_forbidden */
    }
}

static void store_forbidden(void)
{
    __asm__ volatile("movb $1, (%0)" ::"r"(forbidden) : "memory"); /* 3 bytes: c6 00 01 */
}

static void *worker(void *arg)
{
    size_t id = (size_t)arg;
    char *mem = mmap(NULL, ALT_SIZE + 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    stack_t ss = {.ss_sp = mem + 4096, .ss_size = ALT_SIZE};
    size_t low = 0;
    IT_CHECK(mem != MAP_FAILED, "mmap");
    mprotect(mem, 4096, PROT_NONE); /* the guard page */
    memset(ss.ss_sp, PATTERN, ALT_SIZE);
    alt_top = (uintptr_t)ss.ss_sp + ALT_SIZE;
    IT_CHECK(sigaltstack(&ss, NULL) == 0, "sigaltstack");
    for (int r = 0; r < rounds; r++)
        for (int i = 0; i < nkeys; i++) {
            pages[i][64 + id] = (char)r; /* most keys are evicted: the fault path */
            IT_CHECK(pages[i][64 + id] == (char)r, "page %d", i);
        }
    while (low < ALT_SIZE && (unsigned char)((char *)ss.ss_sp)[low] == PATTERN)
        low++;
    used[id] = ALT_SIZE - low;
    for (int r = 0; r < rounds; r++) {
        pages[r % nkeys][64 + id] = (char)r;
        store_forbidden(); /* a real violation: the program's handler, on the same stack */
    }
    IT_CHECK(handled == rounds, "thread %zu: program handler ran %d times, not %d", id, handled, rounds);
    entry[id] = deepest_entry;
    ss.ss_flags = SS_DISABLE;
    sigaltstack(&ss, NULL);
    return NULL;
}

int main(int argc, char **argv)
{
    pthread_t t[MAX_THREADS];
    struct sigaction sa;
    nkeys = argc > 1 ? atoi(argv[1]) : 40;
    nthreads = argc > 2 ? atoi(argv[2]) : 3;
    rounds = argc > 3 ? atoi(argv[3]) : 20;
    if (nkeys < 1 || nkeys > 256 || nthreads < 1 || nthreads > MAX_THREADS || rounds < 1) {
        fprintf(stderr, "usage: it_altstack [KEYS 1-256] [THREADS 1-%d] [ROUNDS]\n", MAX_THREADS);
        return 2;
    }
    it_require_pku();
    it_keyed_pages(nkeys, NULL, pages);
    forbidden_key = pkey_alloc(0, PKEY_DISABLE_ACCESS);
    IT_CHECK(forbidden_key > 0, "pkey_alloc: %s", strerror(errno));
    forbidden = it_page(1);
    pkey_mprotect(forbidden, 4096, PROT_READ | PROT_WRITE, forbidden_key);
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = program_handler;
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
    sigaction(SIGSEGV, &sa, NULL);
    printf("kernel signal frame minimum (AT_MINSIGSTKSZ): %lu bytes\n", getauxval(AT_MINSIGSTKSZ));
    for (long i = 0; i < nthreads; i++)
        pthread_create(&t[i], NULL, worker, (void *)i);
    for (int i = 0; i < nthreads; i++)
        pthread_join(t[i], NULL);
    for (int i = 0; i < nthreads; i++) {
        printf("thread %d: the fault path used %zu of %d bytes of its alternate stack; the program's "
               "handler started %zu bytes down\n", i, used[i], ALT_SIZE, entry[i]);
        IT_CHECK(used[i] <= FAULT_PATH_MAX, "thread %d: the fault path used %zu bytes: over %d", i,
                 used[i], FAULT_PATH_MAX);
        IT_CHECK(entry[i] <= HANDLER_ENTRY_MAX, "thread %d: the program's handler started %zu bytes "
                 "down: over %d", i, entry[i], HANDLER_ENTRY_MAX);
    }
    return it_done("altstack");
}
