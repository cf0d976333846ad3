/* tools/audit/scan_elf.c: the per-image pipeline. Symbols and unwind tables are loaded only once
 * the byte scan has found something, since most files have no candidate at all. */
#include "tools/audit/scan_elf.h"

#include "tools/audit/benign.h"
#include "tools/audit/classify.h"
#include "tools/audit/fde_starts.h"
#include "tools/audit/scan.h"
#include "tools/audit/symbols.h"

#include <errno.h>
#include <stdlib.h>

/* One run of code bytes and what is known about it. */
typedef struct region {
    audit_code_t code;
    audit_where_t where;
} region_t;

typedef struct context {
    const audit_elf_t *elf;
    audit_symbols_t syms;
    audit_fde_starts_t fdes;
    bool tables_loaded;
    bool count_syscalls;
    audit_decoder_t *dec;
    audit_object_t *obj;
} context_t;

static int load_tables(context_t *cx)
{
    if (cx->tables_loaded || !cx->elf)
        return 0;
    cx->tables_loaded = true;
    int err = audit_symbols_load(cx->elf, &cx->syms);
    if (!err)
        err = audit_fde_starts_load(cx->elf, &cx->fdes);
    return err;
}

static int add_candidate(context_t *cx, const region_t *r, const audit_candidate_t *c)
{
    audit_finding_t f;
    bool keep;
    int err = audit_classify(cx->dec, &r->where, &r->code, c, &f, &keep,
                             &cx->obj->syscalls_unknown);
    if (err || !keep) {
        audit_finding_free(&f);
        return err;
    }
    audit_label_benign(cx->obj, &f);
    err = audit_object_add(cx->obj, &f);
    audit_finding_free(&f);
    return err;
}

static int scan_region(context_t *cx, region_t *r)
{
    audit_candidates_t cands = {0};
    int err = audit_scan(r->code.bytes, r->code.size, r->code.vaddr, cx->count_syscalls, &cands);
    cx->obj->bytes_scanned += r->code.size;
    if (!err && cands.n > 0)
        err = load_tables(cx);
    if (r->where.elf) {
        r->where.syms = &cx->syms;
        r->where.fdes = &cx->fdes;
    }
    audit_sweep_forget(cx->dec);
    for (size_t i = 0; !err && i < cands.n; i++)
        err = add_candidate(cx, r, &cands.v[i]);
    audit_candidates_free(&cands);
    return err;
}

/* ---------------------------------------------------------------- regions of a file */

static region_t segment_region(const audit_elf_t *elf, const Elf64_Phdr *ph, uint64_t off,
                               uint64_t len, uint64_t runtime)
{
    region_t r = {0};
    r.code.bytes = elf->data + off;
    r.code.size = len;
    r.code.vaddr = ph->p_vaddr + (off - ph->p_offset);
    r.where.elf = elf;
    r.where.bias = runtime - r.code.vaddr;
    return r;
}

static int scan_segments(context_t *cx)
{
    for (size_t i = 0; i < cx->elf->phnum; i++) {
        Elf64_Phdr ph;
        audit_elf_phdr(cx->elf, i, &ph);
        if (ph.p_type != PT_LOAD || !(ph.p_flags & PF_X) || ph.p_filesz == 0)
            continue;
        region_t r = segment_region(cx->elf, &ph, ph.p_offset, ph.p_filesz, ph.p_vaddr);
        int err = scan_region(cx, &r);
        if (err)
            return err;
    }
    return 0;
}

/* The part of one window that one PT_LOAD holds; false when they do not overlap. The process
 * maps the window executable, so every PT_LOAD under it is scanned whatever its flags say. */
static bool window_part(const audit_elf_t *elf, const Elf64_Phdr *ph, const audit_window_t *w,
                        region_t *out)
{
    uint64_t w_end = w->file_off + w->len, p_end = ph->p_offset + ph->p_filesz;
    uint64_t lo = w->file_off > ph->p_offset ? w->file_off : ph->p_offset;
    uint64_t hi = w_end < p_end ? w_end : p_end;
    if (ph->p_type != PT_LOAD || lo >= hi || hi > elf->size)
        return false;
    *out = segment_region(elf, ph, lo, hi - lo, w->runtime + (lo - w->file_off));
    return true;
}

static int scan_windows(context_t *cx, const audit_window_t *windows, size_t n)
{
    for (size_t k = 0; k < n; k++) {
        for (size_t i = 0; i < cx->elf->phnum; i++) {
            Elf64_Phdr ph;
            region_t r;
            audit_elf_phdr(cx->elf, i, &ph);
            if (!window_part(cx->elf, &ph, &windows[k], &r))
                continue;
            int err = scan_region(cx, &r);
            if (err)
                return err;
        }
    }
    return 0;
}

int audit_scan_elf(const audit_elf_t *elf, const audit_window_t *windows, size_t nwindows,
                   bool count_syscalls, audit_decoder_t *dec, audit_object_t *obj)
{
    context_t cx = {.elf = elf, .count_syscalls = count_syscalls, .dec = dec, .obj = obj};
    int err = windows ? scan_windows(&cx, windows, nwindows) : scan_segments(&cx);
    audit_symbols_free(&cx.syms);
    audit_fde_starts_free(&cx.fdes);
    return err;
}

int audit_scan_memory(const uint8_t *bytes, size_t size, uint64_t addr, bool count_syscalls,
                      audit_decoder_t *dec, audit_object_t *obj)
{
    context_t cx = {.count_syscalls = count_syscalls, .dec = dec, .obj = obj};
    region_t r = {.code = {.bytes = bytes, .size = size, .vaddr = addr}};
    return scan_region(&cx, &r);
}
