/* tools/audit/elf_info.c: reading PT_INTERP and PT_DYNAMIC the way the dynamic linker does (by
 * program header and virtual address, not by section), so stripped section tables do not matter. */
#include "tools/audit/elf_info.h"

#include "tools/audit/error.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------- interpreter */

static int read_interp(const audit_elf_t *elf, audit_elf_info_t *info)
{
    Elf64_Phdr ph;
    if (!audit_elf_find_phdr(elf, PT_INTERP, &ph))
        return 0;
    const uint8_t *s = audit_elf_bytes(elf, ph.p_offset, ph.p_filesz);
    if (!s || ph.p_filesz == 0 || !memchr(s, 0, ph.p_filesz))
        return AUDIT_E_BAD_INTERP;
    info->interp = (const char *)s;
    return 0;
}

/* ---------------------------------------------------------------- dynamic section */

typedef struct dyn_table {
    const uint8_t *entries;
    size_t count;
    uint64_t strtab_off;    /* file offset of DT_STRTAB */
    uint64_t strtab_len;
} dyn_table_t;

static bool dyn_entry(const dyn_table_t *t, size_t i, Elf64_Dyn *out)
{
    if (i >= t->count)
        return false;
    memcpy(out, t->entries + i * sizeof(Elf64_Dyn), sizeof *out);
    return out->d_tag != DT_NULL;
}

/* DT_STRTAB is an address; its size is DT_STRSZ, clipped to what the segment holds. */
static int locate_strtab(const audit_elf_t *elf, dyn_table_t *t)
{
    uint64_t addr = 0, len = 0;
    bool have_addr = false;
    Elf64_Dyn d;
    for (size_t i = 0; dyn_entry(t, i, &d); i++) {
        if (d.d_tag == DT_STRTAB) {
            addr = d.d_un.d_ptr;
            have_addr = true;
        } else if (d.d_tag == DT_STRSZ) {
            len = d.d_un.d_val;
        }
    }
    if (!have_addr)
        return 0;
    uint64_t off, avail;
    if (!audit_elf_vaddr_offset(elf, addr, &off, &avail))
        return AUDIT_E_BAD_DYNAMIC;
    t->strtab_off = off;
    t->strtab_len = len < avail ? len : avail;
    return 0;
}

static const char *dyn_string(const audit_elf_t *elf, const dyn_table_t *t, uint64_t idx)
{
    return audit_elf_string(elf, t->strtab_off, t->strtab_len, idx);
}

static int add_needed(audit_elf_info_t *info, const char *name)
{
    const char **v = realloc(info->needed, (info->nneeded + 1) * sizeof *v);
    if (!v)
        return ENOMEM;
    info->needed = v;
    v[info->nneeded++] = name;
    return 0;
}

/* One dynamic entry into info; string entries need a valid string table. */
static int read_dyn_entry(const audit_elf_t *elf, const dyn_table_t *t, const Elf64_Dyn *d,
                          audit_elf_info_t *info)
{
    const char **slot = NULL;
    switch (d->d_tag) {
    case DT_NEEDED:
    case DT_SONAME:
    case DT_RPATH:
    case DT_RUNPATH:
        break;
    case DT_FLAGS_1:
        info->nodeflib = (d->d_un.d_val & DF_1_NODEFLIB) != 0;
        return 0;
    default:
        return 0;
    }
    const char *s = dyn_string(elf, t, d->d_un.d_val);
    if (!s)
        return AUDIT_E_BAD_DYNAMIC;
    if (d->d_tag == DT_NEEDED)
        return add_needed(info, s);
    slot = d->d_tag == DT_SONAME ? &info->soname
           : d->d_tag == DT_RPATH ? &info->rpath
                                  : &info->runpath;
    if (!*slot)
        *slot = s;
    return 0;
}

