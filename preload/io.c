/* preload/io.c: the calls that copy to or from a program's buffer (read, write, recv, send and
 * their vector, positioned and fortified forms; stdio's fread and fwrite, which move large
 * blocks with glibc's internal calls). The kernel honours PKRU when it copies, so
 * memory that the library opens lazily (a grant from mpk_mprotect not yet picked up, a key
 * that is evicted, a [region] rule not yet decided for this thread) would fail with EFAULT
 * where the thread has the right to it. Each wrapper calls glibc's own function (so that
 * cancellation points stay what they are) and, only after an EFAULT, lets the manager make
 * the buffer reachable as a fault would, then repeats the call. Nothing else is added to the
 * path: one indirect call and a test of the result. */
#undef _FORTIFY_SOURCE /* we define read & co.: the header's inline versions must not exist here */
#include "preload/preload.h"

#include "core/fault.h"
#include "core/selfwrite.h"

#include <dlfcn.h>
#include <fcntl.h>
#include <stdarg.h>
#include <string.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sys/uio.h>

enum {
    IO_READ, IO_WRITE, IO_PREAD, IO_PWRITE, IO_READV, IO_WRITEV, IO_PREADV, IO_PWRITEV,
    IO_RECV, IO_RECVFROM, IO_RECVMSG, IO_SEND, IO_SENDTO, IO_SENDMSG,
    IO_READ_CHK, IO_PREAD_CHK, IO_RECV_CHK, IO_RECVFROM_CHK,
    IO_FREAD, IO_FREAD_UNLOCKED, IO_FREAD_CHK, IO_FREAD_UNLOCKED_CHK, IO_FWRITE, IO_FWRITE_UNLOCKED,
    IO_OPEN, IO_OPENAT, IO_OPEN_2, IO_OPENAT_2, IO_FOPEN, IO_PROCESS_VM_WRITEV, IO_N
};

static const char *const io_names[IO_N] = {
    "read", "write", "pread64", "pwrite64", "readv", "writev", "preadv64", "pwritev64",
    "recv", "recvfrom", "recvmsg", "send", "sendto", "sendmsg",
    "__read_chk", "__pread64_chk", "__recv_chk", "__recvfrom_chk",
    "fread", "fread_unlocked", "__fread_chk", "__fread_unlocked_chk", "fwrite", "fwrite_unlocked",
    "open64", "openat64", "__open64_2", "__openat64_2", "fopen64", "process_vm_writev",
};

_Static_assert(IO_N <= sizeof _mpk_sealed.real_io / sizeof _mpk_sealed.real_io[0], "real_io too small");

void _mpk_resolve_io(void)
{
    for (int i = 0; i < IO_N; i++)
        if (!_mpk_sealed.real_io[i])
            _mpk_sealed.real_io[i] = dlsym(RTLD_NEXT, io_names[i]);
}

static void *real(int i)
{
    if (mpk_unlikely(!_mpk_sealed.real_io[i])) {
        _mpk_resolve_all();
        if (!_mpk_sealed.real_io[i]) {
            static const char msg[] = "libmpk: error: glibc's I/O functions not found\n";
            mpk_sys_write(2, msg, sizeof msg - 1);
            _exit(127);
        }
    }
    return _mpk_sealed.real_io[i];
}

/* After an EFAULT: whether the buffers are worth another try (errno kept for the caller). */
static bool reach(const void *p, size_t n, bool write)
{
    int e = errno;
    bool changed = _mpk_fault_for_syscall(p, n, write);
    errno = e;
    return changed;
}

static bool reach_iov(const struct iovec *iov, int n, bool write)
{
    bool changed = false;
    for (int i = 0; iov && i < n; i++)
        changed |= reach(iov[i].iov_base, iov[i].iov_len, write);
    return changed;
}

