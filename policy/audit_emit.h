/* policy/audit_emit.h: writing audit records to the log: one write(2) per record on a
 * descriptor opened O_APPEND, so that records of concurrent threads and processes never
 * interleave; at most MPK_AUDIT_RECORD_MAX bytes each. Async-signal-safe, never allocates. */
#ifndef MPK_POLICY_AUDIT_EMIT_H
#define MPK_POLICY_AUDIT_EMIT_H

#include "policy/audit_record.h"

#include <stdbool.h>
#include <ucontext.h>

/* Where and how (set once at start-up, before any record). */
void mpk_audit_emit_setup(int fd, bool json, bool backtrace);

/* Fill r's time, pid and tid, take a backtrace (from uc when given) unless r->frames is set
 * or backtraces are off, format, write. */
void mpk_audit_emit(mpk_arecord_t *r, ucontext_t *uc);

/* Backtraces wanted (backtrace = on). */
bool mpk_audit_emit_backtraces(void);

#endif
