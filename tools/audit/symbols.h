/* tools/audit/symbols.h: the function symbols of an ELF file (.symtab and .dynsym merged), sorted,
 * to name the function a site lies in and to find where decoding of that function starts. */
#ifndef MPK_AUDIT_SYMBOLS_H
#define MPK_AUDIT_SYMBOLS_H

#include "tools/audit/elf_file.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct audit_sym {
    uint64_t addr;
    uint64_t size;
    const char *name;   /* points into the file image */
    uint8_t bind;       /* STB_* */
} audit_sym_t;

typedef struct audit_symbols {
    audit_sym_t *v;     /* sorted by addr, one entry per address (the best-named alias) */
    size_t n;
} audit_symbols_t;

/* Returns 0 or ENOMEM. Symbols whose names or tables lie outside the file are skipped. */
int audit_symbols_load(const audit_elf_t *elf, audit_symbols_t *syms);
void audit_symbols_free(audit_symbols_t *syms);

/* The symbol with the greatest address <= addr, or NULL. *inside tells whether addr lies within
 * its st_size (the function proper) rather than after it. */
const audit_sym_t *audit_symbols_lookup(const audit_symbols_t *syms, uint64_t addr, bool *inside);

#endif
