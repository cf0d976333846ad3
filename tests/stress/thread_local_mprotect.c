/* tests/stress/thread_local_mprotect.c: a deliberately broken mpk_mprotect, preloaded ahead of
 * libmpk to show that the stress can fail: it changes the rights of the calling thread only
 * (what pkey_set does, the semantic gap of design.md §1), so every other thread keeps rights
 * the model has taken away. stress must report the divergence (test stress.broken). */
#include <errno.h>
#include <sys/mman.h>

__attribute__((visibility("default"))) int mpk_mprotect(int vkey, int prot)
{
    switch (prot) {
    case PROT_NONE: return pkey_set(vkey, PKEY_DISABLE_ACCESS);
    case PROT_READ: return pkey_set(vkey, PKEY_DISABLE_WRITE);
    case PROT_READ | PROT_WRITE: return pkey_set(vkey, 0);
    default: errno = EINVAL; return -1;
    }
}
