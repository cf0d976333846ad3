/* core/section.h: mpk_begin/mpk_end sections: a thread's own rights on a key for a while, kept
 * lock-free and exact through concurrent mpk_mprotect calls on the same key. */
#ifndef MPK_CORE_SECTION_H
#define MPK_CORE_SECTION_H

#include "core/state.h"

#include <stdbool.h>

/* Open a section on slot at t's signal depth, recording the rights to restore at its end.
 * Once this returns, no mpk_mprotect of slot is midway and every later one leaves t's view of
 * slot alone, so the caller may set the section's rights. -ENOMEM when t has too many. */
int _mpk_section_push(mpk_thread_t *t, uint32_t slot);

/* Take back the section just pushed (its rights could not be set). */
void _mpk_section_drop(mpk_thread_t *t);

/* Close t's innermost section on slot, copied to *s. -EINVAL if t has none on slot. */
int _mpk_section_pop(mpk_thread_t *t, uint32_t slot, mpk_section_t *s);

/* The rights a closed section restores: what the thread had before it, or those of the
 * mpk_mprotect calls made since. *seq is the handshake word they hold under: once the caller
 * has written them, _mpk_section_moved says whether a call raced the write. */
unsigned _mpk_section_restore(const mpk_section_t *s, uint32_t *seq);
bool _mpk_section_moved(uint32_t slot, uint32_t seq);

/* The hardware keys of the keys some thread has a section on (bit hw). Lock held: a section
 * that opens or closes meanwhile may be missed, which only makes eviction a worse guess. */
uint32_t _mpk_sections_hw_mask(void);

#endif
