/* tools/audit/audit_pid.h: auditing a running process: every executable mapping, file-backed ones
 * from their files (with the mapping's offset), anonymous ones (JIT code) from its memory. */
#ifndef MPK_AUDIT_AUDIT_PID_H
#define MPK_AUDIT_AUDIT_PID_H

#include "tools/audit/audit_file.h"

/* Receives each object once scanned; returns 0 or ENOMEM. The object is freed afterwards. */
typedef int (*audit_emit_fn)(void *ctx, audit_object_t *obj);

/* Emits one object per mapped file and per anonymous executable mapping, or one object carrying
 * the error when the process cannot be inspected. Returns 0 or ENOMEM. */
int audit_pid(int pid, const audit_file_opts_t *opts, audit_decoder_t *dec, audit_emit_fn emit,
              void *ctx);

#endif
