/* tests/reliability/raw_mremap.c: an mremap that goes straight to the kernel (an inline
 * system call, not glibc's syscall(), which libmpk also sees), preloaded ahead of libmpk so
 * that its range map misses every move: rel_split_move must then fail (test
 * rel.rel_split_move.raw_mremap), which shows it checks that moved pages keep their key. */
#include <stdarg.h>
#include <stddef.h>
#include <sys/syscall.h>

#define MREMAP_FIXED_FLAG 2

__attribute__((visibility("default"))) void *mremap(void *old, size_t old_len, size_t new_len,
                                                    int flags, ...)
{
    va_list ap;
    void *new_addr = NULL;
    long r;
    va_start(ap, flags);
    if (flags & MREMAP_FIXED_FLAG)
        new_addr = va_arg(ap, void *);
    va_end(ap);
    register long r10 __asm__("r10") = flags;
    register long r8 __asm__("r8") = (long)new_addr;
    __asm__ volatile("syscall"
                     : "=a"(r)
                     : "0"((long)SYS_mremap), "D"(old), "S"(old_len), "d"(new_len), "r"(r10), "r"(r8)
                     : "rcx", "r11", "memory");
    return (void *)r;
}
