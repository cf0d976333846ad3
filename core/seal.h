/* core/seal.h: sealed groups (sealed = in [libmpk] and [region NAME]): the program's own calls
 * that would change the mapping of pages a key carries are refused or reported. */
#ifndef MPK_CORE_SEAL_H
#define MPK_CORE_SEAL_H

#include "core/prim.h"
#include "core/state.h"

#include <stdint.h>

/* Lock held. The program's call op (its name, as the record gives it) is about to change
 * [a, b): every sealed key whose pages lie there is reported once; -EPERM if one of them is
 * sealed with refuse (nothing is changed then), else 0. A cheap no when nothing is sealed. */
int _mpk_seal_check_slow(uintptr_t a, uintptr_t b, const char *op);
static inline int _mpk_seal_check_locked(uintptr_t a, uintptr_t b, const char *op)
{
    if (mpk_likely(G->cfg.sealed == MPK_SEALED_NO && !G->cfg.any_region_sealed))
        return 0; /* the default: the memory calls pay two compares (bench/count churn) */
    return _mpk_seal_check_slow(a, b, op);
}

/* For madvise advice that changes what pages hold or who gets them (those the kernel's mseal
 * refuses: MADV_DONTNEED, MADV_DONTNEED_LOCKED, MADV_FREE, MADV_REMOVE, MADV_DONTFORK,
 * MADV_WIPEONFORK), the call's name for records ("madvise(MADV_FREE)"); NULL for the rest,
 * hints that change nothing another thread could see. */
const char *_mpk_seal_destructive_advice(int advice);

#endif
