/* tools/audit/procmaps.h: a running process's executable mappings, from /proc/PID/maps, and
 * reading their bytes from /proc/PID/mem when no file holds them (JIT code, [vdso]). */
#ifndef MPK_AUDIT_PROCMAPS_H
#define MPK_AUDIT_PROCMAPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct audit_mapping {
    uint64_t start;
    uint64_t end;
    uint64_t offset;    /* file offset of start */
    char *path;         /* "" for anonymous; "[vdso]", "/usr/lib/... (deleted)", ... */
} audit_mapping_t;

typedef struct audit_mappings {
    audit_mapping_t *v;
    size_t n;
    size_t cap;
} audit_mappings_t;

/* The executable mappings of pid. Returns 0, ESRCH (no such process), EACCES/EPERM, ENOMEM,
 * AUDIT_E_BAD_MAPS. */
int audit_read_exec_mappings(int pid, audit_mappings_t *out);

/* The same from an open maps text (tests). */
int audit_parse_exec_mappings(const char *text, audit_mappings_t *out);

void audit_mappings_free(audit_mappings_t *m);

/* True for mappings whose bytes come from a file we can open (an absolute path that still
 * exists under that name). */
bool audit_mapping_is_file(const audit_mapping_t *m);

/* Reads [start, end) of pid's memory into a malloc'ed block. Returns 0, EACCES/EPERM (no ptrace
 * access), ESRCH, ENOMEM, or AUDIT_E_PARTIAL_READ with *got bytes read. */
int audit_read_process_memory(int pid, uint64_t start, uint64_t end, uint8_t **out, size_t *got);

#endif
