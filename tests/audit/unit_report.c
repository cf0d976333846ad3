/* tests/audit/unit_report.c: the exact text lines, JSON escaping of awkward file names, and the
 * exit status rule. */
#include "tools/audit/report.h"

#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

static char *buf;
static size_t len;

/* Runs one reporter over obj and returns what it printed (in buf). */
static const char *render(bool json, const audit_object_t *obj)
{
    FILE *f = open_memstream(&buf, &len);
    audit_reporter_t r;
    if (json)
        audit_reporter_json(&r, f, false);
    else
        audit_reporter_text(&r, f, false);
    audit_summary_t s = {0};
    r.begin(&r);
    r.object(&r, obj);
    audit_summary_add(&s, obj);
    r.end(&r, &s, audit_exit_status(&s));
    fclose(f);
    return buf;
}

static void add(audit_object_t *obj, audit_finding_t f)
{
    cr_assert_eq(audit_object_add(obj, &f), 0);
}

static void cleanup(void)
{
    free(buf);
    buf = NULL;
}

TestSuite(report, .fini = cleanup);

Test(report, text_lines)
{
    audit_object_t obj;
    cr_assert_eq(audit_object_init(&obj, "/bin/x", NULL), 0);
    add(&obj, (audit_finding_t){.addr = 0x1010, .cls = AUDIT_CLASS_INSTRUCTION, .insn = "wrpkru",
                                .function = strdup("f"), .function_start = 0x1000,
                                .has_function = true, .function_inside = true,
                                .syscall_nr = -1, .pkru_in_mask = -1});
    add(&obj, (audit_finding_t){.addr = 0x2345, .cls = AUDIT_CLASS_HIDDEN, .insn = "wrpkru",
                                .detail = "inside mov eax, 0xef010f at 0x2344",
                                .function_start = 0x2300, .has_function = true,
                                .syscall_nr = -1, .pkru_in_mask = -1});
    add(&obj, (audit_finding_t){.addr = 0x9000, .cls = AUDIT_CLASS_INSTRUCTION,
                                .site = AUDIT_SITE_SYSCALL, .insn = "syscall",
                                .detail = "eax=330", .function = strdup("g"),
                                .function_start = 0x8000, .has_function = true,
                                .syscall_nr = 330, .pkru_in_mask = -1, .benign = "why"});
    obj.kind = AUDIT_KIND_STATIC;
    obj.is_elf = true;
    const char *out = render(false, &obj);
    cr_assert(strstr(out, "/bin/x: 0x1010 in f+0x10: wrpkru (instruction)\n"), "%s", out);
    cr_assert(strstr(out, "/bin/x: 0x2345 in sub_2300+0x45: wrpkru (hidden: inside mov eax, "
                          "0xef010f at 0x2344)\n"), "%s", out);
    cr_assert(strstr(out, "/bin/x: 0x9000 near g+0x1000: syscall pkey_alloc (instruction: "
                          "eax=330) [benign: why]\n"), "%s", out);
    cr_assert(strstr(out, "/bin/x: static executable (no program interpreter): LD_PRELOAD "
                          "cannot reach it\n"), "%s", out);
    cr_assert(strstr(out, "/bin/x: 3 findings (1 benign)\n"), "%s", out);
    audit_object_free(&obj);
}

Test(report, json_escapes_awkward_names)
{
    audit_object_t obj;
    cr_assert_eq(audit_object_init(&obj, "/t/a\"b\\c\nd\xff\xc3\xa9", NULL), 0);
    const char *out = render(true, &obj);
    cr_assert(strstr(out, "\"path\":\"/t/a\\\"b\\\\c\\u000ad\\ufffd\xc3\xa9\""), "%s", out);
    cr_assert(strstr(out, "\"exit_status\":0"), "%s", out);
    audit_object_free(&obj);
}

Test(report, exit_status_rule)
{
    audit_summary_t s = {0};
    cr_assert_eq(audit_exit_status(&s), 0);
    s.findings = 2;
    s.benign = 2;
    cr_assert_eq(audit_exit_status(&s), 0);
    s.findings = 3;
    cr_assert_eq(audit_exit_status(&s), 1);
    s.errors = 1;
    cr_assert_eq(audit_exit_status(&s), 2);
}
