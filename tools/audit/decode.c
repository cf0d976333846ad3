/* tools/audit/decode.c: capstone for x86-64, plus the few instructions capstone 4.0.2 cannot
 * decode that matter here (RDPKRU, WRPKRU and the STUI/CLUI that share their bytes). */
#include "tools/audit/decode.h"

#include "tools/audit/error.h"

#include <stdio.h>
#include <string.h>

#define X86_MAX_INSN 15

int audit_decoder_open(audit_decoder_t *d)
{
    *d = (audit_decoder_t){0};
    if (cs_open(CS_ARCH_X86, CS_MODE_64, &d->fast) != CS_ERR_OK)
        return AUDIT_E_DISASSEMBLER;
    if (cs_open(CS_ARCH_X86, CS_MODE_64, &d->detail) != CS_ERR_OK) {
        cs_close(&d->fast);
        return AUDIT_E_DISASSEMBLER;
    }
    cs_option(d->detail, CS_OPT_DETAIL, CS_OPT_ON);
    d->fast_insn = cs_malloc(d->fast);
    d->detail_insn = cs_malloc(d->detail);
    if (!d->fast_insn || !d->detail_insn) {
        audit_decoder_close(d);
        return AUDIT_E_DISASSEMBLER;
    }
    return 0;
}

void audit_decoder_close(audit_decoder_t *d)
{
    if (d->fast_insn)
        cs_free(d->fast_insn, 1);
    if (d->detail_insn)
        cs_free(d->detail_insn, 1);
    if (d->fast)
        cs_close(&d->fast);
    if (d->detail)
        cs_close(&d->detail);
    *d = (audit_decoder_t){0};
}

/* ---------------------------------------------------------------- the PKRU family */

static bool is_legacy_prefix(uint8_t b)
{
    switch (b) {
    case 0x26: case 0x2e: case 0x36: case 0x3e: case 0x64: case 0x65:
    case 0x66: case 0x67: case 0xf0: case 0xf2: case 0xf3:
        return true;
    default:
        return false;
    }
}

/* [prefixes] 0F 01 EE/EF. The SDM gives RDPKRU/WRPKRU no 66/F2/F3 prefix ("NP"); with F3 the same
 * bytes are CLUI/STUI; with 66, F2 or LOCK they do not execute (#UD), so they are not decoded. */
static bool decode_pkru_family(const uint8_t *p, size_t avail, unsigned *id, unsigned *len)
{
    size_t i = 0;
    uint8_t rep = 0;
    bool bad_prefix = false;
    while (i < avail && i < X86_MAX_INSN && is_legacy_prefix(p[i])) {
        if (p[i] == 0xf2 || p[i] == 0xf3)
            rep = p[i];
        if (p[i] == 0x66 || p[i] == 0xf0)
            bad_prefix = true;
        i++;
    }
    if (i < avail && (p[i] & 0xf0) == 0x40)
        i++;
    if (i + 3 > avail || i + 3 > X86_MAX_INSN || p[i] != 0x0f || p[i + 1] != 0x01 ||
        (p[i + 2] != 0xee && p[i + 2] != 0xef))
        return false;
    bool write = p[i + 2] == 0xef;
    if (rep == 0xf3)
        *id = write ? AUDIT_INSN_STUI : AUDIT_INSN_CLUI;
    else if (rep == 0xf2 || bad_prefix)
        return false;
    else
        *id = write ? AUDIT_INSN_WRPKRU : AUDIT_INSN_RDPKRU;
    *len = (unsigned)(i + 3);
    return true;
}

static const char *pkru_family_name(unsigned id)
{
    switch (id) {
    case AUDIT_INSN_RDPKRU:
        return "rdpkru";
    case AUDIT_INSN_WRPKRU:
        return "wrpkru";
    case AUDIT_INSN_CLUI:
        return "clui";
    default:
        return "stui";
    }
}

/* ---------------------------------------------------------------- one instruction */

