/* tools/audit/classify.c: deciding what a candidate is by decoding towards it. Method: a linear
 * sweep from the closest known instruction boundary (function symbol, .eh_frame_hdr start, code
 * section start) to the instruction that covers the site. With no boundary within AUDIT_MAX_SWEEP
 * (stripped code, JIT memory), sweeps start from several points a window before the site; x86
 * decoding resynchronises within a few instructions, so when they all agree the answer is kept,
 * and when they do not the site is reported as unknown rather than guessed. */
#include "tools/audit/classify.h"

#include "tools/audit/regvalue.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* An undecodable byte this close before the site means the boundaries there are guesses. */
#define LOST_SYNC_DISTANCE 16
#define PKRU_BIT 9

typedef enum decode_outcome { DECODED, AMBIGUOUS } decode_outcome_t;

/* ---------------------------------------------------------------- decoding towards the site */

static uint64_t window_start(const audit_code_t *code, uint64_t addr, unsigned k)
{
    uint64_t back = AUDIT_WINDOW_BYTES + k;
    return addr - code->vaddr > back ? addr - back : code->vaddr;
}

static decode_outcome_t decode_in_window(audit_decoder_t *dec, const audit_code_t *code,
                                         uint64_t addr, audit_insn_t *out)
{
    uint64_t agreed = 0;
    for (unsigned k = 0; k < AUDIT_WINDOW_STARTS; k++) {
        audit_sweep_forget(dec);
        audit_sweep_to(dec, code, window_start(code, addr, k), addr, out);
        if (k > 0 && out->addr != agreed)
            return AMBIGUOUS;
        agreed = out->addr;
    }
    return DECODED;
}

static decode_outcome_t decode_covering(audit_decoder_t *dec, const audit_code_t *code,
                                        const audit_location_t *loc, uint64_t addr,
                                        audit_insn_t *out)
{
    uint64_t from = audit_sweep_resume_point(dec, code, loc->sweep_start, addr);
    if (loc->boundary_known && addr - from <= AUDIT_MAX_SWEEP) {
        audit_sweep_to(dec, code, loc->sweep_start, addr, out);
        return DECODED;
    }
    return decode_in_window(dec, code, addr, out);
}

/* ---------------------------------------------------------------- what the bytes are */

static bool insn_is_site(audit_site_t site, unsigned id)
{
    switch (site) {
    case AUDIT_SITE_WRPKRU:
        return id == AUDIT_INSN_WRPKRU;
    case AUDIT_SITE_XRSTOR:
        return id == X86_INS_XRSTOR || id == X86_INS_XRSTOR64;
    case AUDIT_SITE_XRSTORS:
        return id == X86_INS_XRSTORS || id == X86_INS_XRSTORS64;
    case AUDIT_SITE_SYSCALL:
        return id == X86_INS_SYSCALL;
    }
    return false;
}

static bool is_prefix_byte(uint8_t b)
{
    switch (b) {
    case 0x26: case 0x2e: case 0x36: case 0x3e: case 0x64: case 0x65:
    case 0x66: case 0x67: case 0xf0: case 0xf2: case 0xf3:
        return true;
    default:
        return (b & 0xf0) == 0x40;  /* REX */
    }
}

/* The instruction starts at the site's opcode, give or take prefixes (REX.W makes xrstor64). */
static bool starts_at_opcode(const audit_code_t *code, const audit_insn_t *insn, uint64_t addr)
{
    for (uint64_t a = insn->addr; a < addr; a++)
        if (!is_prefix_byte(code->bytes[a - code->vaddr]))
            return false;
    return true;
}

/* The mnemonic alone, from "xrstor64 ptr [rdi]". */
static void copy_mnemonic(char *dst, size_t len, const char *text)
{
    size_t n = strcspn(text, " ");
    if (n >= len)
        n = len - 1;
    memcpy(dst, text, n);
    dst[n] = 0;
}

/* What the site's bytes execute as when jumped to directly (for hidden and unknown sites). */
static void name_bytes(audit_decoder_t *dec, const audit_code_t *code, audit_finding_t *f)
{
    audit_insn_t own;
    audit_decode_at(dec, code, f->addr, &own);
    if (insn_is_site(f->site, own.id))
        copy_mnemonic(f->insn, sizeof f->insn, own.text);
    else
        snprintf(f->insn, sizeof f->insn, "%s", audit_site_name(f->site));
}

static void classify_insn(audit_decoder_t *dec, const audit_code_t *code, const audit_insn_t *insn,
                          uint64_t bias, audit_finding_t *f)
{
    if (insn_is_site(f->site, insn->id) && starts_at_opcode(code, insn, f->addr)) {
        f->cls = AUDIT_CLASS_INSTRUCTION;
        copy_mnemonic(f->insn, sizeof f->insn, insn->text);
        return;
    }
    name_bytes(dec, code, f);
    if (insn->id == X86_INS_INVALID) {
        f->cls = AUDIT_CLASS_UNKNOWN;
        audit_finding_detail(f, "the bytes here do not decode as an instruction");
        return;
    }
    f->cls = AUDIT_CLASS_HIDDEN;
    audit_finding_detail(f, "inside %s at 0x%" PRIx64, insn->text,
             insn->addr + bias);
}

