/* core/wx.h: W^X for JITs without page-table flips (design.md §8). A region a program flips
 * between read-write and read-execute with mprotect is converted once: mapped RWX under a key
 * of its own that every thread has write-disabled; from then on a flip to RW opens writing
 * for the calling thread only, a flip to RX closes it, and neither is a system call. */
#ifndef MPK_CORE_WX_H
#define MPK_CORE_WX_H

#include "core/state.h"

#include <stdbool.h>

typedef struct mpk_wx_unit {
    uintptr_t start, end;
    uint32_t slot;   /* the region's key */
    uint32_t number;
} mpk_wx_unit_t;

/* mprotect to RW or RX of a range inside one converted region, as a thread-local rights
 * change, lock-free. True when done (the call's result is 0); false: take the slow path. */
bool _mpk_wx_flip_fast(uintptr_t a, uintptr_t b, int prot);

/* Lock held. mprotect of [a, b) with W^X on: converts, flips or unconverts as needed. True
 * when it handled the call (*result set); false: the ordinary mprotect path follows. */
bool _mpk_wx_mprotect_locked(mpk_thread_t *t, uintptr_t a, uintptr_t b, int prot, int *result);

/* Lock held. [a, b) is gone (munmap, mmap over it, mremap): no region lives there any more. */
void _mpk_wx_forget(uintptr_t a, uintptr_t b);

/* A request for memory both writable and executable at once ([wx] rwx): 0 to go ahead, or
 * -EACCES to refuse (rwx = deny), reported unless rwx = allow. */
int _mpk_wx_rwx(const char *op, const void *addr, size_t len, int prot);

/* Lock held, from the fault handler: a write to a region by a thread that may not write.
 * With cross_thread = allow and a window open in another thread, the thread is let in (and
 * reported): true. */
bool _mpk_wx_let_in(mpk_thread_t *t, uint32_t slot, const void *addr);

#endif
