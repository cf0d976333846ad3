/* tests/audit/unit_scan.c: the byte scan finds every pattern at every offset, the right forms
 * only, and never reads past the region. */
#include "tools/audit/scan.h"

#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

static audit_candidates_t scan(const void *bytes, size_t size, uint64_t vaddr, bool all)
{
    audit_candidates_t c = {0};
    cr_assert_eq(audit_scan(bytes, size, vaddr, all, &c), 0);
    return c;
}

Test(scan, wrpkru_at_every_offset)
{
    enum { N = 64 };
    for (size_t at = 0; at + 3 <= N; at++) {
        /* An exact-size heap block, so an overread shows under ASan. */
        uint8_t *buf = calloc(1, N);
        memcpy(buf + at, "\x0f\x01\xef", 3);
        audit_candidates_t c = scan(buf, N, 0x1000, false);
        cr_assert_eq(c.n, 1, "offset %zu", at);
        cr_assert_eq(c.v[0].addr, 0x1000 + at);
        cr_assert_eq(c.v[0].site, AUDIT_SITE_WRPKRU);
        audit_candidates_free(&c);
        free(buf);
    }
}

Test(scan, partial_pattern_at_end_is_not_a_site)
{
    uint8_t *buf = malloc(4);
    memcpy(buf, "\x90\x90\x0f\x01", 4);
    audit_candidates_t c = scan(buf, 4, 0, true);
    cr_assert_eq(c.n, 0);
    free(buf);
}

Test(scan, xrstor_needs_reg5_and_a_memory_operand)
{
    const uint8_t yes[][3] = {{0x0f, 0xae, 0x2f}, {0x0f, 0xae, 0x6c}, {0x0f, 0xae, 0xa8}};
    const uint8_t no[][3] = {{0x0f, 0xae, 0xe8} /* lfence */, {0x0f, 0xae, 0x4c} /* fxrstor */,
                             {0x0f, 0xae, 0x27} /* xsave */};
    for (size_t i = 0; i < 3; i++) {
        audit_candidates_t c = scan(yes[i], 3, 0, false);
        cr_assert_eq(c.n, 1);
        cr_assert_eq(c.v[0].site, AUDIT_SITE_XRSTOR);
        audit_candidates_free(&c);
        c = scan(no[i], 3, 0, false);
        cr_assert_eq(c.n, 0, "form %zu", i);
    }
}

Test(scan, xrstors_needs_reg3_and_a_memory_operand)
{
    audit_candidates_t c = scan("\x0f\xc7\x1f", 3, 0, false);
    cr_assert_eq(c.n, 1);
    cr_assert_eq(c.v[0].site, AUDIT_SITE_XRSTORS);
    audit_candidates_free(&c);
    c = scan("\x0f\xc7\xdf", 3, 0, false);  /* mod 3: not xrstors */
    cr_assert_eq(c.n, 0);
    c = scan("\x0f\xc7\x0f", 3, 0, false);  /* /1: cmpxchg8b */
    cr_assert_eq(c.n, 0);
}

Test(scan, syscall_only_after_a_pkey_number)
{
    audit_candidates_t c = scan("\xb8\x27\x00\x00\x00\x0f\x05", 7, 0, false);   /* getpid */
    cr_assert_eq(c.n, 0);
    c = scan("\xb8\x4a\x01\x00\x00\x0f\x05", 7, 0x10, false);                    /* pkey_alloc */
    cr_assert_eq(c.n, 1);
    cr_assert_eq(c.v[0].addr, 0x15);
    cr_assert_eq(c.v[0].site, AUDIT_SITE_SYSCALL);
    audit_candidates_free(&c);
    c = scan("\xb8\x27\x00\x00\x00\x0f\x05", 7, 0, true);    /* verbose keeps every syscall */
    cr_assert_eq(c.n, 1);
    audit_candidates_free(&c);
}

Test(scan, syscall_after_a_pitfall_number)
{
    /* mprotect (10) and process_vm_writev (311, 37 01 00 00) by mov eax and mov rax. */
    audit_candidates_t c = scan("\xb8\x0a\x00\x00\x00\x0f\x05", 7, 0, false);
    cr_assert_eq(c.n, 1);
    audit_candidates_free(&c);
    c = scan("\x48\xc7\xc0\x37\x01\x00\x00\x0f\x05", 9, 0, false);
    cr_assert_eq(c.n, 1);
    cr_assert_eq(c.v[0].site, AUDIT_SITE_SYSCALL);
    audit_candidates_free(&c);
}

Test(scan, overlapping_and_repeated_sites_all_found)
{
    const uint8_t buf[] = {0x0f, 0x01, 0xef, 0x0f, 0x01, 0xef, 0x0f, 0xae, 0x2f, 0x0f};
    audit_candidates_t c = scan(buf, sizeof buf, 0, false);
    cr_assert_eq(c.n, 3);
    cr_assert_eq(c.v[0].addr, 0);
    cr_assert_eq(c.v[1].addr, 3);
    cr_assert_eq(c.v[2].addr, 6);
    audit_candidates_free(&c);
}
