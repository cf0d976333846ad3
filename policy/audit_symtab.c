/* policy/audit_symtab.c: finding the function around an address in an ELF file's symbol table,
 * defensively: the file is untrusted input, so every offset is checked against its size. */
#include "policy/audit_symtab.h"

#include "core/prim.h"

#include <elf.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>

void mpk_symcache_init(mpk_symcache_t *c) { memset(c, 0, sizeof *c); }

static void unmap(mpk_symfile_t *f)
{
    if (f->map)
        mpk_sys_munmap((void *)f->map, f->size);
    memset(f, 0, sizeof *f);
}

void mpk_symcache_release(mpk_symcache_t *c)
{
    for (unsigned i = 0; i < 2; i++)
        unmap(&c->f[i]);
}

static bool within(const mpk_symfile_t *f, uint64_t off, uint64_t len)
{
    return off <= f->size && len <= f->size - off;
}

/* The symbol table to search (.symtab, else .dynsym) and its strings. */
static bool find_tables(mpk_symfile_t *f)
{
    const Elf64_Ehdr *eh = (const Elf64_Ehdr *)f->map;
    const Elf64_Shdr *sh, *pick = NULL, *str;
    if (f->size < sizeof *eh || memcmp(eh->e_ident, ELFMAG, SELFMAG) != 0 ||
        eh->e_ident[EI_CLASS] != ELFCLASS64 || eh->e_shentsize != sizeof(Elf64_Shdr) ||
        !within(f, eh->e_shoff, (uint64_t)eh->e_shnum * sizeof(Elf64_Shdr)))
        return false;
    sh = (const Elf64_Shdr *)(f->map + eh->e_shoff);
    for (unsigned i = 0; i < eh->e_shnum; i++)
        if (sh[i].sh_type == SHT_SYMTAB || (sh[i].sh_type == SHT_DYNSYM && !pick))
            pick = &sh[i];
    if (!pick || pick->sh_entsize != sizeof(Elf64_Sym) || pick->sh_link >= eh->e_shnum ||
        !within(f, pick->sh_offset, pick->sh_size))
        return false;
    str = &sh[pick->sh_link];
    if (str->sh_type != SHT_STRTAB || !within(f, str->sh_offset, str->sh_size))
        return false;
    f->syms = f->map + pick->sh_offset;
    f->nsyms = pick->sh_size / sizeof(Elf64_Sym);
    f->str = (const char *)f->map + str->sh_offset;
    f->strsize = str->sh_size;
    return true;
}

static void load(mpk_symfile_t *f, const char *path)
{
    struct stat st;
    long fd;
    void *p;
    size_t len = strlen(path);
    memset(f, 0, sizeof *f);
    f->failed = true;
    if (len >= sizeof f->path)
        return;
    memcpy(f->path, path, len + 1);
    if (path[0] != '/')
        return; /* the vdso, or a name with no file */
    fd = mpk_sys(SYS_open, path, O_RDONLY | O_CLOEXEC, 0, 0, 0, 0);
    if (fd < 0)
        return;
    if (mpk_sys(SYS_fstat, fd, &st, 0, 0, 0, 0) == 0 && S_ISREG(st.st_mode) && st.st_size > 0) {
        p = mpk_sys_mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, (int)fd, 0);
        if (!mpk_sys_failed((long)p)) {
            f->map = p;
            f->size = (size_t)st.st_size;
        }
    }
    mpk_sys(SYS_close, fd, 0, 0, 0, 0, 0);
    if (f->map && find_tables(f))
        f->failed = false;
}

static mpk_symfile_t *file_for(mpk_symcache_t *c, const char *path)
{
    mpk_symfile_t *f;
    for (unsigned i = 0; i < 2; i++)
        if (c->f[i].path[0] && strcmp(c->f[i].path, path) == 0)
            return &c->f[i];
    f = &c->f[c->next];
    c->next ^= 1;
    unmap(f);
    load(f, path);
    return f;
}

bool mpk_symbol_at(mpk_symcache_t *c, const char *path, uintptr_t vaddr, char *name, size_t n)
{
    mpk_symfile_t *f = file_for(c, path);
    const Elf64_Sym *syms, *sized = NULL, *unsized = NULL, *best;
    uintptr_t fence = 0; /* start of the last sized function at or below vaddr */
    size_t len;
    if (f->failed || n == 0)
        return false;
    syms = f->syms;
    for (size_t i = 0; i < f->nsyms; i++) {
        const Elf64_Sym *s = &syms[i];
        unsigned type = ELF64_ST_TYPE(s->st_info);
        if ((type != STT_FUNC && type != STT_GNU_IFUNC) || s->st_shndx == SHN_UNDEF ||
            s->st_value > vaddr || s->st_name >= f->strsize)
            continue;
        if (s->st_size) {
            if (s->st_value > fence)
                fence = s->st_value;
            if (vaddr - s->st_value < s->st_size && (!sized || s->st_value > sized->st_value))
                sized = s;
        } else if (!unsized || s->st_value > unsized->st_value) {
            unsized = s;
        }
    }
    /* A function with a size must hold the address. One without (hand-written assembly) is
     * taken to reach up to the next sized function, never past it. */
    best = sized ? sized : (unsized && unsized->st_value >= fence) ? unsized : NULL;
    if (!best)
        return false;
    len = strnlen(f->str + best->st_name, f->strsize - best->st_name);
    if (len == 0)
        return false;
    if (len > n - 1)
        len = n - 1;
    memcpy(name, f->str + best->st_name, len);
    name[len] = 0;
    return true;
}
