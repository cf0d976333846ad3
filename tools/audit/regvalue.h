/* tools/audit/regvalue.h: what EAX holds when a syscall or XRSTOR executes, when the instructions
 * just before it in the same basic block set it from an immediate; the syscall number or the low
 * half of the XSAVE feature mask. */
#ifndef MPK_AUDIT_REGVALUE_H
#define MPK_AUDIT_REGVALUE_H

#include "tools/audit/decode.h"

#include <stdbool.h>
#include <stdint.h>

/* Walks back over the history of the sweep that just returned the instruction of interest. True
 * with *value when a `mov eax/rax, imm` (or `xor eax, eax`) sets EAX with no branch, call,
 * undecodable byte or other write to RAX in between. */
bool audit_eax_before(audit_decoder_t *d, const audit_code_t *code, uint32_t *value);

#endif
