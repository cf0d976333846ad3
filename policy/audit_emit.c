/* policy/audit_emit.c: the record writer. Records are laid out in a few static slots rather
 * than on the stack (a fault may run on a small alternate signal stack); a thread that finds
 * every slot busy (nested faults, many threads at once) writes a short record from the stack,
 * without backtrace or names. */
#include "policy/audit_emit.h"

#include "core/prim.h"
#include "policy/audit_sealed.h"
#include "policy/audit_time.h"

#include <errno.h>
#include <stdatomic.h>
#include <string.h>

#define SLOTS 4
#define SMALL_RECORD 1024

typedef struct slot {
    atomic_int busy;
    char out[MPK_AUDIT_RECORD_MAX];
    mpk_frames_t frames;
    mpk_symcache_t syms;
    mpk_alocator_t loc;
} slot_t;

static slot_t slots[SLOTS];

void mpk_audit_emit_setup(int fd, bool json, bool backtrace)
{
    mpk_audit_fixed.log_fd = fd;
    mpk_audit_fixed.json = json;
    mpk_audit_fixed.backtrace = backtrace;
}

bool mpk_audit_emit_backtraces(void) { return mpk_audit_fixed.backtrace; }

static slot_t *claim(void)
{
    for (unsigned i = 0; i < SLOTS; i++) {
        int expected = 0;
        if (atomic_compare_exchange_strong(&slots[i].busy, &expected, 1))
            return &slots[i];
    }
    return NULL;
}

static void write_all(const char *p, size_t n)
{
    while (n) {
        long r = mpk_sys_write(mpk_audit_fixed.log_fd, p, n);
        if (r == -EINTR)
            continue;
        if (r <= 0)
            return; /* nowhere to report a broken log; the program goes on */
        p += r;
        n -= (size_t)r;
    }
}

static void format(mpk_abuf_t *b, const mpk_arecord_t *r, mpk_alocator_t *l)
{
    if (mpk_audit_fixed.json)
        mpk_audit_format_json(b, r, l);
    else
        mpk_audit_format_text(b, r, l);
}

void mpk_audit_emit(mpk_arecord_t *r, ucontext_t *uc)
{
    slot_t *s = claim();
    mpk_abuf_t b;
    int saved_errno = errno; /* libc calls below must not change what the program sees */
    mpk_audit_now(&r->sec, &r->usec);
    r->pid = (int)mpk_sys_getpid();
    r->tid = (int)mpk_sys_gettid();
    if (!s) {
        char small[SMALL_RECORD];
        mpk_alocator_t modules_only; /* ~1.3 KiB of stack: object names, no symbol lookups */
        modules_only.syms = NULL;
        static const mpk_frames_t no_frames; /* the member stays, empty */
        if (!mpk_audit_fixed.backtrace)
            r->frames = NULL;
        else if (!r->frames)
            r->frames = &no_frames;
        mpk_abuf_init(&b, small, sizeof small);
        format(&b, r, &modules_only);
        write_all(small, b.len);
        errno = saved_errno;
        return;
    }
    if (!mpk_audit_fixed.backtrace) {
        r->frames = NULL;
    } else if (!r->frames) {
        mpk_audit_backtrace(uc, &s->frames);
        r->frames = &s->frames;
    }
    mpk_symcache_init(&s->syms);
    s->loc.syms = &s->syms;
    mpk_abuf_init(&b, s->out, sizeof s->out);
    format(&b, r, &s->loc);
    write_all(s->out, b.len);
    mpk_symcache_release(&s->syms);
    atomic_store(&s->busy, 0);
    errno = saved_errno;
}
