/* tests/integration/it_audit_abc.c: the program of the audit issue. Function A frees a key that
 * still tags a page, B sets rights on a key number it never got, C writes to a write-disabled
 * page. Steps come from argv[1] ("ab", "abc"); what the program prints on stdout is the same
 * with and without libmpk, so a checker can compare runs; the keys, the forged number and the
 * page addresses go to stderr for the checker (tests/integration/audit_check.py). */
#include "it.h"

#include <unistd.h>

/* noinline and no clones: the log must name these very functions. */
#define STEP __attribute__((noinline, noclone, used))

STEP void A(int key)
{
    pkey_free(key); /* the page still carries the key */
    __asm__ volatile("" ::: "memory");
}

STEP int B(int forged)
{
    int r = pkey_set(forged, 0); /* a number pkey_alloc never returned */
    __asm__ volatile("" ::: "memory");
    return r;
}

STEP void C(volatile char *page)
{
    page[0] = 1; /* write-disabled for this thread: SIGSEGV, with or without libmpk */
    __asm__ volatile("" ::: "memory");
}

int main(int argc, char **argv)
{
    const char *steps = argc > 1 ? argv[1] : "ab";
    int k1, k2, forged;
    char *p1, *p2;
    it_require_pku();
    k1 = pkey_alloc(0, 0);
    k2 = pkey_alloc(0, PKEY_DISABLE_WRITE);
    p1 = it_page(1);
    p2 = it_page(1);
    if (k1 <= 0 || k2 <= 0 || pkey_mprotect(p1, 4096, PROT_READ | PROT_WRITE, k1) ||
        pkey_mprotect(p2, 4096, PROT_READ | PROT_WRITE, k2)) {
        perror("setup");
        return 1;
    }
    /* Never handed out, and within the hardware's 1..15, where the kernel alone accepts it. */
    forged = (k1 > k2 ? k1 : k2) + 9;
    fprintf(stderr, "it_audit_abc: k1=%d k2=%d forged=%d p1=%p p2=%p\n", k1, k2, forged, (void *)p1,
            (void *)p2);
    fflush(stderr);
    if (strchr(steps, 'a')) {
        A(k1);
        printf("A done\n");
    }
    if (strchr(steps, 'b')) {
        int r = B(forged);
        fprintf(stderr, "it_audit_abc: B: pkey_set(%d) = %d (%s)\n", forged, r, r ? strerror(errno) : "ok");
        printf("B done\n");
    }
    fflush(stdout);
    if (strchr(steps, 'c')) {
        C(p2);
        printf("C wrote to a write-disabled page\n"); /* never reached */
        return 1;
    }
    printf("finished\n");
    return 0;
}
