/* tools/audit/scan.c: finding candidate sites at every byte offset. Every pattern starts with 0F,
 * so memchr (vectorised in glibc) skips to each 0F and only the next bytes are compared; the
 * costly decoding happens later and only at the few places found here. */
#include "tools/audit/scan.h"

#include "tools/audit/finding.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static int push(audit_candidates_t *c, uint64_t addr, audit_site_t site)
{
    if (c->n == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 64;
        audit_candidate_t *v = realloc(c->v, cap * sizeof *v);
        if (!v)
            return ENOMEM;
        c->v = v;
        c->cap = cap;
    }
    c->v[c->n++] = (audit_candidate_t){.addr = addr, .site = site};
    return 0;
}

/* ModRM with a memory operand (mod != 3) and the given reg field: the /digit forms. */
static bool modrm_mem_reg(uint8_t modrm, unsigned reg)
{
    return (modrm >> 6) != 3 && ((modrm >> 3) & 7) == reg;
}

/* The imm32 of a syscall number worth a finding (finding.c's table: 329 is 49 01 00 00, 10 is
 * 0A 00 00 00) somewhere in the lookback window before i: the tail of "mov eax, imm32" (B8),
 * "mov rax, imm32" (48 C7 C0) and their variants. Small numbers make this match more often;
 * it only chooses where to decode, the classifier decides. */
static bool known_number_before(const uint8_t *bytes, size_t i)
{
    size_t from = i > AUDIT_SYSCALL_LOOKBACK ? i - AUDIT_SYSCALL_LOOKBACK : 0;
    for (size_t j = from; j + 4 <= i; j++) {
        uint32_t imm = (uint32_t)bytes[j] | (uint32_t)bytes[j + 1] << 8 |
                       (uint32_t)bytes[j + 2] << 16 | (uint32_t)bytes[j + 3] << 24;
        if (imm < 0x200 && audit_syscall_number_known(imm))
            return true;
    }
    return false;
}

/* The site starting at bytes[i] == 0F, if any; false when none. Needs i + 1 < size. */
static bool match_site(const uint8_t *bytes, size_t size, size_t i, bool all_syscalls,
                       audit_site_t *site)
{
    uint8_t op = bytes[i + 1];
    if (op == 0x05) {
        *site = AUDIT_SITE_SYSCALL;
        return all_syscalls || known_number_before(bytes, i);
    }
    if (i + 2 >= size)
        return false;
    uint8_t third = bytes[i + 2];
    if (op == 0x01 && third == 0xef) {
        *site = AUDIT_SITE_WRPKRU;
        return true;
    }
    if (op == 0xae && modrm_mem_reg(third, 5)) {
        *site = AUDIT_SITE_XRSTOR;
        return true;
    }
    if (op == 0xc7 && modrm_mem_reg(third, 3)) {
        *site = AUDIT_SITE_XRSTORS;
        return true;
    }
    return false;
}

int audit_scan(const uint8_t *bytes, size_t size, uint64_t vaddr, bool all_syscalls,
               audit_candidates_t *out)
{
    size_t i = 0;
    while (size >= 2 && i < size - 1) {
        const uint8_t *hit = memchr(bytes + i, 0x0f, size - 1 - i);
        if (!hit)
            break;
        i = (size_t)(hit - bytes);
        audit_site_t site;
        if (match_site(bytes, size, i, all_syscalls, &site) && push(out, vaddr + i, site))
            return ENOMEM;
        i++;
    }
    return 0;
}

void audit_candidates_free(audit_candidates_t *c)
{
    free(c->v);
    *c = (audit_candidates_t){0};
}
