/* core/sync.h: making other threads' PKRU agree with the manager's state (design.md §5). */
#ifndef MPK_CORE_SYNC_H
#define MPK_CORE_SYNC_H

#include "core/state.h"

/* Lock held, state already changed. Every other thread that may have one of the hardware keys
 * in hw_mask open re-derives its PKRU; returns when all have (eager revocation), or when the
 * rest have not answered for a bound (1 s: they block the sync signal behind our
 * back). Returns 0 when every thread is in line, else hw_mask: then a thread may still have
 * those keys open with their old meaning, and the caller must make its change safe otherwise
 * (re-tag the pages away from them); fallback says how, for the report naming the thread.
 * Those keys stay out of use (the thread's silent_mask, read by core/cache.c) until it answers or ends. Threads without
 * the keys open are left alone: they have them closed, and a grant reaches them lazily through
 * the fault handler. */
uint32_t _mpk_sync(uint32_t hw_mask, const mpk_thread_t *self, const char *fallback);


/* Count thread t's answer to the sync waiting for it, if one is (it exits, say). */
void _mpk_sync_answer(mpk_thread_t *t);

/* Around the part of the SIGSEGV handler that runs with the sync signal blocked: syncs meanwhile
 * do not wait for this thread (core/sync.c says why that is safe). */
void _mpk_sync_enter_fault(mpk_thread_t *t);
void _mpk_sync_leave_fault(mpk_thread_t *t);

/* Before the sync signal is unblocked in the fault handler: a sync left pending meanwhile is
 * taken off the queue here (the caller re-derives the PKRU next), so that it does not land as a
 * second signal frame on the handler's stack. */
void _mpk_sync_take_missed(mpk_thread_t *t);

/* The handler of the reserved signal. */
void _mpk_sync_handler(int sig, siginfo_t *si, void *uc);

#endif
