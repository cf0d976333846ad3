/* tools/audit/regvalue.c: a backward walk over the last instructions of the sweep. It stops at
 * control transfers because the block may be entered from elsewhere with EAX set otherwise; jumps
 * into the middle of the block from elsewhere cannot be seen here (a documented limit). */
#include "tools/audit/regvalue.h"

#include <capstone/x86.h>

typedef enum step { STEP_CONTINUE, STEP_KNOWN, STEP_UNKNOWN } step_t;

static bool is_rax_family(unsigned reg)
{
    return reg == X86_REG_RAX || reg == X86_REG_EAX || reg == X86_REG_AX || reg == X86_REG_AL ||
           reg == X86_REG_AH;
}

static bool is_block_boundary(csh h, const cs_insn *insn)
{
    return cs_insn_group(h, insn, X86_GRP_JUMP) || cs_insn_group(h, insn, X86_GRP_CALL) ||
           cs_insn_group(h, insn, X86_GRP_RET) || cs_insn_group(h, insn, X86_GRP_INT) ||
           cs_insn_group(h, insn, X86_GRP_IRET) || insn->id == X86_INS_SYSCALL ||
           insn->id == X86_INS_SYSENTER;
}

static bool writes_rax(csh h, const cs_insn *insn)
{
    cs_regs rd, wr;
    uint8_t nrd = 0, nwr = 0;
    if (cs_regs_access(h, insn, rd, &nrd, wr, &nwr) != CS_ERR_OK)
        return true;    /* cannot tell: assume the worst */
    for (unsigned i = 0; i < nwr; i++)
        if (is_rax_family(wr[i]))
            return true;
    return false;
}

/* mov eax|rax, imm  or  xor/sub eax|rax with itself. */
static bool eax_from_immediate(const cs_insn *insn, uint32_t *value)
{
    const cs_x86 *x = &insn->detail->x86;
    if (x->op_count != 2 || x->operands[0].type != X86_OP_REG)
        return false;
    unsigned dst = x->operands[0].reg;
    if (dst != X86_REG_EAX && dst != X86_REG_RAX)
        return false;
    if (insn->id == X86_INS_MOV && x->operands[1].type == X86_OP_IMM) {
        *value = (uint32_t)x->operands[1].imm;
        return true;
    }
    if ((insn->id == X86_INS_XOR || insn->id == X86_INS_SUB) &&
        x->operands[1].type == X86_OP_REG && x->operands[1].reg == dst) {
        *value = 0;
        return true;
    }
    return false;
}

/* One instruction of the backward walk. Instructions capstone 4 lacks come from our supplement:
 * WRPKRU, CLUI and STUI leave EAX alone; RDPKRU writes it. */
static step_t step_back(audit_decoder_t *d, const audit_code_t *code, uint64_t addr,
                        uint32_t *value)
{
    const cs_insn *insn = audit_decode_detail(d, code, addr);
    if (!insn) {
        audit_insn_t own;
        audit_decode_at(d, code, addr, &own);
        bool harmless = own.id == AUDIT_INSN_WRPKRU || own.id == AUDIT_INSN_CLUI ||
                        own.id == AUDIT_INSN_STUI;
        return harmless ? STEP_CONTINUE : STEP_UNKNOWN;
    }
    if (is_block_boundary(d->detail, insn))
        return STEP_UNKNOWN;
    if (!writes_rax(d->detail, insn))
        return STEP_CONTINUE;
    return eax_from_immediate(insn, value) ? STEP_KNOWN : STEP_UNKNOWN;
}

bool audit_eax_before(audit_decoder_t *d, const audit_code_t *code, uint32_t *value)
{
    uint64_t hist[AUDIT_HISTORY];
    unsigned n = audit_sweep_history(d, hist);
    while (n > 0) {
        step_t s = step_back(d, code, hist[--n], value);
        if (s != STEP_CONTINUE)
            return s == STEP_KNOWN;
    }
    return false;
}
