/* tools/audit/finding.h: what the auditor reports: one finding per site, and one object per file
 * or memory region scanned (its properties, its findings, or the error that stopped its scan). */
#ifndef MPK_AUDIT_FINDING_H
#define MPK_AUDIT_FINDING_H

#include "tools/audit/elf_info.h"
#include "tools/audit/site.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum audit_class {
    AUDIT_CLASS_INSTRUCTION,    /* decoding lands on it: code the compiler or author emitted */
    AUDIT_CLASS_HIDDEN,         /* the bytes lie inside another instruction */
    AUDIT_CLASS_UNKNOWN,        /* data, or decoding cannot tell; detail says why */
} audit_class_t;

typedef struct audit_finding {
    uint64_t addr;          /* the 0F byte; a runtime address for --pid */
    audit_site_t site;
    audit_class_t cls;
    char insn[24];          /* what the bytes execute as: "wrpkru", "xrstor64", "syscall" */
    char detail[224];       /* hidden: the enclosing instruction; unknown: why; xrstor: mask */
    char *function;         /* symbol name (owned), or NULL */
    uint64_t function_start;/* valid when has_function: symbol or .eh_frame_hdr start */
    bool has_function;
    bool function_inside;   /* addr lies within the symbol's size (else: nearest symbol) */
    int syscall_nr;         /* a known syscall (audit_syscall_name), else -1 */
    int pkru_in_mask;       /* XRSTOR instruction: 1 mask has PKRU, 0 it has not, -1 unknown */
    uint32_t mask_eax;      /* the mask's low half when pkru_in_mask >= 0 */
    char benign[160];       /* why the site is harmless, or "" */
} audit_finding_t;

typedef struct audit_object {
    char *path;             /* file path, or a name such as "[anon 0x...-0x...]" */
    char *needed_by;        /* --deps: the object that loads it; NULL for command-line files */
    int pid;                /* --pid: the process scanned, else 0 */
    bool is_memory;         /* bytes read from process memory, not a file */
    int error;              /* 0, or why it was not (fully) scanned (error.h) */
    bool is_elf;            /* the ELF properties below are valid */
    audit_elf_kind_t kind;
    char *interp;
    char *soname;
    bool setuid, setgid, file_caps;
    bool is_libmpk;
    audit_finding_t *findings;
    size_t nfindings;
    size_t cap;
    size_t syscalls_unknown;    /* verbose: syscall instructions whose number cannot be told */
    uint64_t bytes_scanned;
} audit_object_t;

const char *audit_class_name(audit_class_t cls);
const char *audit_site_name(audit_site_t site);
/* The raw syscalls that are findings: the name ("pkey_alloc", "mprotect"), the route
 * ("pkey", "foreign_write", "protection_change", "sigreturn") and, for the pitfall routes, why
 * it matters (NULL for the pkey calls); NULL for any other number. */
const char *audit_syscall_name(int nr);
const char *audit_syscall_route(int nr);
const char *audit_syscall_why(int nr);
bool audit_syscall_number_known(uint32_t nr);

/* Object lifetime; path is copied. Returns 0 or ENOMEM. */
int audit_object_init(audit_object_t *obj, const char *path, const char *needed_by);
void audit_object_free(audit_object_t *obj);

/* Appends a finding; the object takes over f->function. Returns 0 or ENOMEM. */
int audit_object_add(audit_object_t *obj, audit_finding_t *f);

void audit_finding_free(audit_finding_t *f);

/* Writes f->detail, cut short if it does not fit (an operand list can be long). */
void audit_finding_detail(audit_finding_t *f, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Counts for the exit status and summaries. */
size_t audit_object_count_benign(const audit_object_t *obj);

#endif
