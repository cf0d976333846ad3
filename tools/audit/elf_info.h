/* tools/audit/elf_info.h: what the loader will make of an ELF file: executable or library, its
 * program interpreter, static or not, its dynamic entries (DT_NEEDED, SONAME, RPATH, RUNPATH). */
#ifndef MPK_AUDIT_ELF_INFO_H
#define MPK_AUDIT_ELF_INFO_H

#include "tools/audit/elf_file.h"

#include <stdbool.h>
#include <stddef.h>

typedef enum audit_elf_kind {
    AUDIT_KIND_EXECUTABLE,      /* dynamically linked program: has a program interpreter */
    AUDIT_KIND_STATIC,          /* ET_EXEC without interpreter or dynamic section */
    AUDIT_KIND_STATIC_PIE,      /* ET_DYN marked DF_1_PIE but no interpreter */
    AUDIT_KIND_NO_INTERP,       /* ET_EXEC with a dynamic section but no interpreter */
    AUDIT_KIND_SHARED_LIBRARY,  /* ET_DYN without interpreter, or with one and a SONAME */
    AUDIT_KIND_CORE,            /* ET_CORE: a process dump */
} audit_elf_kind_t;

/* Strings point into the file image: valid while it is mapped. needed is malloc'ed. */
typedef struct audit_elf_info {
    audit_elf_kind_t kind;
    const char *interp;         /* PT_INTERP, or NULL */
    bool has_dynamic;
    const char *soname;         /* DT_SONAME, or NULL */
    const char *rpath;          /* DT_RPATH, or NULL */
    const char *runpath;        /* DT_RUNPATH, or NULL */
    bool nodeflib;              /* DF_1_NODEFLIB: skip ld.so.cache and default dirs */
    const char **needed;        /* DT_NEEDED names in order */
    size_t nneeded;
} audit_elf_info_t;

/* What --deps keeps of a file after its image is closed: owned copies. */
typedef struct audit_links {
    char *interp;
    char *soname;
    char *rpath;
    char *runpath;
    bool nodeflib;
    char **needed;
    size_t nneeded;
} audit_links_t;

/* Returns 0, ENOMEM, AUDIT_E_BAD_INTERP or AUDIT_E_BAD_DYNAMIC. */
int audit_elf_info_read(const audit_elf_t *elf, audit_elf_info_t *info);
void audit_elf_info_free(audit_elf_info_t *info);

/* Returns 0 or ENOMEM (out is then empty). */
int audit_links_copy(const audit_elf_info_t *info, audit_links_t *out);
void audit_links_free(audit_links_t *links);

/* True when LD_PRELOAD never takes effect for this file run as a program. */
bool audit_elf_kind_unreachable(audit_elf_kind_t kind);

/* "executable", "static executable", ... for reports. */
const char *audit_elf_kind_name(audit_elf_kind_t kind);

#endif
