/* tools/audit/finding.c: the lifetime of objects and findings, and the names reports use for
 * classes, sites and pkey system calls. */
#include "tools/audit/finding.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *audit_class_name(audit_class_t cls)
{
    switch (cls) {
    case AUDIT_CLASS_INSTRUCTION:
        return "instruction";
    case AUDIT_CLASS_HIDDEN:
        return "hidden";
    case AUDIT_CLASS_UNKNOWN:
        return "unknown";
    }
    return "unknown";
}

const char *audit_site_name(audit_site_t site)
{
    switch (site) {
    case AUDIT_SITE_WRPKRU:
        return "wrpkru";
    case AUDIT_SITE_XRSTOR:
        return "xrstor";
    case AUDIT_SITE_XRSTORS:
        return "xrstors";
    case AUDIT_SITE_SYSCALL:
        return "syscall";
    }
    return "?";
}

/* The raw system calls worth a finding: the pkey calls the preload interposes by name, and the
 * routes around PKRU that "PKU Pitfalls" (Connor et al., USENIX Security 2020) lists. open and
 * openat are not here: whether one names /proc/self/mem is in memory the scan cannot follow,
 * and every program opens files, so each would be noise. */
static const struct {
    int nr;
    const char *name, *route, *why;
} known_syscalls[] = {
    {329, "pkey_mprotect", "pkey", NULL},
    {330, "pkey_alloc", "pkey", NULL},
    {331, "pkey_free", "pkey", NULL},
    {311, "process_vm_writev", "foreign_write",
     "writes memory by the kernel's copy, which ignores the caller's PKRU"},
    {101, "ptrace", "foreign_write", "a tracer's POKEDATA writes ignore the tracee's PKRU"},
    {10, "mprotect", "protection_change", "changes page protection behind libmpk's range map"},
    {25, "mremap", "protection_change", "moves or grows pages behind libmpk's range map"},
    {28, "madvise", "protection_change",
     "MADV_DONTNEED and the like drop page contents behind libmpk's range map"},
    {15, "rt_sigreturn", "sigreturn", "loads PKRU from a signal frame, which may be forged"},
};

static int syscall_index(int nr)
{
    for (size_t i = 0; i < sizeof known_syscalls / sizeof *known_syscalls; i++)
        if (known_syscalls[i].nr == nr)
            return (int)i;
    return -1;
}

const char *audit_syscall_name(int nr)
{
    int i = syscall_index(nr);
    return i < 0 ? NULL : known_syscalls[i].name;
}

const char *audit_syscall_route(int nr)
{
    int i = syscall_index(nr);
    return i < 0 ? NULL : known_syscalls[i].route;
}

const char *audit_syscall_why(int nr)
{
    int i = syscall_index(nr);
    return i < 0 ? NULL : known_syscalls[i].why;
}

bool audit_syscall_number_known(uint32_t nr)
{
    return nr <= 0x7fffffff && syscall_index((int)nr) >= 0;
}

int audit_object_init(audit_object_t *obj, const char *path, const char *needed_by)
{
    *obj = (audit_object_t){0};
    obj->path = strdup(path);
    obj->needed_by = needed_by ? strdup(needed_by) : NULL;
    if (!obj->path || (needed_by && !obj->needed_by)) {
        audit_object_free(obj);
        return ENOMEM;
    }
    return 0;
}

void audit_finding_free(audit_finding_t *f)
{
    free(f->function);
    f->function = NULL;
}

void audit_finding_detail(audit_finding_t *f, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(f->detail, sizeof f->detail, fmt, ap);
    va_end(ap);
}

void audit_object_free(audit_object_t *obj)
{
    for (size_t i = 0; i < obj->nfindings; i++)
        audit_finding_free(&obj->findings[i]);
    free(obj->findings);
    free(obj->path);
    free(obj->needed_by);
    free(obj->interp);
    free(obj->soname);
    *obj = (audit_object_t){0};
}

int audit_object_add(audit_object_t *obj, audit_finding_t *f)
{
    if (obj->nfindings == obj->cap) {
        size_t cap = obj->cap ? obj->cap * 2 : 8;
        audit_finding_t *v = realloc(obj->findings, cap * sizeof *v);
        if (!v)
            return ENOMEM;
        obj->findings = v;
        obj->cap = cap;
    }
    obj->findings[obj->nfindings++] = *f;
    f->function = NULL;
    return 0;
}

size_t audit_object_count_benign(const audit_object_t *obj)
{
    size_t n = 0;
    for (size_t i = 0; i < obj->nfindings; i++)
        if (obj->findings[i].benign[0])
            n++;
    return n;
}
