/* core/memory.h: keeping the range map and the per-key page counts in step with the memory
 * calls (lock held). */
#ifndef MPK_CORE_MEMORY_H
#define MPK_CORE_MEMORY_H

#include "core/state.h"

/* [a, b) is no longer tracked: byte counts drop, freed keys left without pages die. */
int _mpk_memory_forget(uintptr_t a, uintptr_t b);

/* Every range of slot is forgotten (pkey_free with on_free_in_use = revoke). */
void _mpk_memory_forget_key(uint32_t slot);

/* [a, b) now carries slot's key with prot (the pages already do): byte counts follow. */
int _mpk_memory_track(uintptr_t a, uintptr_t b, uint32_t slot, int prot);

/* pkey_mprotect of [a, b) with slot's key (resident or not), tracked; 0 or -errno. */
int _mpk_memory_protect_locked(mpk_thread_t *t, uintptr_t a, uintptr_t b, int prot, uint32_t slot);

/* Fresh read-write anonymous memory of len bytes in slot's group; 0 or -errno. */
int _mpk_memory_map_locked(mpk_thread_t *t, uint32_t slot, size_t len, void **out);

/* munmap, keeping the map in step; 0 or -errno. */
int _mpk_memory_unmap_locked(void *a, size_t len);

#endif
