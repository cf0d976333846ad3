/* policy/audit_backtrace.c: libunwind, reached through dlopen. RTLD_DEEPBIND binds libunwind's
 * own calls (mmap, sigprocmask) to libc rather than to libmpk's wrappers: an unwind inside
 * libmpk's locked sections must never re-enter the manager. */
#include "policy/audit_backtrace.h"

#include "policy/audit_modules.h"
#include "policy/audit_sealed.h"

#include <dlfcn.h>
#include <string.h>

#define UNW_LOCAL_ONLY
#include <libunwind.h>

#define LIBUNWIND_SONAME "libunwind.so.8"

/* libunwind's entry points, in the sealed page; unw[0] is set last, when all are known. */
typedef struct unw_fns {
    int (*getcontext)(unw_context_t *);
    int (*init_local)(unw_cursor_t *, unw_context_t *);
    int (*init_local2)(unw_cursor_t *, unw_context_t *, int);
    int (*step)(unw_cursor_t *);
    int (*get_reg)(unw_cursor_t *, unw_regnum_t, unw_word_t *);
    int (*is_signal_frame)(unw_cursor_t *);
} unw_fns_t;
_Static_assert(sizeof(unw_fns_t) == sizeof mpk_audit_fixed.unw, "room for libunwind's functions");
#define unw (*(unw_fns_t *)mpk_audit_fixed.unw)

bool mpk_audit_backtrace_ready(void) { return unw.getcontext != NULL; }

static void copy_msg(char *err, size_t n, const char *a, const char *b)
{
    size_t la = strlen(a), lb = b ? strlen(b) : 0;
    if (!n)
        return;
    if (la > n - 1)
        la = n - 1;
    memcpy(err, a, la);
    if (lb > n - 1 - la)
        lb = n - 1 - la;
    if (b)
        memcpy(err + la, b, lb);
    err[la + lb] = 0;
}

int mpk_audit_backtrace_load(void *(*open)(const char *, int), char *err, size_t n)
{
    mpk_frames_t warm;
    unw_fns_t found;
    void *h;
    if (mpk_audit_backtrace_ready())
        return 0;
    h = open(LIBUNWIND_SONAME, RTLD_NOW | RTLD_LOCAL | RTLD_DEEPBIND);
    if (!h) {
        const char *why = dlerror();
        copy_msg(err, n, "backtrace = on, but " LIBUNWIND_SONAME " cannot be loaded: ", why ? why : "?");
        return -1;
    }
    /* The names behind libunwind's macros for local unwinding on x86-64. */
    found.getcontext = (int (*)(unw_context_t *))dlsym(h, "_Ux86_64_getcontext");
    found.init_local = (int (*)(unw_cursor_t *, unw_context_t *))dlsym(h, "_ULx86_64_init_local");
    found.init_local2 = (int (*)(unw_cursor_t *, unw_context_t *, int))dlsym(h, "_ULx86_64_init_local2");
    found.step = (int (*)(unw_cursor_t *))dlsym(h, "_ULx86_64_step");
    found.get_reg = (int (*)(unw_cursor_t *, unw_regnum_t, unw_word_t *))dlsym(h, "_ULx86_64_get_reg");
    found.is_signal_frame = (int (*)(unw_cursor_t *))dlsym(h, "_ULx86_64_is_signal_frame");
    if (!found.getcontext || !found.init_local || !found.init_local2 || !found.step ||
        !found.get_reg || !found.is_signal_frame) {
        copy_msg(err, n, LIBUNWIND_SONAME " lacks a function libmpk needs (libunwind >= 1.3)", NULL);
        return -1;
    }
    unw = found;
    /* Warm-up: libunwind initialises itself (and its caches) on first use, which may allocate. */
    mpk_audit_backtrace(NULL, &warm);
    return 0;
}

/* mov $15, %rax; syscall: rt_sigreturn, the body of every x86-64 signal restorer. */
static const unsigned char sigreturn_code[9] = {0x48, 0xc7, 0xc0, 0x0f, 0x00, 0x00, 0x00, 0x0f, 0x05};

/* A restorer without unwind information (libmpk's own, core/signals.c) stops libunwind. At
 * that frame the stack pointer is the kernel's ucontext, whose registers are the interrupted
 * code's: unwinding goes on from there. Only code of a known object is read. */
static bool at_restorer(uintptr_t ip)
{
    char path[8];
    uintptr_t bias;
    return mpk_audit_module_of(ip, path, sizeof path, &bias) &&
           memcmp((const void *)ip, sigreturn_code, sizeof sigreturn_code) == 0;
}

void mpk_audit_backtrace(ucontext_t *uc, mpk_frames_t *out)
{
    unw_context_t ctx;
    unw_cursor_t c;
    bool skipping = uc == NULL, exact_next = uc != NULL;
    out->n = 0;
    if (!mpk_audit_backtrace_ready())
        return;
    if (uc) {
        if (unw.init_local2(&c, uc, UNW_INIT_SIGNAL_FRAME) < 0)
            return;
    } else if (unw.getcontext(&ctx) < 0 || unw.init_local(&c, &ctx) < 0) {
        return;
    }
    while (out->n < MPK_AUDIT_FRAMES_MAX) {
        unw_word_t ip, sp;
        /* A frame a signal interrupted (libunwind says so after a restorer it knows) ran its
         * own instruction; the others are return addresses. */
        bool exact = exact_next || unw.is_signal_frame(&c) > 0;
        exact_next = false;
        if (unw.get_reg(&c, UNW_REG_IP, &ip) < 0 || ip == 0)
            break;
        if (!(skipping && mpk_audit_is_self(ip))) {
            skipping = false;
            out->pc[out->n] = ip;
            out->exact[out->n] = exact;
            out->n++;
        }
        if (at_restorer(ip) && unw.get_reg(&c, UNW_REG_SP, &sp) >= 0) {
            if (unw.init_local2(&c, (unw_context_t *)sp, UNW_INIT_SIGNAL_FRAME) < 0)
                break;
            exact_next = true;
            continue;
        }
        if (unw.step(&c) <= 0)
            break;
    }
}
