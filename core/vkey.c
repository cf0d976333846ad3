/* core/vkey.c: slot allocation for the virtual-key table (lock held). Slots 1..15 are kept for
 * numbers equal to their hardware key; later keys take slots from 16 up, then reuse retired
 * slots at a higher generation, so a number is never handed out twice (numbers = unique). Under
 * numbers = kernel, numbers 1..15 come back as the kernel's do, lowest first. */
#include "core/vkey.h"

#include "core/cache.h"
#include "core/heap.h"
#include "core/revoke.h"
#include "core/thread.h"

#include <sys/mman.h>

#define IDENTITY_SLOTS MPK_HW_KEYS

/* Retired slots wait on a stack in the arena; never-used ones are taken from a cursor. */
int _mpk_vkey_boot(void)
{
    G->vkeys = _mpk_meta_alloc(sizeof(mpk_vkey_t) * G->max_slots);
    G->free_slots = _mpk_meta_alloc(sizeof(uint32_t) * G->max_slots);
    G->alloc_pc = _mpk_meta_alloc(sizeof(uintptr_t) * G->max_slots);
    G->next_fresh = IDENTITY_SLOTS;
    return G->vkeys && G->free_slots && G->alloc_pc ? 0 : -1;
}

int _mpk_vkey_number(uint32_t slot)
{
    uint64_t n = (uint64_t)G->vkeys[slot].gen * G->max_slots + slot;
    return n > INT_MAX ? 0 : (int)n;
}

static void bump_hwm(uint32_t slot)
{
    uint32_t hwm = atomic_load(&G->slot_hwm);
    if (slot >= hwm)
        atomic_store(&G->slot_hwm, slot + 1);
}

uint32_t _mpk_vkey_new_slot(int hw)
{
    uint32_t slot;
    if (hw > 0 && hw < IDENTITY_SLOTS && G->vkeys[hw].gen == 0 &&
        vk_state(atomic_load(&G->vkeys[hw].word)) == VK_FREE) {
        slot = (uint32_t)hw;
    } else if (G->n_free_slots > 0) {
        slot = G->free_slots[--G->n_free_slots];
    } else if (G->next_fresh < G->max_slots) {
        slot = G->next_fresh++;
    } else {
        return 0;
    }
    bump_hwm(slot);
    return slot;
}

static bool kernel_numbers(uint32_t slot)
{
    return G->cfg.numbers == MPK_NUMBERS_KERNEL && slot < IDENTITY_SLOTS;
}

uint32_t _mpk_vkey_kernel_slot(void)
{
    uint32_t raw = atomic_load(&G->raw_keys);
    for (uint32_t slot = 1; slot < IDENTITY_SLOTS; slot++) {
        mpk_vkey_t *k = &G->vkeys[slot];
        unsigned state = vk_state(atomic_load(&k->word));
        /* A zombie of the library's own (owner 0) never sits in 1..15; the check keeps it so. */
        if (!(raw & (1u << slot)) && (state == VK_FREE || (state == VK_ZOMBIE && k->owner))) {
            bump_hwm(slot);
            return slot;
        }
    }
    return 0;
}

uint32_t _mpk_vkey_new_own(mpk_thread_t *t, unsigned rights)
{
    uint32_t slot = _mpk_vkey_new_slot(0), number = slot ? (uint32_t)_mpk_vkey_number(slot) : 0;
    mpk_vkey_t *k;
    int hw;
    if (!number)
        return 0;
    k = &G->vkeys[slot];
    k->bytes = 0;
    k->lru = ++G->tick;
    k->pinned = 0;
    k->owner = 0; /* the library's: no thread's fault on it is another's doing */
    k->to_all = 0;
    G->alloc_pc[slot] = 0;
    _mpk_threads_close_slot(slot, NULL);
    _mpk_views_set_all(slot, rights);
    atomic_store(&k->word, vk_word(number, VK_ZOMBIE, 0));
    if ((hw = _mpk_cache_take(t)))
        _mpk_cache_assign(slot, hw, t);
    return slot;
}

void _mpk_vkey_retire(uint32_t slot)
{
    mpk_vkey_t *k = &G->vkeys[slot];
    _mpk_heap_forget(slot); /* its chunks went with the pages */
    atomic_store(&k->word, vk_word(0, VK_FREE, 0));
    k->pinned = 0;
    k->wx = 0;
    k->region = 0;
    k->bytes = 0;
    if (kernel_numbers(slot))
        return; /* same number next time, found by _mpk_vkey_kernel_slot */
    k->gen++;
    /* Identity slots wait for their turn in the stack like any other once used. */
    if (_mpk_vkey_number(slot) != 0)
        G->free_slots[G->n_free_slots++] = slot;
}

bool _mpk_foreign_hw_key(int key)
{
    if (key <= 0 || key >= MPK_HW_KEYS || hw_kind(atomic_load(&G->hw[key])) != HW_NOT_OURS)
        return false;
    if (mpk_sys_pkey_mprotect(G->probe_page, 4096, PROT_NONE, key) != 0)
        return false;
    mpk_sys_pkey_mprotect(G->probe_page, 4096, PROT_NONE, 0);
    return true;
}
