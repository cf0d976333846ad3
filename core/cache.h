/* core/cache.h: hardware keys as a cache for virtual keys: resident and evicted keys, spare
 * hardware keys, the budget, LRU eviction and pinning (design.md §4). Lock held throughout. */
#ifndef MPK_CORE_CACHE_H
#define MPK_CORE_CACHE_H

#include "core/state.h"

#include <stdbool.h>

/* A hardware key nobody uses (a spare one, or a new one from the kernel within the budget),
 * not yet assigned; 0 when none. */
int _mpk_cache_take(const mpk_thread_t *self);

/* A spare hardware key no other thread has open (clean_only), or any spare one; 0 if none. */
int _mpk_cache_spare(const mpk_thread_t *self, bool clean_only);

/* A hardware key closed in every other thread: a clean spare or a new one from the kernel. */
int _mpk_cache_take_clean(const mpk_thread_t *self);

/* Move a resident slot's pages onto `to` (closed in every other thread). 0, or the kernel's
 * negative errno when the re-tag failed: slot then stays on its key, and `to` spare. */
int _mpk_cache_move(uint32_t slot, int to, mpk_thread_t *self);

/* hw now carries slot (which has no page on hw yet): every other thread that may have hw open
 * re-derives its PKRU. False when one did not answer (core/sync.c): slot then stays without a
 * hardware key and hw spare, kept from use until that thread answers. */
bool _mpk_cache_assign(uint32_t slot, int hw, mpk_thread_t *self);

/* A hardware key for slot without evicting anyone (a spare one, or a new one from the kernel
 * within the budget), assigned to it and closed in every other thread. 0 when none. */
int _mpk_cache_assign_free(uint32_t slot, mpk_thread_t *self);

/* Make slot resident on a hardware key and move all its pages onto it; evict another key for
 * it only if may_evict. Returns the hardware key or a negative errno (-ENOSPC: none; the
 * kernel's, when a re-tag failed: the victim keeps its key, slot stays evicted). */
int _mpk_cache_bring_in(uint32_t slot, mpk_thread_t *self, bool may_evict);

/* Make slot resident, evicting the least recently used unpinned key if need be, and move its
 * pages onto the hardware key. Returns the hardware key or a negative errno. */
int _mpk_cache_make_resident(uint32_t slot, mpk_thread_t *self);

/* Slot's key stops using its hardware key (it died, or is being evicted): the key becomes
 * spare. With pages, they move to key 0 with no access first. Returns the hardware key it had
 * (0: none), or the kernel's negative errno when the re-tag failed: the key then keeps its
 * hardware key and every page on it, and the failure is reported. */
int _mpk_cache_evict(uint32_t slot);
void _mpk_cache_drop(uint32_t slot);

/* The protection evicted pages physically carry: no thread may exceed it. */
#define MPK_EVICTED_PROT 0 /* PROT_NONE */

/* Re-tag every tracked range of slot with hardware key hw (0: evicted, no access). */
int _mpk_cache_retag(uint32_t slot, int hw);

#endif