static bool reach_msg(const struct msghdr *m, bool write)
{
    return m && (reach_iov(m->msg_iov, (int)m->msg_iovlen, write) | reach(m->msg_name, m->msg_namelen, write) |
                 reach(m->msg_control, m->msg_controllen, write));
}

/* Repeat CALL while it fails with EFAULT and REACH made something reachable (a buffer over
 * several evicted keys may need more than one round; three is plenty). */
#define AGAIN(CALL, REACH)                                                                         \
    do {                                                                                           \
        ssize_t r_ = (CALL);                                                                       \
        for (int n_ = 0; mpk_unlikely(r_ < 0) && errno == EFAULT && n_ < 3 && (REACH); n_++)         \
            r_ = (CALL);                                                                           \
        return r_;                                                                                 \
    } while (0)

typedef ssize_t (*rw_fn)(int, void *, size_t);
typedef ssize_t (*prw_fn)(int, void *, size_t, off_t);
typedef ssize_t (*rwv_fn)(int, const struct iovec *, int);
typedef ssize_t (*prwv_fn)(int, const struct iovec *, int, off_t);
typedef ssize_t (*sr_fn)(int, void *, size_t, int);
typedef ssize_t (*srto_fn)(int, void *, size_t, int, __CONST_SOCKADDR_ARG, socklen_t);
typedef ssize_t (*recvfrom_fn)(int, void *, size_t, int, __SOCKADDR_ARG, socklen_t *);
typedef ssize_t (*msg_fn)(int, const struct msghdr *, int);
typedef ssize_t (*read_chk_fn)(int, void *, size_t, size_t);
typedef ssize_t (*pread_chk_fn)(int, void *, size_t, off_t, size_t);
typedef ssize_t (*recv_chk_fn)(int, void *, size_t, size_t, int);
typedef ssize_t (*recvfrom_chk_fn)(int, void *, size_t, size_t, int, __SOCKADDR_ARG, socklen_t *);

/* ---- into the buffer (the kernel writes it) ---------------------------------------------------- */

MPK_EXPORT ssize_t read(int fd, void *buf, size_t n)
{
    AGAIN(((rw_fn)real(IO_READ))(fd, buf, n), reach(buf, n, true));
}

MPK_EXPORT ssize_t pread64(int fd, void *buf, size_t n, off_t off)
{
    AGAIN(((prw_fn)real(IO_PREAD))(fd, buf, n, off), reach(buf, n, true));
}

MPK_EXPORT ssize_t pread(int fd, void *buf, size_t n, off_t off) __attribute__((alias("pread64")));

MPK_EXPORT ssize_t readv(int fd, const struct iovec *iov, int n)
{
    AGAIN(((rwv_fn)real(IO_READV))(fd, iov, n), reach_iov(iov, n, true));
}

MPK_EXPORT ssize_t preadv64(int fd, const struct iovec *iov, int n, off_t off)
{
    AGAIN(((prwv_fn)real(IO_PREADV))(fd, iov, n, off), reach_iov(iov, n, true));
}

MPK_EXPORT ssize_t preadv(int fd, const struct iovec *iov, int n, off_t off) __attribute__((alias("preadv64")));

MPK_EXPORT ssize_t recv(int fd, void *buf, size_t n, int flags)
{
    AGAIN(((sr_fn)real(IO_RECV))(fd, buf, n, flags), reach(buf, n, true));
}

/* glibc's socket address arguments are transparent unions under _GNU_SOURCE. */
static const void *sa(__CONST_SOCKADDR_ARG a) { return a.__sockaddr__; }

MPK_EXPORT ssize_t recvfrom(int fd, void *buf, size_t n, int flags, __SOCKADDR_ARG from, socklen_t *fromlen)
{
    AGAIN(((recvfrom_fn)real(IO_RECVFROM))(fd, buf, n, flags, from, fromlen),
          reach(buf, n, true) | (from.__sockaddr__ && fromlen && reach(from.__sockaddr__, *fromlen, true)));
}

