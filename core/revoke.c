/* core/revoke.c: mpk_mprotect's work: every thread's rights on a key at once (design.md §5).
 * Grants are lazy (each thread picks them up at its next access, through the fault handler);
 * revocations are complete on return, by whichever is cheaper here: signalling the threads that
 * have the key open, or one page-table change that moves the key's pages to a hardware key
 * every thread has closed. */
#include "core/revoke.h"

#include "core/cache.h"
#include "core/report.h"
#include "core/sync.h"
#include "core/thread.h"

#include <errno.h>
#include <unistd.h>

/* Costs on this machine kind (design.md §10): a signal round trip is ~7 us per thread while the
 * threads fit on the CPUs, and far worse once they queue behind each other (over 1 ms for 4 busy
 * threads on 2 cores); a page-table change of a group is ~1 us plus ~40 ns per page. */
#define SIGNAL_US 7.0
#define QUEUED_FACTOR 10.0
#define RETAG_US 1.0
#define RETAG_PAGE_US 0.04

static unsigned open_in_others(int hw, const mpk_thread_t *self)
{
    unsigned n = 0;
    uint32_t hwm = atomic_load(&G->threads_hwm);
    for (uint32_t i = 0; i < hwm; i++) {
        const mpk_thread_t *t = &G->threads[i];
        if (t != self && atomic_load(&t->state) == T_LIVE && atomic_load(&t->tid) &&
            (atomic_load(&t->open_mask) & (1u << hw)))
            n++;
    }
    return n;
}

bool _mpk_revoke_by_signal(unsigned threads, size_t bytes)
{
    double signals = SIGNAL_US * threads;
    double retag = RETAG_US + RETAG_PAGE_US * (double)(bytes / 4096);
    if (threads > G->ncpus)
        signals *= QUEUED_FACTOR;
    return signals < retag;
}

/* Is thread t inside an mpk_begin section on slot at depth d? Its section keeps its rights. */
static bool in_section(const mpk_thread_t *t, uint32_t slot, unsigned d)
{
    uint32_t n = atomic_load_explicit(&t->n_sections, memory_order_acquire);
    for (uint32_t i = 0; i < n; i++)
        if (t->sections[i].slot == slot && t->sections[i].depth == d)
            return true;
    return false;
}

void _mpk_views_set_all(uint32_t slot, unsigned rights)
{
    uint32_t hwm = atomic_load(&G->threads_hwm);
    for (uint32_t i = 0; i < hwm; i++) {
        mpk_thread_t *t = &G->threads[i];
        if (atomic_load(&t->state) == T_FREE)
            continue;
        for (unsigned d = 0; d < MPK_MAX_DEPTH; d++)
            if (t->views[d] && !in_section(t, slot, d))
                t->views[d][slot] = (uint8_t)rights;
    }
}

/* One page-table change takes every thread's access away at once: slot's pages move onto a
 * hardware key every other thread has closed, or, with none, to no access (faults bring them
 * back). A pinned key moves too when signals could not do it: the revocation comes first. 0, or
 * the kernel's negative errno when the re-tag failed (slot then stays where it was). */
static int retag_away(uint32_t slot, mpk_thread_t *self)
{
    int to = _mpk_cache_take_clean(self);
    atomic_fetch_add(&G->n_retag_revocations, 1);
    if (to)
        return _mpk_cache_move(slot, to, self);
    return _mpk_cache_evict(slot) < 0 ? -EIO : 0;
}

static void take_away(uint32_t slot, int hw, mpk_thread_t *self)
{
    static const char fallback[] = "the key's pages are re-tagged off that hardware key";
    unsigned n = open_in_others(hw, self);
    if (!n)
        return; /* every other thread has it closed already */
    atomic_fetch_add(&G->n_revocations, 1);
    /* By signal where cheaper; where a thread does not answer, by re-tag after all. */
    if ((G->vkeys[slot].pinned || _mpk_revoke_by_signal(n, G->vkeys[slot].bytes)) &&
        !_mpk_sync(1u << hw, self, fallback))
        return;
    if (!retag_away(slot, self))
        return;
    /* The re-tag failed (reported): signals take the rights away instead, where they can. */
    if (_mpk_sync(1u << hw, self, "and re-tagging failed: the revocation is incomplete"))
        _mpk_report_failed("revocation (a thread blocks the sync signal, and re-tagging failed)",
                           -EAGAIN);
}

int _mpk_set_all_locked(uint32_t slot, unsigned rights, mpk_thread_t *self)
{
    mpk_vkey_t *k = &G->vkeys[slot];
    int hw = vk_hw(atomic_load(&k->word));
    /* mpk_begin and mpk_end change a thread's sections and view without the lock; the sequence
     * word is their handshake with us (core/section.c says how). Odd first, with a locked
     * add, so that our reads of their sections come after they can see it; the views before
     * the new generation, so that a section that records the new generation saw the new
     * views. */
    atomic_fetch_add(&k->all_seq, 1);
    k->all_rights = (uint8_t)rights;
    _mpk_views_set_all(slot, rights);
    atomic_fetch_add_explicit(&k->all_gen, 1, memory_order_release);
    atomic_fetch_add_explicit(&k->all_seq, 1, memory_order_release);
    if (hw && (rights & (MPK_AD | MPK_WD)))
        take_away(slot, hw, self);
    return 0;
}

void _mpk_revoke_boot(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    G->ncpus = n > 0 ? (unsigned)n : 1;
}
