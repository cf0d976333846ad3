/* core/state.h: the manager's data: virtual-key slots, the hardware-key table, the thread
 * registry and the settings, all inside the metadata arena. One header because every core
 * file reads these; the operations live in the file named for each part. */
#ifndef MPK_CORE_STATE_H
#define MPK_CORE_STATE_H

#include "core/lock.h"
#include "core/meta.h"
#include "core/ranges.h"
#include "policy/defaults.h" /* the settings' enums (MPK_EVICT_*, ...) and defaults */

#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>

/* ---- settings (filled from the policy by the preload, defaults otherwise) ---------------- */

typedef struct mpk_settings {
    unsigned max_keys;    /* live virtual keys at most (pkey_alloc then fails with ENOSPC) */
    unsigned hw_budget;   /* hardware keys the manager may hold for virtual keys, 0 = all */
    int evict;            /* MPK_EVICT_LRU or MPK_EVICT_RANDOM (none: virtualize = 0) */
    uint32_t pins;        /* key numbers (bit n = key n, 1..15) kept on their own hardware key */
    int on_free_in_use;   /* MPK_FREE_* */
    int on_bad_key_abort; /* a call on a key that is not allocated aborts the process */
    int sync_signal;      /* reserved for cross-thread synchronisation */
    int new_key;          /* MPK_NEW_KEY_*: which threads get a new key's initial rights */
    int on_remap;         /* MPK_REMAP_*: a fresh mapping over a live key's pages keeps the key */
    int self_write;       /* MPK_SELF_WRITE_*: opening /proc/self/mem for writing and
                             process_vm_writev on this process (core/selfwrite.c) */
    int sealed;           /* MPK_SEALED_*: the program's own mprotect, mremap, madvise of the
                             pages of its keys (core/seal.c) */
    int numbers;          /* MPK_NUMBERS_*: whether a freed key's number comes back (core/vkey.c) */
    int virtualize;       /* 0: part-1 semantics, pkey_alloc fails once hardware keys run out */
    int wx_enable;        /* [wx]: turn RW<->RX mprotect flips into thread-local rights */
    int wx_cross_allow;   /* writes by other threads during a window: let through (reported) */
    int wx_rwx;           /* mappings asked for RWX at once: MPK_WX_RWX_* */
    size_t wx_min_size;   /* convert only regions at least this large */
    /* Whether [start, end) may be converted (private, and matching [wx] file); NULL: any
     * private mapping. Sets *why to a reason when not. Called with the lock held. */
    bool (*wx_eligible)(uintptr_t start, uintptr_t end, const char **why);
    /* [region NAME] rules (core/region.c). region_match: the rule a new mapping falls under,
     * 1..MPK_MAX_REGIONS, or 0. region_rights: what the calling thread may do under rule r now
     * (MPK_AD, MPK_WD or 0), from its name. Both called with the lock held, from any context. */
    unsigned nregions;
#define MPK_MAX_REGIONS 64
    unsigned (*region_match)(uintptr_t start, size_t len, int prot, int flags, int fd);
    unsigned (*region_rights)(unsigned rule);
    uint8_t region_sealed[MPK_MAX_REGIONS + 1]; /* MPK_SEALED_* of rule r (1..64) */
    uint8_t any_region_sealed;                  /* one of them is not MPK_SEALED_NO */
    const char *(*region_name)(unsigned rule);  /* rule r's NAME, for records */
} mpk_settings_t;

void _mpk_settings_default(mpk_settings_t *s);

/* ---- virtual keys ------------------------------------------------------------------------
 * A key number is gen * max_slots + slot: a slot is reused after its key dies, a number never
 * is. The word packs what lock-free readers (pkey_set, the fault handler) need in one load. */
enum { VK_FREE = 0, VK_LIVE = 1, VK_ZOMBIE = 2 }; /* zombie: freed, but pages still carry it */

