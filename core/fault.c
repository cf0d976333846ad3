/* core/fault.c: the SIGSEGV path. A fault on a tracked page is checked against the faulting
 * thread's view: if the thread may make that access, the fault is an artefact of
 * virtualisation (the key was evicted, or a grant has not reached this thread's PKRU yet) and
 * is resolved in place; otherwise the program gets it exactly as the kernel would have sent it,
 * with the virtual key number in si_pkey. */
#include "core/fault.h"

#include "core/cache.h"
#include "core/region.h"
#include "core/report.h"
#include "core/signals.h"
#include "core/sync.h"
#include "core/thread.h"
#include "core/wx.h"

#include <errno.h>
#include <link.h>
#include <sys/mman.h>

#define PF_WRITE 0x2  /* page-fault error code bits, in REG_ERR */
#define PF_INSTR 0x10
#define LOOP_LIMIT 64 /* resolving the same address this often in a row means we are wrong */

/* FOREIGN: a violation already reported, as foreign_thread_fault. */
enum { NOT_OURS, RESOLVED, VIOLATION, FOREIGN };

static int find_text(struct dl_phdr_info *info, size_t size, void *data)
{
    uintptr_t self = (uintptr_t)data;
    (void)size;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        uintptr_t lo = info->dlpi_addr + ph->p_vaddr;
        if (ph->p_type == PT_LOAD && (ph->p_flags & PF_X) && self >= lo && self < lo + ph->p_memsz) {
            _mpk_sealed.text_lo = lo;
            _mpk_sealed.text_hi = lo + ph->p_memsz;
            return 1;
        }
    }
    return 0;
}

void _mpk_fault_boot(void) { dl_iterate_phdr(find_text, (void *)(uintptr_t)_mpk_fault_handler); }

static bool allowed_by_prot(int prot, bool write, bool fetch)
{
    if (fetch)
        return prot & PROT_EXEC;
    if (write)
        return prot & PROT_WRITE;
    return prot & (PROT_READ | PROT_WRITE | PROT_EXEC); /* on x86 every mapping is readable */
}

static bool allowed_by_rights(unsigned rights, bool write, bool fetch)
{
    if (fetch)
        return true; /* keys never restrict instruction fetches */
    return !(rights & MPK_AD) && !(write && (rights & MPK_WD));
}

/* What the thread's view lets it do, a [region] rule's rights decided now if they are not yet. */
static bool thread_may(mpk_thread_t *t, uint32_t slot, bool write, bool fetch)
{
    return allowed_by_rights(t->views[t->depth][slot], write, fetch) ||
           (_mpk_region_decide(t, slot) && allowed_by_rights(t->views[t->depth][slot], write, fetch));
}

/* A write to the metadata key's pages: from our own code it is a gate we have not opened yet
 * (a thread that entered before activation); from anywhere else it is tampering. */
static int metadata_fault(siginfo_t *si, ucontext_t *uc)
{
    uintptr_t rip = (uintptr_t)uc->uc_mcontext.gregs[REG_RIP];
    uint32_t *pkru = mpk_uc_pkru(uc);
    if (rip >= _mpk_sealed.text_lo && rip < _mpk_sealed.text_hi && pkru) {
        *pkru &= ~_mpk_sealed.meta_mask;
        return RESOLVED;
    }
    _mpk_report_tamper(si->si_addr, uc);
    return VIOLATION;
}

/* The key number the program knows for a hardware key of ours, for si_pkey. */
static void translate_pkey(siginfo_t *si)
{
    uint32_t w;
    if (si->si_code != SEGV_PKUERR || si->si_pkey <= 0 || si->si_pkey >= MPK_HW_KEYS)
        return;
    w = atomic_load(&G->hw[si->si_pkey]);
    if (hw_kind(w) == HW_ASSIGNED)
        si->si_pkey = vk_number(atomic_load(&G->vkeys[hw_slot(w)].word));
}

