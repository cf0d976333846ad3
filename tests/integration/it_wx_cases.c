/* tests/integration/it_wx_cases.c: W^X beyond the simple loop (issue 6): flips of part of a
 * region, a region that grows, munmap and mremap of converted regions, more regions than
 * hardware keys, two threads flipping one region, fork, and (run as `it_wx_cases cross` with
 * cross_thread = allow) a write by another thread during a window being let through.
 * Run under the preload with [wx] enable = on. */
#include "it.h"

#include <pthread.h>
#include <sys/wait.h>
#include <unistd.h>

#define RW (PROT_READ | PROT_WRITE)
#define RX (PROT_READ | PROT_EXEC)

static int call(unsigned char *code, unsigned v)
{
    code[0] = 0xb8;
    memcpy(code + 1, &v, 4);
    code[5] = 0xc3;
    return 0;
}

static unsigned run(unsigned char *code) { return (unsigned)((int (*)(void))(void *)code)(); }

static int other_wrote;
static void *other_writer(void *p)
{
    other_wrote = it_probe_write(p);
    return NULL;
}

static int wrote_from_other_thread(void *p)
{
    pthread_t t;
    pthread_create(&t, NULL, other_writer, p);
    pthread_join(t, NULL);
    return other_wrote;
}

static unsigned char *jit_region(size_t pages)
{
    unsigned char *r = mmap(NULL, pages * 4096, RW, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    IT_CHECK(r != MAP_FAILED, "mmap");
    memset(r, 0xc3, pages * 4096);
    IT_CHECK(mprotect(r, pages * 4096, RX) == 0, "first flip");
    return r;
}

static void sub_range_and_growth(void)
{
    unsigned char *r = jit_region(16), *more;
    IT_CHECK(mprotect(r + 2 * 4096, 2 * 4096, RW) == 0, "sub-range RW");
    call(r + 2 * 4096, 11);
    IT_CHECK(!wrote_from_other_thread(r + 2 * 4096), "another thread wrote into a sub-range window");
    IT_CHECK(mprotect(r + 2 * 4096, 2 * 4096, RX) == 0 && run(r + 2 * 4096) == 11, "sub-range RX");
    IT_CHECK(!it_probe_write(r + 2 * 4096), "writable after the sub-range flip to RX");
    /* Growth: the next pages, mapped and flipped with the old ones. */
    more = mmap(r + 16 * 4096, 4 * 4096, RW, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
    if (more == r + 16 * 4096) {
        IT_CHECK(mprotect(r, 20 * 4096, RW) == 0, "grown region RW");
        call(r + 18 * 4096, 12);
        IT_CHECK(!wrote_from_other_thread(r + 18 * 4096), "another thread wrote into the grown part");
        IT_CHECK(mprotect(r, 20 * 4096, RX) == 0 && run(r + 18 * 4096) == 12, "grown region RX");
        IT_CHECK(!it_probe_write(r + 19 * 4096), "grown part writable after RX");
        munmap(r, 20 * 4096);
    } else {
        munmap(r, 16 * 4096);
    }
}

static void unmap_and_remap(void)
{
    unsigned char *r = jit_region(4), *q;
    IT_CHECK(munmap(r, 4 * 4096) == 0, "munmap");
    q = mmap(r, 4 * 4096, RW, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    IT_CHECK(q == r && wrote_from_other_thread(q), "a new mapping over a converted region is not ordinary");
    munmap(q, 4 * 4096);

    r = jit_region(4);
    q = mremap(r, 4 * 4096, 8 * 4096, MREMAP_MAYMOVE);
    IT_CHECK(q != MAP_FAILED, "mremap: %s", strerror(errno));
    IT_CHECK(mprotect(q, 8 * 4096, RW) == 0, "RW after mremap");
    call(q + 5 * 4096, 13);
    IT_CHECK(!wrote_from_other_thread(q + 4096), "another thread wrote into a moved region");
    IT_CHECK(mprotect(q, 8 * 4096, RX) == 0 && run(q + 5 * 4096) == 13, "RX after mremap");
    munmap(q, 8 * 4096);
}

static void many_regions(void)
{
    enum { N = 40 };
    unsigned char *r[N];
    for (int i = 0; i < N; i++)
        r[i] = jit_region(1);
    for (int round = 0; round < 3; round++)
        for (int i = 0; i < N; i++) {
            IT_CHECK(mprotect(r[i], 4096, RW) == 0, "RW %d", i);
            call(r[i], (unsigned)(i * 100 + round));
            IT_CHECK(mprotect(r[i], 4096, RX) == 0, "RX %d", i);
            IT_CHECK(run(r[i]) == (unsigned)(i * 100 + round), "region %d ran wrong code", i);
            IT_CHECK(!it_probe_write(r[i]), "region %d writable after RX", i);
        }
    for (int i = 0; i < N; i++)
        munmap(r[i], 4096);
}

static unsigned char *shared_region;
static int two_ok[2];
static void *two_flippers(void *arg)
{
    long id = (long)arg;
    unsigned char *code = shared_region + (size_t)id * 4096;
    two_ok[id] = 1;
    for (int i = 0; i < 2000; i++) {
        mprotect(shared_region, 4 * 4096, RW);
        call(code, (unsigned)(i + id * 10000));
        mprotect(shared_region, 4 * 4096, RX);
        if (run(code) != (unsigned)(i + id * 10000))
            two_ok[id] = 0;
    }
    return NULL;
}

static void two_threads_one_region(void)
{
    pthread_t t[2];
    shared_region = jit_region(4);
    for (long i = 0; i < 2; i++)
        pthread_create(&t[i], NULL, two_flippers, (void *)i);
    for (int i = 0; i < 2; i++)
        pthread_join(t[i], NULL);
    IT_CHECK(two_ok[0] && two_ok[1], "two threads flipping one region ran wrong code");
    munmap(shared_region, 4 * 4096);
}

static void after_fork(void)
{
    unsigned char *r = jit_region(2);
    int status;
    pid_t pid = fork();
    if (pid == 0) {
        int ok = mprotect(r, 2 * 4096, RW) == 0;
        call(r, 77);
        ok = ok && mprotect(r, 2 * 4096, RX) == 0 && run(r) == 77 && !it_probe_write(r);
        _exit(ok ? 0 : 1);
    }
    waitpid(pid, &status, 0);
    IT_CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0, "converted region in a fork child");
    munmap(r, 2 * 4096);
}

static void cross_thread_allowed(void)
{
    unsigned char *r = jit_region(1);
    IT_CHECK(mprotect(r, 4096, RW) == 0, "window");
    IT_CHECK(wrote_from_other_thread(r + 100), "cross_thread = allow: the other thread was refused");
    IT_CHECK(mprotect(r, 4096, RX) == 0, "close");
    IT_CHECK(!wrote_from_other_thread(r + 100), "the other thread still writes after the window");
    IT_CHECK(!it_probe_write(r), "this thread still writes after the window");
    munmap(r, 4096);
}

int main(int argc, char **argv)
{
    it_require_pku();
    it_install_probe_handler();
    if (argc > 1 && !strcmp(argv[1], "cross")) {
        cross_thread_allowed();
        return it_done("wx_cases_cross");
    }
    sub_range_and_growth();
    unmap_and_remap();
    many_regions();
    two_threads_one_region();
    after_fork();
    return it_done("wx_cases");
}
