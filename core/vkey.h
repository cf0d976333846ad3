/* core/vkey.h: the virtual-key table: slots, numbers that are never reused, and the lookups
 * the hot paths make without a lock. */
#ifndef MPK_CORE_VKEY_H
#define MPK_CORE_VKEY_H

#include "core/state.h"

#include <limits.h>

/* Slot of a live key number, or 0 when the number is not a live key (never allocated, freed,
 * or out of range). Lock-free: one load of the slot's word. */
static inline uint32_t _mpk_vkey_slot(int number, uint64_t *word)
{
    uint32_t slot;
    uint64_t w;
    if (number <= 0)
        return 0;
    slot = (uint32_t)number & G->slot_mask;
    if (slot == 0 || slot >= G->max_slots)
        return 0;
    w = atomic_load_explicit(&G->vkeys[slot].word, memory_order_acquire);
    if (vk_number(w) != (uint32_t)number || vk_state(w) != VK_LIVE)
        return 0;
    if (word)
        *word = w;
    return slot;
}

/* Lock held. A slot for a new key: slot == hw when that number was never given out, so that
 * while a program has few keys its numbers are the hardware's (code that writes PKRU itself
 * keeps working); otherwise a free slot from 16 up. 0 when none is left. */
uint32_t _mpk_vkey_new_slot(int hw);

/* Lock held; numbers = kernel. The kernel's choice of number for the program's next key: the
 * lowest of 1..15 that is not live (never used, freed, or a freed key whose pages still carry
 * it, which the new key then takes over) and not a raw hardware key of the program's. 0 when
 * all fifteen are taken: the next number comes from 16 up, never reused. */
uint32_t _mpk_vkey_kernel_slot(void);

/* Lock held. A key of the library's own (a W^X region's, a [region] rule's): a zombie from
 * birth, so the program gets no number for it, can neither set rights on it nor free it, and
 * it dies with its last page. Every thread's view of it is `rights`; it goes onto a hardware
 * key if one can be had. Never a number 1..15 (those follow the program's keys). 0 when no
 * slot is left. */
uint32_t _mpk_vkey_new_own(mpk_thread_t *t, unsigned rights);

/* Lock held. The number slot would carry now, or 0 when the slot's numbers are used up. */
int _mpk_vkey_number(uint32_t slot);

/* Lock held. The key in slot is gone for good (no live number, no pages): its slot becomes
 * free for a later key with a higher generation (under numbers = kernel, slots 1..15 keep
 * their number and wait for _mpk_vkey_kernel_slot). */
void _mpk_vkey_retire(uint32_t slot);

/* A hardware key number the program allocated itself with a raw system call: not ours, but
 * real, so calls on it pass through as without the library. Only the kernel knows: a
 * pkey_mprotect of a page of ours with it fails unless it is allocated. */
bool _mpk_foreign_hw_key(int key);

/* At boot: the table and the free-slot stack, in the arena. */
int _mpk_vkey_boot(void);

#endif