/* Changes any of which explain a fault at an address just resolved: every thread's rights on
 * the key (mpk_mprotect), syncs this thread took, anything the cache did since. */
static uint32_t fault_gen(mpk_thread_t *t, uint32_t slot)
{
    return G->vkeys[slot].all_gen + atomic_load(&t->sync_gen) + (uint32_t)G->tick;
}

/* Lock held. The thread that allocated slot's key when the faulting thread never had rights to
 * it (another thread's pkey_alloc closed it here, and nothing opened it since); else 0. */
static pid_t foreign_owner(const mpk_thread_t *t, uint32_t slot)
{
    pid_t owner = G->vkeys[slot].owner;
    if (!(t->views[t->depth][slot] & MPK_UNGRANTED) || !owner || owner == atomic_load(&t->tid))
        return 0;
    return owner;
}

static int resolve(mpk_thread_t *t, siginfo_t *si, ucontext_t *uc)
{
    uintptr_t addr = (uintptr_t)si->si_addr;
    long err = uc->uc_mcontext.gregs[REG_ERR];
    bool write = err & PF_WRITE, fetch = err & PF_INSTR;
    const mpk_range_t *r;
    uint32_t slot;
    uint64_t w;
    int prot, hw;
    pid_t owner;
    sigset_t saved;

    _mpk_lock(&G->lock, &saved);
    r = mpk_ranges_find(&G->ranges, addr);
    if (!r) {
        translate_pkey(si);
        _mpk_unlock(&G->lock, &saved);
        return NOT_OURS;
    }
    slot = r->key;
    prot = r->prot;
    w = atomic_load(&G->vkeys[slot].word);
    /* The kernel's order: a key that forbids the access is reported (SEGV_PKUERR) even when
     * the page protection forbids it too; an evicted key's page faults as ACCERR, so say. */
    if (!thread_may(t, slot, write, fetch) && !(write && _mpk_wx_let_in(t, slot, si->si_addr))) {
        owner = foreign_owner(t, slot);
        _mpk_unlock(&G->lock, &saved);
        if (G->vkeys[slot].wx) { /* to the program a W^X region is RX: a write is ACCERR */
            si->si_code = SEGV_ACCERR;
            return VIOLATION;
        }
        si->si_code = SEGV_PKUERR;
        si->si_pkey = vk_number(w);
        if (!owner)
            return VIOLATION;
        /* The record says why; the fault then goes on to the program as the kernel sent it. */
        _mpk_report_foreign_fault(si, uc, owner);
        return FOREIGN;
    }
    if (!allowed_by_prot(prot, write, fetch)) {
        _mpk_unlock(&G->lock, &saved);
        si->si_code = SEGV_ACCERR;
        return VIOLATION;
    }
    /* A loop is the same fault again with nothing changed since we resolved it; a fault after
     * rights changed (mpk_mprotect, a sync) or the cache moved is new work, however often the
     * program touches the same address. */
    if (t->fault_addr == addr && t->fault_gen == fault_gen(t, slot)) {
        if (++t->fault_streak > LOOP_LIMIT) {
            _mpk_unlock(&G->lock, &saved);
            _mpk_report_fault_loop(si->si_addr, (int)vk_number(w));
            t->fault_streak = 0;
            return NOT_OURS;
        }
    } else {
        t->fault_addr = addr;
        t->fault_streak = 0;
    }
    hw = _mpk_cache_make_resident(slot, t);
    G->vkeys[slot].lru = ++G->tick;
    t->fault_gen = fault_gen(t, slot);
    _mpk_unlock(&G->lock, &saved);
    if (hw < 0) {
        if (hw == -ENOSPC) /* any other error was reported where it happened */
            _mpk_report_no_hw_key((int)vk_number(w));
        return NOT_OURS;
    }
    atomic_fetch_add(&G->n_faults_resolved, 1);
    _mpk_signal_fix_return(t, uc);
    return RESOLVED;
}

/* ---- system calls ------------------------------------------------------------------------------- */

