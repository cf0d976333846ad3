/* policy/audit_sealed.h: the audit log's values fixed at start-up (where records go, in which
 * format, what the mode lets through, libunwind's entry points, the real loader functions),
 * kept in one page that turns read-only when start-up ends: a program that writes over
 * libmpk's data can neither redirect the log nor make a signal handler call a forged pointer. */
#ifndef MPK_POLICY_AUDIT_SEALED_H
#define MPK_POLICY_AUDIT_SEALED_H

#include "policy/audit.h"

#include <stdbool.h>
#include <stdint.h>

typedef struct mpk_audit_sealed {
    int log_fd;
    bool json;
    bool backtrace;  /* backtrace = on, in audit mode */
    bool watching;   /* dlopen is watched (audit mode, after start-up) */
    bool started;
    enum mpk_mode mode;
    enum mpk_on_free_in_use on_free_in_use;
    enum mpk_on_bad_key on_bad_key;
    enum mpk_evict evict;
    struct mpk_audit_loader loader;
    void *unw[6];    /* libunwind's functions (policy/audit_backtrace.c); unw[0] NULL: none */
    uintptr_t self_lo, self_hi;  /* libmpk's own object */
    char program_path[1024];     /* the main program's file */
} mpk_audit_sealed_t;

typedef union mpk_audit_sealed_page {
    mpk_audit_sealed_t s;
    char page[4096];
} mpk_audit_sealed_page_t;

extern mpk_audit_sealed_page_t mpk_audit_sealed_page;
#define mpk_audit_fixed (mpk_audit_sealed_page.s)

/* Make the page read-only (the end of start-up); later writes fault. */
void mpk_audit_seal(void);

#endif
