/* tests/integration/it.h: support for the integration programs, which run unmodified under
 * LD_PRELOAD=libmpk_preload.so (and some also without it, to show the rule they check is the
 * library's doing). Probes that report a fault instead of dying, PKU detection, and checks
 * that print where they failed. Exit codes: 0 pass, 1 fail, 77 skip. */
#ifndef MPK_IT_H
#define MPK_IT_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#define IT_SKIP 77

/* Did the last probe on this thread fault, and how. */
typedef struct it_fault {
    int faulted;
    int code;  /* si_code */
    int pkey;  /* si_pkey when code is SEGV_PKUERR */
    void *addr;
} it_fault_t;
extern __thread it_fault_t it_last;

/* Read or write one byte at p; 1 if it worked, 0 if it faulted (it_last says how). The fault
 * handler resumes after the access, so the handler returns normally (no longjmp). */
int it_probe_read(volatile void *p);
int it_probe_write(volatile void *p);
int it_probe_write_byte(volatile void *p, int byte); /* writes `byte` instead of 0x5a */

/* Install the probe handler for SIGSEGV (through sigaction, as a program would). Any other
 * fault kills the program with a message. Unit tests, which link core without the preload,
 * point it_sigaction at the manager's own sigaction first. */
void it_install_probe_handler(void);
extern int (*it_sigaction)(int, const struct sigaction *, struct sigaction *);

/* PKU usable (CPU and kernel)? Tests that need it exit IT_SKIP otherwise. */
bool it_have_pku(void);
void it_require_pku(void);

/* The program's own RDPKRU and WRPKRU, as code that drives PKRU itself writes them (bytes,
 * so no -mpku is needed); only where it_require_pku passed. */
static inline unsigned it_rdpkru(void)
{
    unsigned eax, edx;
    __asm__ volatile(".byte 0x0f,0x01,0xee" : "=a"(eax), "=d"(edx) : "c"(0));
    return eax;
}

static inline void it_wrpkru(unsigned v)
{
    __asm__ volatile(".byte 0x0f,0x01,0xef" : : "a"(v), "c"(0), "d"(0) : "memory");
}

/* Is libmpk preloaded? */
bool it_preloaded(void);

/* One anonymous read-write page (or n pages). */
void *it_page(size_t n);

/* n keys, each with one read-write page tagged with it (keys[i], pages[i]; either may be
 * NULL). When the kernel runs out of keys, says SKIP and exits: 1 under libmpk (which has no
 * limit), IT_SKIP without it (the hardware has fewer keys than the test wants). */
void it_keyed_pages(int n, int *keys, char **pages);

/* libmpk's writable segment (.data and .bss), exactly as its program header says: [*lo, *hi).
 * False when libmpk is not loaded. */
bool it_libmpk_data(uintptr_t *lo, uintptr_t *hi);

/* The start of the mapping with the highest protection key in /proc/self/smaps: libmpk's
 * metadata arena once it is active. NULL if no mapping has a key. */
char *it_libmpk_arena(void);

/* The protection key of the mapping that holds p, from /proc/self/smaps; -1 if not found. */
int it_pkey_of(const void *p);

extern int it_failures;
#define IT_CHECK(cond, ...)                                                                        \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            it_failures++;                                                                         \
            if (it_failures <= 20) {                                                               \
                fprintf(stderr, "%s:%d: check failed: %s: ", __FILE__, __LINE__, #cond);           \
                fprintf(stderr, __VA_ARGS__);                                                      \
                fputc('\n', stderr);                                                               \
            }                                                                                      \
        }                                                                                          \
    } while (0)

/* Exit with the verdict. */
int it_done(const char *name);

/* Rights as pkey_set takes them, and what they allow. */
static inline bool it_can_read(int r) { return !(r & PKEY_DISABLE_ACCESS); }
static inline bool it_can_write(int r) { return r == 0; }

/* A small, seeded generator: every run is replayable (IT_SEED overrides). */
uint64_t it_rand(void);
void it_seed(uint64_t seed);
uint64_t it_seed_from_env(uint64_t dflt);

#endif
