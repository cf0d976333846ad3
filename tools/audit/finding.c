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

const char *audit_pkey_syscall_name(int nr)
{
    switch (nr) {
    case 329:
        return "pkey_mprotect";
    case 330:
        return "pkey_alloc";
    case 331:
        return "pkey_free";
    default:
        return NULL;
    }
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