MPK_EXPORT ssize_t recvmsg(int fd, struct msghdr *msg, int flags)
{
    AGAIN(((msg_fn)real(IO_RECVMSG))(fd, msg, flags), reach_msg(msg, true));
}

/* _FORTIFY_SOURCE builds (Debian's packages) call these instead when the size is known. */
MPK_EXPORT ssize_t __read_chk(int fd, void *buf, size_t n, size_t buflen)
{
    AGAIN(((read_chk_fn)real(IO_READ_CHK))(fd, buf, n, buflen), reach(buf, n, true));
}

MPK_EXPORT ssize_t __pread64_chk(int fd, void *buf, size_t n, off_t off, size_t buflen)
{
    AGAIN(((pread_chk_fn)real(IO_PREAD_CHK))(fd, buf, n, off, buflen), reach(buf, n, true));
}

MPK_EXPORT ssize_t __pread_chk(int fd, void *buf, size_t n, off_t off, size_t buflen)
    __attribute__((alias("__pread64_chk")));

MPK_EXPORT ssize_t __recv_chk(int fd, void *buf, size_t n, size_t buflen, int flags)
{
    AGAIN(((recv_chk_fn)real(IO_RECV_CHK))(fd, buf, n, buflen, flags), reach(buf, n, true));
}

MPK_EXPORT ssize_t __recvfrom_chk(int fd, void *buf, size_t n, size_t buflen, int flags, __SOCKADDR_ARG from,
                                  socklen_t *fromlen)
{
    AGAIN(((recvfrom_chk_fn)real(IO_RECVFROM_CHK))(fd, buf, n, buflen, flags, from, fromlen),
          reach(buf, n, true) | (from.__sockaddr__ && fromlen && reach(from.__sockaddr__, *fromlen, true)));
}

/* ---- from the buffer (the kernel reads it) ----------------------------------------------------- */

MPK_EXPORT ssize_t write(int fd, const void *buf, size_t n)
{
    AGAIN(((rw_fn)real(IO_WRITE))(fd, (void *)buf, n), reach(buf, n, false));
}

MPK_EXPORT ssize_t pwrite64(int fd, const void *buf, size_t n, off_t off)
{
    AGAIN(((prw_fn)real(IO_PWRITE))(fd, (void *)buf, n, off), reach(buf, n, false));
}

MPK_EXPORT ssize_t pwrite(int fd, const void *buf, size_t n, off_t off) __attribute__((alias("pwrite64")));

MPK_EXPORT ssize_t writev(int fd, const struct iovec *iov, int n)
{
    AGAIN(((rwv_fn)real(IO_WRITEV))(fd, iov, n), reach_iov(iov, n, false));
}

MPK_EXPORT ssize_t pwritev64(int fd, const struct iovec *iov, int n, off_t off)
{
    AGAIN(((prwv_fn)real(IO_PWRITEV))(fd, iov, n, off), reach_iov(iov, n, false));
}

MPK_EXPORT ssize_t pwritev(int fd, const struct iovec *iov, int n, off_t off) __attribute__((alias("pwritev64")));

MPK_EXPORT ssize_t send(int fd, const void *buf, size_t n, int flags)
{
    AGAIN(((sr_fn)real(IO_SEND))(fd, (void *)buf, n, flags), reach(buf, n, false));
}

MPK_EXPORT ssize_t sendto(int fd, const void *buf, size_t n, int flags, __CONST_SOCKADDR_ARG to, socklen_t tolen)
{
    AGAIN(((srto_fn)real(IO_SENDTO))(fd, (void *)buf, n, flags, to, tolen),
          reach(buf, n, false) | (sa(to) && reach(sa(to), tolen, false)));
}

MPK_EXPORT ssize_t sendmsg(int fd, const struct msghdr *msg, int flags)
{
    AGAIN(((msg_fn)real(IO_SENDMSG))(fd, msg, flags), reach_msg(msg, false));
}

