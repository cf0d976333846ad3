/* tests/audit/unit_classify.c: the classifier on hand-assembled code: instruction vs hidden,
 * the instructions capstone 4 lacks, lost alignment, syscall numbers, XRSTOR masks. */
#include "tools/audit/classify.h"

#include "tools/audit/error.h"

#include <criterion/criterion.h>
#include <string.h>

#define BASE 0x1000

static audit_decoder_t dec;

static void open_decoder(void)
{
    cr_assert_eq(audit_decoder_open(&dec), 0);
}

static void close_decoder(void)
{
    audit_decoder_close(&dec);
}

TestSuite(classify, .init = open_decoder, .fini = close_decoder);

/* Classifies the first candidate of kind site in code, as a function starting at BASE. */
static bool classify(const void *bytes, size_t n, audit_site_t site, audit_finding_t *f)
{
    audit_code_t code = {.bytes = bytes, .size = n, .vaddr = BASE};
    audit_sym_t sym = {.addr = BASE, .size = n, .name = "f", .bind = STB_GLOBAL};
    audit_symbols_t syms = {.v = &sym, .n = 1};
    audit_where_t w = {.syms = &syms};
    audit_candidates_t c = {0};
    cr_assert_eq(audit_scan(bytes, n, BASE, true, &c), 0);
    size_t i = 0;
    while (i < c.n && c.v[i].site != site)
        i++;
    cr_assert_lt(i, c.n, "no candidate of that kind");
    bool keep;
    size_t unknown = 0;
    audit_sweep_forget(&dec);
    cr_assert_eq(audit_classify(&dec, &w, &code, &c.v[i], f, &keep, &unknown), 0);
    audit_candidates_free(&c);
    return keep;
}

Test(classify, wrpkru_instruction)
{
    audit_finding_t f;
    cr_assert(classify("\x31\xc9\x31\xd2\x0f\x01\xef\xc3", 8, AUDIT_SITE_WRPKRU, &f));
    cr_assert_eq(f.cls, AUDIT_CLASS_INSTRUCTION);
    cr_assert_str_eq(f.insn, "wrpkru");
    cr_assert_eq(f.addr, BASE + 4);
    cr_assert_str_eq(f.function, "f");
    cr_assert(f.function_inside);
    audit_finding_free(&f);
}

Test(classify, wrpkru_hidden_in_immediate)
{
    audit_finding_t f;
    cr_assert(classify("\x90\xb8\x0f\x01\xef\x00\xc3", 7, AUDIT_SITE_WRPKRU, &f));
    cr_assert_eq(f.cls, AUDIT_CLASS_HIDDEN);
    cr_assert_str_eq(f.detail, "inside mov eax, 0xef010f at 0x1001");
    audit_finding_free(&f);
}

Test(classify, wrpkru_hidden_in_displacement)
{
    audit_finding_t f;
    /* lea rcx, [rax - 0x10fef100] = 48 8d 88 00 0f 01 ef */
    cr_assert(classify("\x48\x8d\x88\x00\x0f\x01\xef\xc3", 8, AUDIT_SITE_WRPKRU, &f));
    cr_assert_eq(f.cls, AUDIT_CLASS_HIDDEN);
    cr_assert(strncmp(f.detail, "inside lea rcx, [rax", 20) == 0, "%s", f.detail);
    audit_finding_free(&f);
}

Test(classify, f3_prefix_makes_stui_not_wrpkru)
{
    audit_finding_t f;
    cr_assert(classify("\x90\xf3\x0f\x01\xef\xc3", 6, AUDIT_SITE_WRPKRU, &f));
    cr_assert_eq(f.cls, AUDIT_CLASS_HIDDEN);
    cr_assert_str_eq(f.detail, "inside stui at 0x1001");
    audit_finding_free(&f);
}

