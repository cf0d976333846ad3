/* tests/integration/it_sealed.c: the "PKU Pitfalls" routes that change a keyed page's mapping
 * with the program's own calls (pkey_mprotect to key 0, mprotect, madvise(MADV_DONTNEED),
 * mremap away, mmap(MAP_FIXED) over it). Each takes a secret page from its key: it becomes
 * readable with the key closed, read-only for its owner, zeroed, or gone. `refuse` (sealed =
 * refuse): every call fails with EPERM and the page is as it was; without libmpk each route
 * succeeds (the plain run fails). `audit`: each call does what it does without libmpk (the
 * records are the test's business). `region SIZE`: the page is a [region] rule's (rights =
 * none), sealed = refuse in the rule: pkey_mprotect to key 0 and the rest are refused and the
 * page stays out of reach; `region_open SIZE`: the rule is not sealed, and pkey_mprotect to key
 * 0 opens the page, the hole sealing closes. */
#include "it.h"

#define PAGE 4096

static int key = -1;
static bool refuse;

/* A page holding 's', tagged with the key (or a [region] rule's page), the key closed here. */
static char *secret_page(size_t size)
{
    char *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    IT_CHECK(p != MAP_FAILED, "mmap: %s", strerror(errno));
    if (p == MAP_FAILED)
        exit(1);
    if (key > 0) {
        IT_CHECK(pkey_mprotect(p, size, PROT_READ | PROT_WRITE, key) == 0, "pkey_mprotect: %s",
                 strerror(errno));
        pkey_set(key, 0);
        p[0] = 's';
        pkey_set(key, PKEY_DISABLE_ACCESS);
    }
    return p;
}

/* The call's result: under refuse, -1 with EPERM; else what the kernel does (0). */
static void expect_result(const char *what, long r, long ok)
{
    if (refuse)
        IT_CHECK(r == -1 && errno == EPERM, "%s is refused with EPERM (got %ld, %s)", what, r,
                 strerror(errno));
    else
        IT_CHECK(r == ok, "%s goes on as without libmpk (got %ld, %s)", what, r, strerror(errno));
}

/* Still the secret, out of reach with the key closed, readable and writable with it open. */
static void expect_intact(const char *what, char *p)
{
    IT_CHECK(!it_probe_read(p), "%s: the page is still closed to a thread without the key", what);
    IT_CHECK(it_last.code == SEGV_PKUERR, "%s: ... by its key (fault code %d)", what, it_last.code);
    if (key > 0) {
        pkey_set(key, 0);
        IT_CHECK(it_probe_read(p) && p[0] == 's', "%s: the secret is still there", what);
        IT_CHECK(it_probe_write_byte(p, 's'), "%s: its owner still writes it (fault code %d)", what,
                 it_last.code);
        pkey_set(key, PKEY_DISABLE_ACCESS);
    }
}

static void route_pkey_mprotect(size_t size)
{
    char *p = secret_page(size);
    expect_result("pkey_mprotect to key 0", pkey_mprotect(p, PAGE, PROT_READ | PROT_WRITE, 0), 0);
    if (refuse)
        expect_intact("pkey_mprotect to key 0", p);
    else
        IT_CHECK(it_probe_read(p), "pkey_mprotect to key 0: the page is open, as without libmpk");
    munmap(p, size);
}

static void route_mprotect(size_t size)
{
    char *p = secret_page(size);
    expect_result("mprotect(PROT_READ)", mprotect(p, PAGE, PROT_READ), 0);
    if (refuse)
        expect_intact("mprotect(PROT_READ)", p);
    munmap(p, size);
}

static void route_madvise(size_t size)
{
    char *p = secret_page(size);
    expect_result("madvise(MADV_DONTNEED)", madvise(p, PAGE, MADV_DONTNEED), 0);
    if (refuse)
        expect_intact("madvise(MADV_DONTNEED)", p);
    /* A hint is never refused. */
    IT_CHECK(madvise(p, PAGE, MADV_WILLNEED) == 0, "madvise(MADV_WILLNEED) goes on: %s",
             strerror(errno));
    munmap(p, size);
}

static void route_mremap(size_t size)
{
    char *p = secret_page(size);
    char *dest = mmap(NULL, PAGE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    long r = (long)mremap(p, PAGE, PAGE, MREMAP_MAYMOVE | MREMAP_FIXED, dest);
    expect_result("mremap away", r == (long)dest ? 0 : r, 0);
    if (refuse)
        expect_intact("mremap away", p);
    munmap(dest, PAGE);
    munmap(p, size);
}

static void route_map_fixed(size_t size)
{
    char *p = secret_page(size);
    long r = (long)mmap(p, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    expect_result("mmap(MAP_FIXED) over it", r == (long)p ? 0 : r, 0);
    if (refuse)
        expect_intact("mmap(MAP_FIXED) over it", p);
    munmap(p, size);
}

int main(int argc, char **argv)
{
    const char *mode = argc > 1 ? argv[1] : "refuse";
    bool region = strncmp(mode, "region", 6) == 0;
    size_t size = region && argc > 2 ? strtoul(argv[2], NULL, 0) : PAGE;
    it_require_pku();
    it_install_probe_handler();
    refuse = strcmp(mode, "refuse") == 0 || strcmp(mode, "region") == 0;
    if (region) {
        int k = pkey_alloc(0, 0); /* brings libmpk into play: the rule applies from here */
        IT_CHECK(k > 0, "pkey_alloc: %s", strerror(errno));
        IT_CHECK(it_preloaded(), "a [region] rule needs libmpk");
    } else {
        key = pkey_alloc(0, 0);
        IT_CHECK(key > 0, "pkey_alloc: %s", strerror(errno));
    }
    if (strcmp(mode, "region_open") == 0) {
        route_pkey_mprotect(size);
        return it_done("sealed");
    }
    route_pkey_mprotect(size);
    route_mprotect(size);
    route_madvise(size);
    route_mremap(size);
    route_map_fixed(size);
    return it_done("sealed");
}
