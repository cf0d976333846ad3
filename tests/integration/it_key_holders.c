/* tests/integration/it_key_holders.c: two libraries take every hardware key between them and
 * never free one (wasmtime #7353, #7364: up to 15 for its instance pool, then V8 wants one), and
 * then the program needs a key of its own. Without libmpk its pkey_alloc fails with ENOSPC;
 * under libmpk it gets one that works, and the audit log's keys_exceeded record says which
 * library holds how many (audit_check.py holders). Prints "holders a=N b=M" for the checker. */
#include "it.h"

#include <unistd.h>

int grab_a(int n); /* libit_key_grab_a.so: glibc's pkey_alloc */
int grab_b(int n); /* libit_key_grab_b.so: syscall(SYS_pkey_alloc) */

int main(void)
{
    int a, b, mine;
    char *page;
    it_require_pku();
    it_install_probe_handler();
    a = grab_a(12);
    b = grab_b(3);
    printf("holders a=%d b=%d\n", a, b);
    fflush(stdout);
    IT_CHECK(a == 12 && b == 3, "the libraries took %d and %d keys of 12 and 3", a, b);
    mine = pkey_alloc(0, PKEY_DISABLE_ACCESS);
    IT_CHECK(mine > 0, "the program's own pkey_alloc after the libraries took 15 keys: %s",
             mine < 0 ? strerror(errno) : "");
    if (mine > 0) {
        page = it_page(1);
        IT_CHECK(pkey_mprotect(page, 4096, PROT_READ | PROT_WRITE, mine) == 0, "pkey_mprotect: %s",
                 strerror(errno));
        IT_CHECK(!it_probe_write(page), "the program's key, closed, lets a write through");
        IT_CHECK(pkey_set(mine, 0) == 0 && it_probe_write(page) && page[0] == 0x5a,
                 "the program's key, opened, does not let it write");
    }
    return it_done("key_holders");
}
