/* tests/integration/it_signal_register.c: a thread that libmpk first meets in a signal handler
 * registers there without allocating (issue 18 item 4), and still has its record released when
 * it ends, once it has made a call where allocating is safe (pthread_create).
 *
 * libmpk learns that a thread ended from a pthread key's destructor. glibc keeps the values of
 * a thread's first 32 keys in its descriptor and callocs a block for later ones on first use,
 * and calloc is not async-signal-safe. So the program makes libmpk's key a late one: 40 keys are
 * taken in .preinit_array, which runs before any library's constructor (libmpk boots in its own).
 * Thread T starts before any protection key exists, so libmpk does not see it born; T then
 * waits, making no call, until a signal's handler has run. libmpk's wrapper of the handler
 * registers T before the program's (which calls pkey_get) runs, so the flag that counts is
 * set for T's whole wait, not in the program's handler: any calloc T makes while it waits comes
 * from the handler. calloc is the program's own, forwarding to glibc's; glibc's
 * pthread_setspecific reaches it through the PLT. The record's release is read from libmpk's
 * verbose line at exit ("1 threads": main's only), matched by the test's
 * PASS_REGULAR_EXPRESSION. */
#include "it.h"

#include <pthread.h>
#include <stdatomic.h>

#define EARLY_KEYS 40

void *__libc_calloc(size_t n, size_t size);

/* T waits for the signal: what it runs now is a handler. volatile, as for any datum a handler
 * shares: else the compiler may drop the store before the wait (T reads it nowhere itself). */
static __thread volatile sig_atomic_t waiting;
static atomic_int handler_callocs; /* calloc calls made by T while it waits */
static atomic_int ready, handled;
static int key, handler_rights = -2;
static pthread_key_t early[EARLY_KEYS];
static int early_failed;

/* Exported (the build hides symbols by default): glibc's calls must bind to it. */
__attribute__((visibility("default"))) void *calloc(size_t n, size_t size)
{
    if (waiting)
        atomic_fetch_add(&handler_callocs, 1);
    return __libc_calloc(n, size);
}

/* Before every constructor, libmpk's included: its exit key is created after these. */
static void take_early_keys(void)
{
    for (int i = 0; i < EARLY_KEYS; i++)
        early_failed |= pthread_key_create(&early[i], NULL) != 0;
}
__attribute__((section(".preinit_array"), used)) static void (*const preinit)(void) =
    take_early_keys;

static void on_usr1(int sig)
{
    (void)sig;
    handler_rights = pkey_get(key);
    atomic_store(&handled, 1);
}

static void *nothing(void *arg) { return arg; }

static void *t_main(void *arg)
{
    pthread_t child;
    (void)arg;
    waiting = 1;
    atomic_store(&ready, 1);
    while (!atomic_load(&handled)) /* no call: only the handler runs code of libc or libmpk */
        __builtin_ia32_pause();
    waiting = 0;
    /* Outside any handler: where libmpk sets the exit hook that registration left pending. */
    IT_CHECK(pthread_create(&child, NULL, nothing, NULL) == 0, "pthread_create from T");
    pthread_join(child, NULL);
    return NULL;
}

int main(void)
{
    struct sigaction sa;
    pthread_key_t late;
    pthread_t t;
    it_require_pku();
    IT_CHECK(!early_failed, "pthread_key_create in .preinit_array");
    /* libmpk's exit key was made between our last early key and this one: past glibc's 32. */
    IT_CHECK(pthread_key_create(&late, NULL) == 0 && late > early[EARLY_KEYS - 1] + 1,
             "no key between #%u (.preinit_array's last) and #%u (main's): libmpk's exit key "
             "is not past glibc's first 32",
             (unsigned)early[EARLY_KEYS - 1], (unsigned)late);
    IT_CHECK(pthread_create(&t, NULL, t_main, NULL) == 0, "pthread_create");
    while (!atomic_load(&ready))
        __builtin_ia32_pause();
    key = pkey_alloc(0, 0); /* libmpk comes into play; T exists and is unknown to it */
    IT_CHECK(key > 0, "pkey_alloc: %s", strerror(errno));
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_usr1;
    sigemptyset(&sa.sa_mask);
    IT_CHECK(sigaction(SIGUSR1, &sa, NULL) == 0, "sigaction");
    IT_CHECK(pthread_kill(t, SIGUSR1) == 0, "pthread_kill");
    pthread_join(t, NULL);
    IT_CHECK(handler_rights >= 0, "pkey_get in T's handler: %d", handler_rights);
    IT_CHECK(atomic_load(&handler_callocs) == 0,
             "T called calloc %d time(s) in the signal handler where libmpk registered it",
             atomic_load(&handler_callocs));
    return it_done("signal_register");
}
