/* tools/audit/locate.h: where a site lies in its object: the section, the function (symbol, or a
 * start from .eh_frame_hdr), and the instruction boundary from which decoding can start. */
#ifndef MPK_AUDIT_LOCATE_H
#define MPK_AUDIT_LOCATE_H

#include "tools/audit/decode.h"
#include "tools/audit/elf_file.h"
#include "tools/audit/fde_starts.h"
#include "tools/audit/symbols.h"

#include <stdbool.h>
#include <stdint.h>

/* Sweeps longer than this would make one site cost seconds in a huge function; past it the
 * classifier decodes from a window before the site instead (see classify.c). */
#define AUDIT_MAX_SWEEP (256u * 1024u)

/* What is known about the object a code region belongs to. elf is NULL for anonymous memory.
 * bias is added to every address reported (a mapped file's load bias under --pid). */
typedef struct audit_where {
    const audit_elf_t *elf;
    const audit_symbols_t *syms;
    const audit_fde_starts_t *fdes;
    uint64_t bias;
} audit_where_t;

typedef struct audit_location {
    const char *name;           /* symbol name (points into the image), or NULL */
    bool name_inside;           /* the address lies within that symbol's size */
    uint64_t func_start;        /* symbol or FDE start, when has_func */
    bool has_func;
    const char *section;        /* name of the section holding it, or NULL (none / no table) */
    bool in_code;               /* in an SHF_EXECINSTR section, or no section table to say */
    uint64_t sweep_start;       /* closest known instruction boundary at or before the site */
    bool boundary_known;        /* sweep_start is a real boundary, not just the region start */
} audit_location_t;

void audit_locate(const audit_where_t *w, const audit_code_t *code, uint64_t addr,
                  audit_location_t *loc);

#endif
