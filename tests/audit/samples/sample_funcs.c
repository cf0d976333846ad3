/* tests/audit/samples/sample_funcs.c: one function per kind of site mpk-audit must find and class.
 * Scanned, never run: WRPKRU and XRSTOR fault on this CPU (no PKU) or with these operands. */
#include <stdint.h>

#define SAMPLE __attribute__((noinline, used))

/* The WRPKRU a compiler emits for an inlined pkey_set: an instruction. */
SAMPLE void uses_wrpkru(void)
{
    __asm__ volatile(".byte 0x0f, 0x01, 0xef" ::"a"(0), "c"(0), "d"(0) : "memory");
}

/* The bytes 0F 01 EF inside the immediate of a mov (B8 0F 01 EF 00): hidden. */
SAMPLE void hides_wrpkru(void)
{
    __asm__ volatile("mov $0x00ef010f, %%eax" ::: "eax");
}

/* XRSTOR with a mask that comes from the caller: may load PKRU, cannot be told. */
SAMPLE void uses_xrstor(void *area, uint32_t lo, uint32_t hi)
{
    __asm__ volatile("xrstor (%0)" ::"D"(area), "a"(lo), "d"(hi) : "memory");
}

/* XRSTOR64 whose mask is set just before it and has bit 9 (PKRU): a PKRU write. */
SAMPLE void xrstor_with_pkru(void *area)
{
    __asm__ volatile("mov $0x2ff, %%eax\n\txor %%edx, %%edx\n\txrstor64 (%0)" ::"D"(area)
                     : "eax", "edx", "memory");
}

/* XRSTOR with the dynamic linker's mask 0xee (x87/SSE/AVX, no PKRU): benign. */
SAMPLE void xrstor_without_pkru(void *area)
{
    __asm__ volatile("mov $0xee, %%eax\n\txor %%edx, %%edx\n\txrstor (%0)" ::"D"(area)
                     : "eax", "edx", "memory");
}

/* XRSTORS (ring 0 only): still reported. */
SAMPLE void uses_xrstors(void *area)
{
    __asm__ volatile("xrstors (%0)" ::"D"(area), "a"(-1), "d"(-1) : "memory");
}

/* A raw pkey_alloc that bypasses glibc, and so the preload. */
SAMPLE long raw_pkey_alloc(void)
{
    long ret;
    __asm__ volatile("mov $330, %%eax\n\tsyscall"
                     : "=a"(ret)
                     : "D"(0), "S"(0)
                     : "rcx", "r11", "memory");
    return ret;
}

/* A raw syscall whose number comes from the caller: not a finding (cannot be told). */
SAMPLE long raw_syscall_any(long nr)
{
    long ret;
    __asm__ volatile("syscall" : "=a"(ret) : "a"(nr) : "rcx", "r11", "memory");
    return ret;
}

/* getpid (39) by raw syscall: a known number that is not a pkey one, not a finding. */
SAMPLE long raw_getpid(void)
{
    long ret;
    __asm__ volatile("mov $39, %%eax\n\tsyscall" : "=a"(ret) : : "rcx", "r11", "memory");
    return ret;
}

/* The routes around PKRU of "PKU Pitfalls", as raw syscalls the preload never sees: a write
 * by the kernel's copy, a protection change behind libmpk's back, a signal return that loads
 * PKRU from a frame. Each is a finding named after its syscall. */
SAMPLE long raw_process_vm_writev(void)
{
    long ret;
    __asm__ volatile("mov $311, %%eax\n\tsyscall" : "=a"(ret) : : "rcx", "r11", "memory");
    return ret;
}

SAMPLE long raw_mprotect(void)
{
    long ret;
    __asm__ volatile("mov $10, %%eax\n\tsyscall" : "=a"(ret) : : "rcx", "r11", "memory");
    return ret;
}

SAMPLE void raw_sigreturn(void)
{
    __asm__ volatile("mov $15, %%rax\n\tsyscall" ::: "rax", "rcx", "r11", "memory");
}
