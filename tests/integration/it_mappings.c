/* tests/integration/it_mappings.c: mprotect keeps a page's key; a new mapping over the same
 * address has the default key; munmap and mremap move or drop the key with the pages; an
 * execute-only mapping still gets the kernel's execute-only key. */
#include "it.h"

int main(void)
{
    char *p, *q;
    int k;
    it_require_pku();
    it_install_probe_handler();
    k = pkey_alloc(0, PKEY_DISABLE_ACCESS);
    IT_CHECK(k > 0, "pkey_alloc: %s", strerror(errno));

    /* mprotect keeps the key. */
    p = it_page(2);
    IT_CHECK(pkey_mprotect(p, 8192, PROT_READ | PROT_WRITE, k) == 0, "pkey_mprotect");
    IT_CHECK(mprotect(p, 4096, PROT_READ) == 0, "mprotect");
    IT_CHECK(!it_probe_read(p), "mprotect dropped the key: page readable");
    IT_CHECK(it_last.code == SEGV_PKUERR && it_last.pkey == k, "fault: code %d pkey %d",
             it_last.code, it_last.pkey);
    pkey_set(k, 0);
    IT_CHECK(it_probe_read(p) && !it_probe_write(p), "after mprotect(READ) with key open: r/o");
    IT_CHECK(it_last.code == SEGV_ACCERR, "write to a read-only page: code %d", it_last.code);
    IT_CHECK(it_probe_write(p + 4096), "second page untouched by mprotect of the first");
    pkey_set(k, PKEY_DISABLE_ACCESS);

    /* A new mapping at the same address has key 0. */
    q = mmap(p, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    IT_CHECK(q == p, "mmap MAP_FIXED");
    IT_CHECK(it_probe_read(p) && it_probe_write(p), "new mapping over a keyed page kept the key");
    IT_CHECK(!it_probe_read(p + 4096), "the neighbour lost its key");

    /* munmap drops, mremap moves. */
    q = mremap(p + 4096, 4096, 8192, MREMAP_MAYMOVE);
    IT_CHECK(q != MAP_FAILED, "mremap: %s", strerror(errno));
    IT_CHECK(!it_probe_read(q) && !it_probe_read(q + 4096), "mremap'd pages lost the key");
    pkey_set(k, 0);
    IT_CHECK(it_probe_write(q) && it_probe_write(q + 4096), "mremap'd pages with key open");
    IT_CHECK(munmap(q, 8192) == 0, "munmap");

    /* Execute-only memory: the kernel's own key, read faults with SEGV_PKUERR. */
    {
        unsigned char *x = mmap(NULL, 4096, PROT_READ | PROT_WRITE | PROT_EXEC,
                                MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        int (*fn)(void) = (int (*)(void))(void *)x;
        static const unsigned char ret42[] = {0xb8, 42, 0, 0, 0, 0xc3}; /* mov eax,42; ret */
        /* Many keys first: the preload must leave the kernel a key for execute-only memory. */
        int more[20], n = 0;
        while (n < 20 && (more[n] = pkey_alloc(0, 0)) > 0)
            n++;
        memcpy(x, ret42, sizeof ret42);
        IT_CHECK(mprotect(x, 4096, PROT_EXEC) == 0, "mprotect(PROT_EXEC): %s", strerror(errno));
        IT_CHECK(fn() == 42, "execute-only code runs");
        IT_CHECK(!it_probe_read(x), "execute-only page readable (%d keys held)", n + 1);
        IT_CHECK(it_last.code == SEGV_PKUERR, "read of execute-only memory: code %d", it_last.code);
        for (int i = 0; i < n; i++)
            pkey_free(more[i]);
    }
    return it_done("mappings");
}
