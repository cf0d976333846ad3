/* policy/audit_sink.c: core's events (core/report.h) turned into audit records, filtered by
 * mode. Runs wherever core reports from: signal handlers, with libmpk's lock held, inside
 * pkey_set called from a handler. So: no allocation, no locks, no stdio. */
#include "policy/audit_emit.h"
#include "policy/audit_modules.h"
#include "policy/audit_parts.h"
#include "policy/audit_sealed.h"

#include <string.h>

void mpk_audit_sink_setup(const struct mpk_config *c)
{
    mpk_audit_fixed.mode = c->mode;
    mpk_audit_fixed.on_free_in_use = c->on_free_in_use;
    mpk_audit_fixed.on_bad_key = c->on_bad_key;
    mpk_audit_fixed.evict = c->evict;
}

/* enforce reports only what is never the program's ordinary business, and what a setting asked
 * to hear of (rwx = audit, cross_thread = allow). W^X's other decisions are ordinary: a JIT
 * converts regions all the time, and its stderr stays its own; audit mode tells them. */
static bool wanted(const mpk_event_t *ev)
{
    if (mpk_audit_fixed.mode == MPK_MODE_AUDIT || ev->asked)
        return true;
    return ev->kind == MPK_EV_TAMPER || ev->kind == MPK_EV_RESERVED_SIGNAL || ev->kind == MPK_EV_ERROR;
}

static const char *free_outcome(void)
{
    switch (mpk_audit_fixed.on_free_in_use) {
    case MPK_FREE_REVOKE:
        return "the key is freed and its pages made inaccessible (on_free_in_use = revoke)";
    case MPK_FREE_REFUSE:
        return "the call fails with EBUSY (on_free_in_use = refuse)";
    default:
        return "the key is freed and its pages keep their rights (on_free_in_use = keep)";
    }
}

static void free_in_use(mpk_arecord_t *r, const mpk_event_t *ev, char *msg, size_t n)
{
    r->event = "free_in_use";
    r->key = ev->key;
    mpk_arecord_str(r, "op", ev->op ? ev->op : "pkey_free");
    mpk_arecord_num(r, "bytes", (long long)ev->len);
    _mpk_format(msg, n, "pkey_free of key %ld while %zu bytes still carry it: %s", ev->key,
                ev->len, free_outcome());
}

static void bad_key(mpk_arecord_t *r, const mpk_event_t *ev, char *msg, size_t n)
{
    r->event = "bad_key";
    r->key = ev->key;
    if (ev->addr) {
        r->has_addr = true;
        r->addr = (uintptr_t)ev->addr;
    }
    mpk_arecord_str(r, "op", ev->op);
    _mpk_format(msg, n, "%s on key %ld, which was never allocated or is freed: %s",
                ev->op ? ev->op : "a call", ev->key,
                mpk_audit_fixed.on_bad_key == MPK_BAD_KEY_ABORT ? "aborting (on_bad_key = abort)" : "EINVAL");
}

#define HOLDERS_MAX 8      /* modules named; the keys of any further ones are counted as "others" */
#define HOLDER_PATH 256

typedef struct holders {
    mpk_aholder_t h[HOLDERS_MAX + 1];
    char path[HOLDERS_MAX][HOLDER_PATH];
    unsigned n;
} holders_t;

static void holders_add(holders_t *hs, uintptr_t pc)
{
    char path[HOLDER_PATH];
    uintptr_t bias;
    unsigned i;
    if (!mpk_audit_module_of(pc, path, sizeof path, &bias))
        strcpy(path, "?");
    for (i = 0; i < hs->n; i++)
        if (hs->h[i].module && !strcmp(hs->h[i].module, path))
            break;
    if (i == hs->n) {
        if (hs->n == HOLDERS_MAX) {
            hs->h[HOLDERS_MAX].module = "others";
            hs->h[HOLDERS_MAX].keys++;
            return;
        }
        memcpy(hs->path[i], path, sizeof path);
        hs->h[i].module = hs->path[i];
        hs->h[i].keys = 0;
        hs->n++;
    }
    hs->h[i].keys++;
}

