/* core/region.h: [region NAME] rules: mappings under a key of the rule's own, with rights per
 * thread decided from the thread's name at its first access (design.md §7). */
#ifndef MPK_CORE_REGION_H
#define MPK_CORE_REGION_H

#include "core/state.h"

#include <stdbool.h>

/* Lock held. [a, b), just mapped with prot, falls under rule r (1..64): tag it with the
 * rule's key (made on first use). 0 or -errno (the caller then unmaps: a mapping the policy
 * protects is never handed out unprotected). */
int _mpk_region_tag_locked(mpk_thread_t *t, unsigned r, uintptr_t a, uintptr_t b, int prot);

/* Lock held, from the fault handler. If slot is a rule's key, set t's view of it from the
 * rule and t's current name and return true (the caller checks the access again). */
bool _mpk_region_decide(mpk_thread_t *t, uint32_t slot);

/* A new thread's views: every rule's key closed, so its own name decides (no lock needed). */
void _mpk_region_child(uint8_t *views);

/* Lock held. A thread was renamed: every thread's rights on every rule's key are taken away
 * (complete on return) and decided again at each thread's next access. */
void _mpk_region_renamed_locked(mpk_thread_t *self);

/* The same, from the preload's pthread_setname_np and prctl(PR_SET_NAME). */
void _mpk_region_renamed(void);

#endif
