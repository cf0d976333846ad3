/* core/sync.h: making other threads' PKRU agree with the manager's state (design.md §5). */
#ifndef MPK_CORE_SYNC_H
#define MPK_CORE_SYNC_H

#include "core/state.h"

/* Lock held, state already changed. Every other thread that may have one of the hardware keys
 * in hw_mask open re-derives its PKRU; returns when all have (eager revocation). Threads
 * without those keys open are left alone: they have them closed, and a grant reaches them
 * lazily through the fault handler. Returns the number of threads interrupted. */
unsigned _mpk_sync(uint32_t hw_mask, const mpk_thread_t *self);

/* The handler of the reserved signal. */
void _mpk_sync_handler(int sig, siginfo_t *si, void *uc);

/* Said once when a thread does not answer for seconds (it blocks the signal, say). */
void _mpk_report_stuck_sync(int sig);

#endif
