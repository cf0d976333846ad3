/* core/report.c: the event path out of core, and the library's own lines on stderr (formatted by
 * policy/format.c, which is safe in signal handlers). */
#include "core/report.h"

#include "core/prim.h"

#include <stdarg.h>
#include <sys/mman.h>
#include <unistd.h>

/* The sink, alone in a page that is read-only except while it is set: a program that writes
 * over the library's data must not make the fault handler call a forged pointer. */
static union {
    mpk_event_sink_t sink;
    char page[4096];
} sink_page __attribute__((aligned(4096)));
#define sink (sink_page.sink)

void _mpk_report_set_sink(mpk_event_sink_t s)
{
    long r = mpk_sys_mprotect(&sink_page, sizeof sink_page, PROT_READ | PROT_WRITE);
    if (r)
        _mpk_stop_unsealed("the audit sink's page read-only", r);
    sink = s;
    r = mpk_sys_mprotect(&sink_page, sizeof sink_page, PROT_READ);
    if (r)
        _mpk_stop_unsealed("the audit sink's page read-only", r);
}

void _mpk_note(const char *msg)
{
    char buf[512];
    size_t room = sizeof buf - 1; /* the newline's byte */
    size_t len = _mpk_format_kept(_mpk_format(buf, room, "libmpk: %s", msg), room);
    buf[len++] = '\n';
    mpk_sys_write(2, buf, len);
}

void _mpk_error(const char *fmt, ...)
{
    char buf[512];
    size_t len = _mpk_format(buf, sizeof buf, "libmpk: error: ");
    size_t room = sizeof buf - len - 1; /* the newline's byte */
    va_list ap;
    va_start(ap, fmt);
    len += _mpk_format_kept(_mpk_vformat(buf + len, room, fmt, ap), room);
    va_end(ap);
    buf[len++] = '\n';
    mpk_sys_write(2, buf, len);
}

void _mpk_report(const mpk_event_t *ev)
{
    if (sink) {
        sink(ev);
        return;
    }
    /* No policy layer (unit tests, or before it is up): errors only. */
    switch (ev->kind) {
    case MPK_EV_TAMPER:
        _mpk_error("tamper: write to libmpk's protected state at %p from %p", ev->addr, ev->pc);
        break;
    case MPK_EV_RESERVED_SIGNAL:
        _mpk_error("signal %d is reserved by libmpk (sync_signal); handler refused", (int)ev->key);
        break;
    case MPK_EV_ERROR:
        _mpk_error("%s", ev->what ? ev->what : "internal error");
        break;
    default:
        break;
    }
}

void _mpk_report_tamper(const void *addr, ucontext_t *uc)
{
    char what[160];
    const void *pc = (const void *)uc->uc_mcontext.gregs[REG_RIP];
    mpk_event_t ev = {.kind = MPK_EV_TAMPER, .key = -1, .addr = addr, .pc = pc, .what = what, .uc = uc};
    _mpk_format(what, sizeof what, "tamper: write to libmpk's protected state at %p from %p",
                addr, pc);
    _mpk_report(&ev);
}

/* A fault as the program gets it, as an event of the given kind. */
static mpk_event_t fault_event(mpk_event_kind_t kind, const siginfo_t *si, ucontext_t *uc)
{
    long err = uc ? uc->uc_mcontext.gregs[REG_ERR] : 0;
    mpk_event_t ev = {.kind = kind,
                      .key = si->si_code == SEGV_PKUERR ? (long)si->si_pkey : -1L,
                      .addr = si->si_addr,
                      .access = (err & 0x10) ? 'x' : (err & 2) ? 'w' : 'r',
                      .pc = uc ? (const void *)uc->uc_mcontext.gregs[REG_RIP] : NULL,
                      .uc = uc};
    return ev;
}

void _mpk_report_violation(const siginfo_t *si, ucontext_t *uc)
{
    mpk_event_t ev = fault_event(MPK_EV_VIOLATION, si, uc);
    _mpk_report(&ev);
}

void _mpk_report_foreign_fault(const siginfo_t *si, ucontext_t *uc, pid_t owner)
{
    mpk_event_t ev = fault_event(MPK_EV_FOREIGN_THREAD_FAULT, si, uc);
    ev.alloc_tid = (int)owner;
    ev.fault_tid = (int)mpk_sys_gettid();
    _mpk_report(&ev);
}

void _mpk_report_self_write(const char *op, const char *path, int pid, size_t bytes, int refused)
{
    mpk_event_t ev = {.kind = MPK_EV_SELF_WRITE, .op = op, .key = -1, .len = bytes, .path = path,
                      .target_pid = pid, .refused = refused};
    _mpk_report(&ev);
}

void _mpk_report_reserved_signal(int sig)
{
    mpk_event_t ev = {.kind = MPK_EV_RESERVED_SIGNAL, .op = "sigaction", .key = sig};
    _mpk_report(&ev);
}

static void report_error(const char *what, const void *addr, long key)
{
    mpk_event_t ev = {.kind = MPK_EV_ERROR, .key = key, .addr = addr, .what = what};
    _mpk_report(&ev);
}

void _mpk_report_fault_loop(const void *addr, int key)
{
    char what[160];
    _mpk_format(what, sizeof what,
                "fault at %p (key %d) keeps coming back after being resolved; passing it on",
                addr, key);
    report_error(what, addr, key);
}

void _mpk_report_no_hw_key(int key)
{
    char what[160];
    _mpk_format(what, sizeof what,
                "key %d cannot be made resident: every hardware key is pinned or in use", key);
    report_error(what, NULL, key);
}

void _mpk_report_failed(const char *what, int err)
{
    char msg[200];
    _mpk_format(msg, sizeof msg, "%s failed (errno %d); the call that needed it fails", what, -err);
    report_error(msg, NULL, -1);
}

void _mpk_stop_unsealed(const char *what, long err)
{
    char msg[200];
    _mpk_format(msg, sizeof msg,
                "cannot protect %s (errno %d); stopping rather than running with it open",
                what, (int)-err);
    report_error(msg, NULL, -1);
    _exit(1);
}

void _mpk_report_retag_failed(int key, int err)
{
    char what[200];
    _mpk_format(what, sizeof what,
                "key %d: its pages could not be moved to another hardware key (errno %d); it "
                "keeps the one it has",
                key, -err);
    report_error(what, NULL, key);
}

void _mpk_report_internal_fault(const void *addr)
{
    char what[160];
    _mpk_format(what, sizeof what, "fault at %p inside libmpk while it held its lock (a bug)", addr);
    report_error(what, addr, -1);
}

void _mpk_report_silent_thread(int tid, uint32_t hw_mask, int sig, long ms, const char *fallback)
{
    char what[320];
    _mpk_format(what, sizeof what,
                "thread %d did not acknowledge a key change in %ld ms: it blocks signal %d "
                "(libmpk's sync_signal) behind libmpk's back; hardware keys 0x%x stay out of use "
                "until it takes the signal; %s",
                tid, ms, sig, (unsigned)hw_mask, fallback);
    report_error(what, NULL, -1);
}
