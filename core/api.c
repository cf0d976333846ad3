/* core/api.c: the libmpk API (include/mpk.h) on the manager: groups, thread-local sections
 * (mpk_begin/mpk_end), rights for every thread (mpk_mprotect) and the per-key heap. Each call
 * is a thin layer: arguments checked, errno set, the work done by the parts of core. */
#include "mpk.h"

#include "core/core.h"
#include "core/heap.h"
#include "core/memory.h"
#include "core/report.h"
#include "core/revoke.h"
#include "core/section.h"
#include "core/thread.h"
#include "core/vkey.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/mman.h>

/* The preload starts the manager with the config's settings; linked alone (unit tests), the
 * defaults do. */
bool _mpk_preload_up(void) __attribute__((weak));

static bool up(void)
{
    if (G)
        return true;
    return _mpk_preload_up ? _mpk_preload_up() : _mpk_boot(NULL) == 0;
}

static int fail(int err)
{
    errno = err;
    return -1;
}

/* mmap protections as rights; -1 for anything else. */
static int prot_rights(int prot)
{
    switch (prot) {
    case PROT_NONE: return MPK_AD;
    case PROT_READ: return MPK_WD;
    case PROT_READ | PROT_WRITE: return 0;
    default: return -1;
    }
}

/* The caller's record and a live key's slot, with the manager active; 0 and errno set if not. */
static uint32_t live_slot(int vkey, mpk_thread_t **t)
{
    uint32_t slot;
    if (!up()) {
        errno = ENOTSUP;
        return 0;
    }
    *t = _mpk_thread();
    if (!*t) {
        errno = ENOMEM;
        return 0;
    }
    slot = _mpk_in_play() ? _mpk_vkey_slot(vkey, NULL) : 0;
    if (!slot) {
        _mpk_leave(*t, atomic_load(&(*t)->sync_gen));
        errno = EINVAL;
    }
    return slot;
}

/* ---- start-up --------------------------------------------------------------------------------- */

MPK_EXPORT int mpk_init(int evict_rate)
{
    int r;
    /* The paper's API took an eviction rate; libmpk evicts one key per miss whatever it is
     * (a miss here costs two page-table changes, not a batch): accepted, range-checked. */
    if (evict_rate < -1 || evict_rate > 100)
        return fail(EINVAL);
    if (!up())
        return fail(ENOTSUP);
    r = _mpk_activate();
    return r ? fail(-r) : 0;
}

/* ---- groups ------------------------------------------------------------------------------------ */

MPK_EXPORT void *mpk_mmap(int vkey, void *addr, size_t len, int prot, int flags, int fd, off_t offset)
{
    mpk_thread_t *t;
    long p;
    int r;
    if (!live_slot(vkey, &t))
        return MAP_FAILED;
    _mpk_leave(t, atomic_load(&t->sync_gen));
    p = _mpk_mmap(addr, len, prot, flags, fd, offset);
    if (mpk_sys_failed(p)) {
        errno = (int)-p;
        return MAP_FAILED;
    }
    r = _mpk_pkey_mprotect((void *)p, len, prot, vkey);
    if (r) {
        _mpk_munmap((void *)p, len);
        errno = -r;
        return MAP_FAILED;
    }
    return (void *)p;
}

MPK_EXPORT int mpk_munmap(int vkey)
{
    mpk_thread_t *t;
    uint32_t slot = live_slot(vkey, &t), gen;
    sigset_t saved;
    int r = 0;
    if (!slot)
        return -1;
    gen = atomic_load(&t->sync_gen);
    _mpk_lock(&G->lock, &saved);
    if (_mpk_vkey_slot(vkey, NULL) != slot) {
        r = -EINVAL; /* freed meanwhile by another thread */
    } else {
        mpk_ranges_t *m = &G->ranges;
        for (size_t i = 0; i < m->n && !r;) {
            if (m->v[i].key == slot)
                r = _mpk_memory_unmap_locked((void *)m->v[i].start, m->v[i].end - m->v[i].start);
            else
                i++;
        }
        if (!r)
            r = _mpk_key_free_locked(slot, vkey);
    }
    _mpk_unlock(&G->lock, &saved);
    _mpk_leave_with(t, gen, _mpk_pkru_derive(t, t->depth, mpk_rdpkru()));
    return r ? fail(-r) : 0;
}

/* ---- sections ------------------------------------------------------------------------------------ */