typedef struct mpk_vkey {
    _Atomic uint64_t word; /* number | state << 32 | hw << 40 (hw 0: evicted) */
    uint32_t gen;          /* generation of the slot's next number */
    uint8_t pinned;       /* by the config (pin =): never evicted */
    uint8_t all_rights;   /* what the last mpk_mprotect gave every thread */
    uint8_t to_all;       /* allocated under new_key = all_threads: threads we had not seen
                             then (started before libmpk was in play) get all_rights too */
    _Atomic uint32_t all_gen; /* mpk_mprotect calls so far: mpk_end restores these rights if newer */
    /* Odd while an mpk_mprotect rewrites every thread's view of this key: mpk_begin and mpk_end,
     * which run without the lock, wait it out and check it did not move under them (section.c). */
    _Atomic uint32_t all_seq;
    size_t bytes; /* tracked bytes that carry the key: a freed key lives on while this is > 0 */
    uint64_t lru; /* manager tick of the last use; a benign race when threads update it */
    struct mpk_heap *heap; /* mpk_malloc's heap in this key's group, or NULL */
    uint8_t wx;              /* the key of a W^X region (core/wx.c), not the program's */
    uint8_t region;          /* 1..64: the key of a [region] rule (core/region.c), not the program's */
    _Atomic pid_t wx_opener; /* the thread whose write window is open, 0 if none */
    _Atomic uint32_t wx_crossed; /* another thread was let in during the window */
    pid_t owner;             /* the thread whose pkey_alloc made it; 0 for the library's own */
} mpk_vkey_t;
/* A power of two: indexing the slots stays one shift on the hot paths (bench/count). */
_Static_assert(sizeof(mpk_vkey_t) == 64, "mpk_vkey_t grew past 64 bytes");

static inline uint32_t vk_number(uint64_t w) { return (uint32_t)w; }
static inline unsigned vk_state(uint64_t w) { return (unsigned)(w >> 32) & 0xff; }
static inline int vk_hw(uint64_t w) { return (int)(w >> 40) & 0xff; }
static inline uint64_t vk_word(uint32_t number, unsigned state, int hw)
{
    return number | (uint64_t)state << 32 | (uint64_t)(unsigned)hw << 40;
}

/* ---- hardware keys -----------------------------------------------------------------------
 * One word per hardware key: who holds it. Read lock-free by signal handlers. */
enum { HW_NOT_OURS = 0, HW_META = 1, HW_SPARE = 2, HW_ASSIGNED = 3 };
static inline unsigned hw_kind(uint32_t w) { return w & 0xff; }
static inline uint32_t hw_slot(uint32_t w) { return w >> 8; }
static inline uint32_t hw_word(unsigned kind, uint32_t slot) { return kind | slot << 8; }

/* ---- threads ----------------------------------------------------------------------------- */
#define MPK_MAX_DEPTH 8      /* nesting of program signal handlers with a view of their own */
#define MPK_MAX_THREADS 32768

enum { T_FREE = 0, T_RESERVED = 1, T_LIVE = 2 };

#define MPK_UNGRANTED 4u /* in a view byte: see mpk_thread below */

/* A view holds one byte of rights (MPK_AD/MPK_WD bits) per slot: the thread's rights at one
 * signal depth; MPK_UNGRANTED beside MPK_AD marks a key another thread allocated, closed here
 * by the kernel's rule and never opened since (foreign_thread_fault; readers mask it off). views[0] is the thread's own; views[d] belongs to the d-th nested handler,
 * which starts with every key closed (the kernel's rule) and is dropped when it returns. */
typedef struct mpk_thread {
    _Atomic uint32_t state;
    _Atomic pid_t tid;     /* 0 until the thread runs */
    uintptr_t tp;          /* its thread pointer (fs base): identity check for the TLS pointer */
    uint32_t depth;        /* signal handlers of the program currently running in it */
    uint8_t *views[MPK_MAX_DEPTH];
    uintptr_t frame_uc[MPK_MAX_DEPTH]; /* each level's signal frame: finds levels left by longjmp */
    _Atomic uint32_t open_mask; /* hardware keys it may have open at some depth */
    _Atomic uint32_t sync_gen;  /* bumped by every sync handled: see _mpk_leave */
    _Atomic uint32_t ack;       /* 1 while a sync waits for this thread */
    _Atomic uint32_t in_fault;  /* in the SIGSEGV handler, sync signal blocked: syncs do not wait */
    _Atomic uint32_t sync_missed; /* a sync signal was left pending meanwhile */
    _Atomic uint32_t silent_mask; /* hardware keys a sync gave up on it for: maybe still open */
    uint32_t fault_streak;      /* consecutive resolved faults at fault_addr: loop guard */
    uint32_t fault_gen;         /* what had changed by the last resolution (fault.c) */
    uintptr_t fault_addr;
    uint32_t lock_held;         /* MPK_LOCK_*: kept by core/lock.c; a fault now is the library's bug */
    uint64_t deferred;          /* bit sig-1: signals deferred while the lock was held */
    uint32_t exit_hook_pending; /* registered where pthread_setspecific was unsafe (thread.c) */
    void *(*start)(void *);     /* pthread_create hand-off: what the child runs */
    void *start_arg;
    struct mpk_section *sections; /* mpk_begin sections open in this thread (stack), or NULL */
    _Atomic uint32_t n_sections;  /* read by other threads' mpk_mprotect: entries filled first */
} mpk_thread_t;

