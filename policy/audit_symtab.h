/* policy/audit_symtab.h: function names for code addresses, read from the object's file with
 * raw system calls: no loader lock, no allocation, no interposed call, so it is safe even in a
 * signal handler or with libmpk's own lock held (where dladdr could deadlock). */
#ifndef MPK_POLICY_AUDIT_SYMTAB_H
#define MPK_POLICY_AUDIT_SYMTAB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The files opened while one record is written (a backtrace visits few objects, in runs). */
typedef struct mpk_symfile {
    char path[512];
    const unsigned char *map;
    size_t size;
    const void *syms; /* Elf64_Sym[nsyms] */
    size_t nsyms;
    const char *str;
    size_t strsize;
    bool failed; /* could not be read: not tried again for this record */
} mpk_symfile_t;

typedef struct mpk_symcache {
    mpk_symfile_t f[2];
    unsigned next;
} mpk_symcache_t;

void mpk_symcache_init(mpk_symcache_t *c);
/* Unmap every file (at the end of a record). */
void mpk_symcache_release(mpk_symcache_t *c);

/* The function of the ELF file at `path` (absolute) holding address vaddr (in the file's ELF
 * address space): the .symtab if the file has one, else .dynsym. Copies the name (cut to n)
 * and returns true. */
bool mpk_symbol_at(mpk_symcache_t *c, const char *path, uintptr_t vaddr, char *name, size_t n);

#endif
