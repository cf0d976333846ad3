/* tests/policy/test_audit_log.c: the audit log's parts without the preload: the UTC timestamp
 * against gmtime, JSON and text encodings, whole records in both formats (valid JSON however
 * long the backtrace, never more than 8 KiB), function names from a file's symbol table, and
 * the WRPKRU/XRSTOR byte patterns. */
#include <criterion/criterion.h>
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "policy/audit_emit.h"
#include "policy/audit_modules.h"
#include "policy/audit_parts.h"
#include "policy/audit_record.h"
#include "policy/audit_time.h"

/* ---- helpers ------------------------------------------------------------------------------ */

static char out[16384];

static const char *fmt_time(int64_t sec, long usec)
{
    mpk_abuf_t b;
    mpk_abuf_init(&b, out, sizeof out);
    mpk_audit_put_time(&b, sec, usec);
    out[b.len] = 0;
    return out;
}

static const char *json_str(const char *s)
{
    mpk_abuf_t b;
    mpk_abuf_init(&b, out, sizeof out);
    mpk_abuf_json_str(&b, s);
    out[b.len] = 0;
    return out;
}

static const char *text_value(const char *s)
{
    mpk_abuf_t b;
    mpk_abuf_init(&b, out, sizeof out);
    mpk_abuf_text_value(&b, s);
    out[b.len] = 0;
    return out;
}

/* Python's json module is the judge of validity: every line one JSON object. */
static int json_lines_valid(const char *text)
{
    FILE *p = popen("python3 -c 'import json,sys\n"
                    "for l in sys.stdin.read().splitlines():\n"
                    "    assert isinstance(json.loads(l), dict)'", "w");
    cr_assert(p, "python3 is needed");
    fputs(text, p);
    return pclose(p) == 0;
}

/* Emit r to a temporary file and return what was written. */
static const char *emit_to_file(mpk_arecord_t *r, bool json, bool backtrace)
{
    char path[] = "/tmp/mpk-audit-XXXXXX";
    int fd = mkstemp(path);
    ssize_t n;
    cr_assert(fd >= 0);
    unlink(path);
    mpk_audit_emit_setup(fd, json, backtrace);
    mpk_audit_emit(r, NULL);
    n = pread(fd, out, sizeof out - 1, 0);
    out[n > 0 ? n : 0] = 0;
    close(fd);
    return out;
}

/* ---- time ----------------------------------------------------------------------------------- */

Test(audit_time, known_dates)
{
    cr_assert_str_eq(fmt_time(0, 0), "1970-01-01T00:00:00.000000Z");
    cr_assert_str_eq(fmt_time(951782400, 7), "2000-02-29T00:00:00.000007Z");
    cr_assert_str_eq(fmt_time(4107542400, 999999), "2100-03-01T00:00:00.999999Z");
    cr_assert_str_eq(fmt_time(2147483648, 0), "2038-01-19T03:14:08.000000Z");
}

