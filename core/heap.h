/* core/heap.h: a heap per key (mpk_malloc/mpk_free): blocks inside the key's group, the
 * bookkeeping outside it (in the metadata arena), so that allocating and freeing never touch
 * memory the calling thread may have no rights on. Lock held throughout. */
#ifndef MPK_CORE_HEAP_H
#define MPK_CORE_HEAP_H

#include "core/state.h"

/* A block of size bytes in slot's group, aligned to the block size (at least 16) or to a page
 * for large ones. 0 or -errno (ENOMEM). */
int _mpk_heap_alloc(mpk_thread_t *t, uint32_t slot, size_t size, void **out);

/* Give back a block from _mpk_heap_alloc. 0, or -EINVAL when ptr is not one. */
int _mpk_heap_free(void *ptr);

/* The slot's key is gone (its pages with it): drop its heap's bookkeeping. */
void _mpk_heap_forget(uint32_t slot);

#endif