Test(classify, undecodable_byte_just_before_is_unknown)
{
    audit_finding_t f;
    /* 0x06 (push es) does not exist in 64-bit mode. */
    cr_assert(classify("\x90\x06\x0f\x01\xef\xc3", 6, AUDIT_SITE_WRPKRU, &f));
    cr_assert_eq(f.cls, AUDIT_CLASS_UNKNOWN);
    cr_assert(strstr(f.detail, "undecodable byte at 0x1001") != NULL, "%s", f.detail);
    audit_finding_free(&f);
}

Test(classify, xrstor64_with_rex_is_an_instruction)
{
    audit_finding_t f;
    cr_assert(classify("\x48\x0f\xae\x2f\xc3", 5, AUDIT_SITE_XRSTOR, &f));
    cr_assert_eq(f.cls, AUDIT_CLASS_INSTRUCTION);
    cr_assert_str_eq(f.insn, "xrstor64");
    cr_assert_eq(f.addr, BASE + 1);
    cr_assert_eq(f.pkru_in_mask, -1);
    audit_finding_free(&f);
}

Test(classify, xrstor_mask_without_pkru)
{
    audit_finding_t f;
    /* mov eax, 0xee; xor edx, edx; xrstor [rsp + 0x40] */
    const char code[] = "\xb8\xee\x00\x00\x00\x31\xd2\x0f\xae\x6c\x24\x40\xc3";
    cr_assert(classify(code, sizeof code - 1, AUDIT_SITE_XRSTOR, &f));
    cr_assert_eq(f.pkru_in_mask, 0);
    cr_assert_eq(f.mask_eax, 0xee);
    audit_finding_free(&f);
}

Test(classify, xrstor_mask_with_pkru)
{
    audit_finding_t f;
    const char code[] = "\xb8\xff\x02\x00\x00\x31\xd2\x0f\xae\x2f\xc3";
    cr_assert(classify(code, sizeof code - 1, AUDIT_SITE_XRSTOR, &f));
    cr_assert_eq(f.pkru_in_mask, 1);
    audit_finding_free(&f);
}

Test(classify, xrstor_mask_unknown_after_a_branch)
{
    audit_finding_t f;
    /* mov eax, 0xee; jmp +0; xrstor [rdi]: the xrstor may be reached with another eax. */
    const char code[] = "\xb8\xee\x00\x00\x00\xeb\x00\x0f\xae\x2f\xc3";
    cr_assert(classify(code, sizeof code - 1, AUDIT_SITE_XRSTOR, &f));
    cr_assert_eq(f.pkru_in_mask, -1);
    audit_finding_free(&f);
}

Test(classify, pkey_syscall_is_kept_with_its_number)
{
    audit_finding_t f;
    const char code[] = "\xb8\x49\x01\x00\x00\x4d\x89\xca\x0f\x05\xc3";   /* mov r10, r9 between */
    cr_assert(classify(code, sizeof code - 1, AUDIT_SITE_SYSCALL, &f));
    cr_assert_eq(f.syscall_nr, 329);
    cr_assert_eq(f.cls, AUDIT_CLASS_INSTRUCTION);
    audit_finding_free(&f);
}

