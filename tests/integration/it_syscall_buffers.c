/* tests/integration/it_syscall_buffers.c: the kernel honours PKRU when a system call copies to
 * or from user memory, so what libmpk does lazily (a grant from mpk_mprotect that a thread has
 * not picked up yet, a key that is evicted) must not turn a thread's rights into EFAULT:
 * read() into and write() from such memory work exactly as they would for the thread's own
 * rights, and fail with EFAULT where the thread has no rights; so do stdio's large blocks
 * (fread, fwrite), which glibc moves with its internal calls. Linked with -lmpk, preloaded. */
#include "it.h"

#include "mpk.h"

#include <errno.h>
#include <pthread.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#define NKEYS 48 /* more than the hardware has: most are evicted at any time */

static int pipefd[2];

/* Read n bytes of a fresh message into p through the pipe: 1 if they arrived intact. */
static int read_into(unsigned char *p, int tag)
{
    unsigned char msg[64];
    memset(msg, tag, sizeof msg);
    if (write(pipefd[1], msg, sizeof msg) != (ssize_t)sizeof msg)
        return 0;
    ssize_t r = read(pipefd[0], p, sizeof msg);
    if (r != (ssize_t)sizeof msg) {
        unsigned char drain[64];
        if (read(pipefd[0], drain, sizeof drain) < 0) /* keep the pipe empty for the next case */
            return 0;
        return 0;
    }
    return p[0] == tag && p[63] == tag;
}

/* Write 64 bytes from p through the pipe: 1 if they came out intact. */
static int write_from(const unsigned char *p)
{
    unsigned char out[64];
    if (write(pipefd[1], p, 64) != 64)
        return 0;
    return read(pipefd[0], out, 64) == 64 && !memcmp(out, p, 64);
}

/* read() of one byte waiting in the pipe into p: the errno (0 if it worked); the pipe is
 * left empty either way. */
static int read_errno(unsigned char *p)
{
    unsigned char one = 1;
    int e = 0;
    if (write(pipefd[1], &one, 1) != 1)
        return -1;
    if (read(pipefd[0], p, 1) != 1) {
        e = errno;
        if (read(pipefd[0], &one, 1) != 1)
            return -1;
    }
    return e;
}

typedef struct {
    unsigned char *p;
    pthread_barrier_t ready, granted;
    int ok_read, ok_readv, ok_recv, ok_write;
} lazy_t;

static void *lazy_thread(void *arg)
{
    lazy_t *l = arg;
    int sv[2];
    pthread_barrier_wait(&l->ready);   /* the group is taken from every thread ... */
    pthread_barrier_wait(&l->granted); /* ... and given back, lazily */
    struct iovec iov = {.iov_base = l->p + 256, .iov_len = 64};
    unsigned char msg[64];
    /* No access to the group yet in this thread: its PKRU still has the key closed. */
    l->ok_read = read_into(l->p, 0x11);
    memset(msg, 0x22, sizeof msg);
    l->ok_readv = write(pipefd[1], msg, 64) == 64 && readv(pipefd[0], &iov, 1) == 64 && l->p[256] == 0x22;
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0) {
        memset(msg, 0x33, sizeof msg);
        l->ok_recv = send(sv[0], msg, 64, 0) == 64 && recv(sv[1], l->p + 512, 64, 0) == 64 && l->p[512] == 0x33;
        close(sv[0]);
        close(sv[1]);
    }
    l->ok_write = write_from(l->p + 1024);
    return NULL;
}

/* mpk_mprotect grants lazily: a thread that has not touched the group since still reads into
 * it, scatters into it, receives into it and writes from it. */
static void lazy_grant(void)
{
    int k = pkey_alloc(0, 0);
    unsigned char *p = k > 0 ? mpk_mmap(k, NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0)
                             : MAP_FAILED;
    lazy_t l = {.p = p};
    pthread_t t;
    IT_CHECK(p != MAP_FAILED, "a page in a group");
    memset(p + 1024, 0x44, 64);
    pthread_barrier_init(&l.ready, NULL, 2);
    pthread_barrier_init(&l.granted, NULL, 2);
    pthread_create(&t, NULL, lazy_thread, &l);
    pthread_barrier_wait(&l.ready);
    IT_CHECK(mpk_mprotect(k, PROT_NONE) == 0 && mpk_mprotect(k, PROT_READ | PROT_WRITE) == 0,
             "mpk_mprotect: none, then read-write for every thread");
    pthread_barrier_wait(&l.granted);
    pthread_join(t, NULL);
    IT_CHECK(l.ok_read, "read() into a group granted by mpk_mprotect (not yet picked up)");
    IT_CHECK(l.ok_readv, "readv() into it");
    IT_CHECK(l.ok_recv, "recv() into it");
    IT_CHECK(l.ok_write, "write() from it");
    mpk_munmap(k);
}