/* Most keys first, so that the message can name the top holder. */
static void holders_sort(holders_t *hs)
{
    for (unsigned i = 1; i < hs->n; i++)
        for (unsigned j = i; j > 0 && hs->h[j].keys > hs->h[j - 1].keys; j--) {
            mpk_aholder_t t = hs->h[j];
            hs->h[j] = hs->h[j - 1];
            hs->h[j - 1] = t;
        }
}

static const char *base_name(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

/* Written here rather than by mpk_audit_event: the holders' paths live in this frame, which only
 * pkey_alloc reaches (never the fault path, whose stack may be a small alternate one). */
static void keys_exceeded_emit(mpk_arecord_t *r, const mpk_event_t *ev, char *msg, size_t n)
{
    holders_t hs;
    char top[96] = "";
    memset(&hs, 0, sizeof hs);
    for (unsigned i = 0; i < ev->npcs; i++)
        holders_add(&hs, ev->pcs[i]);
    holders_sort(&hs);
    if (hs.h[HOLDERS_MAX].keys)
        hs.h[hs.n++] = hs.h[HOLDERS_MAX];
    r->event = "keys_exceeded";
    mpk_arecord_str(r, "op", ev->op);
    mpk_arecord_num(r, "live_keys", ev->key);
    mpk_arecord_holders(r, "holders", hs.h, hs.n);
    if (hs.n)
        _mpk_format(top, sizeof top, "; the most held by %s (%ld)", base_name(hs.h[0].module), hs.h[0].keys);
    _mpk_format(msg, n, "%ld keys live: more than the hardware's keys; %s%s", ev->key,
                mpk_audit_fixed.evict == MPK_EVICT_NONE ? "pkey_alloc fails with ENOSPC beyond them (evict = none)"
                                        : "libmpk shares the hardware keys among them",
                top);
    r->message = msg;
    mpk_audit_emit(r, ev->uc);
}

static const char *const access_names[] = {"read", "write", "execute"};

/* The members a fault's record shares: key, address, access, the faulting pc. */
static const char *fault_fields(mpk_arecord_t *r, const mpk_event_t *ev)
{
    const char *access = ev->access == 'w' ? "w" : ev->access == 'x' ? "x" : "r";
    r->key = ev->key;
    r->has_addr = true;
    r->addr = (uintptr_t)ev->addr;
    mpk_arecord_str(r, "access", access);
    if (ev->pc) {
        r->has_pc = true;
        r->pc = (uintptr_t)ev->pc;
    }
    return access;
}

static void violation(mpk_arecord_t *r, const mpk_event_t *ev, char *msg, size_t n)
{
    const char *access;
    r->event = "violation";
    access = fault_fields(r, ev);
    if (ev->key >= 0)
        _mpk_format(msg, n, "%s of %p denied by key %ld: the program gets SIGSEGV",
                    access_names[access[0] == 'w' ? 1 : access[0] == 'x' ? 2 : 0], ev->addr, ev->key);
    else
        _mpk_format(msg, n, "%s of %p denied by the page protection: the program gets SIGSEGV",
                    access_names[access[0] == 'w' ? 1 : access[0] == 'x' ? 2 : 0], ev->addr);
}

/* A violation whose cause is known: the kernel gives a new key's rights to the allocating
 * thread only, and this thread never had any. Said in the record, since nothing the user can
 * see (/proc/PID/maps shows the page readable) tells it. */
static void foreign_thread_fault(mpk_arecord_t *r, const mpk_event_t *ev, char *msg, size_t n)
{
    const char *access;
    r->event = "foreign_thread_fault";
    access = fault_fields(r, ev);
    mpk_arecord_num(r, "alloc_tid", ev->alloc_tid);
    mpk_arecord_num(r, "fault_tid", ev->fault_tid);
    _mpk_format(msg, n,
                "%s of %p denied by key %ld: thread %d never had rights to it, thread %d allocated "
                "it (a new key's rights go to that thread only; new_key = all_threads gives them to "
                "every thread): the program gets SIGSEGV",
                access_names[access[0] == 'w' ? 1 : access[0] == 'x' ? 2 : 0], ev->addr, ev->key,
                ev->fault_tid, ev->alloc_tid);
}

/* New pages over a live key's: the kernel gives them key 0, which nothing the program sees says
 * (Wasmtime 13982 leaked a slot to another instance so). The record tells what became of them. */
static void remap_drops_key(mpk_arecord_t *r, const mpk_event_t *ev, char *msg, size_t n)
{
    r->event = "remap_drops_key";
    r->key = ev->key;
    r->has_addr = true;
    r->addr = (uintptr_t)ev->addr;
    mpk_arecord_hex(r, "end", (uintptr_t)ev->addr + ev->len);
    mpk_arecord_num(r, "bytes", (long long)ev->len);
    mpk_arecord_str(r, "op", ev->op);
    mpk_arecord_str(r, "outcome", ev->kept ? "kept" : "reset");
    if (ev->kept)
        _mpk_format(msg, n, "%s over [%p, %p), which key %ld tagged: the new pages carry the key "
                    "again (on_remap = keep)", ev->op, ev->addr,
                    (const void *)((uintptr_t)ev->addr + ev->len), ev->key);
    else
        _mpk_format(msg, n, "%s over [%p, %p), which key %ld tagged: the new pages carry key 0, "
                    "open to every thread, until the program tags them again (on_remap = keep "
                    "keeps the key)", ev->op, ev->addr, (const void *)((uintptr_t)ev->addr + ev->len),
                    ev->key);
}

static void tamper(mpk_arecord_t *r, const mpk_event_t *ev, char *msg, size_t n)
{
    r->event = "tamper";
    r->has_addr = true;
    r->addr = (uintptr_t)ev->addr;
    if (ev->pc) {
        r->has_pc = true;
        r->pc = (uintptr_t)ev->pc;
    }
    _mpk_format(msg, n, "write to libmpk's protected state at %p: the program is stopped (SIGSEGV)",
                ev->addr);
}

static void reserved_signal(mpk_arecord_t *r, const mpk_event_t *ev, char *msg, size_t n)
{
    r->event = "reserved_signal";
    mpk_arecord_str(r, "op", ev->op);
    mpk_arecord_num(r, "signal", ev->key);
    _mpk_format(msg, n, "signal %ld is libmpk's (sync_signal): the handler is refused with EINVAL",
                ev->key);
}

/* W^X decisions: a region converted or left to mprotect (and why), a cross-thread write let in,
 * an RWX request audited or refused. `what` is core's sentence; the op and range say where. */
static void wx(mpk_arecord_t *r, const mpk_event_t *ev, char *msg, size_t n)
{
    r->event = "wx";
    if (ev->addr) {
        r->has_addr = true;
        r->addr = (uintptr_t)ev->addr;
    }
    mpk_arecord_str(r, "op", ev->op);
    mpk_arecord_num(r, "bytes", (long long)ev->len);
    _mpk_format(msg, n, "%s of %zu bytes at %p: %s", ev->op ? ev->op : "a call", ev->len, ev->addr,
                ev->what ? ev->what : "W^X");
}

/* A write route to this process that the kernel makes past PKRU: which call, what it names,
 * and what libmpk did (self_write); the backtrace says who asked. */
static void self_write(mpk_arecord_t *r, const mpk_event_t *ev, char *msg, size_t n)
{
    const char *outcome = ev->refused ? "refused" : "allowed";
    r->event = "self_write";
    mpk_arecord_str(r, "op", ev->op);
    if (ev->path) {
        mpk_arecord_str(r, "path", ev->path);
        mpk_arecord_str(r, "outcome", outcome);
        _mpk_format(msg, n, "%s of %s for writing: the kernel writes this process's memory past "
                    "every key's rights; %s", ev->op ? ev->op : "open", ev->path,
                    ev->refused ? "refused with EACCES (self_write = refuse)"
                                : "let through (self_write = audit)");
    } else {
        mpk_arecord_num(r, "target_pid", ev->target_pid);
        mpk_arecord_num(r, "bytes", (long long)ev->len);
        mpk_arecord_str(r, "outcome", outcome);
        _mpk_format(msg, n, "%s of %zu bytes to this process (pid %d): the kernel's copy ignores "
                    "every key's rights; %s", ev->op ? ev->op : "process_vm_writev", ev->len,
                    ev->target_pid, ev->refused ? "refused with EPERM (self_write = refuse)"
                                                : "let through (self_write = audit)");
    }
}

/* The program's own call on pages of a sealed key: which call, which pages, whose key (a
 * [region] rule's, named, or the program's), and what libmpk did (sealed). */
static void sealed_group(mpk_arecord_t *r, const mpk_event_t *ev, char *msg, size_t n)
{
    const void *end = (const void *)((uintptr_t)ev->addr + ev->len);
    char whose[96];
    r->event = "sealed_group";
    r->key = ev->key;
    r->has_addr = true;
    r->addr = (uintptr_t)ev->addr;
    mpk_arecord_hex(r, "end", (uintptr_t)end);
    mpk_arecord_num(r, "bytes", (long long)ev->len);
    mpk_arecord_str(r, "op", ev->op);
    if (ev->region)
        mpk_arecord_str(r, "region", ev->region);
    mpk_arecord_str(r, "outcome", ev->refused ? "refused" : "allowed");
    if (ev->region)
        _mpk_format(whose, sizeof whose, "region %s's key", ev->region);
    else
        _mpk_format(whose, sizeof whose, "key %ld", ev->key);
    _mpk_format(msg, n, "%s of [%p, %p), pages of %s, outside libmpk's API: %s", ev->op, ev->addr,
                end, whose, ev->refused ? "refused with EPERM (sealed = refuse)"
                                        : "let through (sealed = audit)");
}

static void internal_error(mpk_arecord_t *r, const mpk_event_t *ev, char *msg, size_t n)
{
    r->event = "error";
    r->key = ev->key;
    if (ev->addr) {
        r->has_addr = true;
        r->addr = (uintptr_t)ev->addr;
    }
    _mpk_format(msg, n, "%s", ev->what ? ev->what : "internal error");
}

void mpk_audit_event(const mpk_event_t *ev)
{
    mpk_arecord_t r;
    char msg[256];
    if (!wanted(ev))
        return;
    memset(&r, 0, sizeof r);
    r.key = -1;
    switch (ev->kind) {
    case MPK_EV_FREE_IN_USE:
        free_in_use(&r, ev, msg, sizeof msg);
        break;
    case MPK_EV_BAD_KEY:
        bad_key(&r, ev, msg, sizeof msg);
        break;
    case MPK_EV_KEYS_EXCEEDED:
        keys_exceeded_emit(&r, ev, msg, sizeof msg);
        return;
    case MPK_EV_VIOLATION:
        violation(&r, ev, msg, sizeof msg);
        break;
    case MPK_EV_TAMPER:
        tamper(&r, ev, msg, sizeof msg);
        break;
    case MPK_EV_RESERVED_SIGNAL:
        reserved_signal(&r, ev, msg, sizeof msg);
        break;
    case MPK_EV_WX:
        wx(&r, ev, msg, sizeof msg);
        break;
    case MPK_EV_FOREIGN_THREAD_FAULT:
        foreign_thread_fault(&r, ev, msg, sizeof msg);
        break;
    case MPK_EV_REMAP_DROPS_KEY:
        remap_drops_key(&r, ev, msg, sizeof msg);
        break;
    case MPK_EV_SELF_WRITE:
        self_write(&r, ev, msg, sizeof msg);
        break;
    case MPK_EV_SEALED_GROUP:
        sealed_group(&r, ev, msg, sizeof msg);
        break;
    default:
        internal_error(&r, ev, msg, sizeof msg);
        break;
    }
    r.message = msg;
    mpk_audit_emit(&r, ev->uc);
}