/* Slots under [a, b) that the thread may access but whose pages it cannot reach now (a grant
 * not picked up, an evicted key, a [region] rule not yet decided): the causes of an EFAULT a
 * fault would have resolved. Collected first, since bringing keys in may change the map. */
static unsigned unreachable(mpk_thread_t *t, uintptr_t a, uintptr_t b, bool write, uint32_t *out, unsigned cap)
{
    const mpk_ranges_t *m = &G->ranges;
    uint32_t pkru = mpk_rdpkru();
    unsigned n = 0;
    for (size_t i = mpk_ranges_lower_bound(m, a); i < m->n && m->v[i].start < b && n < cap; i++) {
        uint32_t slot = m->v[i].key;
        int hw = vk_hw(atomic_load(&G->vkeys[slot].word));
        if (!allowed_by_prot(m->v[i].prot, write, false))
            continue;
        if (!thread_may(t, slot, write, false))
            continue;
        if (hw && allowed_by_rights(mpk_pkru_bits(pkru, hw), write, false))
            continue;
        out[n++] = slot;
    }
    return n;
}

bool _mpk_fault_for_syscall(const void *addr, size_t len, bool write)
{
    uintptr_t a = (uintptr_t)addr, b;
    uint32_t slots[MPK_HW_KEYS], gen;
    unsigned n, changed = 0;
    mpk_thread_t *t;
    sigset_t saved;
    if (!_mpk_in_play() || !len || __builtin_add_overflow(a, len, &b) || !(t = _mpk_thread()))
        return false;
    gen = atomic_load(&t->sync_gen);
    _mpk_lock(&G->lock, &saved);
    n = unreachable(t, a, b, write, slots, MPK_HW_KEYS);
    for (unsigned i = 0; i < n; i++)
        changed += _mpk_cache_make_resident(slots[i], t) > 0;
    _mpk_unlock(&G->lock, &saved);
    _mpk_leave_with(t, gen, _mpk_pkru_derive(t, t->depth, mpk_rdpkru()));
    return changed > 0;
}

/* What to do with a SIGSEGV: resolve it, or hand it to the program. */
static void handle(mpk_thread_t *t, int sig, siginfo_t *si, ucontext_t *uc)
{
    int r = NOT_OURS;
    if (mpk_unlikely(!G)) { /* a boot that failed, caught between install and undo */
        _mpk_signal_deliver_default(sig, si);
        return;
    }
    if (!_mpk_signal_is_fault(sig, si)) { /* sent (kill, raise, sigqueue): no fault data in it */
        _mpk_signal_arrived(sig, si, uc);
        return;
    }
    if (_mpk_sealed.meta_mask && (si->si_code == SEGV_ACCERR || si->si_code == SEGV_PKUERR)) {
        if (si->si_code == SEGV_PKUERR && si->si_pkey == (uint32_t)_mpk_sealed.meta_hw) {
            r = metadata_fault(si, uc);
            if (r == VIOLATION) {
                _mpk_signal_deliver_default(sig, si);
                return;
            }
        } else if (t && !t->lock_held) {
            r = resolve(t, si, uc);
        } else if (t) {
            _mpk_report_internal_fault(si->si_addr);
        }
        if (r == RESOLVED)
            return;
        if (r == VIOLATION) /* FOREIGN was reported as foreign_thread_fault */
            _mpk_report_violation(si, uc);
    }
    _mpk_signal_deliver(sig, si, uc);
}

/* The kernel runs this with the sync signal blocked (core/signals.c installs it so): no second
 * signal frame lands on this stack, which may be a program's small alternate stack. */
void _mpk_fault_handler(int sig, siginfo_t *si, void *ucv)
{
    mpk_thread_t *t = NULL;
    if (G && _mpk_sealed.meta_mask) {
        _mpk_meta_open();
        t = _mpk_thread();
    }
    if (t)
        _mpk_sync_enter_fault(t);
    handle(t, sig, si, ucv);
    if (t)
        _mpk_sync_leave_fault(t);
}
