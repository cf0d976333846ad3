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

/* The routes: each makes its call on the secret page p and returns 0 when the call did what
 * it asked (as without libmpk), else its result. */
static long route_pkey_mprotect(char *p)
{
    return pkey_mprotect(p, PAGE, PROT_READ | PROT_WRITE, 0);
}

static void after_pkey_mprotect(char *p)
{
    if (!refuse)
        IT_CHECK(it_probe_read(p), "pkey_mprotect to key 0: the page is open, as without libmpk");
}

static long route_mprotect(char *p)
{
    return mprotect(p, PAGE, PROT_READ);
}

static long route_madvise(char *p)
{
    return madvise(p, PAGE, MADV_DONTNEED);
}

static void after_madvise(char *p)
{
    IT_CHECK(madvise(p, PAGE, MADV_WILLNEED) == 0, "madvise(MADV_WILLNEED), a hint, goes on: %s",
             strerror(errno));
}

static char *mremap_dest;

static long route_mremap(char *p)
{
    long r = (long)mremap(p, PAGE, PAGE, MREMAP_MAYMOVE | MREMAP_FIXED, mremap_dest);
    return r == (long)mremap_dest ? 0 : r;
}

static long route_map_fixed(char *p)
{
    long r = (long)mmap(p, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    return r == (long)p ? 0 : r;
}

static const struct route {
    const char *name;
    long (*call)(char *p);
    void (*after)(char *p); /* a check of the route's own, or NULL */
} routes[] = { { "pkey_mprotect to key 0", route_pkey_mprotect, after_pkey_mprotect },
               { "mprotect(PROT_READ)", route_mprotect, NULL },
               { "madvise(MADV_DONTNEED)", route_madvise, after_madvise },
               { "mremap away", route_mremap, NULL },
               { "mmap(MAP_FIXED) over it", route_map_fixed, NULL } };

/* One route on a fresh secret page: refused and the page intact (refuse), or done. */
static void one_route(const struct route *rt, size_t size)
{
    char *p = secret_page(size);
    expect_result(rt->name, rt->call(p), 0);
    if (refuse)
        expect_intact(rt->name, p);
    if (rt->after)
        rt->after(p);
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
    mremap_dest = mmap(NULL, PAGE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    IT_CHECK(mremap_dest != MAP_FAILED, "mmap: %s", strerror(errno));
    /* region_open: only the route that takes a page out of an unsealed rule. */
    for (size_t i = 0; i < (strcmp(mode, "region_open") == 0 ? 1 : sizeof routes / sizeof routes[0]); i++)
        one_route(&routes[i], size);
    return it_done("sealed");
}