/* Decodes at addr; with_text fills out->text too (the sweep skips that copy). */
static void decode(audit_decoder_t *d, const audit_code_t *code, uint64_t addr, bool with_text,
                   audit_insn_t *out)
{
    size_t off = (size_t)(addr - code->vaddr);
    const uint8_t *p = code->bytes + off;
    size_t avail = code->size - off;
    const uint8_t *cp = p;
    size_t csize = avail;
    uint64_t caddr = addr;
    out->addr = addr;
    if (cs_disasm_iter(d->fast, &cp, &csize, &caddr, d->fast_insn)) {
        out->size = d->fast_insn->size;
        out->id = d->fast_insn->id;
        if (with_text)
            snprintf(out->text, sizeof out->text, "%s%s%s", d->fast_insn->mnemonic,
                     d->fast_insn->op_str[0] ? " " : "", d->fast_insn->op_str);
        return;
    }
    unsigned id, len;
    if (decode_pkru_family(p, avail, &id, &len)) {
        out->size = len;
        out->id = id;
        if (with_text)
            snprintf(out->text, sizeof out->text, "%s", pkru_family_name(id));
        return;
    }
    /* Undecodable: step one byte, as objdump does, and let the stream resynchronise. */
    out->size = 1;
    out->id = X86_INS_INVALID;
    if (with_text)
        snprintf(out->text, sizeof out->text, "(bad)");
}

void audit_decode_at(audit_decoder_t *d, const audit_code_t *code, uint64_t addr,
                     audit_insn_t *out)
{
    decode(d, code, addr, true, out);
}

const cs_insn *audit_decode_detail(audit_decoder_t *d, const audit_code_t *code, uint64_t addr)
{
    size_t off = (size_t)(addr - code->vaddr);
    const uint8_t *cp = code->bytes + off;
    size_t csize = code->size - off;
    uint64_t caddr = addr;
    if (!cs_disasm_iter(d->detail, &cp, &csize, &caddr, d->detail_insn))
        return NULL;
    return d->detail_insn;
}

/* ---------------------------------------------------------------- the sweep */

static bool same_code(const audit_code_t *a, const audit_code_t *b)
{
    return a->bytes == b->bytes && a->size == b->size && a->vaddr == b->vaddr;
}

static bool can_continue(const audit_sweep_t *s, const audit_code_t *code, uint64_t start,
                         uint64_t target)
{
    return s->active && same_code(&s->code, code) && s->start == start &&
           s->pos - code->vaddr <= target - code->vaddr;
}

static void sweep_begin(audit_sweep_t *s, const audit_code_t *code, uint64_t start)
{
    *s = (audit_sweep_t){.code = *code, .start = start, .pos = start, .active = true};
}

static void remember(audit_sweep_t *s, const audit_insn_t *insn)
{
    s->hist[s->hist_next] = insn->addr;
    s->hist_next = (s->hist_next + 1) % AUDIT_HISTORY;
    if (s->hist_len < AUDIT_HISTORY)
        s->hist_len++;
    if (insn->id == X86_INS_INVALID) {
        s->last_bad = insn->addr;
        s->have_bad = true;
    }
}

uint64_t audit_sweep_resume_point(const audit_decoder_t *d, const audit_code_t *code,
                                  uint64_t start, uint64_t target)
{
    return can_continue(&d->sweep, code, start, target) ? d->sweep.pos : start;
}

void audit_sweep_to(audit_decoder_t *d, const audit_code_t *code, uint64_t start, uint64_t target,
                    audit_insn_t *out)
{
    audit_sweep_t *s = &d->sweep;
    /* Offsets, not addresses, so a region at the top of the address space cannot confuse the
     * order; a start past the target (a caller's mistake) degrades to decoding at the target. */
    if (start - code->vaddr > target - code->vaddr)
        start = target;
    if (!can_continue(s, code, start, target))
        sweep_begin(s, code, start);
    for (;;) {
        decode(d, code, s->pos, false, out);
        /* The instruction covering target is returned but not consumed, so a later target in
         * the same function continues from it. */
        if (target - s->pos < out->size)
            break;
        remember(s, out);
        s->pos += out->size;
    }
    decode(d, code, s->pos, true, out);
}

void audit_sweep_forget(audit_decoder_t *d)
{
    d->sweep.active = false;
}

bool audit_sweep_last_bad(const audit_decoder_t *d, uint64_t *addr)
{
    *addr = d->sweep.last_bad;
    return d->sweep.active && d->sweep.have_bad;
}

unsigned audit_sweep_history(const audit_decoder_t *d, uint64_t *out)
{
    const audit_sweep_t *s = &d->sweep;
    unsigned first = (s->hist_next + AUDIT_HISTORY - s->hist_len) % AUDIT_HISTORY;
    for (unsigned i = 0; i < s->hist_len; i++)
        out[i] = s->hist[(first + i) % AUDIT_HISTORY];
    return s->hist_len;
}
