/* tests/integration/it_threads_default.c: a new key is open only in the thread that allocated
 * it (with the rights it asked), closed in every other existing thread; a thread created later
 * inherits its creator's rights. */
#include "it.h"

#include <pthread.h>
#include <semaphore.h>

static sem_t go, done;
static int key;
static char *page;
static int seen_get, seen_read, seen_write;

static void *existing(void *arg)
{
    (void)arg;
    sem_wait(&go); /* created before the key exists */
    seen_get = pkey_get(key);
    seen_read = it_probe_read(page);
    seen_write = it_probe_write(page);
    sem_post(&done);
    return NULL;
}

static void *child(void *arg)
{
    (void)arg;
    seen_get = pkey_get(key);
    seen_read = it_probe_read(page);
    seen_write = it_probe_write(page);
    return NULL;
}

int main(void)
{
    pthread_t t;
    it_require_pku();
    it_install_probe_handler();
    sem_init(&go, 0, 0);
    sem_init(&done, 0, 0);
    pthread_create(&t, NULL, existing, NULL);

    key = pkey_alloc(0, 0);
    IT_CHECK(key > 0, "pkey_alloc: %s", strerror(errno));
    page = it_page(1);
    IT_CHECK(pkey_mprotect(page, 4096, PROT_READ | PROT_WRITE, key) == 0, "pkey_mprotect");
    IT_CHECK(it_probe_read(page) && it_probe_write(page), "allocating thread has rights 0");

    sem_post(&go);
    sem_wait(&done);
    pthread_join(t, NULL);
    IT_CHECK(seen_get == PKEY_DISABLE_ACCESS, "existing thread: pkey_get = %d", seen_get);
    IT_CHECK(!seen_read && !seen_write, "existing thread reached the page: read %d write %d",
             seen_read, seen_write);

    /* Inheritance: each of the creator's rights passes to a new thread. */
    {
        static const int all[] = {0, PKEY_DISABLE_WRITE, PKEY_DISABLE_ACCESS};
        for (int i = 0; i < 3; i++) {
            pkey_set(key, (unsigned)all[i]);
            pthread_create(&t, NULL, child, NULL);
            pthread_join(t, NULL);
            IT_CHECK(seen_get == all[i], "child of a thread with rights %d: pkey_get %d", all[i],
                     seen_get);
            IT_CHECK(seen_read == it_can_read(all[i]) && seen_write == it_can_write(all[i]),
                     "child of a thread with rights %d: read %d write %d", all[i], seen_read,
                     seen_write);
        }
    }
    return it_done("threads_default");
}