/* Sync lost just before the site: a guess is not an answer. */
static void check_sync(const audit_decoder_t *dec, uint64_t bias, audit_finding_t *f)
{
    uint64_t bad;
    if (f->cls == AUDIT_CLASS_UNKNOWN || !audit_sweep_last_bad(dec, &bad))
        return;
    if (bad < f->addr && f->addr - bad <= LOST_SYNC_DISTANCE) {
        f->cls = AUDIT_CLASS_UNKNOWN;
        audit_finding_detail(f, "undecodable byte at 0x%" PRIx64 " just before it: instruction "
                                "boundaries here cannot be told",
                             bad + bias);
    }
}

/* ---------------------------------------------------------------- site-specific facts */

static void describe_xrstor(audit_decoder_t *dec, const audit_code_t *code,
                            const audit_insn_t *insn, audit_finding_t *f)
{
    uint32_t eax;
    const char *ring =
        f->site == AUDIT_SITE_XRSTORS ? "; XRSTORS is ring 0 only (faults in user space)" : "";
    if (audit_eax_before(dec, code, &eax)) {
        f->mask_eax = eax;
        f->pkru_in_mask = (eax >> PKRU_BIT) & 1;
        audit_finding_detail(f, "%s; mask eax=0x%" PRIx32 " %s PKRU (bit 9)%s",
                 insn->text, eax, f->pkru_in_mask ? "includes" : "excludes", ring);
    } else {
        audit_finding_detail(f, "%s; mask not known here, may load PKRU%s",
                 insn->text, ring);
    }
}

/* A syscall is kept only when its number is told and is a pkey or pitfall one. */
static bool describe_syscall(audit_decoder_t *dec, const audit_code_t *code, audit_finding_t *f,
                             size_t *syscalls_unknown)
{
    uint32_t nr;
    if (!audit_eax_before(dec, code, &nr)) {
        (*syscalls_unknown)++;
        return false;
    }
    if (!audit_syscall_number_known(nr))
        return false;
    f->syscall_nr = (int)nr;
    const char *why = audit_syscall_why((int)nr);
    if (why)
        audit_finding_detail(f, "eax=%" PRIu32 "; %s: %s", nr, audit_syscall_route((int)nr), why);
    else
        audit_finding_detail(f, "eax=%" PRIu32, nr);
    return true;
}

/* ---------------------------------------------------------------- the whole decision */

/* Addresses leave here rebased, as the report shows them. */
static int record_place(const audit_location_t *loc, uint64_t bias, audit_finding_t *f)
{
    f->addr += bias;
    f->has_function = loc->has_func;
    f->function_start = loc->func_start + bias;
    f->function_inside = loc->name_inside;
    if (loc->name && !(f->function = strdup(loc->name)))
        return ENOMEM;
    return 0;
}

static void classify_data(const audit_location_t *loc, audit_finding_t *f)
{
    f->cls = AUDIT_CLASS_UNKNOWN;
    snprintf(f->insn, sizeof f->insn, "%s", audit_site_name(f->site));
    if (loc->section && loc->section[0])
        audit_finding_detail(f, "in data section %s, inside an executable segment", loc->section);
    else
        audit_finding_detail(f, "outside every section, inside an executable segment");
}

/* A site inside code: decode towards it, then the site-specific facts. False when it is not a
 * finding (a syscall that is hidden, or whose number is not a pkey one). */
static bool classify_code(audit_decoder_t *dec, const audit_where_t *w, const audit_code_t *code,
                          const audit_location_t *loc, audit_finding_t *f,
                          size_t *syscalls_unknown)
{
    audit_insn_t insn;
    if (decode_covering(dec, code, loc, f->addr, &insn) == AMBIGUOUS) {
        f->cls = AUDIT_CLASS_UNKNOWN;
        name_bytes(dec, code, f);
        audit_finding_detail(f, "no function start known and decoding from different points "
                                "before it disagrees");
    } else {
        classify_insn(dec, code, &insn, w->bias, f);
        check_sync(dec, w->bias, f);
    }
    if (f->site == AUDIT_SITE_SYSCALL)
        return f->cls == AUDIT_CLASS_INSTRUCTION &&
               describe_syscall(dec, code, f, syscalls_unknown);
    if (f->cls == AUDIT_CLASS_INSTRUCTION && f->site != AUDIT_SITE_WRPKRU)
        describe_xrstor(dec, code, &insn, f);
    return true;
}

int audit_classify(audit_decoder_t *dec, const audit_where_t *w, const audit_code_t *code,
                   const audit_candidate_t *c, audit_finding_t *f, bool *keep,
                   size_t *syscalls_unknown)
{
    *f = (audit_finding_t){.addr = c->addr, .site = c->site, .syscall_nr = -1,
                           .pkru_in_mask = -1};
    audit_location_t loc;
    audit_locate(w, code, c->addr, &loc);
    if (loc.in_code) {
        *keep = classify_code(dec, w, code, &loc, f, syscalls_unknown);
    } else {
        /* Data in an executable segment: reachable by a jump, but no instruction to decode. */
        *keep = c->site != AUDIT_SITE_SYSCALL;
        classify_data(&loc, f);
    }
    return *keep ? record_place(&loc, w->bias, f) : 0;
}
