/* tests/integration/it_audit_threads.c: audit records from several threads at once and from a
 * signal handler (V8 calls pkey_set in its handlers). Each thread sets rights on a key number it
 * never got, many times; the handler does it once. What it prints is the same with and without
 * libmpk; the checker (audit_check.py threads) counts the records and reads their frames. */
#include "it.h"

#include <pthread.h>
#include <unistd.h>

#define THREADS 4
#define CALLS 100

static int forged;

__attribute__((noinline, noclone, used)) void bad_from_thread(void)
{
    pkey_set(forged, 0);
    __asm__ volatile("" ::: "memory");
}

__attribute__((noinline, noclone, used)) void on_usr1(int sig)
{
    (void)sig;
    pkey_set(forged + 1, 0);
    __asm__ volatile("" ::: "memory");
}

static void *worker(void *arg)
{
    (void)arg;
    for (int i = 0; i < CALLS; i++)
        bad_from_thread();
    return NULL;
}

int main(void)
{
    pthread_t t[THREADS];
    struct sigaction sa;
    int k;
    it_require_pku();
    k = pkey_alloc(0, 0);
    if (k <= 0) {
        perror("pkey_alloc");
        return 1;
    }
    forged = k + 9; /* never handed out; forged + 1 neither */
    fprintf(stderr, "it_audit_threads: forged=%d threads=%d calls=%d\n", forged, THREADS, CALLS);
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_usr1;
    sigaction(SIGUSR1, &sa, NULL);
    raise(SIGUSR1);
    for (int i = 0; i < THREADS; i++)
        pthread_create(&t[i], NULL, worker, NULL);
    for (int i = 0; i < THREADS; i++)
        pthread_join(t[i], NULL);
    printf("done\n");
    return 0;
}
