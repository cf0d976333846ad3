/* tests/reliability/rel_split_move.c: key groups cut by munmap and moved by mremap keep
 * their keys, page by page, whether the key is on a hardware key or evicted at the time: more
 * keys than the hardware has, each with a group of 8 pages whose middle is unmapped (and the
 * hole mapped again: key 0 there), whose tail is moved elsewhere by mremap and whose head is
 * grown by mremap. Then every thread's rights (pkey_set here, mpk_mprotect for all from another
 * thread) must apply to exactly the pages each key still has, at their new addresses, with
 * their contents, and the old addresses must be gone. Usage: rel_split_move [KEYS] (default
 * 40; with 4 it passes without the preload too: the kernel's own semantics).  */
#include "../integration/it.h"

#include <dlfcn.h>
#include <pthread.h>

enum { PAGES = 8, MAX_KEYS = 256 };
#define PG 4096

static int nkeys;
static int keys[MAX_KEYS];
static char *head[MAX_KEYS], *tail[MAX_KEYS], *hole[MAX_KEYS], *old_tail[MAX_KEYS];
static size_t head_pages[MAX_KEYS];
static const int rights_cycle[] = {0, PKEY_DISABLE_WRITE, PKEY_DISABLE_ACCESS};

/* Byte 0 of page p of key i: who it belongs to, to see that data moved with the pages. */
static char tag(int i, int p) { return (char)(i * 16 + p + 1); }

/* A page of key i with rights r: reads and writes as r says, faults name key i. */
static void check_keyed(int i, char *page, int r, char expect, const char *what)
{
    int rd = it_probe_read(page), wr;
    IT_CHECK(rd == it_can_read(r), "key %d %s %p: read %d with rights %d", keys[i], what,
             (void *)page, rd, r);
    if (!rd)
        IT_CHECK(it_last.code == SEGV_PKUERR && it_last.pkey == keys[i],
                 "key %d %s: fault code %d pkey %d", keys[i], what, it_last.code, it_last.pkey);
    else
        IT_CHECK(page[0] == expect, "key %d %s: byte %d, expected %d", keys[i], what, page[0], expect);
    wr = it_probe_write_byte(page + 1, 7);
    IT_CHECK(wr == it_can_write(r), "key %d %s: write %d with rights %d", keys[i], what, wr, r);
}

/* Every page of every key, with this thread's rights rot places along the cycle. */
static void check_all(int rot)
{
    for (int i = 0; i < nkeys; i++) {
        int r = rights_cycle[(i + rot) % 3];
        IT_CHECK(pkey_set(keys[i], (unsigned)r) == 0, "pkey_set(%d)", keys[i]);
    }
    for (int i = 0; i < nkeys; i++) {
        int r = rights_cycle[(i + rot) % 3];
        for (size_t p = 0; p < head_pages[i]; p++)
            check_keyed(i, head[i] + p * PG, r, p < 2 ? tag(i, (int)p) : 0, "head");
        for (int p = 0; p < 4; p++)
            check_keyed(i, tail[i] + p * PG, r, tag(i, 4 + p), "moved tail");
        for (int p = 0; p < 2; p++) /* the hole, mapped again: key 0, always open */
            IT_CHECK(it_probe_read(hole[i] + p * PG) && it_probe_write(hole[i] + p * PG),
                     "key %d: hole page %d not plain memory", keys[i], p);
        IT_CHECK(!it_probe_read(old_tail[i]) && it_last.code == SEGV_MAPERR,
                 "key %d: the tail's old address is still mapped (code %d)", keys[i], it_last.code);
    }
}

static int (*all_mprotect)(int, int);

/* Another thread: rights made with mpk_mprotect for every thread reach the moved pages too. */
static void *other_thread(void *arg)
{
    (void)arg;
    for (int i = 0; i < nkeys; i++) {
        IT_CHECK(pkey_get(keys[i]) == 0 || all_mprotect, "inherited rights of key %d", keys[i]);
        if (!all_mprotect)
            continue;
        for (int p = 0; p < 4; p++)
            check_keyed(i, tail[i] + p * PG, PKEY_DISABLE_ACCESS, tag(i, 4 + p), "moved tail, revoked");
        check_keyed(i, head[i], PKEY_DISABLE_ACCESS, tag(i, 0), "head, revoked");
    }
    return NULL;
}

int main(int argc, char **argv)
{
    pthread_t t;
    nkeys = argc > 1 ? atoi(argv[1]) : 40;
    if (nkeys < 1 || nkeys > MAX_KEYS) {
        fprintf(stderr, "usage: rel_split_move [KEYS<=%d]\n", MAX_KEYS);
        return 2;
    }
    it_require_pku();
    it_install_probe_handler();
    all_mprotect = (int (*)(int, int))dlsym(RTLD_DEFAULT, "mpk_mprotect"); /* only with libmpk */
    for (int i = 0; i < nkeys; i++) {
        char *g = it_page(PAGES), *far = it_page(4);
        keys[i] = pkey_alloc(0, 0);
        if (keys[i] <= 0) {
            printf("SKIP: pkey_alloc #%d: %s\n", i + 1, strerror(errno));
            return it_preloaded() ? 1 : IT_SKIP;
        }
        IT_CHECK(pkey_mprotect(g, PAGES * PG, PROT_READ | PROT_WRITE, keys[i]) == 0, "pkey_mprotect");
        for (int p = 0; p < PAGES; p++)
            g[p * PG] = tag(i, p);
        /* Split: the middle goes, and comes back as plain memory. */
        IT_CHECK(munmap(g + 2 * PG, 2 * PG) == 0, "munmap of the middle");
        hole[i] = mmap(g + 2 * PG, 2 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED,
                       -1, 0);
        IT_CHECK(hole[i] == g + 2 * PG, "mmap into the hole: %s", strerror(errno));
        /* Move: the tail to a place of its own (over a mapping there), the head grows. */
        old_tail[i] = g + 4 * PG;
        tail[i] = mremap(g + 4 * PG, 4 * PG, 4 * PG, MREMAP_MAYMOVE | MREMAP_FIXED, far);
        IT_CHECK(tail[i] == far, "mremap of the tail: %s", strerror(errno));
        head[i] = mremap(g, 2 * PG, 3 * PG, MREMAP_MAYMOVE);
        IT_CHECK(head[i] != MAP_FAILED, "mremap growing the head: %s", strerror(errno));
        head_pages[i] = 3;
        if (it_failures)
            return it_done("split_move");
    }
    /* This thread's rights, three ways round, most keys evicted each time. */
    for (int rot = 0; rot < 3; rot++)
        check_all(rot);
    /* Every thread's, from mpk_mprotect: revoked for a thread that never set its own. */
    for (int i = 0; i < nkeys; i++)
        IT_CHECK(pkey_set(keys[i], 0) == 0, "pkey_set");
    if (all_mprotect)
        for (int i = 0; i < nkeys; i++)
            IT_CHECK(all_mprotect(keys[i], PROT_NONE) == 0, "mpk_mprotect(%d)", keys[i]);
    pthread_create(&t, NULL, other_thread, NULL);
    pthread_join(t, NULL);
    printf("rel_split_move: %d keys, each split by munmap and moved and grown by mremap%s\n", nkeys,
           all_mprotect ? ", revoked for every thread by mpk_mprotect" : "");
    return it_done("split_move");
}
