/* core/fault.h: the library's SIGSEGV handler: resolves faults that only virtualisation caused
 * and hands every real one to the program as the kernel would have (design.md §3-4). */
#ifndef MPK_CORE_FAULT_H
#define MPK_CORE_FAULT_H

#include <signal.h>

void _mpk_fault_handler(int sig, siginfo_t *si, void *uc);

/* Text range of the library itself: a metadata fault from here is ours, not tampering. */
void _mpk_fault_boot(void);

#endif