Test(audit_time, agrees_with_gmtime)
{
    srand(7);
    for (int i = 0; i < 200000; i++) {
        int64_t sec = ((int64_t)rand() << 31 ^ rand()) % 253402300800; /* up to 9999-12-31 */
        time_t t = (time_t)sec;
        struct tm tm;
        char want[64];
        gmtime_r(&t, &tm);
        snprintf(want, sizeof want, "%04d-%02d-%02dT%02d:%02d:%02d.000042Z", tm.tm_year + 1900,
                 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
        cr_assert_str_eq(fmt_time(sec, 42), want, "second %lld", (long long)sec);
    }
}

/* ---- encodings ------------------------------------------------------------------------------ */

Test(audit_json, escapes)
{
    cr_assert_str_eq(json_str("plain"), "\"plain\"");
    cr_assert_str_eq(json_str("a\"b\\c"), "\"a\\\"b\\\\c\"");
    cr_assert_str_eq(json_str("t\tn\n\x01\x1f"), "\"t\\u0009n\\u000a\\u0001\\u001f\"");
    cr_assert_str_eq(json_str("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"), "\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\"");
}

Test(audit_json, invalid_utf8_replaced)
{
    cr_assert_str_eq(json_str("a\xff" "b"), "\"a\\ufffdb\"");
    cr_assert_str_eq(json_str("\xc0\xaf"), "\"\\ufffd\\ufffd\"");       /* overlong */
    cr_assert_str_eq(json_str("\xed\xa0\x80"), "\"\\ufffd\\ufffd\\ufffd\""); /* surrogate */
    cr_assert_str_eq(json_str("\xe2\x82"), "\"\\ufffd\\ufffd\"");        /* cut short */
    cr_assert_str_eq(json_str("\xf4\x90\x80\x80"), "\"\\ufffd\\ufffd\\ufffd\\ufffd\""); /* > U+10FFFF */
}

Test(audit_json, long_strings_cut_but_closed)
{
    static char big[20000];
    char buf[1024];
    mpk_abuf_t b;
    memset(big, '"', sizeof big - 1);
    mpk_abuf_init(&b, buf, sizeof buf);
    mpk_abuf_json_str(&b, big);
    cr_assert(b.cut);
    cr_assert(b.len <= sizeof buf && buf[b.len - 1] == '"' && buf[b.len - 2] != '\\');
}

Test(audit_text, values)
{
    cr_assert_str_eq(text_value("pkey_set"), "pkey_set");
    cr_assert_str_eq(text_value("two words"), "\"two words\"");
    cr_assert_str_eq(text_value("q\"b\\n\nt\t\x02"), "\"q\\\"b\\\\n\\nt\\t\\x02\"");
    cr_assert_str_eq(text_value(""), "\"\"");
}

/* ---- whole records ---------------------------------------------------------------------------- */

__attribute__((noinline)) static void some_function(void) { __asm__ volatile("nop; nop; nop; nop; nop; nop; nop; nop"); }

static void sample_record(mpk_arecord_t *r, mpk_frames_t *fr, unsigned nframes)
{
    memset(r, 0, sizeof *r);
    r->event = "bad_key";
    r->key = 4242;
    mpk_arecord_str(r, "op", "pkey_set");
    mpk_arecord_str(r, "note", "a \"quoted\"\nline");
    mpk_arecord_bool(r, "benign", false);
    mpk_arecord_hex(r, "offset", 0x1234);
    r->message = "pkey_set on key 4242";
    fr->n = nframes;
    for (unsigned i = 0; i < nframes; i++) {
        fr->pc[i] = (uintptr_t)some_function + 4;
        fr->exact[i] = i == 0;
    }
    r->frames = fr;
}

Test(audit_record, json_one_valid_object_with_located_frames)
{
    mpk_arecord_t r;
    mpk_frames_t fr;
    mpk_audit_modules_refresh();
    sample_record(&r, &fr, 3);
    r.has_pc = true;
    r.pc = (uintptr_t)some_function;
    emit_to_file(&r, true, true);
    cr_assert(strncmp(out, "{\"time\":\"", 9) == 0, "%s", out);
    cr_assert(strstr(out, "\"event\":\"bad_key\",\"key\":4242,\"address\":null,\"op\":\"pkey_set\","
                          "\"note\":\"a \\\"quoted\\\"\\u000aline\",\"benign\":false,\"offset\":\"0x1234\""),
              "%s", out);
    cr_assert(strstr(out, "\"function\":\"some_function\""), "names from the symbol table: %s", out);
    cr_assert(strstr(out, "/test_audit_log\",\"offset\":\"0x"), "module+offset: %s", out);
    cr_assert(strchr(out, '\n') == out + strlen(out) - 1, "one line");
    cr_assert(json_lines_valid(out), "%s", out);
}

Test(audit_record, json_long_backtrace_cut_to_8k_and_still_valid)
{
    static char msg[6000];
    mpk_arecord_t r;
    mpk_frames_t fr;
    mpk_audit_modules_refresh();
    sample_record(&r, &fr, MPK_AUDIT_FRAMES_MAX);
    memset(msg, 'm', sizeof msg - 1);
    r.message = msg;
    emit_to_file(&r, true, true);
    cr_assert(strlen(out) <= MPK_AUDIT_RECORD_MAX, "%zu bytes", strlen(out));
    cr_assert(strstr(out, "\"backtrace_truncated\":true"), "says it was cut");
    cr_assert(json_lines_valid(out));
}

Test(audit_record, json_without_backtrace_member_when_off)
{
    mpk_arecord_t r;
    mpk_frames_t fr;
    sample_record(&r, &fr, 2);
    emit_to_file(&r, true, false);
    cr_assert(!strstr(out, "backtrace"), "%s", out);
    cr_assert(json_lines_valid(out));
}

Test(audit_record, text_line_then_locations)
{
    mpk_arecord_t r;
    mpk_frames_t fr;
    char *second;
    mpk_audit_modules_refresh();
    sample_record(&r, &fr, 2);
    fr.pc[1] = 0x10; /* in no module */
    emit_to_file(&r, false, true);
    cr_assert(strncmp(out, "libmpk: ", 8) == 0, "%s", out);
    cr_assert(strstr(out, " pid="), "%s", out);
    cr_assert(strstr(out, " bad_key key=4242 op=pkey_set note=\"a \\\"quoted\\\"\\nline\" benign=no "
                          "offset=0x1234 msg=\"pkey_set on key 4242\"\n"),
              "%s", out);
    second = strchr(out, '\n') + 1;
    cr_assert(strncmp(second, "    #0 0x", 9) == 0 && strstr(second, "/test_audit_log+0x") &&
                  strstr(second, " some_function\n    #1 0x10 ?\n"),
              "%s", second);
}

Test(audit_record, text_long_backtrace_cut_to_8k)
{
    mpk_arecord_t r;
    mpk_frames_t fr;
    static char msg[7000];
    mpk_audit_modules_refresh();
    sample_record(&r, &fr, MPK_AUDIT_FRAMES_MAX);
    memset(msg, 'm', sizeof msg - 1);
    r.message = msg;
    emit_to_file(&r, false, true);
    cr_assert(strlen(out) <= MPK_AUDIT_RECORD_MAX);
    cr_assert(strstr(out, "    ... (backtrace cut: record size limit)\n"), "%s", out + strlen(out) - 200);
}

Test(audit_record, holders_in_both_formats)
{
    static const mpk_aholder_t h[] = {{"/usr/lib/libwasm.so", 12}, {"/opt/odd name/v8.so", 3}, {NULL, 1}};
    mpk_arecord_t r;
    memset(&r, 0, sizeof r);
    r.event = "keys_exceeded";
    r.key = -1;
    mpk_arecord_num(&r, "live_keys", 16);
    mpk_arecord_holders(&r, "holders", h, 3);
    emit_to_file(&r, true, false);
    cr_assert(strstr(out, ",\"live_keys\":16,\"holders\":[{\"module\":\"/usr/lib/libwasm.so\",\"keys\":12},"
                          "{\"module\":\"/opt/odd name/v8.so\",\"keys\":3},{\"module\":null,\"keys\":1}]"),
              "%s", out);
    cr_assert(json_lines_valid(out), "%s", out);
    emit_to_file(&r, false, false);
    cr_assert(strstr(out, " live_keys=16 holders=/usr/lib/libwasm.so:12,\"/opt/odd name/v8.so\":3,?:1\n"),
              "%s", out);
}

/* ---- names from symbol tables --------------------------------------------------------------- */

Test(audit_symtab, names_a_static_function)
{
    char path[1024], name[64];
    uintptr_t bias;
    mpk_symcache_t c;
    mpk_audit_modules_refresh();
    cr_assert(mpk_audit_module_of((uintptr_t)some_function, path, sizeof path, &bias));
    mpk_symcache_init(&c);
    cr_assert(mpk_symbol_at(&c, path, (uintptr_t)some_function - bias, name, sizeof name));
    cr_assert_str_eq(name, "some_function");
    cr_assert(!mpk_symbol_at(&c, path, 0x1, name, sizeof name), "no function at 0x1");
    mpk_symcache_release(&c);
}

Test(audit_symtab, bad_files_give_no_name)
{
    char path[1024], name[64], trunc[] = "/tmp/mpk-elf-XXXXXX";
    uintptr_t bias;
    mpk_symcache_t c;
    FILE *in, *outf;
    char head[200];
    int fd = mkstemp(trunc);
    mpk_audit_modules_refresh();
    cr_assert(mpk_audit_module_of((uintptr_t)some_function, path, sizeof path, &bias));
    in = fopen(path, "rb");
    cr_assert(in && fread(head, 1, sizeof head, in) == sizeof head);
    fclose(in);
    outf = fdopen(fd, "wb");
    fwrite(head, 1, sizeof head, outf); /* an ELF header whose section table is beyond the end */
    fclose(outf);
    mpk_symcache_init(&c);
    cr_assert(!mpk_symbol_at(&c, trunc, 0x1000, name, sizeof name));
    cr_assert(!mpk_symbol_at(&c, "/etc/hostname", 0x10, name, sizeof name));
    cr_assert(!mpk_symbol_at(&c, "/nonexistent/file", 0x10, name, sizeof name));
    cr_assert(!mpk_symbol_at(&c, "linux-vdso.so.1", 0x10, name, sizeof name));
    mpk_symcache_release(&c);
    unlink(trunc);
}

/* ---- the byte patterns ---------------------------------------------------------------------- */

static char hits[256];

static void collect(const unsigned char *site, const char *insn, void *arg)
{
    const unsigned char *base = arg;
    char one[32];
    snprintf(one, sizeof one, "%s@%d ", insn, (int)(site - base));
    strcat(hits, one);
}

static const char *scan(const unsigned char *code, size_t n)
{
    hits[0] = 0;
    mpk_audit_scan_bytes(code, code + n, collect, (void *)code);
    return hits;
}

Test(audit_scan, patterns)
{
    static const unsigned char wrpkru[] = {0x90, 0x0f, 0x01, 0xef};
    static const unsigned char rdpkru[] = {0x0f, 0x01, 0xee};
    static const unsigned char xrstor[] = {0x0f, 0xae, 0x2f, 0x48, 0x0f, 0xae, 0x6c, 0x24, 0x40};
    static const unsigned char lfence[] = {0x0f, 0xae, 0xe8, 0x0f, 0xae, 0x17}; /* lfence, ldmxcsr */
    static const unsigned char xrstors[] = {0x0f, 0xc7, 0x1f, 0x48, 0x0f, 0xc7, 0x5f, 0x08};
    static const unsigned char cmpxchg[] = {0x0f, 0xc7, 0x0f, 0x0f, 0xc7, 0xf0}; /* cmpxchg8b, rdrand */
    static const unsigned char tail[] = {0x90, 0x0f, 0x01};                     /* cut at the end */
    cr_assert_str_eq(scan(wrpkru, sizeof wrpkru), "wrpkru@1 ");
    cr_assert_str_eq(scan(rdpkru, sizeof rdpkru), "");
    cr_assert_str_eq(scan(xrstor, sizeof xrstor), "xrstor@0 xrstor64@4 ");
    cr_assert_str_eq(scan(lfence, sizeof lfence), "");
    cr_assert_str_eq(scan(xrstors, sizeof xrstors), "xrstors@0 xrstors64@4 ");
    cr_assert_str_eq(scan(cmpxchg, sizeof cmpxchg), "");
    cr_assert_str_eq(scan(tail, sizeof tail), "");
}
