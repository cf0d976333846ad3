/* tools/audit/report_text.c: the human format: one line per finding, notes on what LD_PRELOAD
 * cannot reach, a closing line per object. */
#include "tools/audit/report.h"

#include <inttypes.h>
#include <string.h>

/* " in foo+0x4", " near foo+0x1234" (past the symbol's end), " in sub_1200+0x34" (function start
 * from unwind tables, no symbol), or "" when nothing is known. */
static void format_place(const audit_finding_t *f, char *buf, size_t len)
{
    if (!f->has_function) {
        buf[0] = 0;
        return;
    }
    uint64_t off = f->addr - f->function_start;
    if (f->function)
        snprintf(buf, len, " %s %s+0x%" PRIx64, f->function_inside ? "in" : "near", f->function,
                 off);
    else
        snprintf(buf, len, " in sub_%" PRIx64 "+0x%" PRIx64, f->function_start, off);
}

static void print_finding(FILE *out, const char *label, const audit_finding_t *f)
{
    char place[1024];
    format_place(f, place, sizeof place);
    const char *sys = f->syscall_nr >= 0 ? audit_syscall_name(f->syscall_nr) : NULL;
    fprintf(out, "%s: 0x%" PRIx64 "%s: %s%s%s (%s%s%s)", label, f->addr, place, f->insn,
            sys ? " " : "", sys ? sys : "", audit_class_name(f->cls), f->detail[0] ? ": " : "",
            f->detail);
    if (f->benign[0])
        fprintf(out, " [benign: %s]", f->benign);
    fputc('\n', out);
}

static void print_notes(FILE *out, const char *label, const audit_object_t *obj)
{
    const char *link = audit_link_note(obj), *secure = audit_secure_note(obj);
    if (link)
        fprintf(out, "%s: %s\n", label, link);
    if (secure)
        fprintf(out, "%s: %s\n", label, secure);
    if (obj->is_libmpk)
        fprintf(out, "%s: libmpk itself: its PKRU writes are labelled benign\n", label);
}

static void print_closing(FILE *out, bool verbose, const char *label, const audit_object_t *obj)
{
    size_t benign = audit_object_count_benign(obj);
    if (obj->nfindings == 0)
        fprintf(out, "%s: no PKRU writes found", label);
    else
        fprintf(out, "%s: %zu finding%s (%zu benign)", label, obj->nfindings,
                obj->nfindings == 1 ? "" : "s", benign);
    if (verbose)
        fprintf(out, "; %" PRIu64 " bytes of code scanned; %zu syscall%s with a number that "
                "cannot be told",
                obj->bytes_scanned, obj->syscalls_unknown, obj->syscalls_unknown == 1 ? "" : "s");
    fputc('\n', out);
}

static void text_object(audit_reporter_t *r, const audit_object_t *obj)
{
    if (obj->error && !obj->nfindings)
        return;     /* the error line on stderr says it all */
    char label[4096];
    audit_object_label(obj, label, sizeof label);
    for (size_t i = 0; i < obj->nfindings; i++)
        print_finding(r->out, obj->path, &obj->findings[i]);
    print_notes(r->out, label, obj);
    print_closing(r->out, r->verbose, label, obj);
    r->emitted++;
}

static void text_begin(audit_reporter_t *r)
{
    (void)r;
}

static void text_end(audit_reporter_t *r, const audit_summary_t *s, int status)
{
    (void)status;
    if (s->objects > 1)
        fprintf(r->out, "mpk-audit: %zu objects, %zu findings (%zu benign), %zu errors\n",
                s->objects, s->findings, s->benign, s->errors);
    fflush(r->out);
}

void audit_reporter_text(audit_reporter_t *r, FILE *out, bool verbose)
{
    *r = (audit_reporter_t){.begin = text_begin, .object = text_object, .end = text_end,
                            .out = out, .verbose = verbose};
}

static void quiet_begin(audit_reporter_t *r)
{
    (void)r;
}

static void quiet_object(audit_reporter_t *r, const audit_object_t *obj)
{
    (void)r;
    (void)obj;
}

static void quiet_end(audit_reporter_t *r, const audit_summary_t *s, int status)
{
    (void)r;
    (void)s;
    (void)status;
}

void audit_reporter_quiet(audit_reporter_t *r)
{
    *r = (audit_reporter_t){.begin = quiet_begin, .object = quiet_object, .end = quiet_end};
}