Test(classify, pitfall_syscalls_are_kept_with_their_route)
{
    static const struct { const char *code; size_t len; int nr; const char *route; } cases[] = {
        {"\xb8\x37\x01\x00\x00\x0f\x05\xc3", 8, 311, "foreign_write"},     /* process_vm_writev */
        {"\xb8\x65\x00\x00\x00\x0f\x05\xc3", 8, 101, "foreign_write"},     /* ptrace */
        {"\xb8\x0a\x00\x00\x00\x0f\x05\xc3", 8, 10, "protection_change"},  /* mprotect */
        {"\xb8\x19\x00\x00\x00\x0f\x05\xc3", 8, 25, "protection_change"},  /* mremap */
        {"\xb8\x1c\x00\x00\x00\x0f\x05\xc3", 8, 28, "protection_change"},  /* madvise */
        {"\x48\xc7\xc0\x0f\x00\x00\x00\x0f\x05\xc3", 10, 15, "sigreturn"}, /* rt_sigreturn */
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        audit_finding_t f;
        cr_assert(classify(cases[i].code, cases[i].len, AUDIT_SITE_SYSCALL, &f), "syscall %d",
                  cases[i].nr);
        cr_assert_eq(f.syscall_nr, cases[i].nr);
        cr_assert_eq(f.cls, AUDIT_CLASS_INSTRUCTION);
        cr_assert_str_eq(audit_syscall_route(f.syscall_nr), cases[i].route);
        cr_assert(strstr(f.detail, cases[i].route), "detail names the route: %s", f.detail);
        audit_finding_free(&f);
    }
    /* open (2) and openat (257) are not: their path cannot be told from the code. */
    audit_finding_t f;
    cr_assert_not(classify("\xb8\x01\x01\x00\x00\x0f\x05\xc3", 8, AUDIT_SITE_SYSCALL, &f));
    audit_finding_free(&f);
}

Test(classify, other_syscalls_are_not_findings)
{
    audit_finding_t f;
    cr_assert_not(classify("\xb8\x27\x00\x00\x00\x0f\x05\xc3", 8, AUDIT_SITE_SYSCALL, &f));
    audit_finding_free(&f);
    /* The number is overwritten before the syscall: cannot be told, not a finding. */
    cr_assert_not(classify("\xb8\x4a\x01\x00\x00\x89\xf8\x0f\x05\xc3", 10, AUDIT_SITE_SYSCALL,
                           &f));
    audit_finding_free(&f);
}

Test(classify, hidden_syscall_is_not_a_finding)
{
    audit_finding_t f;
    /* 0f 05 inside "mov eax, 0x14a" followed by "mov ecx, 0x00050f00". */
    const char code[] = "\xb8\x4a\x01\x00\x00\xb9\x00\x0f\x05\x00\xc3";
    cr_assert_not(classify(code, sizeof code - 1, AUDIT_SITE_SYSCALL, &f));
    audit_finding_free(&f);
}

Test(classify, window_decoding_without_any_known_start)
{
    /* Anonymous memory: no symbols; 600 nops then a wrpkru, so the window is used. */
    static uint8_t code[700];
    memset(code, 0x90, sizeof code);
    memcpy(code + 600, "\x0f\x01\xef", 3);
    audit_code_t c = {.bytes = code, .size = sizeof code, .vaddr = BASE};
    audit_where_t w = {0};
    audit_candidate_t cand = {.addr = BASE + 600, .site = AUDIT_SITE_WRPKRU};
    audit_finding_t f;
    bool keep;
    size_t unknown = 0;
    cr_assert_eq(audit_classify(&dec, &w, &c, &cand, &f, &keep, &unknown), 0);
    cr_assert(keep);
    cr_assert_eq(f.cls, AUDIT_CLASS_INSTRUCTION);
    cr_assert_not(f.has_function);
    audit_finding_free(&f);
}

Test(classify, bias_rebases_reported_addresses)
{
    const char code[] = "\x90\xb8\x0f\x01\xef\x00\xc3";
    audit_code_t c = {.bytes = (const uint8_t *)code, .size = 7, .vaddr = BASE};
    audit_where_t w = {.bias = 0x10000};
    audit_candidate_t cand = {.addr = BASE + 2, .site = AUDIT_SITE_WRPKRU};
    audit_finding_t f;
    bool keep;
    size_t unknown = 0;
    cr_assert_eq(audit_classify(&dec, &w, &c, &cand, &f, &keep, &unknown), 0);
    cr_assert_eq(f.addr, 0x11002);
    cr_assert_str_eq(f.detail, "inside mov eax, 0xef010f at 0x11001");
    audit_finding_free(&f);
}