/* ---- stdio's large blocks ----------------------------------------------------------------------
 * fread and fwrite move a block larger than the stream's buffer straight between the program's
 * buffer and the file, with glibc's internal read and write, which the wrappers above never
 * see. Each is called with size 1 (glibc works on size * n bytes either way), so that the count
 * it returns is exact in bytes. After an EFAULT that the manager cures, the error this call
 * left on the stream is cleared (never one that was there before) and the rest is moved by
 * another call: nothing read or written is lost, but another thread's call on the same stream
 * may fall between the two (only on that rare path). */
#undef fread_unlocked /* <stdio.h> makes macros of these two when optimising */
#undef fwrite_unlocked
typedef size_t (*fio_fn)(void *, size_t, size_t, FILE *);
typedef size_t (*fread_chk_fn)(void *, size_t, size_t, size_t, FILE *);

static size_t stdio_again(int which, void *buf, size_t size, size_t n, FILE *fp, bool into)
{
    fio_fn f = (fio_fn)real(which);
    size_t total, done;
    bool had_error;
    if (!_mpk_in_play() || !size || __builtin_mul_overflow(size, n, &total))
        return f(buf, size, n, fp); /* nothing opens lazily, or glibc's answer whatever it is */
    had_error = ferror_unlocked(fp);
    done = f(buf, 1, total, fp);
    for (int i = 0; mpk_unlikely(done < total) && ferror_unlocked(fp) && !had_error && errno == EFAULT &&
                    i < 3 && reach((char *)buf + done, total - done, into);
         i++) {
        clearerr_unlocked(fp); /* the stream's lock is recursive: held by f, or by the caller */
        done += f((char *)buf + done, 1, total - done, fp);
    }
    return done == total ? n : done / size;
}

MPK_EXPORT size_t fread(void *buf, size_t size, size_t n, FILE *fp)
{
    return stdio_again(IO_FREAD, buf, size, n, fp, true);
}

MPK_EXPORT size_t fread_unlocked(void *buf, size_t size, size_t n, FILE *fp)
{
    return stdio_again(IO_FREAD_UNLOCKED, buf, size, n, fp, true);
}

/* The fortified forms check the buffer's size first, with glibc's own message and abort. */
static bool fits(size_t buflen, size_t size, size_t n)
{
    size_t total;
    return !__builtin_mul_overflow(size, n, &total) && total <= buflen;
}

MPK_EXPORT size_t __fread_chk(void *buf, size_t buflen, size_t size, size_t n, FILE *fp)
{
    if (!fits(buflen, size, n))
        return ((fread_chk_fn)real(IO_FREAD_CHK))(buf, buflen, size, n, fp);
    return stdio_again(IO_FREAD, buf, size, n, fp, true);
}

MPK_EXPORT size_t __fread_unlocked_chk(void *buf, size_t buflen, size_t size, size_t n, FILE *fp)
{
    if (!fits(buflen, size, n))
        return ((fread_chk_fn)real(IO_FREAD_UNLOCKED_CHK))(buf, buflen, size, n, fp);
    return stdio_again(IO_FREAD_UNLOCKED, buf, size, n, fp, true);
}

MPK_EXPORT size_t fwrite(const void *buf, size_t size, size_t n, FILE *fp)
{
    return stdio_again(IO_FWRITE, (void *)buf, size, n, fp, false);
}

MPK_EXPORT size_t fwrite_unlocked(const void *buf, size_t size, size_t n, FILE *fp)
{
    return stdio_again(IO_FWRITE_UNLOCKED, (void *)buf, size, n, fp, false);
}

/* ---- writes to this process past PKRU ("PKU Pitfalls"; core/selfwrite.c) ----------------------
 * Opening /proc/self/mem for writing and process_vm_writev to this process let the kernel write
 * any page, whatever key it carries. Until a key is in play each wrapper is one relaxed load
 * more than glibc's function; then open-like calls get a prefix test on the path. On x86-64
 * open and open64 (and openat, openat64; fopen, fopen64) are one function in glibc. */
