/* tools/audit/run.h: one run of mpk-audit: every file (and, with --deps, what it loads) and every
 * process, reported as each finishes; the exit status at the end. */
#ifndef MPK_AUDIT_RUN_H
#define MPK_AUDIT_RUN_H

#include "tools/audit/options.h"

/* Returns the exit status: 0 nothing found, 1 findings, 2 error. */
int audit_run(const audit_options_t *o);

#endif
