/* policy/audit_parts.h: how the pieces of the audit log reach each other (not for the preload,
 * which uses policy/audit.h). */
#ifndef MPK_POLICY_AUDIT_PARTS_H
#define MPK_POLICY_AUDIT_PARTS_H

#include "policy/audit.h"

/* audit_sink.c: the mode and the settings its messages quote. */
void mpk_audit_sink_setup(const struct mpk_config *c);

/* audit_scan.c: scan every loaded object not scanned before for WRPKRU and XRSTOR bytes and
 * write a record for each site. `when` is "start-up" or "dlopen". Normal context; callers
 * serialise. */
void mpk_audit_scan(const char *when, const struct mpk_audit_loader *ld);

/* The byte patterns, for one span of code: calls hit(site, insn, arg) for each. Exposed for
 * the unit tests. insn is "wrpkru", "xrstor", "xrstor64", "xrstors" or "xrstors64". */
void mpk_audit_scan_bytes(const unsigned char *lo, const unsigned char *hi,
                          void (*hit)(const unsigned char *site, const char *insn, void *arg),
                          void *arg);

#endif
