/* tools/audit/fde_starts.h: function start addresses from the .eh_frame_hdr search table, which
 * stripped files keep (unwinding needs it): where to start decoding when no symbol is known. */
#ifndef MPK_AUDIT_FDE_STARTS_H
#define MPK_AUDIT_FDE_STARTS_H

#include "tools/audit/elf_file.h"

#include <stddef.h>
#include <stdint.h>

typedef struct audit_fde_starts {
    uint64_t *v;    /* sorted, unique */
    size_t n;
} audit_fde_starts_t;

/* Returns 0 or ENOMEM; a missing or unusual table (not datarel|sdata4) leaves the list empty. */
int audit_fde_starts_load(const audit_elf_t *elf, audit_fde_starts_t *out);
void audit_fde_starts_free(audit_fde_starts_t *f);

/* The greatest start <= addr, or 0 when there is none. */
uint64_t audit_fde_start_before(const audit_fde_starts_t *f, uint64_t addr);

#endif