/* An mpk_begin section: the rights to restore at mpk_end, unless an mpk_mprotect came since. */
typedef struct mpk_section {
    uint32_t slot;
    uint32_t all_gen;
    uint8_t saved;
    uint8_t depth;
} mpk_section_t;
#define MPK_MAX_SECTIONS 256

/* The program's disposition of a signal, kept by the library (the kernel holds a wrapper). */
typedef struct mpk_sigslot {
    _Atomic uintptr_t handler; /* SIG_DFL, SIG_IGN or the function */
    int flags;
    sigset_t mask;
} mpk_sigslot_t;
#define MPK_NSIG 65

/* Pages a live key tagged until the program unmapped them: a later mmap there at the program's
 * request is a re-mapping of that key's memory (core/remap.c). */
typedef struct mpk_hole {
    uintptr_t start, end;
    uint32_t slot, number; /* number tells a slot reused by another key since */
    int prot;              /* the protection the map held for it */
} mpk_hole_t;
#define MPK_REMAP_HOLES 64

/* ---- the manager ------------------------------------------------------------------------- */
typedef struct mpk_state {
    mpk_settings_t cfg;
    uint32_t max_slots; /* power of two */
    uint32_t slot_mask;
    mpk_lock_t lock;
    mpk_vkey_t *vkeys;        /* [max_slots] */
    uintptr_t *alloc_pc;      /* [max_slots]: the code that called pkey_alloc for the slot's key
                                 (keys_exceeded names who holds keys); 0 for libmpk's own */
    uint32_t *free_slots;     /* retired slots, a stack of n_free_slots */
    uint32_t n_free_slots;
    uint32_t next_fresh;      /* slots from here up were never used */
    _Atomic uint32_t slot_hwm; /* slots in [slot_hwm, max_slots) were never used */
    uint32_t live_keys;
    _Atomic uint32_t hw[MPK_HW_KEYS];
    uint32_t hw_held;         /* hardware keys we hold for virtual keys (not the metadata key) */
    _Atomic uint32_t raw_keys; /* bit k: the program holds hardware key k from syscall(SYS_pkey_alloc) */
    uintptr_t raw_pc[MPK_HW_KEYS]; /* the code that took each (keys_exceeded names it) */
    /* The kernel had no key to give when last asked, with exec_only_maybe as it is in
     * kernel_dry - 1: a miss then takes a spare or evicts without asking it again (two failed
     * system calls a miss). Cleared when a key goes back to the kernel through us. */
    int kernel_dry;
    int exec_only_maybe;      /* the program asked for PROT_EXEC-only memory: the kernel's
                                 execute-only key may be taken, no need to leave one free */
    uint64_t tick;
    mpk_ranges_t ranges;
    mpk_thread_t *threads;    /* [MPK_MAX_THREADS] */
    _Atomic uint32_t threads_hwm;
    _Atomic uint32_t sync_waiting; /* acknowledgements still expected by the current sync */
    mpk_sigslot_t sigs[MPK_NSIG];
    uint64_t sigs_set;             /* bit n: the program set signal n's disposition through us */
    sigset_t fork_saved;           /* the forking thread's mask, across pthread_atfork */
    uint64_t rng;
    void *probe_page;         /* a page of its own to ask the kernel whether a key is allocated */
    /* counters, reported by tools and tests */
    _Atomic uint64_t n_evictions, n_swapins, n_faults_resolved, n_syncs, n_sync_signals;
    _Atomic uint64_t n_revocations, n_retag_revocations;
    unsigned ncpus;
    void *heap_free_chunks, *heap_free_heaps; /* recycled mpk_malloc records (core/heap.c) */
    void *verify_scratch;         /* core/verify.c's working space */
    struct mpk_wx_unit *wx_units; /* converted W^X regions, sorted (core/wx.c) */
    size_t wx_n, wx_cap;
    _Atomic uint32_t wx_seq;      /* odd while wx_units changes: lock-free readers retry */
    _Atomic uint64_t n_wx_flips, n_wx_conversions;
    uint32_t region_slot[MPK_MAX_REGIONS + 1];   /* rule r's key while it has pages, else 0 */
    uint32_t region_number[MPK_MAX_REGIONS + 1]; /* ... and its number, to tell a reused slot */
    _Atomic uint64_t n_region_maps, n_region_grants;
    mpk_hole_t holes[MPK_REMAP_HOLES]; /* oldest first */
    _Atomic uint32_t n_holes;          /* read without the lock by mmap's fast path */
} mpk_state_t;

#define G (_mpk_sealed.state)

/* The manager is in play once the program allocated a key: from then on memory calls consult
 * the range map. One relaxed load: the hot-path test of every interposed memory call. */
static inline bool _mpk_in_play(void)
{
    return __atomic_load_n(&_mpk_sealed.in_play, __ATOMIC_RELAXED) != 0;
}

#endif
