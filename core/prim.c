/* core/prim.c: CPU feature detection and the XSAVE-area layout; the rest of the machine layer
 * is inline in prim.h. */
#include "core/prim.h"

#include <cpuid.h>
#include <string.h>

#define XSAVE_HEADER_OFFSET 512      /* XSTATE_BV lives at the start of the XSAVE header */
#define XSAVE_SW_BYTES_OFFSET 464    /* the kernel's _fpx_sw_bytes in the FXSAVE padding */
#ifndef FP_XSTATE_MAGIC1
#define FP_XSTATE_MAGIC1 0x46505853u /* the frame has an XSAVE area, not only FXSAVE */
#endif
#define XFEATURE_PKRU 9

bool mpk_cpu_has_pku(void)
{
    unsigned a, b, c, d;
    if (__get_cpuid_max(0, NULL) < 7)
        return false;
    __cpuid_count(7, 0, a, b, c, d);
    /* ECX bit 3: PKU in the CPU; bit 4: OSPKE, the kernel set CR4.PKE. Both are needed. */
    return (c & (1u << 3)) && (c & (1u << 4));
}

/* CPUID is slow under virtualisation (a VM exit): callers ask once and keep the answer. */
unsigned mpk_xsave_pkru_offset(void)
{
    unsigned a, b, c, d;
    if (__get_cpuid_max(0, NULL) < 0xd)
        return 0;
    __cpuid_count(0xd, XFEATURE_PKRU, a, b, c, d);
    if (a < 4) /* size of the component: 4 bytes of PKRU (plus padding) */
        return 0;
    return b;
}

uint32_t *mpk_uc_pkru_at(ucontext_t *uc, unsigned off)
{
    unsigned char *xsave = (unsigned char *)uc->uc_mcontext.fpregs;
    uint32_t magic;
    uint64_t bv;
    if (!xsave || !off)
        return NULL;
    memcpy(&magic, xsave + XSAVE_SW_BYTES_OFFSET, sizeof magic);
    if (magic != FP_XSTATE_MAGIC1)
        return NULL;
    /* A component in its init state may be absent from XSTATE_BV; then the bytes at its offset
     * are stale and sigreturn would load the init value. Mark it present. */
    memcpy(&bv, xsave + XSAVE_HEADER_OFFSET, sizeof bv);
    if (!(bv & (1ull << XFEATURE_PKRU))) {
        uint32_t init = 0; /* PKRU's XSAVE init value is 0 */
        memcpy(xsave + off, &init, sizeof init);
        bv |= 1ull << XFEATURE_PKRU;
        memcpy(xsave + XSAVE_HEADER_OFFSET, &bv, sizeof bv);
    }
    return (uint32_t *)(void *)(xsave + off);
}
