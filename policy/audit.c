/* policy/audit.c: the audit log's life: settings, start-up (module table, libunwind, the first
 * scan) and the rescan after each dlopen. Start-up and rescans run in normal context and are
 * serialised by one lock, which fork hands to the child free. */
#include "policy/audit_emit.h"
#include "policy/audit_modules.h"
#include "policy/audit_parts.h"

#include <pthread.h>
#include <string.h>

static enum mpk_mode mode = MPK_MODE_OFF;
static bool want_backtrace, started, watching;
static struct mpk_audit_loader loader;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

void mpk_audit_setup(const struct mpk_config *c, int log_fd)
{
    mode = c->mode;
    /* Backtraces need libunwind, which only audit mode loads. */
    want_backtrace = c->backtrace && c->mode == MPK_MODE_AUDIT;
    mpk_audit_emit_setup(log_fd, c->log_format == MPK_LOG_JSON, want_backtrace);
    mpk_audit_sink_setup(c);
}

static void before_fork(void) { pthread_mutex_lock(&lock); }
static void after_fork(void) { pthread_mutex_unlock(&lock); }

static void report_error(const char *what)
{
    mpk_event_t ev = {.kind = MPK_EV_ERROR, .key = -1, .what = what};
    mpk_audit_event(&ev);
}

void mpk_audit_start(const struct mpk_audit_loader *ld)
{
    char err[300];
    if (started || mode == MPK_MODE_OFF)
        return;
    started = true;
    loader = *ld;
    pthread_atfork(before_fork, after_fork, after_fork);
    pthread_mutex_lock(&lock);
    mpk_audit_modules_refresh(); /* first: frames are told apart from libmpk's own by it */
    if (mode == MPK_MODE_AUDIT) {
        if (want_backtrace && mpk_audit_backtrace_load(loader.dlopen, err, sizeof err) != 0)
            report_error(err);
        if (mpk_audit_modules_refresh() != 0)
            report_error("more loaded objects than the audit log's module table holds: "
                         "frames in the others have no module+offset");
        mpk_audit_scan("start-up", &loader);
        watching = true;
    }
    pthread_mutex_unlock(&lock);
}

bool mpk_audit_watches_dlopen(void) { return watching; }

void mpk_audit_loaded(void)
{
    if (!watching)
        return;
    pthread_mutex_lock(&lock);
    mpk_audit_modules_refresh();
    mpk_audit_scan("dlopen", &loader);
    pthread_mutex_unlock(&lock);
}
