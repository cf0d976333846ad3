/* tests/integration/it_key_holders.c: two libraries take 14 of the 15 hardware keys between
 * them and never free one (wasmtime #7353, #7364: up to 15 for its instance pool, then V8 wants
 * one), and then the program needs two keys of its own. Without libmpk its second pkey_alloc
 * fails with ENOSPC; under libmpk both work, and the audit log's keys_exceeded record says which
 * library holds how many (audit_check.py holders), the kernel's keys that one took through
 * syscall() too. Prints "holders a=N b=M" for the checker. */
#include "it.h"

#include <unistd.h>

int grab_a(int n); /* libit_key_grab_a.so: glibc's pkey_alloc */
int grab_b(int n); /* libit_key_grab_b.so: syscall(SYS_pkey_alloc), the kernel's keys */

int main(void)
{
    int a, b, mine[2];
    char *page;
    it_require_pku();
    it_install_probe_handler();
    a = grab_a(11);
    b = grab_b(3);
    printf("holders a=%d b=%d\n", a, b);
    fflush(stdout);
    IT_CHECK(a == 11 && b == 3, "the libraries took %d and %d keys of 11 and 3", a, b);
    for (int i = 0; i < 2; i++) {
        mine[i] = pkey_alloc(0, PKEY_DISABLE_ACCESS);
        IT_CHECK(mine[i] > 0, "the program's own pkey_alloc #%d after the libraries took 14 keys: %s",
                 i + 1, mine[i] < 0 ? strerror(errno) : "");
        if (mine[i] <= 0)
            continue;
        page = it_page(1);
        IT_CHECK(pkey_mprotect(page, 4096, PROT_READ | PROT_WRITE, mine[i]) == 0, "pkey_mprotect: %s",
                 strerror(errno));
        IT_CHECK(!it_probe_write(page), "the program's key %d, closed, lets a write through", mine[i]);
        IT_CHECK(pkey_set(mine[i], 0) == 0 && it_probe_write(page) && page[0] == 0x5a,
                 "the program's key %d, opened, does not let it write", mine[i]);
    }
    return it_done("key_holders");
}
