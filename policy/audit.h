/* policy/audit.h: the audit log, as the preload drives it: settings from the config, the sink
 * for core's events (core/report.h), start-up work (libunwind, the module table, the WRPKRU and
 * XRSTOR scan) and the rescan after each dlopen. policy/README.md describes the records. */
#ifndef MPK_POLICY_AUDIT_H
#define MPK_POLICY_AUDIT_H

#include "core/report.h"
#include "policy/config.h"

#include <stdbool.h>

/* The real dynamic-loader functions (the preload interposes dlopen). */
struct mpk_audit_loader {
    void *(*dlopen)(const char *file, int mode);
    int (*dlclose)(void *handle);
};

/* Settings, from the loaded config and the descriptor mpk_config_open_log gave. No I/O. */
void mpk_audit_setup(const struct mpk_config *c, int log_fd);

/* The sink for _mpk_report_set_sink: writes the events the mode asks for (audit: all of them;
 * enforce: tampering, the reserved signal and libmpk's own errors). Async-signal-safe. */
void mpk_audit_event(const mpk_event_t *ev);

/* From the preload's constructor (normal context). Every mode but off: the module table. Audit
 * mode: libunwind (backtrace = on) and the scan of every loaded object. */
void mpk_audit_start(const struct mpk_audit_loader *ld);

/* Audit mode: dlopen calls should be reported to mpk_audit_loaded. */
bool mpk_audit_watches_dlopen(void);

/* After a successful dlopen (normal context): refresh the module table, scan new objects. */
void mpk_audit_loaded(void);

#endif
