/* core/verify.h: dropping range-map entries the kernel no longer agrees with (lock held). */
#ifndef MPK_CORE_VERIFY_H
#define MPK_CORE_VERIFY_H

#include "core/state.h"

#include <stdbool.h>

/* Entries of slot whose pages do not carry the key any more (unmapped behind our back, or
 * mapped anew) are forgotten; a freed key left without pages dies. Returns how many stretches
 * were dropped. Reads /proc/self/smaps: for rare paths only. */
unsigned _mpk_verify_key(uint32_t slot);

/* Lock held. Each line of a /proc file (newline removed, cut at 4 KiB) to each(ctx, l), until
 * it returns false. Raw system calls and static buffers (one caller at a time, by the lock):
 * no allocation, safe in a signal handler. False if the file could not be opened or read. */
bool _mpk_proc_lines(const char *path, bool (*each)(void *ctx, const char *l), void *ctx);

#endif
