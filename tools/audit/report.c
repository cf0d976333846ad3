/* tools/audit/report.c: what all formats share: counting, the exit status, the error line on
 * stderr, and the wording of why a program is out of LD_PRELOAD's reach. */
#include "tools/audit/report.h"

#include "tools/audit/error.h"

void audit_summary_add(audit_summary_t *s, const audit_object_t *obj)
{
    s->objects++;
    if (obj->error)
        s->errors++;
    s->findings += obj->nfindings;
    s->benign += audit_object_count_benign(obj);
}

int audit_exit_status(const audit_summary_t *s)
{
    if (s->errors)
        return 2;
    return s->findings > s->benign ? 1 : 0;
}

void audit_object_label(const audit_object_t *obj, char *buf, size_t len)
{
    if (obj->needed_by)
        snprintf(buf, len, "%s (needed by %s)", obj->path, obj->needed_by);
    else if (obj->pid)
        snprintf(buf, len, "%s (pid %d)", obj->path, obj->pid);
    else
        snprintf(buf, len, "%s", obj->path);
}

void audit_report_error(const audit_object_t *obj)
{
    char label[4096];
    audit_object_label(obj, label, sizeof label);
    fprintf(stderr, "mpk-audit: error: %s: %s\n", label, audit_strerror(obj->error));
}

const char *audit_link_note(const audit_object_t *obj)
{
    if (!obj->is_elf || !audit_elf_kind_unreachable(obj->kind))
        return NULL;
    switch (obj->kind) {
    case AUDIT_KIND_STATIC:
        return "static executable (no program interpreter): LD_PRELOAD cannot reach it";
    case AUDIT_KIND_STATIC_PIE:
        return "static-pie executable (no program interpreter): LD_PRELOAD cannot reach it";
    default:
        return "executable without a program interpreter: LD_PRELOAD cannot reach it";
    }
}

const char *audit_secure_note(const audit_object_t *obj)
{
    if (obj->setuid)
        return "setuid: runs in secure mode, where the dynamic linker ignores LD_PRELOAD: "
               "LD_PRELOAD cannot reach it";
    if (obj->setgid)
        return "setgid: runs in secure mode, where the dynamic linker ignores LD_PRELOAD: "
               "LD_PRELOAD cannot reach it";
    if (obj->file_caps)
        return "has file capabilities: runs in secure mode, where the dynamic linker ignores "
               "LD_PRELOAD: LD_PRELOAD cannot reach it";
    return NULL;
}
