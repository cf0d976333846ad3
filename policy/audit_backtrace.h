/* policy/audit_backtrace.h: call stacks for audit records. libunwind is loaded (dlopen) at
 * start-up in audit mode with backtrace = on, never otherwise, so that programs that do not
 * audit never map it; it is warmed up there, so that its first use in a signal handler finds
 * everything initialised. */
#ifndef MPK_POLICY_AUDIT_BACKTRACE_H
#define MPK_POLICY_AUDIT_BACKTRACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <ucontext.h>

#define MPK_AUDIT_FRAMES_MAX 64

typedef struct mpk_frames {
    unsigned n;
    uintptr_t pc[MPK_AUDIT_FRAMES_MAX];
    /* pc is the interrupted instruction itself (a fault, or the frame a signal interrupted),
     * not a return address: its own instruction is the one to name. */
    bool exact[MPK_AUDIT_FRAMES_MAX];
} mpk_frames_t;

/* Normal context only. open is the real dlopen (the preload interposes dlopen). 0, or -1 with
 * a message in err. */
int mpk_audit_backtrace_load(void *(*open)(const char *, int), char *err, size_t n);
bool mpk_audit_backtrace_ready(void);

/* The calling thread's stack, innermost first: from uc when given (a fault: the interrupted
 * code), else from the caller, leaving out the frames inside libmpk that lead here.
 * Async-signal-safe once loaded; n = 0 when libunwind is not loaded. */
void mpk_audit_backtrace(ucontext_t *uc, mpk_frames_t *out);

#endif
