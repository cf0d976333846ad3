/* policy/audit_scan.c: the WRPKRU/XRSTOR byte scan of every loaded object's executable code, at
 * start-up and after each dlopen (audit mode). A byte match only: mpk-audit decodes the code
 * around each site and tells an instruction from bytes hidden inside another. Objects are
 * scanned once, each pinned with a dlopen(RTLD_NOLOAD) reference meanwhile so that a dlclose in
 * another thread cannot unmap the code under the scan. */
#include "policy/audit_emit.h"
#include "policy/audit_modules.h"
#include "policy/audit_parts.h"

#include "core/prim.h"

#include <dlfcn.h>
#include <link.h>
#include <string.h>

#define SEEN_MAX 4096   /* objects remembered as scanned */
#define PENDING_MAX 32  /* objects collected per pass over the loader's list */
#define SEGMENTS_MAX 8  /* executable segments per object */

typedef struct seen {
    uintptr_t bias, lo;
    uint64_t name_hash;
} seen_t;

typedef struct pending {
    seen_t id;
    char name[1024]; /* "" for the main program */
    unsigned nseg;
    uintptr_t seg_lo[SEGMENTS_MAX], seg_hi[SEGMENTS_MAX];
} pending_t;

static seen_t seen[SEEN_MAX];
static unsigned nseen;
static bool seen_full_reported;
static pending_t pending[PENDING_MAX];
static unsigned npending;
static bool more_pending;

/* ---- the byte patterns ------------------------------------------------------------------ */

static bool modrm_memory_reg(unsigned char modrm, unsigned reg)
{
    return (modrm >> 6) != 3 && ((modrm >> 3) & 7) == reg;
}

void mpk_audit_scan_bytes(const unsigned char *lo, const unsigned char *hi,
                          void (*hit)(const unsigned char *site, const char *insn, void *arg),
                          void *arg)
{
    const unsigned char *p = lo;
    while (hi - p >= 3) {
        const unsigned char *q = memchr(p, 0x0f, (size_t)(hi - p) - 2);
        bool rex_w;
        if (!q)
            break;
        rex_w = q > lo && (q[-1] & 0xf8) == 0x48;
        if (q[1] == 0x01 && q[2] == 0xef)
            hit(q, "wrpkru", arg); /* 0F 01 EF */
        else if (q[1] == 0xae && modrm_memory_reg(q[2], 5))
            hit(q, rex_w ? "xrstor64" : "xrstor", arg); /* 0F AE /5, memory operand */
        else if (q[1] == 0xc7 && modrm_memory_reg(q[2], 3))
            hit(q, rex_w ? "xrstors64" : "xrstors", arg); /* 0F C7 /3, memory operand */
        p = q + 1;
    }
}

/* ---- which objects are new -------------------------------------------------------------- */

static uint64_t hash_name(const char *s)
{
    uint64_t h = 1469598103934665603ull; /* FNV-1a */
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return h;
}

static bool was_seen(const seen_t *id)
{
    for (unsigned i = 0; i < nseen && i < SEEN_MAX; i++)
        if (seen[i].bias == id->bias && seen[i].lo == id->lo && seen[i].name_hash == id->name_hash)
            return true;
    return false;
}

static int collect(struct dl_phdr_info *info, size_t size, void *data)
{
    pending_t *p;
    seen_t id = {.bias = info->dlpi_addr, .lo = UINTPTR_MAX};
    const char *name = info->dlpi_name ? info->dlpi_name : "";
    (void)size;
    (void)data;
    for (int i = 0; i < info->dlpi_phnum; i++)
        if (info->dlpi_phdr[i].p_type == PT_LOAD && info->dlpi_addr + info->dlpi_phdr[i].p_vaddr < id.lo)
            id.lo = info->dlpi_addr + info->dlpi_phdr[i].p_vaddr;
    id.name_hash = hash_name(name);
    if (id.lo == UINTPTR_MAX || was_seen(&id))
        return 0;
    for (unsigned i = 0; i < npending; i++)
        if (pending[i].id.bias == id.bias && pending[i].id.lo == id.lo)
            return 0;
    if (npending >= PENDING_MAX) {
        more_pending = true;
        return 0;
    }
    p = &pending[npending++];
    p->id = id;
    p->nseg = 0;
    strncpy(p->name, name, sizeof p->name - 1);
    p->name[sizeof p->name - 1] = 0;
    for (int i = 0; i < info->dlpi_phnum && p->nseg < SEGMENTS_MAX; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        /* Executable and readable: an execute-only segment would fault under the scan. */
        if (ph->p_type == PT_LOAD && (ph->p_flags & PF_X) && (ph->p_flags & PF_R) && ph->p_memsz) {
            p->seg_lo[p->nseg] = info->dlpi_addr + ph->p_vaddr;
            p->seg_hi[p->nseg] = info->dlpi_addr + ph->p_vaddr + ph->p_memsz;
            p->nseg++;
        }
    }
    return 0;
}

/* ---- records ---------------------------------------------------------------------------- */

typedef struct scan_ctx {
    const pending_t *obj;
    const char *path; /* the object's file */
    const char *when;
    const mpk_frames_t *frames;
    mpk_symcache_t syms;
} scan_ctx_t;

