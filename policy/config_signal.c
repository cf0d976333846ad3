/* policy/config_signal.c: sync_signal, the signal libmpk reserves to change other threads' PKRU:
 * a number or a name, never one that faults or the C library already need. */
#include <errno.h>
#include <signal.h>
#include <string.h>

#include "policy/config_parser.h"

struct refused {
    const char *name;
    int sig;
    const char *why;
};

static const struct refused refused[] = {
    { "SIGSEGV", SIGSEGV, "libmpk handles protection-key faults with it" },
    { "SIGBUS", SIGBUS, "it reports memory faults" },
    { "SIGILL", SIGILL, "it reports program faults" },
    { "SIGFPE", SIGFPE, "it reports program faults" },
    { "SIGTRAP", SIGTRAP, "debuggers use it" },
    { "SIGABRT", SIGABRT, "abort() raises it" },
    { "SIGKILL", SIGKILL, "it cannot be caught" },
    { "SIGSTOP", SIGSTOP, "it cannot be caught" },
};

#define NREFUSED (sizeof refused / sizeof refused[0])

static bool has_prefix(const char *s, size_t n, const char *prefix)
{
    size_t len = strlen(prefix);

    return n >= len && memcmp(s, prefix, len) == 0;
}

/* base, or base+N / base-N (sign given) when something follows; ERANGE past the RT range. */
static int offset_from(const char *s, size_t n, int base, char sign, int *sig)
{
    uint64_t off;
    size_t used;

    if (n == 0) {
        *sig = base;
        return 0;
    }
    if (s[0] != sign || cfg_number(s + 1, n - 1, &off, &used) == EINVAL || used + 1 < n)
        return EINVAL;
    if (off > (uint64_t)(SIGRTMAX - SIGRTMIN))
        return ERANGE;
    *sig = sign == '+' ? base + (int)off : base - (int)off;
    return 0;
}

/* The signal a full name ("SIGUSR1", "SIGRTMAX-2") stands for: 0, EINVAL or ERANGE. */
static int lookup(const char *s, size_t n, int *sig)
{
    if (n == 7 && memcmp(s, "SIGUSR1", 7) == 0) {
        *sig = SIGUSR1;
        return 0;
    }
    if (n == 7 && memcmp(s, "SIGUSR2", 7) == 0) {
        *sig = SIGUSR2;
        return 0;
    }
    if (has_prefix(s, n, "SIGRTMIN"))
        return offset_from(s + 8, n - 8, SIGRTMIN, '+', sig);
    if (has_prefix(s, n, "SIGRTMAX"))
        return offset_from(s + 8, n - 8, SIGRTMAX, '-', sig);
    for (size_t i = 0; i < NREFUSED; i++)
        if (strlen(refused[i].name) == n && memcmp(s, refused[i].name, n) == 0) {
            *sig = refused[i].sig;
            return 0;
        }
    return EINVAL;
}

/* An unknown name: maybe it lacks "SIG" or is in lower case. */
static int unknown_name(struct cfg_parser *p, const char *v, size_t n)
{
    char fixed[64];
    size_t len = 0;
    int sig;

    if (n + 3 < sizeof fixed) {
        if (!has_prefix(v, n, "SIG") && !has_prefix(v, n, "sig"))
            len = _mpk_format(fixed, sizeof fixed, "SIG");
        for (size_t i = 0; i < n; i++)
            fixed[len++] = v[i] >= 'a' && v[i] <= 'z' ? (char)(v[i] - 'a' + 'A') : v[i];
        fixed[len] = '\0';
        if (lookup(fixed, len, &sig) == 0)
            return cfg_fail(p, v, "invalid value '%.*s%s' for sync_signal; did you mean '%s'?",
                            CFG_SHOW(v, n), fixed);
    }
    return cfg_fail(p, v, "invalid value '%.*s%s' for sync_signal: expected a signal number "
                          "from 1 to 64, SIGUSR1, SIGUSR2, SIGRTMIN+N or SIGRTMAX-N",
                    CFG_SHOW(v, n));
}

static int check_allowed(struct cfg_parser *p, const char *v, int sig)
{
    for (size_t i = 0; i < NREFUSED; i++)
        if (refused[i].sig == sig)
            return cfg_fail(p, v, "sync_signal cannot be %s (%d): %s", refused[i].name, sig,
                            refused[i].why);
    /* glibc keeps 32 and 33 for itself and the brief reserves up to SIGRTMIN+2 for it. */
    if (sig >= 32 && sig <= SIGRTMIN + 2)
        return cfg_fail(p, v, "sync_signal cannot be signal %d: signals 32 to SIGRTMIN+2 (%d) "
                              "are reserved for the C library; use SIGRTMIN+3 or above, such as "
                              "SIGRTMAX-2", sig, SIGRTMIN + 2);
    return 0;
}

int cfg_parse_signal(struct cfg_parser *p, const char *v, size_t n, int *out)
{
    static const char range[] = "expected a signal number from 1 to 64, SIGUSR1, SIGUSR2, "
                                "SIGRTMIN+N or SIGRTMAX-N";
    uint64_t num;
    size_t used;
    int err, sig;

    if (v[0] >= '0' && v[0] <= '9') {
        err = cfg_number(v, n, &num, &used);
        if (err == EINVAL)
            return cfg_fail(p, v, "invalid value '%.*s%s' for sync_signal: %s", CFG_SHOW(v, n),
                            range);
        if (err == 0 && used < n)
            return cfg_fail(p, v + used, "unexpected '%.*s%s' after the number in sync_signal: "
                                         "%s", CFG_SHOW(v + used, n - used), range);
        if (err == ERANGE || num < 1 || num > 64)
            return cfg_fail(p, v, "'%.*s%s' is out of range for sync_signal: %s",
                            CFG_SHOW(v, n), range);
        sig = (int)num;
    } else {
        err = lookup(v, n, &sig);
        if (err == ERANGE || (err == 0 && (sig < SIGRTMIN || sig > SIGRTMAX) &&
                              has_prefix(v, n, "SIGRT")))
            return cfg_fail(p, v, "'%.*s%s' is out of range for sync_signal: real-time signals "
                                  "run from SIGRTMIN (%d) to SIGRTMAX (%d)",
                            CFG_SHOW(v, n), SIGRTMIN, SIGRTMAX);
        if (err)
            return unknown_name(p, v, n);
    }
    if (check_allowed(p, v, sig) < 0)
        return -1;
    *out = sig;
    return 0;
}
