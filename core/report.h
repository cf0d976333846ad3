/* core/report.h: events the manager reports (misuse, faults, tampering, its own trouble). The
 * policy layer installs a sink that logs them as the config says; without one, only errors
 * are written to stderr. Everything here is async-signal-safe and never allocates. */
#ifndef MPK_CORE_REPORT_H
#define MPK_CORE_REPORT_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <ucontext.h>

typedef enum mpk_event_kind {
    MPK_EV_FREE_IN_USE,      /* pkey_free while pages still carry the key */
    MPK_EV_BAD_KEY,          /* rights or pkey_mprotect on a key never allocated or freed */
    MPK_EV_KEYS_EXCEEDED,    /* the program holds more keys than the hardware has */
    MPK_EV_VIOLATION,        /* a real protection fault */
    MPK_EV_TAMPER,           /* a write into the library's protected state */
    MPK_EV_RESERVED_SIGNAL,  /* the program asked for the sync signal */
    MPK_EV_ERROR,            /* the library could not do what it must; message in `what` */
    MPK_EV_WX,               /* W^X: a region converted or left alone, a cross-thread write,
                                an RWX mapping (op says which; `what` says why) */
    MPK_EV_FOREIGN_THREAD_FAULT, /* a violation on a key another thread allocated, which the
                                    faulting thread never had rights to */
    MPK_EV_REMAP_DROPS_KEY,  /* a fresh mapping over [addr, addr+len), which a live key tagged:
                                op names the call, kept says whether on_remap = keep retagged it */
    MPK_EV_SELF_WRITE,       /* a write route to this process past PKRU (/proc/self/mem for
                                writing, process_vm_writev to itself): let through or refused */
    MPK_EV_SEALED_GROUP,     /* the program's own call (op) on [addr, addr+len), pages of a key
                                that sealed = audit or refuse covers: let through or refused */
} mpk_event_kind_t;

#define MPK_EV_PCS_MAX 64 /* keys_exceeded names the holders of this many keys at most */

typedef struct mpk_event {
    mpk_event_kind_t kind;
    const char *op;    /* the call that caused it ("pkey_set"), or NULL */
    long key;          /* key number, -1 if none */
    const void *addr;  /* fault or range address, or NULL */
    size_t len;        /* bytes concerned (free in use), or 0 */
    int access;        /* for faults: 'r', 'w' or 'x'; else 0 */
    const void *pc;    /* the interrupted instruction (violation, tamper), or NULL */
    const char *what;  /* one line for humans, or NULL */
    ucontext_t *uc;    /* interrupted context, for a backtrace from a fault; or NULL */
    int asked;         /* a setting asked for this report (rwx = audit): written in every mode */
    int alloc_tid, fault_tid; /* foreign_thread_fault: who allocated the key, who faulted */
    const uintptr_t *pcs; /* keys_exceeded: the code that allocated each live key (npcs of them) */
    unsigned npcs;
    int kept;          /* remap_drops_key: the new pages got the key back (on_remap = keep) */
    const char *path;  /* self_write: the file opened, or NULL */
    int target_pid;    /* self_write: process_vm_writev's pid, or 0 */
    int refused;       /* self_write, sealed_group: refused by the setting (= refuse) */
    const char *region; /* sealed_group: the [region NAME] whose key it is, or NULL */
} mpk_event_t;

/* Installed by the policy layer at start-up. */
typedef void (*mpk_event_sink_t)(const mpk_event_t *ev);
void _mpk_report_set_sink(mpk_event_sink_t sink);

void _mpk_report(const mpk_event_t *ev);

/* Shorthands used by core. */
void _mpk_report_tamper(const void *addr, ucontext_t *uc);
void _mpk_report_violation(const siginfo_t *si, ucontext_t *uc);
/* A violation (si as the program gets it) by a thread that never had rights to the key, which
 * thread `owner` allocated. */
void _mpk_report_foreign_fault(const siginfo_t *si, ucontext_t *uc, pid_t owner);
void _mpk_report_reserved_signal(int sig);
/* A self_write route (core/selfwrite.c): path for an open, pid and bytes for process_vm_writev. */
void _mpk_report_self_write(const char *op, const char *path, int pid, size_t bytes, int refused);
void _mpk_report_fault_loop(const void *addr, int key);
void _mpk_report_no_hw_key(int key);
void _mpk_report_internal_fault(const void *addr);
/* A sync stopped waiting for thread tid (core/sync.c); fallback: what is done instead. */
void _mpk_report_silent_thread(int tid, uint32_t hw_mask, int sig, long ms, const char *fallback);
void _mpk_report_retag_failed(int key, int err); /* err: the kernel's negative errno */
void _mpk_report_failed(const char *what, int err); /* a step the call needed; err as above */

/* Memory that must be sealed read-only or put under the metadata key could not be (err: the
 * kernel's negative errno): reported, then the process exits with status 1. Going on with it
 * open to the program would be weaker. */
void _mpk_stop_unsealed(const char *what, long err) __attribute__((noreturn));

/* A call on a key number that is not allocated: reported, and fatal with on_bad_key = abort. */
void _mpk_bad_key(const char *op, int key, const void *addr);

/* _mpk_format, for everything that reports. */
#include "policy/format.h"

/* "libmpk: " + message + newline on stderr (for verbose notes). */
void _mpk_note(const char *msg);

/* "libmpk: error: " + message + newline on stderr, in one write. */
void _mpk_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
