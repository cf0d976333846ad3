/* core/verify.h: dropping range-map entries the kernel no longer agrees with (lock held). */
#ifndef MPK_CORE_VERIFY_H
#define MPK_CORE_VERIFY_H

#include "core/state.h"

/* Entries of slot whose pages do not carry the key any more (unmapped behind our back, or
 * mapped anew) are forgotten; a freed key left without pages dies. Returns how many stretches
 * were dropped. Reads /proc/self/smaps: for rare paths only. */
unsigned _mpk_verify_key(uint32_t slot);

#endif