MPK_EXPORT int mpk_begin(int vkey, int prot)
{
    int rights = prot_rights(prot), r;
    mpk_thread_t *t;
    uint32_t slot;
    if (rights < 0)
        return fail(EINVAL);
    if (!(slot = live_slot(vkey, &t)))
        return -1;
    r = _mpk_section_push(t, slot);
    if (r) {
        _mpk_leave(t, atomic_load(&t->sync_gen));
        return fail(-r);
    }
    /* The rights, and the key brought onto a hardware key now (as pkey_set, without finding
     * the thread and the slot again). */
    r = _mpk_rights_set(t, slot, (uint32_t)vkey, (unsigned)rights);
    if (r) {
        _mpk_bad_key("mpk_begin", vkey, NULL); /* freed by another thread meanwhile */
        _mpk_meta_open();
        _mpk_section_drop(t);
        _mpk_leave(t, atomic_load(&t->sync_gen));
        return fail(-r);
    }
    return 0;
}

MPK_EXPORT int mpk_end(int vkey)
{
    mpk_thread_t *t;
    mpk_section_t s;
    uint32_t slot = live_slot(vkey, &t), seq;
    int r;
    if (!slot)
        return -1;
    if (_mpk_section_pop(t, slot, &s)) {
        _mpk_leave(t, atomic_load(&t->sync_gen));
        return fail(EINVAL); /* no mpk_begin on this key in this thread */
    }
    /* What the thread had, unless mpk_mprotect gave every thread new rights meanwhile; again
     * if one did so while we wrote. */
    r = _mpk_rights_set(t, slot, (uint32_t)vkey, _mpk_section_restore(&s, &seq));
    while (mpk_unlikely(!r && _mpk_section_moved(slot, seq))) {
        _mpk_meta_open(); /* the write before closed it */
        r = _mpk_rights_set(t, slot, (uint32_t)vkey, _mpk_section_restore(&s, &seq));
    }
    if (r)
        _mpk_bad_key("mpk_end", vkey, NULL);
    return r ? fail(EINVAL) : 0;
}

/* ---- every thread ---------------------------------------------------------------------------------- */

MPK_EXPORT int mpk_mprotect(int vkey, int prot)
{
    int rights = prot_rights(prot), r;
    mpk_thread_t *t;
    uint32_t slot, gen;
    sigset_t saved;
    if (rights < 0)
        return fail(EINVAL);
    if (!(slot = live_slot(vkey, &t)))
        return -1;
    gen = atomic_load(&t->sync_gen);
    _mpk_lock(&G->lock, &saved);
    r = _mpk_vkey_slot(vkey, NULL) == slot ? _mpk_set_all_locked(slot, (unsigned)rights, t) : -EINVAL;
    _mpk_unlock(&G->lock, &saved);
    _mpk_leave_with(t, gen, _mpk_pkru_derive(t, t->depth, mpk_rdpkru()));
    return r ? fail(-r) : 0;
}

/* ---- the per-key heap ------------------------------------------------------------------------------ */

MPK_EXPORT void *mpk_malloc(int vkey, size_t size)
{
    mpk_thread_t *t;
    uint32_t slot = live_slot(vkey, &t), gen;
    sigset_t saved;
    void *p = NULL;
    int r;
    if (!slot)
        return NULL;
    gen = atomic_load(&t->sync_gen);
    _mpk_lock(&G->lock, &saved);
    r = _mpk_vkey_slot(vkey, NULL) == slot ? _mpk_heap_alloc(t, slot, size, &p) : -EINVAL;
    _mpk_unlock(&G->lock, &saved);
    _mpk_leave_with(t, gen, _mpk_pkru_derive(t, t->depth, mpk_rdpkru()));
    if (r) {
        errno = -r;
        return NULL;
    }
    return p;
}

MPK_EXPORT void mpk_free(void *ptr)
{
    mpk_thread_t *t;
    uint32_t gen;
    sigset_t saved;
    int r;
    if (!ptr || !up() || !(t = _mpk_thread()))
        return;
    gen = atomic_load(&t->sync_gen);
    _mpk_lock(&G->lock, &saved);
    r = _mpk_heap_free(ptr);
    _mpk_unlock(&G->lock, &saved);
    _mpk_leave_with(t, gen, _mpk_pkru_derive(t, t->depth, mpk_rdpkru()));
    if (r) {
        mpk_event_t ev = {.kind = MPK_EV_BAD_KEY, .op = "mpk_free", .key = -1, .addr = ptr,
                          .what = "mpk_free of a pointer mpk_malloc did not return (ignored)"};
        _mpk_report(&ev);
    }
}
