/* core/section.c: mpk_begin/mpk_end sections without the lock, and their handshake with
 * _mpk_set_all_locked (mpk_mprotect), which rewrites every thread's view of a key but skips
 * threads inside a section on it.
 *
 * The race: a section records the rights to restore (the thread's view, and the key's count of
 * mpk_mprotect calls) while another thread's mpk_mprotect may be rewriting views. Left alone,
 * that call can miss the new section and overwrite the section's rights, or mpk_end can read
 * the count just before a call and restore rights that call took away. The handshake uses the
 * key's all_seq, odd while a call rewrites views, and a full fence (one locked instruction on
 * x86) on each side, so that of a store on one side and a later load on the other, at least one
 * sees the other's store:
 *  - push: record, publish (entries, then the count), fence, then wait until all_seq is even.
 *    A call that started before the fence may have missed the section, but it has finished when
 *    we go on, and either we recorded the view it wrote or it moved all_gen after we read it
 *    (so mpk_end restores its rights either way); a call that starts after the fence sees the
 *    section.
 *  - pop: unpublish, wait for even, read what to restore; the caller writes it, and after a
 *    fence we check all_seq. If it moved, a call ran that may have seen the section or written
 *    the view before us: read and write again. A call that starts after the check no longer
 *    sees the section, and its write comes after ours. One fence each, as many as the locked
 *    counter these calls kept before. */
#include "core/section.h"

#include "core/lock.h"
#include "core/meta.h"

#include <errno.h>
#include <sched.h>

/* all_seq once no mpk_mprotect of the key is rewriting views. The rewrite is a loop over the
 * thread records under the lock: spin briefly, then give the CPU to its thread. */
static uint32_t settled_seq(const mpk_vkey_t *k)
{
    uint32_t seq;
    for (unsigned spins = 0; (seq = atomic_load(&k->all_seq)) & 1; spins++) {
        if (spins < 256)
            __builtin_ia32_pause();
        else
            sched_yield();
    }
    return seq;
}

int _mpk_section_push(mpk_thread_t *t, uint32_t slot)
{
    mpk_vkey_t *k = &G->vkeys[slot];
    uint32_t n = atomic_load_explicit(&t->n_sections, memory_order_relaxed);
    mpk_section_t *s;
    if (!t->sections)
        t->sections = _mpk_meta_alloc(sizeof(mpk_section_t) * MPK_MAX_SECTIONS);
    if (!t->sections || n == MPK_MAX_SECTIONS)
        return -ENOMEM;
    s = &t->sections[n];
    s->slot = slot;
    s->depth = (uint8_t)t->depth;
    /* The count first: a call whose new count we see wrote its views before it. */
    s->all_gen = atomic_load_explicit(&k->all_gen, memory_order_acquire);
    s->saved = t->views[t->depth][slot] & MPK_RIGHTS_MASK; /* rights given now: no longer ungranted */
    atomic_store_explicit(&t->n_sections, n + 1, memory_order_release);
    atomic_thread_fence(memory_order_seq_cst);
    settled_seq(k);
    return 0;
}

void _mpk_section_drop(mpk_thread_t *t)
{
    uint32_t n = atomic_load_explicit(&t->n_sections, memory_order_relaxed);
    atomic_store_explicit(&t->n_sections, n - 1, memory_order_release);
}

/* Sections usually end innermost first: that is one store. Otherwise the later ones move
 * down a place, under the lock, because a concurrent mpk_mprotect walking the array must never
 * see a section missing halfway through the move. Signals are blocked under the lock, so no
 * handler of this thread can be inside mpk_end meanwhile. */
static void unpublish(mpk_thread_t *t, uint32_t i, uint32_t n)
{
    sigset_t saved;
    if (i + 1 == n) {
        atomic_store_explicit(&t->n_sections, n - 1, memory_order_release);
        return;
    }
    _mpk_lock(&G->lock, &saved);
    for (; i + 1 < n; i++)
        t->sections[i] = t->sections[i + 1];
    atomic_store_explicit(&t->n_sections, n - 1, memory_order_release);
    _mpk_unlock(&G->lock, &saved);
}

int _mpk_section_pop(mpk_thread_t *t, uint32_t slot, mpk_section_t *s)
{
    uint32_t n = atomic_load_explicit(&t->n_sections, memory_order_relaxed), i;
    for (i = n; i > 0 && t->sections[i - 1].slot != slot; i--)
        ;
    if (i == 0)
        return -EINVAL;
    *s = t->sections[i - 1];
    unpublish(t, i - 1, n);
    return 0;
}

unsigned _mpk_section_restore(const mpk_section_t *s, uint32_t *seq)
{
    const mpk_vkey_t *k = &G->vkeys[s->slot];
    *seq = settled_seq(k);
    if (atomic_load_explicit(&k->all_gen, memory_order_acquire) == s->all_gen)
        return s->saved;
    return k->all_rights;
}

bool _mpk_section_moved(uint32_t slot, uint32_t seq)
{
    atomic_thread_fence(memory_order_seq_cst); /* our view write before the reread */
    return atomic_load(&G->vkeys[slot].all_seq) != seq;
}

uint32_t _mpk_sections_hw_mask(void)
{
    uint32_t mask = 0, hwm = atomic_load(&G->threads_hwm);
    for (uint32_t i = 0; i < hwm; i++) {
        const mpk_thread_t *t = &G->threads[i];
        uint32_t n = atomic_load_explicit(&t->n_sections, memory_order_acquire);
        if (atomic_load(&t->state) != T_LIVE)
            continue;
        for (uint32_t j = 0; j < n; j++)
            mask |= 1u << vk_hw(atomic_load(&G->vkeys[t->sections[j].slot].word));
    }
    return mask & ~1u;
}
