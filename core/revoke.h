/* core/revoke.h: every thread's rights on a key at once (mpk_mprotect). Lock held. */
#ifndef MPK_CORE_REVOKE_H
#define MPK_CORE_REVOKE_H

#include "core/state.h"

#include <stdbool.h>

/* Every thread gets `rights` on slot (threads inside an mpk_begin section on it keep theirs
 * until mpk_end). Revocation is complete on return; grants reach threads lazily. */
int _mpk_set_all_locked(uint32_t slot, unsigned rights, mpk_thread_t *self);

/* Every thread's view of slot at every depth (threads in a section on it keep theirs). */
void _mpk_views_set_all(uint32_t slot, unsigned rights);

/* The cost model: interrupt `threads` threads rather than move `bytes` of pages? */
bool _mpk_revoke_by_signal(unsigned threads, size_t bytes);

void _mpk_revoke_boot(void);

#endif
