/* core/fault.h: the library's SIGSEGV handler: resolves faults that only virtualisation caused
 * and hands every real one to the program as the kernel would have (design.md §3-4). */
#ifndef MPK_CORE_FAULT_H
#define MPK_CORE_FAULT_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>

void _mpk_fault_handler(int sig, siginfo_t *si, void *uc);

/* A system call failed with EFAULT on [addr, addr+len), which it reads (write false) or writes:
 * the kernel honours PKRU there. Make those pages reachable as far as the calling thread's
 * rights allow, as a fault would (lazy grants, evicted keys, [region] rights); true when
 * something changed, so the call is worth repeating. Where the thread has no rights, nothing
 * changes and the EFAULT stands, as with the kernel alone. */
bool _mpk_fault_for_syscall(const void *addr, size_t len, bool write);

/* Text range of the library itself: a metadata fault from here is ours, not tampering. */
void _mpk_fault_boot(void);

#endif
