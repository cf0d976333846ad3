/* core/prim.h: the machine layer: RDPKRU/WRPKRU, raw system calls that never touch errno or
 * go through an interposed symbol, CPUID queries for PKU and the XSAVE layout. Nothing here
 * knows about virtual keys. Raw calls return the result or a negative errno, like the kernel. */
#ifndef MPK_CORE_PRIM_H
#define MPK_CORE_PRIM_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <ucontext.h>

#define MPK_HIDDEN __attribute__((visibility("hidden")))
#define MPK_EXPORT __attribute__((visibility("default")))
#define mpk_likely(x) __builtin_expect(!!(x), 1)
#define mpk_unlikely(x) __builtin_expect(!!(x), 0)

/* Hardware: 16 keys, two bits each in PKRU (access-disable, write-disable). */
#define MPK_HW_KEYS 16
#define MPK_AD 1u /* PKEY_DISABLE_ACCESS */
#define MPK_WD 2u /* PKEY_DISABLE_WRITE */
#define MPK_RIGHTS_MASK 3u
#define MPK_PKRU_INIT 0x55555554u /* what the kernel gives signal handlers: all but key 0 closed */

static inline uint32_t mpk_pkru_bits(uint32_t pkru, int hw) { return (pkru >> (2 * hw)) & 3u; }
static inline uint32_t mpk_pkru_with(uint32_t pkru, int hw, uint32_t rights)
{
    return (pkru & ~(3u << (2 * hw))) | ((rights & 3u) << (2 * hw));
}

/* Only call these when mpk_cpu_has_pku() said yes: they raise SIGILL otherwise. */
static inline uint32_t mpk_rdpkru(void)
{
    uint32_t eax, edx;
    __asm__ volatile(".byte 0x0f,0x01,0xee" : "=a"(eax), "=d"(edx) : "c"(0));
    return eax;
}
static inline void mpk_wrpkru(uint32_t pkru)
{
    __asm__ volatile(".byte 0x0f,0x01,0xef" : : "a"(pkru), "c"(0), "d"(0) : "memory");
}

/* ---- raw system calls ------------------------------------------------------------------- */
static inline long mpk_syscall6(long n, long a, long b, long c, long d, long e, long f)
{
    long ret;
    register long r10 __asm__("r10") = d;
    register long r8 __asm__("r8") = e;
    register long r9 __asm__("r9") = f;
    __asm__ volatile("syscall"
                     : "=a"(ret)
                     : "a"(n), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8), "r"(r9)
                     : "rcx", "r11", "memory");
    return ret;
}
#define mpk_sys(n, a, b, c, d, e, f)                                                               \
    mpk_syscall6((n), (long)(a), (long)(b), (long)(c), (long)(d), (long)(e), (long)(f))

static inline bool mpk_sys_failed(long r) { return (unsigned long)r > -4096ul; }

static inline void *mpk_sys_mmap(void *a, size_t l, int p, int f, int fd, off_t o)
{
    return (void *)mpk_sys(SYS_mmap, a, l, p, f, fd, o);
}
static inline long mpk_sys_munmap(void *a, size_t l) { return mpk_sys(SYS_munmap, a, l, 0, 0, 0, 0); }
static inline long mpk_sys_mprotect(void *a, size_t l, int p)
{
    return mpk_sys(SYS_mprotect, a, l, p, 0, 0, 0);
}
static inline long mpk_sys_pkey_mprotect(void *a, size_t l, int p, int k)
{
    return mpk_sys(SYS_pkey_mprotect, a, l, p, k, 0, 0);
}
static inline long mpk_sys_pkey_alloc(unsigned f, unsigned r)
{
    return mpk_sys(SYS_pkey_alloc, f, r, 0, 0, 0, 0);
}
static inline long mpk_sys_pkey_free(int k) { return mpk_sys(SYS_pkey_free, k, 0, 0, 0, 0, 0); }
static inline pid_t mpk_sys_gettid(void) { return (pid_t)mpk_sys(SYS_gettid, 0, 0, 0, 0, 0, 0); }
static inline pid_t mpk_sys_getpid(void) { return (pid_t)mpk_sys(SYS_getpid, 0, 0, 0, 0, 0, 0); }
static inline long mpk_sys_tgkill(pid_t tgid, pid_t tid, int sig)
{
    return mpk_sys(SYS_tgkill, tgid, tid, sig, 0, 0, 0);
}
static inline long mpk_sys_sigprocmask(int how, const sigset_t *set, sigset_t *old)
{
    return mpk_sys(SYS_rt_sigprocmask, how, set, old, 8, 0, 0);
}
static inline long mpk_sys_write(int fd, const void *b, size_t n)
{
    return mpk_sys(SYS_write, fd, b, n, 0, 0, 0);
}
static inline long mpk_sys_msync(void *a, size_t l, int f) { return mpk_sys(SYS_msync, a, l, f, 0, 0, 0); }

/* ---- CPU features and the XSAVE layout -------------------------------------------------- */
/* True when the CPU has PKU and the kernel enabled it (OSPKE), so RDPKRU/WRPKRU work. */
bool mpk_cpu_has_pku(void);

/* Offset of the PKRU state component (9) in a standard-format XSAVE area, or 0 if unknown. */
unsigned mpk_xsave_pkru_offset(void);

/* Pointer to the PKRU value saved in a signal frame's XSAVE area (PKRU at offset `off`, from
 * mpk_xsave_pkru_offset), marking the component present (XSTATE_BV bit 9) so that sigreturn
 * loads what the caller writes there. NULL when the frame has no XSAVE area. */
uint32_t *mpk_uc_pkru_at(ucontext_t *uc, unsigned off);

#endif
