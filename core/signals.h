/* core/signals.h: the program's signal handlers, wrapped. The kernel runs a handler with every
 * key closed and restores the interrupted PKRU when it returns; the wrapper keeps the
 * manager's views in step (a fresh, closed view per nesting level) and re-derives the PKRU
 * the kernel will restore, in case hardware keys changed hands meanwhile. SIGSEGV is the
 * library's own: the program's handler is called from it (core/fault.c). */
#ifndef MPK_CORE_SIGNALS_H
#define MPK_CORE_SIGNALS_H

#include "core/state.h"

#include <signal.h>

/* sigaction as glibc's, with the program's handler kept in the manager's table. 0 or -errno. */
int _mpk_sigaction(int sig, const struct sigaction *act, struct sigaction *old);

/* sigprocmask/pthread_sigmask: SIGSEGV and the sync signal stay deliverable, the program sees
 * the mask it asked for. 0 or -errno. */
int _mpk_sigmask(int how, const sigset_t *set, sigset_t *old);

/* sigpending: the kernel's pending set, and a SIGSEGV this thread holds for the program
 * (sent while the program blocked it; see core/signals.c). 0 or -errno. */
int _mpk_sigpending(sigset_t *set);

/* In a fork child: the signals a thread held for the program are the parent's, not its. */
void _mpk_signals_after_fork(void);

/* The same two in the kernel's layout (struct sigaction with an 8-byte mask, a sigset of
 * setsize bytes), for programs that make the system calls through glibc's syscall(). glibc's
 * own two signals (32 and 33), which its sigaction refuses, reach the kernel as they are. */
int _mpk_sigaction_kernel(int sig, const void *act, void *old, size_t setsize);
int _mpk_sigmask_kernel(int how, const void *set, void *old, size_t setsize);

/* Install the library's own SIGSEGV and sync handlers (at boot). */
int _mpk_signals_boot(void);
void _mpk_signals_unboot(void); /* back to the actions from before boot */

/* Run the program's handler for sig as the kernel would have, or its default action. */
void _mpk_signal_deliver(int sig, siginfo_t *si, ucontext_t *uc);

/* The same for a signal that just arrived: deferred while this thread holds the manager lock. */
void _mpk_signal_arrived(int sig, siginfo_t *si, ucontext_t *uc);

/* Is this a fault the kernel raised at an instruction (si_code > 0 on SIGSEGV, SIGBUS, SIGILL,
 * SIGFPE), rather than a signal somebody sent (kill, raise, tgkill, sigqueue: si_code <= 0)? */
bool _mpk_signal_is_fault(int sig, const siginfo_t *si);

/* The default action for sig: a fault re-executes and kills; any other signal is sent again. */
void _mpk_signal_deliver_default(int sig, siginfo_t *si);

/* On the way out of a signal handler of ours or of the program's: re-derive the PKRU the
 * kernel will restore, with the sync signal blocked until sigreturn. */
void _mpk_signal_fix_return(mpk_thread_t *t, ucontext_t *uc);

/* Raw rt_sigaction with the library's restorer. 0 or -errno. */
int _mpk_sys_sigaction(int sig, const struct sigaction *act, struct sigaction *old);

/* The manager lock was released with signals deferred meanwhile (see core/lock.h): let the
 * kernel deliver them now. */
struct mpk_thread;
void _mpk_signals_release_deferred(struct mpk_thread *t);

#endif
