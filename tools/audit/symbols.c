/* tools/audit/symbols.c: collecting STT_FUNC / STT_GNU_IFUNC symbols from every symbol table and
 * keeping one name per address, so lookups are one bisection. */
#include "tools/audit/symbols.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static bool is_function(const Elf64_Sym *s)
{
    unsigned type = ELF64_ST_TYPE(s->st_info);
    return (type == STT_FUNC || type == STT_GNU_IFUNC) && s->st_shndx != SHN_UNDEF &&
           s->st_value != 0;
}

static int grow(audit_symbols_t *syms, size_t *cap, size_t extra)
{
    if (syms->n + extra <= *cap)
        return 0;
    size_t want = *cap ? *cap : 256;
    while (want < syms->n + extra) {
        if (want > SIZE_MAX / 2 / sizeof(audit_sym_t))
            return ENOMEM;
        want *= 2;
    }
    audit_sym_t *v = realloc(syms->v, want * sizeof *v);
    if (!v)
        return ENOMEM;
    syms->v = v;
    *cap = want;
    return 0;
}

/* Appends the functions of one SHT_SYMTAB / SHT_DYNSYM section. */
static int load_table(const audit_elf_t *elf, const Elf64_Shdr *tab, audit_symbols_t *syms,
                      size_t *cap)
{
    Elf64_Shdr strtab;
    if (tab->sh_type == SHT_NOBITS || !audit_elf_shdr(elf, tab->sh_link, &strtab) ||
        strtab.sh_type != SHT_STRTAB)
        return 0;
    const uint8_t *base = audit_elf_bytes(elf, tab->sh_offset, tab->sh_size);
    if (!base)
        return 0;
    size_t count = tab->sh_size / sizeof(Elf64_Sym);
    int err = grow(syms, cap, count);
    for (size_t i = 0; !err && i < count; i++) {
        Elf64_Sym s;
        memcpy(&s, base + i * sizeof s, sizeof s);
        if (!is_function(&s))
            continue;
        const char *name = audit_elf_string(elf, strtab.sh_offset, strtab.sh_size, s.st_name);
        if (!name || !*name)
            continue;
        syms->v[syms->n++] = (audit_sym_t){
            .addr = s.st_value, .size = s.st_size, .name = name,
            .bind = ELF64_ST_BIND(s.st_info)};
    }
    return err;
}

/* Which alias names an address: global before weak before local, then the name with fewer
 * leading underscores (pkey_set rather than __pkey_set), then the shorter one. */
static int alias_rank(const audit_sym_t *s)
{
    int bind = s->bind == STB_GLOBAL ? 0 : s->bind == STB_WEAK ? 1 : 2;
    int under = 0;
    while (s->name[under] == '_' && under < 3)
        under++;
    return bind * 4 + under;
}

static int compare_syms(const void *pa, const void *pb)
{
    const audit_sym_t *a = pa, *b = pb;
    if (a->addr != b->addr)
        return a->addr < b->addr ? -1 : 1;
    int ra = alias_rank(a), rb = alias_rank(b);
    if (ra != rb)
        return ra - rb;
    size_t la = strlen(a->name), lb = strlen(b->name);
    if (la != lb)
        return la < lb ? -1 : 1;
    return strcmp(a->name, b->name);
}

/* Keeps the first (best) alias of each address, with the largest size any alias gives. */
static void keep_one_per_address(audit_symbols_t *syms)
{
    size_t out = 0;
    for (size_t i = 0; i < syms->n; i++) {
        if (out > 0 && syms->v[out - 1].addr == syms->v[i].addr) {
            if (syms->v[i].size > syms->v[out - 1].size)
                syms->v[out - 1].size = syms->v[i].size;
            continue;
        }
        syms->v[out++] = syms->v[i];
    }
    syms->n = out;
}

int audit_symbols_load(const audit_elf_t *elf, audit_symbols_t *syms)
{
    *syms = (audit_symbols_t){0};
    size_t cap = 0;
    for (size_t i = 1; i < elf->shnum; i++) {
        Elf64_Shdr sh;
        audit_elf_shdr(elf, i, &sh);
        if (sh.sh_type != SHT_SYMTAB && sh.sh_type != SHT_DYNSYM)
            continue;
        int err = load_table(elf, &sh, syms, &cap);
        if (err) {
            audit_symbols_free(syms);
            return err;
        }
    }
    if (syms->n > 1)
        qsort(syms->v, syms->n, sizeof *syms->v, compare_syms);
    keep_one_per_address(syms);
    return 0;
}

void audit_symbols_free(audit_symbols_t *syms)
{
    free(syms->v);
    *syms = (audit_symbols_t){0};
}

const audit_sym_t *audit_symbols_lookup(const audit_symbols_t *syms, uint64_t addr, bool *inside)
{
    size_t lo = 0, hi = syms->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (syms->v[mid].addr <= addr)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo == 0) {
        *inside = false;
        return NULL;
    }
    const audit_sym_t *s = &syms->v[lo - 1];
    *inside = addr - s->addr < s->size;
    return s;
}
