/* policy/audit.c: the audit log's life: settings, start-up (module table, libunwind, the first
 * scan) and the rescan after each dlopen. Start-up and rescans run in normal context and are
 * serialised by one lock. */
#include "policy/audit_emit.h"
#include "policy/audit_modules.h"
#include "policy/audit_parts.h"
#include "policy/audit_sealed.h"

#include "core/prim.h"

#include <stdatomic.h>
#include <string.h>

/* The lock word is its holder's thread id. A holder that is not a thread of this process (the
 * child of a fork made while another thread scanned, or a word the program wrote over) has
 * left for good, and its lock is taken over: no fork handler, and no way to wedge dlopen. */
static _Atomic pid_t lock_owner;

static void lock(void)
{
    pid_t self = mpk_sys_gettid(), owner = 0;
    while (!atomic_compare_exchange_weak(&lock_owner, &owner, self)) {
        if (owner == self)
            return; /* scribbled with our own id: ours anyway */
        if (owner && mpk_sys_tgkill(mpk_sys_getpid(), owner, 0) != 0 && /* no such thread here */
            atomic_compare_exchange_strong(&lock_owner, &owner, self))
            return;
        mpk_sys(SYS_sched_yield, 0, 0, 0, 0, 0, 0);
        owner = 0;
    }
}

static void unlock(void) { atomic_store(&lock_owner, 0); }

void mpk_audit_setup(const struct mpk_config *c, int log_fd)
{
    /* Backtraces need libunwind, which only audit mode loads. */
    mpk_audit_emit_setup(log_fd, c->log_format == MPK_LOG_JSON, c->backtrace && c->mode == MPK_MODE_AUDIT);
    mpk_audit_sink_setup(c);
}

static void report_error(const char *what)
{
    mpk_event_t ev = {.kind = MPK_EV_ERROR, .key = -1, .what = what};
    mpk_audit_event(&ev);
}

/* Ends with the sealing of the fixed values: nothing may change them from here on. */
void mpk_audit_start(const struct mpk_audit_loader *ld)
{
    mpk_audit_sealed_t *f = &mpk_audit_fixed;
    char err[300];
    if (f->started || f->mode == MPK_MODE_OFF)
        return;
    f->started = true;
    f->loader = *ld;
    lock();
    mpk_audit_modules_refresh(); /* first: frames are told apart from libmpk's own by it */
    if (f->mode == MPK_MODE_AUDIT) {
        if (f->backtrace && mpk_audit_backtrace_load(f->loader.dlopen, err, sizeof err) != 0)
            report_error(err);
        if (mpk_audit_modules_refresh() != 0)
            report_error("more loaded objects than the audit log's module table holds: "
                         "frames in the others have no module+offset");
        mpk_audit_scan("start-up", &f->loader);
        f->watching = true;
    }
    mpk_audit_seal();
    unlock();
}

bool mpk_audit_watches_dlopen(void) { return mpk_audit_fixed.watching; }

void mpk_audit_loaded(void)
{
    if (!mpk_audit_fixed.watching)
        return;
    lock();
    mpk_audit_modules_refresh();
    mpk_audit_scan("dlopen", &mpk_audit_fixed.loader);
    unlock();
}