static const char *const glibc_pkey_functions[] = {"pkey_set", "pkey_get", "pkey_alloc",
                                                   "pkey_free", "pkey_mprotect", "syscall"};

static const char *base_name(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

/* The sites known to be harmless are labelled, not hidden. */
static const char *benign_reason(const char *path, const char *function, const char *insn, uintptr_t site)
{
    const char *base = base_name(path);
    if (mpk_audit_is_self(site))
        return "libmpk itself: it writes PKRU on the program's behalf";
    if (strcmp(base, "libc.so.6") == 0 && function)
        for (size_t i = 0; i < sizeof glibc_pkey_functions / sizeof *glibc_pkey_functions; i++)
            if (strcmp(function, glibc_pkey_functions[i]) == 0)
                return "glibc's pkey function: programs reach it through the dynamic linker, "
                       "so libmpk interposes it";
    if (strncmp(base, "ld-linux", 8) == 0 && strncmp(insn, "xrstor", 6) == 0 &&
        strncmp(insn, "xrstors", 7) != 0)
        return "the dynamic linker's lazy-binding resolver, whose XRSTOR mask leaves PKRU "
               "alone (mpk-audit checks the mask)";
    return NULL;
}

static void report_site(const unsigned char *site, const char *insn, void *arg)
{
    scan_ctx_t *c = arg;
    mpk_arecord_t r;
    uintptr_t offset = (uintptr_t)site - c->obj->id.bias;
    char function[256], msg[320];
    const char *fn = mpk_symbol_at(&c->syms, c->path, offset, function, sizeof function) ? function : NULL;
    const char *benign = benign_reason(c->path, fn, insn, (uintptr_t)site);
    memset(&r, 0, sizeof r);
    r.event = insn[0] == 'w' ? "wrpkru_found" : "xrstor_found";
    r.key = -1;
    r.has_addr = true;
    r.addr = (uintptr_t)site;
    mpk_arecord_str(&r, "module", c->path);
    mpk_arecord_hex(&r, "offset", offset);
    mpk_arecord_str(&r, "function", fn);
    mpk_arecord_str(&r, "insn", insn);
    mpk_arecord_str(&r, "found_at", c->when);
    mpk_arecord_bool(&r, "benign", benign != NULL);
    mpk_arecord_str(&r, "benign_reason", benign);
    _mpk_format(msg, sizeof msg,
                "%s bytes in executable code (byte match): mpk-audit --pid %d, or mpk-audit on the "
                "file, tells an instruction from bytes inside another",
                insn, (int)mpk_sys_getpid());
    r.message = msg;
    r.frames = c->frames;
    mpk_audit_emit(&r, NULL);
}

static void scan_object(const pending_t *obj, const char *when, const mpk_frames_t *frames)
{
    scan_ctx_t c = {.obj = obj, .when = when, .frames = frames};
    c.path = obj->name[0] ? obj->name : mpk_audit_program_path();
    mpk_symcache_init(&c.syms);
    for (unsigned i = 0; i < obj->nseg && i < SEGMENTS_MAX; i++)
        mpk_audit_scan_bytes((const unsigned char *)obj->seg_lo[i], (const unsigned char *)obj->seg_hi[i],
                             report_site, &c);
    mpk_symcache_release(&c.syms);
}

static void remember(const seen_t *id)
{
    if (nseen < SEEN_MAX) {
        seen[nseen++] = *id;
        return;
    }
    if (!seen_full_reported) {
        mpk_event_t ev = {.kind = MPK_EV_ERROR, .key = -1,
                          .what = "more loaded objects than the WRPKRU/XRSTOR scan can track: "
                                  "objects loaded from now on are not scanned"};
        seen_full_reported = true;
        mpk_audit_event(&ev);
    }
}

/* The main program, the vdso and libmpk are never unloaded; others are pinned for the scan. */
static void *pin(const pending_t *obj, const struct mpk_audit_loader *ld, bool *gone)
{
    void *h;
    *gone = false;
    if (!obj->name[0] || obj->name[0] != '/' || mpk_audit_is_self(obj->id.lo))
        return NULL;
    h = ld->dlopen(obj->name, RTLD_LAZY | RTLD_NOLOAD);
    *gone = h == NULL;
    return h;
}

void mpk_audit_scan(const char *when, const struct mpk_audit_loader *ld)
{
    static mpk_frames_t frames; /* where the scan was called from, for every record of it */
    const mpk_frames_t *fr = NULL;
    if (mpk_audit_emit_backtraces()) {
        mpk_audit_backtrace(NULL, &frames);
        fr = &frames;
    }
    do {
        npending = 0;
        more_pending = false;
        dl_iterate_phdr(collect, NULL);
        for (unsigned i = 0; i < npending; i++) {
            bool gone;
            void *h = pin(&pending[i], ld, &gone);
            if (!gone)
                scan_object(&pending[i], when, fr);
            if (h)
                ld->dlclose(h);
            remember(&pending[i].id);
        }
    } while (more_pending && nseen < SEEN_MAX);
}
