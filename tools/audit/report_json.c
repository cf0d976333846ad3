/* tools/audit/report_json.c: the machine format: one JSON document, written as objects finish so
 * a long --deps or --pid run streams. Addresses are hex strings (JSON numbers lose bits > 2^53). */
#include "tools/audit/report.h"

#include "tools/audit/error.h"
#include "policy/utf8.h"

#include <inttypes.h>
#include <string.h>

/* ---------------------------------------------------------------- strings */

/* File names need not be UTF-8; a byte that is not becomes U+FFFD so the document stays valid. */
static void put_string(FILE *out, const char *s)
{
    if (!s) {
        fputs("null", out);
        return;
    }
    fputc('"', out);
    const unsigned char *end = (const unsigned char *)s + strlen(s);
    for (const unsigned char *p = (const unsigned char *)s; *p;) {
        if (*p == '"' || *p == '\\') {
            fprintf(out, "\\%c", *p++);
        } else if (*p < 0x20) {
            fprintf(out, "\\u%04x", *p++);
        } else if (*p < 0x80) {
            fputc(*p++, out);
        } else {
            size_t n = _mpk_utf8_length(p, (size_t)(end - p));
            if (n) {
                fwrite(p, 1, n, out);
                p += n;
            } else {
                fputs("\\ufffd", out);
                p++;
            }
        }
    }
    fputc('"', out);
}

static void put_key(FILE *out, const char *key, bool *first)
{
    fprintf(out, "%s\"%s\":", *first ? "" : ",", key);
    *first = false;
}

static void put_bool(FILE *out, const char *key, bool v, bool *first)
{
    put_key(out, key, first);
    fputs(v ? "true" : "false", out);
}

static void put_str(FILE *out, const char *key, const char *v, bool *first)
{
    put_key(out, key, first);
    put_string(out, v);
}

static void put_hex(FILE *out, const char *key, uint64_t v, bool *first)
{
    put_key(out, key, first);
    fprintf(out, "\"0x%" PRIx64 "\"", v);
}

static void put_null(FILE *out, const char *key, bool *first)
{
    put_key(out, key, first);
    fputs("null", out);
}

/* ---------------------------------------------------------------- findings */

static void put_function(FILE *out, const audit_finding_t *f, bool *first)
{
    if (!f->has_function) {
        put_null(out, "function", first);
        put_null(out, "function_start", first);
        put_null(out, "offset", first);
        put_null(out, "function_match", first);
        return;
    }
    put_str(out, "function", f->function, first);
    put_hex(out, "function_start", f->function_start, first);
    put_key(out, "offset", first);
    fprintf(out, "%" PRIu64, f->addr - f->function_start);
    put_str(out, "function_match",
            !f->function ? "unwind-table" : f->function_inside ? "inside" : "nearest", first);
}

static void put_finding(FILE *out, const audit_finding_t *f)
{
    bool first = true;
    fputc('{', out);
    put_hex(out, "address", f->addr, &first);
    put_function(out, f, &first);
    put_str(out, "site", audit_site_name(f->site), &first);
    put_str(out, "instruction", f->insn, &first);
    put_str(out, "class", audit_class_name(f->cls), &first);
    put_str(out, "detail", f->detail, &first);
    if (f->syscall_nr >= 0) {
        put_str(out, "syscall", audit_syscall_name(f->syscall_nr), &first);
        put_key(out, "syscall_number", &first);
        fprintf(out, "%d", f->syscall_nr);
        put_str(out, "syscall_route", audit_syscall_route(f->syscall_nr), &first);
    } else {
        put_null(out, "syscall", &first);
        put_null(out, "syscall_number", &first);
        put_null(out, "syscall_route", &first);
    }
    if (f->pkru_in_mask >= 0) {
        put_bool(out, "pkru_in_mask", f->pkru_in_mask == 1, &first);
        put_hex(out, "mask_eax", f->mask_eax, &first);
    } else {
        put_null(out, "pkru_in_mask", &first);
        put_null(out, "mask_eax", &first);
    }
    put_str(out, "benign", f->benign[0] ? f->benign : NULL, &first);
    fputc('}', out);
}

/* ---------------------------------------------------------------- objects */

static void put_properties(FILE *out, const audit_object_t *obj, bool *first)
{
    const char *link = audit_link_note(obj), *secure = audit_secure_note(obj);
    put_str(out, "elf_type", obj->is_elf ? audit_elf_kind_name(obj->kind) : NULL, first);
    put_str(out, "interpreter", obj->interp, first);
    put_str(out, "soname", obj->soname, first);
    put_bool(out, "static", obj->is_elf && (obj->kind == AUDIT_KIND_STATIC ||
                                            obj->kind == AUDIT_KIND_STATIC_PIE), first);
    put_bool(out, "setuid", obj->setuid, first);
    put_bool(out, "setgid", obj->setgid, first);
    put_bool(out, "file_capabilities", obj->file_caps, first);
    put_bool(out, "libmpk", obj->is_libmpk, first);
    put_bool(out, "preload_reachable", obj->is_elf && !link && !secure, first);
    put_str(out, "note", link ? link : secure, first);
}

static void json_object(audit_reporter_t *r, const audit_object_t *obj)
{
    FILE *out = r->out;
    bool first = true;
    fputs(r->emitted ? ",\n{" : "\n{", out);
    put_str(out, "path", obj->path, &first);
    put_str(out, "needed_by", obj->needed_by, &first);
    put_key(out, "pid", &first);
    obj->pid ? fprintf(out, "%d", obj->pid) : fputs("null", out);
    put_bool(out, "memory", obj->is_memory, &first);
    put_str(out, "error", obj->error ? audit_strerror(obj->error) : NULL, &first);
    put_properties(out, obj, &first);
    put_key(out, "bytes_scanned", &first);
    fprintf(out, "%" PRIu64, obj->bytes_scanned);
    if (r->verbose) {
        put_key(out, "syscalls_number_unknown", &first);
        fprintf(out, "%zu", obj->syscalls_unknown);
    }
    put_key(out, "findings", &first);
    fputc('[', out);
    for (size_t i = 0; i < obj->nfindings; i++) {
        if (i)
            fputc(',', out);
        put_finding(out, &obj->findings[i]);
    }
    fputs("]}", out);
    r->emitted++;
}

static void json_begin(audit_reporter_t *r)
{
    fputs("{\"tool\":\"mpk-audit\",\"format\":1,\"objects\":[", r->out);
}

static void json_end(audit_reporter_t *r, const audit_summary_t *s, int status)
{
    fprintf(r->out,
            "\n],\"summary\":{\"objects\":%zu,\"errors\":%zu,\"findings\":%zu,\"benign\":%zu,"
            "\"exit_status\":%d}}\n",
            s->objects, s->errors, s->findings, s->benign, status);
    fflush(r->out);
}

void audit_reporter_json(audit_reporter_t *r, FILE *out, bool verbose)
{
    *r = (audit_reporter_t){.begin = json_begin, .object = json_object, .end = json_end,
                            .out = out, .verbose = verbose};
}