/* Keys that are evicted: read() into and write() from each key's page, in turn, many times. */
static void evicted_keys(void)
{
    int keys[NKEYS], bad_read = 0, bad_write = 0;
    unsigned char *pages[NKEYS];
    for (int i = 0; i < NKEYS; i++) {
        keys[i] = pkey_alloc(0, 0);
        pages[i] = it_page(1);
        IT_CHECK(keys[i] > 0 && pkey_mprotect(pages[i], 4096, PROT_READ | PROT_WRITE, keys[i]) == 0, "key and page");
    }
    for (int round = 0; round < 5; round++)
        for (int i = 0; i < NKEYS; i++) {
            int j = (int)(it_rand() % NKEYS);
            bad_read += !read_into(pages[j], (round * NKEYS + i) & 0xff);
            bad_write += !write_from(pages[(j + 7) % NKEYS]);
        }
    IT_CHECK(bad_read == 0, "read() into pages of evicted keys the thread may write");
    IT_CHECK(bad_write == 0, "write() from pages of evicted keys the thread may read");
    /* The thread's own rights still count: no access means EFAULT, as with the kernel alone. */
    IT_CHECK(pkey_set(keys[3], PKEY_DISABLE_ACCESS) == 0, "close one key");
    for (int i = 0; i < NKEYS; i++) /* and push it out */
        if (i != 3)
            pages[i][0] = 1;
    IT_CHECK(read_errno(pages[3]) == EFAULT, "read() into a closed key's page: EFAULT");
    errno = 0;
    IT_CHECK(write(pipefd[1], pages[3], 1) == -1 && errno == EFAULT, "write() from it: EFAULT");
    IT_CHECK(pkey_set(keys[5], PKEY_DISABLE_WRITE) == 0, "key 5 read-only");
    for (int i = 0; i < NKEYS; i++)
        if (i != 3 && i != 5)
            pages[i][0] = 1;
    IT_CHECK(write_from(pages[5]), "write() from a read-only key's page works");
    IT_CHECK(read_errno(pages[5]) == EFAULT, "read() into it: EFAULT");
    for (int i = 0; i < NKEYS; i++) {
        munmap(pages[i], 4096);
        pkey_free(keys[i]);
    }
}

/* stdio moves large blocks straight between the file and the buffer with glibc's internal
 * read and write: fread into and fwrite from pages of evicted keys, plain, unlocked and
 * fortified, whole blocks and a count that ends in a partial element. */
size_t __fread_chk(void *ptr, size_t ptrlen, size_t size, size_t n, FILE *fp);

enum { BLOCK = 4 * 4096 };

static void fill(unsigned char *p, int seed)
{
    for (int i = 0; i < BLOCK; i++)
        p[i] = (unsigned char)(i * 7 + seed);
}

static bool same(const unsigned char *p, int seed)
{
    for (int i = 0; i < BLOCK; i++)
        if (p[i] != (unsigned char)(i * 7 + seed))
            return false;
    return true;
}

/* Touch every other buffer: more keys than the hardware has, so b's key is pushed out. */
static void evict_all_but(unsigned char **bufs, const unsigned char *b)
{
    for (int i = 0; i < NKEYS; i++)
        if (bufs[i] != b)
            ((volatile unsigned char *)bufs[i])[0];
}

static void stdio_blocks(void)
{
    int keys[NKEYS], bad_read = 0, bad_write = 0, bad_count = 0;
    unsigned char *bufs[NKEYS], *file_data = malloc(BLOCK);
    FILE *f = tmpfile(), *out = tmpfile();
    IT_CHECK(f && out && file_data, "tmpfile: %s", strerror(errno));
    fill(file_data, 3);
    IT_CHECK(fwrite(file_data, 1, BLOCK, f) == BLOCK && fflush(f) == 0, "the file");
    for (int i = 0; i < NKEYS; i++) {
        keys[i] = pkey_alloc(0, 0);
        bufs[i] = it_page(BLOCK / 4096);
        IT_CHECK(keys[i] > 0 && pkey_mprotect(bufs[i], BLOCK, PROT_READ | PROT_WRITE, keys[i]) == 0, "key and buffer");
    }
    for (int round = 0; round < 3; round++)
        for (int i = 0; i < NKEYS; i++) {
            unsigned char *b = bufs[(i * 5 + round) % NKEYS];
            size_t got;
            rewind(f);
            evict_all_but(bufs, b);
            switch ((i + round) % 3) {
            case 0: got = fread(b, 4096, 4, f); break;
            case 1: got = fread_unlocked(b, 4096, 4, f); break;
            default: got = __fread_chk(b, BLOCK, 4096, 4, f); break;
            }
            bad_read += got != 4 || !same(b, 3);
            rewind(f);
            memset(b, 0, BLOCK);
            evict_all_but(bufs, b);
            bad_count += fread(b, 3000, 6, f) != 5 || !same(b, 3); /* 16384 bytes: 5 whole elements */
            fill(b, i);
            rewind(out);
            evict_all_but(bufs, b);
            got = i & 1 ? fwrite(b, 1, BLOCK, out) : fwrite_unlocked(b, BLOCK, 1, out);
            bad_write += got != (i & 1 ? (size_t)BLOCK : 1) || fflush(out) != 0 || ferror(out);
            rewind(out);
            bad_write += fread(file_data, 1, BLOCK, out) != BLOCK || !same(file_data, i);
        }
    IT_CHECK(bad_read == 0, "%d freads into buffers of evicted keys went wrong", bad_read);
    IT_CHECK(bad_count == 0, "%d freads ending in a partial element counted wrong", bad_count);
    IT_CHECK(bad_write == 0, "%d fwrites from buffers of evicted keys went wrong", bad_write);
    fclose(f);
    fclose(out);
    free(file_data);
    for (int i = 0; i < NKEYS; i++) {
        munmap(bufs[i], BLOCK);
        pkey_free(keys[i]);
    }
}

int main(void)
{
    it_require_pku();
    it_install_probe_handler();
    if (pipe(pipefd) != 0)
        return 1;
    lazy_grant();
    evicted_keys();
    stdio_blocks();
    return it_done("syscall_buffers");
}
