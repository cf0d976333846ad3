/* core/selfwrite.c: the "PKU Pitfalls" routes that write this process's memory through the
 * kernel, whose copies ignore PKRU: a key a thread has closed does not stop them. Reported and,
 * with self_write = refuse, refused with the errno the kernel gives when it refuses the same
 * call for want of ptrace access (EACCES for open, EPERM for process_vm_writev). Only the
 * paths libmpk sees: an inline syscall is mpk-audit's business. */
#include "core/selfwrite.h"

#include "core/prim.h"
#include "core/report.h"
#include "core/state.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/syscall.h>

/* A number that names this process: its pid, or a thread of it (tgkill with signal 0 checks
 * membership and sends nothing). */
bool _mpk_self_write_id(long n)
{
    long me = mpk_sys(SYS_getpid, 0, 0, 0, 0, 0, 0);
    return n == me || mpk_sys(SYS_tgkill, me, n, 0, 0, 0, 0) == 0;
}

static const char *skip_number(const char *p, long *n)
{
    *n = 0;
    if (*p < '0' || *p > '9')
        return NULL;
    while (*p >= '0' && *p <= '9' && *n < 100000000)
        *n = *n * 10 + (*p++ - '0');
    return *p == '/' ? p + 1 : NULL;
}

/* /proc/self/mem, /proc/thread-self/mem, /proc/PID/mem, /proc/{self,PID}/task/TID/mem, for
 * this process. Spelled otherwise (relative to a /proc descriptor, "//", "..", a symlink) it is
 * not seen: a cheap prefix test on every open matters more here than completeness. */
bool _mpk_self_write_path(const char *p)
{
    long n = 0;
    bool self;
    if (!p || p[0] != '/' || strncmp(p, "/proc/", 6) != 0)
        return false;
    p += 6;
    if (strncmp(p, "thread-self/", 12) == 0)
        return strcmp(p + 12, "mem") == 0;
    self = strncmp(p, "self/", 5) == 0;
    if (self)
        p += 5;
    else if (!(p = skip_number(p, &n)))
        return false;
    if (strncmp(p, "task/", 5) == 0) {
        long tid;
        if (!(p = skip_number(p + 5, &tid)))
            return false;
    }
    return strcmp(p, "mem") == 0 && (self || _mpk_self_write_id(n));
}

static int decide(void)
{
    return G ? G->cfg.self_write : MPK_SELF_WRITE_AUDIT;
}

int _mpk_self_write_open(const char *op, const char *path, int flags)
{
    if ((flags & O_ACCMODE) == O_RDONLY || !_mpk_self_write_path(path))
        return 0;
    int how = decide();
    if (how == MPK_SELF_WRITE_ALLOW)
        return 0;
    _mpk_report_self_write(op, path, 0, 0, how == MPK_SELF_WRITE_REFUSE);
    return how == MPK_SELF_WRITE_REFUSE ? -EACCES : 0;
}

int _mpk_self_write_vm(const char *op, pid_t pid, const struct iovec *remote, unsigned long n)
{
    if (!_mpk_self_write_id(pid))
        return 0;
    int how = decide();
    if (how == MPK_SELF_WRITE_ALLOW)
        return 0;
    size_t bytes = 0;
    for (unsigned long i = 0; remote && i < n && i < 1024; i++)
        bytes += remote[i].iov_len;
    _mpk_report_self_write(op, NULL, (int)pid, bytes, how == MPK_SELF_WRITE_REFUSE);
    return how == MPK_SELF_WRITE_REFUSE ? -EPERM : 0;
}
