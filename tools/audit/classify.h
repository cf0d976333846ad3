/* tools/audit/classify.h: turning a candidate from the byte scan into a finding: is it an
 * instruction, hidden inside another one, or undecidable; which function; for a syscall, is it a
 * pkey one; for XRSTOR, does its mask load PKRU. */
#ifndef MPK_AUDIT_CLASSIFY_H
#define MPK_AUDIT_CLASSIFY_H

#include "tools/audit/decode.h"
#include "tools/audit/finding.h"
#include "tools/audit/locate.h"
#include "tools/audit/scan.h"

#include <stdbool.h>

/* How many start points the window decode tries, and how far before the site it starts. */
#define AUDIT_WINDOW_STARTS 4
#define AUDIT_WINDOW_BYTES 512

/* Fills *f and sets *keep when the candidate is a finding (syscalls whose number is not a pkey one,
 * or cannot be told, are not; *syscalls_unknown counts the latter). Addresses in *f include
 * w->bias. Returns 0 or ENOMEM. */
int audit_classify(audit_decoder_t *dec, const audit_where_t *w, const audit_code_t *code,
                   const audit_candidate_t *c, audit_finding_t *f, bool *keep,
                   size_t *syscalls_unknown);

#endif
