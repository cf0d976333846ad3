/* preload/threads.c: pthread_create (the child inherits its creator's rights), fork, and the
 * calls that install signal handlers (the manager keeps SIGSEGV and wraps the rest). */
#include "preload/preload.h"

#include "core/signals.h"

#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

/* One unversioned definition: the dynamic linker binds both pthread_create@GLIBC_2.2.5 and
 * pthread_create@GLIBC_2.34 references to it. */
MPK_EXPORT int pthread_create(pthread_t *th, const pthread_attr_t *attr, void *(*fn)(void *),
                              void *arg)
{
    mpk_pthread_create_fn real = _mpk_real_pthread_create();
    mpk_thread_t *t = mpk_up() ? _mpk_thread_prepare(fn, arg) : NULL;
    int r;
    if (!t)
        return real(th, attr, fn, arg);
    r = real(th, attr, _mpk_thread_trampoline, t);
    if (r)
        _mpk_thread_abandon(t);
    return r;
}

/* The work is in the manager's pthread_atfork handlers; this makes sure they are registered
 * even if fork comes before our constructor. */
MPK_EXPORT pid_t fork(void)
{
    mpk_up();
    return _mpk_real_fork()();
}

MPK_EXPORT int sigaction(int sig, const struct sigaction *act, struct sigaction *old)
{
    if (!mpk_up())
        return _mpk_real_sigaction()(sig, act, old);
    return (int)mpk_ret(_mpk_sigaction(sig, act, old));
}

/* signal() family: glibc's semantics, on top of our sigaction. */
static sighandler_t set_handler(int sig, sighandler_t h, int flags, bool add_self)
{
    struct sigaction act, old;
    memset(&act, 0, sizeof act);
    act.sa_handler = h;
    act.sa_flags = flags;
    sigemptyset(&act.sa_mask);
    if (add_self && sig > 0 && sig < NSIG)
        sigaddset(&act.sa_mask, sig);
    if (sigaction(sig, &act, &old) < 0)
        return SIG_ERR;
    return old.sa_handler;
}

MPK_EXPORT sighandler_t signal(int sig, sighandler_t h)
{
    if (h == SIG_ERR) {
        errno = EINVAL;
        return SIG_ERR;
    }
    return set_handler(sig, h, SA_RESTART, true); /* BSD semantics, glibc's default */
}

MPK_EXPORT sighandler_t bsd_signal(int sig, sighandler_t h) { return signal(sig, h); }

MPK_EXPORT sighandler_t sysv_signal(int sig, sighandler_t h)
{
    if (h == SIG_ERR) {
        errno = EINVAL;
        return SIG_ERR;
    }
    return set_handler(sig, h, SA_RESETHAND | SA_NODEFER, false);
}

/* What <signal.h> calls signal() when compiled with strict ISO C (-std=c99). */
MPK_EXPORT sighandler_t __sysv_signal(int sig, sighandler_t h) { return sysv_signal(sig, h); }

/* Signal masks: SIGSEGV and the sync signal stay deliverable while the manager runs. */
MPK_EXPORT int pthread_sigmask(int how, const sigset_t *set, sigset_t *old)
{
    if (!mpk_up()) {
        sigset_t local; /* as glibc does: its two internal signals are never blocked */
        long r;
        if (set) {
            local = *set;
            sigdelset(&local, 32);
            sigdelset(&local, 33);
        }
        r = mpk_sys_sigprocmask(how, set ? &local : NULL, old);
        return r < 0 ? (int)-r : 0;
    }
    return -_mpk_sigmask(how, set, old);
}

MPK_EXPORT int sigprocmask(int how, const sigset_t *set, sigset_t *old)
{
    int r = pthread_sigmask(how, set, old);
    if (r) {
        errno = r;
        return -1;
    }
    return 0;
}

/* A SIGSEGV the program sent itself while blocking it is held by the manager, not the kernel. */
MPK_EXPORT int sigpending(sigset_t *set)
{
    int r;
    if (!mpk_up())
        return (int)mpk_ret(mpk_sys(SYS_rt_sigpending, set, sizeof(uint64_t), 0, 0, 0, 0));
    r = _mpk_sigpending(set);
    return (int)mpk_ret(r);
}
