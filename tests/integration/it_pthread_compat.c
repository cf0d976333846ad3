/* tests/integration/it_pthread_compat.c: a binary linked against the old symbol version
 * pthread_create@GLIBC_2.2.5 (programs built before glibc 2.34) still gets the preload's
 * pthread_create: the new thread inherits its creator's rights on a key beyond the hardware's
 * (which only the preload can know). */
#include "it.h"

#include <pthread.h>

__asm__(".symver pthread_create_old, pthread_create@GLIBC_2.2.5");
int pthread_create_old(pthread_t *, const pthread_attr_t *, void *(*)(void *), void *);

static int key;
static char *page;
static int seen;

static void *child(void *arg)
{
    (void)arg;
    seen = pkey_get(key) == 0 && it_probe_write(page);
    return NULL;
}

int main(void)
{
    pthread_t t;
    it_require_pku();
    it_install_probe_handler();
    for (int i = 0; i < 20; i++) { /* key number 20: evicted most of the time */
        key = pkey_alloc(0, 0);
        if (key < 0) {
            printf("SKIP: %s (more keys than the hardware needs libmpk)\n", strerror(errno));
            return it_preloaded() ? 1 : IT_SKIP;
        }
        page = it_page(1);
        pkey_mprotect(page, 4096, PROT_READ | PROT_WRITE, key);
    }
    pkey_set(key, 0);
    IT_CHECK(pthread_create_old(&t, NULL, child, NULL) == 0, "pthread_create@GLIBC_2.2.5");
    pthread_join(t, NULL);
    IT_CHECK(seen, "thread made through the old symbol did not inherit its creator's rights");
    return it_done("pthread_compat");
}