typedef int (*open_fn)(const char *, int, ...);
typedef int (*openat_fn)(int, const char *, int, ...);
typedef int (*open_2_fn)(const char *, int);
typedef int (*openat_2_fn)(int, const char *, int);
typedef FILE *(*fopen_fn)(const char *, const char *);
typedef ssize_t (*pvw_fn)(pid_t, const struct iovec *, unsigned long, const struct iovec *, unsigned long,
                          unsigned long);

/* 0 to go on; else the call fails with errno set (self_write = refuse). */
static int refused(int r)
{
    if (mpk_likely(r == 0))
        return 0;
    errno = -r;
    return 1;
}

static mode_t mode_arg(int flags, va_list ap)
{
    return __OPEN_NEEDS_MODE(flags) ? va_arg(ap, mode_t) : 0;
}

MPK_EXPORT int open64(const char *path, int flags, ...)
{
    va_list ap;
    va_start(ap, flags);
    mode_t mode = mode_arg(flags, ap);
    va_end(ap);
    if (mpk_unlikely(_mpk_in_play()) && refused(_mpk_self_write_open("open", path, flags)))
        return -1;
    return ((open_fn)real(IO_OPEN))(path, flags, mode);
}

MPK_EXPORT int open(const char *path, int flags, ...) __attribute__((alias("open64")));

MPK_EXPORT int openat64(int dir, const char *path, int flags, ...)
{
    va_list ap;
    va_start(ap, flags);
    mode_t mode = mode_arg(flags, ap);
    va_end(ap);
    if (mpk_unlikely(_mpk_in_play()) && refused(_mpk_self_write_open("openat", path, flags)))
        return -1;
    return ((openat_fn)real(IO_OPENAT))(dir, path, flags, mode);
}

MPK_EXPORT int openat(int dir, const char *path, int flags, ...) __attribute__((alias("openat64")));

/* _FORTIFY_SOURCE's forms, called when the flags are not known at compile time. */
MPK_EXPORT int __open64_2(const char *path, int flags)
{
    if (mpk_unlikely(_mpk_in_play()) && refused(_mpk_self_write_open("open", path, flags)))
        return -1;
    return ((open_2_fn)real(IO_OPEN_2))(path, flags);
}

MPK_EXPORT int __open_2(const char *path, int flags) __attribute__((alias("__open64_2")));

MPK_EXPORT int __openat64_2(int dir, const char *path, int flags)
{
    if (mpk_unlikely(_mpk_in_play()) && refused(_mpk_self_write_open("openat", path, flags)))
        return -1;
    return ((openat_2_fn)real(IO_OPENAT_2))(dir, path, flags);
}

MPK_EXPORT int __openat_2(int dir, const char *path, int flags) __attribute__((alias("__openat64_2")));

/* fopen opens with glibc's internal open, which the wrappers above never see. */
MPK_EXPORT FILE *fopen64(const char *path, const char *mode)
{
    if (mpk_unlikely(_mpk_in_play()) && mode && (strchr(mode, 'w') || strchr(mode, 'a') || strchr(mode, '+')) &&
        refused(_mpk_self_write_open("fopen", path, O_RDWR)))
        return NULL;
    return ((fopen_fn)real(IO_FOPEN))(path, mode);
}

MPK_EXPORT FILE *fopen(const char *path, const char *mode) __attribute__((alias("fopen64")));

MPK_EXPORT ssize_t process_vm_writev(pid_t pid, const struct iovec *local, unsigned long nlocal,
                                     const struct iovec *remote, unsigned long nremote, unsigned long flags)
{
    if (mpk_unlikely(_mpk_in_play()) && refused(_mpk_self_write_vm("process_vm_writev", pid, remote, nremote)))
        return -1;
    return ((pvw_fn)real(IO_PROCESS_VM_WRITEV))(pid, local, nlocal, remote, nremote, flags);
}
