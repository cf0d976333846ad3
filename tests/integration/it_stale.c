/* tests/integration/it_stale.c: memory that leaves without passing through the preload's
 * munmap (glibc's free of a large block uses its own internal munmap) must not haunt the key
 * that tagged it: pkey_free then frees the key for good (its pages are gone), and when the
 * address is mapped again behind the library's back, evicting keys never touches the new
 * mapping. */
#include "it.h"

#include <sys/syscall.h>
#include <unistd.h>

/* The system call itself (glibc's syscall() is interposed too). */
static void *raw_mmap(void *addr, size_t len)
{
    long r;
    register long r10 __asm__("r10") = MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED;
    register long r8 __asm__("r8") = -1;
    register long r9 __asm__("r9") = 0;
    __asm__ volatile("syscall"
                     : "=a"(r)
                     : "a"(SYS_mmap), "D"(addr), "S"(len), "d"((long)(PROT_READ | PROT_WRITE)),
                       "r"(r10), "r"(r8), "r"(r9)
                     : "rcx", "r11", "memory");
    return (void *)r;
}

int main(void)
{
    char *block, *pages, *again;
    int k, others[30];
    it_require_pku();
    it_install_probe_handler();

    /* A large malloc block (glibc maps it, and unmaps it at free without our munmap). */
    block = malloc(1 << 20);
    pages = (char *)(((uintptr_t)block + 8191) & ~(uintptr_t)4095);
    k = pkey_alloc(0, PKEY_DISABLE_ACCESS);
    IT_CHECK(k > 0 && pkey_mprotect(pages, 16 * 4096, PROT_READ | PROT_WRITE, k) == 0, "set-up");
    IT_CHECK(!it_probe_read(pages), "the key does not protect the block");
    free(block);

    /* The address comes back to someone else, behind the library's back (as glibc's malloc
     * would map it again): by a raw system call, not through the preload. */
    again = raw_mmap(pages, 16 * 4096);
    IT_CHECK(again == pages, "remapping the old address: %s", strerror(errno));
    memset(again, 7, 16 * 4096);
    IT_CHECK(pkey_free(k) == 0, "pkey_free: %s", strerror(errno));

    /* Many keys, each touched: every hardware key changes hands, freed ones included. */
    for (int i = 0; i < 30; i++) {
        char *p = it_page(1);
        others[i] = pkey_alloc(0, 0);
        pkey_mprotect(p, 4096, PROT_READ | PROT_WRITE, others[i]);
        p[0] = 1;
    }
    IT_CHECK(it_probe_read(again) && it_probe_write(again + 15 * 4096),
             "a mapping at an address the library once tracked was re-tagged by an eviction");
    IT_CHECK(again[4096] == 7, "its contents changed");
    return it_done("stale");
}
