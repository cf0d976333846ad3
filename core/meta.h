/* core/meta.h: the metadata arena and its gates. All manager state lives in pages that carry
 * a dedicated hardware key, write-disabled outside the library (design.md §6); every entry
 * point opens the key on the way in and closes it on the way out. */
#ifndef MPK_CORE_META_H
#define MPK_CORE_META_H

#include "core/prim.h"
#include "core/ranges.h"

/* Values fixed when the manager starts; kept in one page that is sealed read-only once the
 * metadata key exists, so the program cannot redirect the library to forged state. */
typedef struct mpk_sealed {
    struct mpk_state *state; /* everything else, inside the arena */
    int pku;                 /* CPU and kernel have PKU */
    int in_play;             /* set once, when the program first allocates a key */
    int meta_hw;             /* hardware key of the arena, 0 before activation */
    uint32_t meta_mask;      /* 3 << 2*meta_hw: both bits of the metadata key */
    uint32_t meta_closed;    /* the bits outside the library: write-disabled */
    uint32_t meta_ad;        /* the metadata key's access-disable bit: set, the arena is unreadable */
    void *arena;             /* the arena's control block (core/meta.c) */
    unsigned xsave_pkru;     /* offset of PKRU in a signal frame's XSAVE area */
    uintptr_t text_lo, text_hi; /* the library's code: a metadata fault from there is ours */
    sigset_t lock_blocked;   /* signals blocked while the manager lock is held */
    unsigned exit_key;       /* pthread key whose destructor tells us a thread ended */
    int exit_key_ok;
    void *real[5];           /* the preload's next definitions (pthread_create, ...) */
    void *real_io[32];       /* ... and of the calls that copy to or from a buffer (preload/io.c) */
    int wx_enable, wx_rwx;   /* copies of the W^X settings for paths that run before the
                                metadata key is open (the arena may not be readable yet) */
} mpk_sealed_t;

/* Padded to a page of its own, so that sealing it read-only touches nothing else. */
typedef union mpk_sealed_page {
    mpk_sealed_t s;
    char page[4096];
} mpk_sealed_page_t;

extern mpk_sealed_page_t _mpk_sealed_page;
#define _mpk_sealed (_mpk_sealed_page.s)

/* The PKRU saved in a signal frame (see mpk_uc_pkru_at), at the offset found at boot. */
static inline uint32_t *mpk_uc_pkru(ucontext_t *uc) { return mpk_uc_pkru_at(uc, _mpk_sealed.xsave_pkru); }

/* Open the metadata key for this thread (one WRPKRU; none if it is open already). Closing is
 * in core/thread.h, because the close must also catch a cross-thread sync that lands between
 * its RDPKRU and WRPKRU. */
static inline void _mpk_meta_open(void)
{
    uint32_t pkru;
    if (!_mpk_sealed.meta_mask)
        return;
    pkru = mpk_rdpkru();
    if (pkru & _mpk_sealed.meta_mask)
        mpk_wrpkru(pkru & ~_mpk_sealed.meta_mask);
}

/* The arena. _mpk_meta_alloc is lock-free and async-signal-safe (a bump pointer over chunks
 * that are never returned); memory is zeroed and 64-byte aligned. NULL when the system is out
 * of memory. */
void *_mpk_meta_alloc(size_t bytes);

/* Growable blocks for the range map (called with the manager lock held). */
extern const mpk_alloc_t _mpk_meta_grow_alloc;

/* Tag every arena chunk (present and future) with hardware key hw. 0 or -errno. */
int _mpk_meta_protect(int hw);

/* Seal the page holding _mpk_sealed read-only (after activation). */
void _mpk_meta_seal(void);

#endif
