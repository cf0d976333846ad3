/* tests/integration/it_fork.c: the child of fork has the parent's keys, pages and the forking
 * thread's rights, holds no lock (it can allocate keys and map memory at once), even when the
 * parent forks while other threads are busy changing rights and faulting keys in. Usage:
 * it_fork [KEYS] [FORKS] (default 8 50). */
#include "it.h"

#include <pthread.h>
#include <sys/wait.h>
#include <unistd.h>

static int nkeys;
static int keys[1024];
static char *pages[1024];
static volatile int stop;

static void *churn(void *arg)
{
    (void)arg;
    it_seed((uint64_t)pthread_self());
    while (!stop) {
        int i = (int)(it_rand() % (uint64_t)nkeys);
        pkey_set(keys[i], 0);
        pages[i][1]++;
        pkey_set(keys[i], PKEY_DISABLE_ACCESS);
        if (it_rand() % 16 == 0) { /* and some map traffic */
            void *p = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
            munmap(p, 8192);
        }
    }
    return NULL;
}

static int child_checks(void)
{
    int bad = 0, k;
    char *p;
    for (int i = 0; i < nkeys; i++) {
        int r = i % 3 == 0 ? 0 : i % 3 == 1 ? PKEY_DISABLE_WRITE : PKEY_DISABLE_ACCESS;
        int get = pkey_get(keys[i]), rd = it_probe_read(pages[i]), wr = it_probe_write(pages[i]);
        if (get != r || rd != it_can_read(r) || wr != it_can_write(r) ||
            (rd && pages[i][0] != (char)(wr ? 0x5a : i))) {
            fprintf(stderr, "child: key %d rights %d: get %d read %d write %d\n", keys[i], r, get,
                    rd, wr);
            bad++;
        }
    }
    k = pkey_alloc(0, 0); /* no lock held by a thread that does not exist here */
    p = it_page(1);
    bad += k <= 0 || pkey_mprotect(p, 4096, PROT_READ | PROT_WRITE, k) != 0;
    bad += !it_probe_write(p);
    return bad;
}

int main(int argc, char **argv)
{
    pthread_t th[2];
    int forks, failed = 0;
    nkeys = argc > 1 ? atoi(argv[1]) : 8;
    forks = argc > 2 ? atoi(argv[2]) : 50;
    it_require_pku();
    it_install_probe_handler();
    for (int i = 0; i < nkeys; i++) {
        keys[i] = pkey_alloc(0, 0);
        if (keys[i] < 0) {
            printf("SKIP: pkey_alloc #%d: %s\n", i + 1, strerror(errno));
            return it_preloaded() ? 1 : IT_SKIP;
        }
        pages[i] = it_page(1);
        pkey_mprotect(pages[i], 4096, PROT_READ | PROT_WRITE, keys[i]);
        pages[i][0] = (char)i;
    }
    for (int i = 0; i < nkeys; i++) /* the forking thread's rights: rw, ro, none, ... */
        pkey_set(keys[i], i % 3 == 0 ? 0 : i % 3 == 1 ? PKEY_DISABLE_WRITE : PKEY_DISABLE_ACCESS);
    for (int i = 0; i < 2; i++)
        pthread_create(&th[i], NULL, churn, NULL);
    for (int f = 0; f < forks; f++) {
        int status;
        pid_t pid = fork();
        if (pid == 0)
            _exit(child_checks() ? 1 : 0);
        IT_CHECK(pid > 0, "fork: %s", strerror(errno));
        waitpid(pid, &status, 0);
        if (!WIFEXITED(status) || WEXITSTATUS(status))
            failed++;
    }
    stop = 1;
    for (int i = 0; i < 2; i++)
        pthread_join(th[i], NULL);
    IT_CHECK(failed == 0, "%d of %d children saw the wrong keys or rights", failed, forks);
    return it_done("fork");
}