static int read_dynamic(const audit_elf_t *elf, audit_elf_info_t *info, bool *pie)
{
    Elf64_Phdr ph;
    if (!audit_elf_find_phdr(elf, PT_DYNAMIC, &ph))
        return 0;
    info->has_dynamic = true;
    dyn_table_t t = {0};
    t.entries = audit_elf_bytes(elf, ph.p_offset, ph.p_filesz);
    if (!t.entries)
        return AUDIT_E_BAD_DYNAMIC;
    t.count = ph.p_filesz / sizeof(Elf64_Dyn);
    int err = locate_strtab(elf, &t);
    Elf64_Dyn d;
    for (size_t i = 0; !err && dyn_entry(&t, i, &d); i++) {
        if (d.d_tag == DT_FLAGS_1 && (d.d_un.d_val & DF_1_PIE))
            *pie = true;
        err = read_dyn_entry(elf, &t, &d, info);
    }
    return err;
}

/* ---------------------------------------------------------------- kind */

static audit_elf_kind_t classify_kind(const audit_elf_t *elf, const audit_elf_info_t *info,
                                      bool pie)
{
    if (elf->eh.e_type == ET_CORE)
        return AUDIT_KIND_CORE;
    /* libc.so.6 has an interpreter so it can be run, but it is loaded as a library. */
    if (info->interp && elf->eh.e_type == ET_DYN && info->soname && !pie)
        return AUDIT_KIND_SHARED_LIBRARY;
    if (info->interp)
        return AUDIT_KIND_EXECUTABLE;
    if (elf->eh.e_type == ET_EXEC)
        return info->has_dynamic ? AUDIT_KIND_NO_INTERP : AUDIT_KIND_STATIC;
    /* ET_DYN without interpreter: a static-pie says so in DF_1_PIE; a library does not. */
    return pie ? AUDIT_KIND_STATIC_PIE : AUDIT_KIND_SHARED_LIBRARY;
}

int audit_elf_info_read(const audit_elf_t *elf, audit_elf_info_t *info)
{
    *info = (audit_elf_info_t){0};
    bool pie = false;
    int err = read_interp(elf, info);
    if (!err)
        err = read_dynamic(elf, info, &pie);
    info->kind = classify_kind(elf, info, pie);
    return err;
}

void audit_elf_info_free(audit_elf_info_t *info)
{
    free(info->needed);
    *info = (audit_elf_info_t){0};
}

/* ---------------------------------------------------------------- owned copies */

/* strdup that keeps NULL as NULL; *ok turns false when memory runs out. */
static char *copy_or_null(const char *s, bool *ok)
{
    if (!s)
        return NULL;
    char *c = strdup(s);
    if (!c)
        *ok = false;
    return c;
}

int audit_links_copy(const audit_elf_info_t *info, audit_links_t *out)
{
    *out = (audit_links_t){.nodeflib = info->nodeflib};
    bool ok = true;
    out->interp = copy_or_null(info->interp, &ok);
    out->soname = copy_or_null(info->soname, &ok);
    out->rpath = copy_or_null(info->rpath, &ok);
    out->runpath = copy_or_null(info->runpath, &ok);
    if (info->nneeded) {
        out->needed = calloc(info->nneeded, sizeof *out->needed);
        ok = ok && out->needed;
    }
    for (size_t i = 0; ok && i < info->nneeded; i++) {
        out->needed[i] = copy_or_null(info->needed[i], &ok);
        out->nneeded = i + 1;
    }
    if (!ok) {
        audit_links_free(out);
        return ENOMEM;
    }
    return 0;
}

void audit_links_free(audit_links_t *links)
{
    for (size_t i = 0; i < links->nneeded; i++)
        free(links->needed[i]);
    free(links->needed);
    free(links->interp);
    free(links->soname);
    free(links->rpath);
    free(links->runpath);
    *links = (audit_links_t){0};
}

bool audit_elf_kind_unreachable(audit_elf_kind_t kind)
{
    return kind == AUDIT_KIND_STATIC || kind == AUDIT_KIND_STATIC_PIE ||
           kind == AUDIT_KIND_NO_INTERP;
}

const char *audit_elf_kind_name(audit_elf_kind_t kind)
{
    switch (kind) {
    case AUDIT_KIND_EXECUTABLE:
        return "executable";
    case AUDIT_KIND_STATIC:
        return "static executable";
    case AUDIT_KIND_STATIC_PIE:
        return "static-pie executable";
    case AUDIT_KIND_NO_INTERP:
        return "executable without a program interpreter";
    case AUDIT_KIND_SHARED_LIBRARY:
        return "shared library";
    case AUDIT_KIND_CORE:
        return "core dump";
    }
    return "ELF file";
}
