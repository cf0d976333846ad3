/* tools/audit/scan.h: the byte scan: every offset of a code region where a WRPKRU, XRSTOR(S) or
 * pkey SYSCALL could start, whether or not a compiler meant an instruction there. */
#ifndef MPK_AUDIT_SCAN_H
#define MPK_AUDIT_SCAN_H

#include "tools/audit/site.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct audit_candidate {
    uint64_t addr;      /* address of the 0F opcode byte (prefixes, if any, come before it) */
    audit_site_t site;
} audit_candidate_t;

typedef struct audit_candidates {
    audit_candidate_t *v;
    size_t n;
    size_t cap;
} audit_candidates_t;

/* How far before a 0F 05 the scan looks for the immediate of a syscall number worth a finding:
 * a syscall is decoded only when such bytes precede it, since only then can its number be told. */
#define AUDIT_SYSCALL_LOOKBACK 128

/* Appends, in address order, the candidates in bytes[0, size) loaded at vaddr. all_syscalls keeps
 * every 0F 05 (for counting in verbose mode). Returns 0 or ENOMEM. */
int audit_scan(const uint8_t *bytes, size_t size, uint64_t vaddr, bool all_syscalls,
               audit_candidates_t *out);

void audit_candidates_free(audit_candidates_t *c);

#endif
