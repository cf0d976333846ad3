/* tools/audit/fde_starts.c: parsing the binary-search table of .eh_frame_hdr (found through
 * PT_GNU_EH_FRAME). Only the encodings linkers emit are read; anything else means "no table". */
#include "tools/audit/fde_starts.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* DWARF pointer encodings (the low nibble is the format, the high one how it is applied). */
#define PE_OMIT 0xff
#define PE_UDATA4 0x03
#define PE_SDATA4 0x0b
#define PE_UDATA8 0x04
#define PE_SDATA8 0x0c
#define PE_DATAREL 0x30
#define HDR_FIXED 4         /* version, eh_frame_ptr_enc, fde_count_enc, table_enc */

/* Bytes taken by a value of this encoding's format, 0 when we do not read it. */
static size_t encoded_size(uint8_t enc)
{
    switch (enc & 0x0f) {
    case PE_UDATA4:
    case PE_SDATA4:
        return 4;
    case PE_UDATA8:
    case PE_SDATA8:
        return 8;
    default:
        return 0;
    }
}

/* The FDE count, which must be a plain 4- or 8-byte number. */
static bool read_count(const uint8_t *p, uint8_t enc, uint64_t *count)
{
    if ((enc & 0x70) != 0)
        return false;
    if (encoded_size(enc) == 4) {
        uint32_t v;
        memcpy(&v, p, 4);
        *count = v;
    } else {
        memcpy(count, p, 8);
    }
    return true;
}

static int compare_u64(const void *pa, const void *pb)
{
    uint64_t a = *(const uint64_t *)pa, b = *(const uint64_t *)pb;
    return a < b ? -1 : a > b;
}

static void sort_unique(audit_fde_starts_t *f)
{
    qsort(f->v, f->n, sizeof *f->v, compare_u64);
    size_t out = 0;
    for (size_t i = 0; i < f->n; i++)
        if (out == 0 || f->v[out - 1] != f->v[i])
            f->v[out++] = f->v[i];
    f->n = out;
}

/* Table entries are (initial_location, fde_address), each an sdata4 relative to the header. */
static int read_table(const uint8_t *table, uint64_t count, uint64_t hdr_vaddr,
                      audit_fde_starts_t *out)
{
    out->v = malloc(count * sizeof *out->v + 1);
    if (!out->v)
        return ENOMEM;
    for (uint64_t i = 0; i < count; i++) {
        int32_t rel;
        memcpy(&rel, table + i * 8, 4);
        out->v[out->n++] = hdr_vaddr + (uint64_t)(int64_t)rel;
    }
    sort_unique(out);
    return 0;
}

int audit_fde_starts_load(const audit_elf_t *elf, audit_fde_starts_t *out)
{
    *out = (audit_fde_starts_t){0};
    Elf64_Phdr ph;
    if (!audit_elf_find_phdr(elf, PT_GNU_EH_FRAME, &ph))
        return 0;
    const uint8_t *hdr = audit_elf_bytes(elf, ph.p_offset, ph.p_filesz);
    if (!hdr || ph.p_filesz < HDR_FIXED || hdr[0] != 1)
        return 0;
    uint8_t ptr_enc = hdr[1], count_enc = hdr[2], table_enc = hdr[3];
    size_t ptr_len = ptr_enc == PE_OMIT ? 0 : encoded_size(ptr_enc);
    size_t count_len = encoded_size(count_enc);
    if ((ptr_enc != PE_OMIT && ptr_len == 0) || count_len == 0 ||
        table_enc != (PE_DATAREL | PE_SDATA4))
        return 0;
    uint64_t pos = HDR_FIXED + ptr_len;
    uint64_t count;
    if (pos + count_len > ph.p_filesz || !read_count(hdr + pos, count_enc, &count))
        return 0;
    pos += count_len;
    if (count == 0 || count > (ph.p_filesz - pos) / 8)
        return 0;
    return read_table(hdr + pos, count, ph.p_vaddr, out);
}

void audit_fde_starts_free(audit_fde_starts_t *f)
{
    free(f->v);
    *f = (audit_fde_starts_t){0};
}

uint64_t audit_fde_start_before(const audit_fde_starts_t *f, uint64_t addr)
{
    size_t lo = 0, hi = f->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (f->v[mid] <= addr)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo ? f->v[lo - 1] : 0;
}
