/* tests/install/prog.c: a program that uses the installed libmpk (mpk.h, -lmpk). Prints "ok",
 * or "no PKU" where the CPU has none (mpk_init fails with ENOTSUP). */
#define _GNU_SOURCE /* pkey_alloc and its constants */
#include <errno.h>
#include <mpk.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

int main(void)
{
    int key;
    char *p;
    if (mpk_init(-1) != 0) {
        if (errno == ENOTSUP) {
            puts("no PKU");
            return 0;
        }
        printf("mpk_init: %s\n", strerror(errno));
        return 1;
    }
    key = pkey_alloc(0, PKEY_DISABLE_ACCESS);
    p = mpk_malloc(key, 64);
    if (key <= 0 || !p || mpk_begin(key, PROT_READ | PROT_WRITE) != 0)
        return 1;
    strcpy(p, "ok");
    puts(p);
    return mpk_end(key) != 0 || mpk_munmap(key) != 0;
}
