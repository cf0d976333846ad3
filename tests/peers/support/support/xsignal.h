/* tests/peers/support/support/xsignal.h: our stand-in for glibc's signal helpers that
 * tst-pkey.c uses: each ends the test (status 1) if the call fails. */
#ifndef PEERS_SUPPORT_XSIGNAL_H
#define PEERS_SUPPORT_XSIGNAL_H

#include <signal.h>

#include "check.h"

static inline void xsigaction(int sig, const struct sigaction *act, struct sigaction *old)
{
    if (sigaction(sig, act, old) != 0)
        FAIL_EXIT1("sigaction (%d): %m", sig);
}

static inline sighandler_t xsignal(int sig, sighandler_t handler)
{
    sighandler_t old = signal(sig, handler);
    if (old == SIG_ERR)
        FAIL_EXIT1("signal (%d): %m", sig);
    return old;
}

static inline void xraise(int sig)
{
    if (raise(sig) != 0)
        FAIL_EXIT1("raise (%d): %m", sig);
}

#endif
