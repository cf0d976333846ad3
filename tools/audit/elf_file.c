/* tools/audit/elf_file.c: ELF64 header validation and bounds-checked accessors. Headers are copied
 * out with memcpy, never cast in place, because truncated and hostile files are expected here. */
#include "tools/audit/elf_file.h"

#include "tools/audit/error.h"

#include <string.h>

/* [off, off + len) inside a file of size bytes, without overflow. */
static bool in_file(uint64_t off, uint64_t len, size_t size)
{
    return off <= size && len <= size - off;
}

/* ---------------------------------------------------------------- header checks */

static int check_ident(const uint8_t *data, size_t size)
{
    if (size == 0)
        return AUDIT_E_EMPTY;
    if (size < SELFMAG || memcmp(data, ELFMAG, SELFMAG) != 0)
        return AUDIT_E_NOT_ELF;
    if (size < EI_NIDENT)
        return AUDIT_E_TRUNC_HEADER;
    if (data[EI_CLASS] != ELFCLASS64)
        return AUDIT_E_ELF_CLASS;
    if (data[EI_DATA] != ELFDATA2LSB)
        return AUDIT_E_ELF_DATA;
    if (size < sizeof(Elf64_Ehdr))
        return AUDIT_E_TRUNC_HEADER;
    return 0;
}

static int check_type(const Elf64_Ehdr *eh)
{
    if (eh->e_machine != EM_X86_64)
        return AUDIT_E_ELF_MACHINE;
    if (eh->e_type != ET_EXEC && eh->e_type != ET_DYN && eh->e_type != ET_CORE)
        return AUDIT_E_ELF_TYPE;
    return 0;
}

/* Section counts past 0xff00 live in section header 0 (the ELF extended-numbering rule). */
static int read_section_counts(audit_elf_t *elf)
{
    const Elf64_Ehdr *eh = &elf->eh;
    elf->shnum = eh->e_shnum;
    elf->shstrndx = eh->e_shstrndx == SHN_UNDEF ? 0 : eh->e_shstrndx;
    if (eh->e_shoff == 0) {
        elf->shnum = 0;
        elf->shstrndx = 0;
        return 0;
    }
    if (eh->e_shentsize != sizeof(Elf64_Shdr))
        return AUDIT_E_BAD_SHENT;
    if (!in_file(eh->e_shoff, sizeof(Elf64_Shdr), elf->size))
        return AUDIT_E_TRUNC_SHDRS;
    Elf64_Shdr first;
    memcpy(&first, elf->data + eh->e_shoff, sizeof first);
    if (elf->shnum == 0)
        elf->shnum = first.sh_size;
    if (eh->e_shstrndx == SHN_XINDEX)
        elf->shstrndx = first.sh_link;
    if (elf->shnum > (elf->size - eh->e_shoff) / sizeof(Elf64_Shdr))
        return AUDIT_E_TRUNC_SHDRS;
    if (elf->shstrndx >= elf->shnum && elf->shstrndx != 0)
        return AUDIT_E_BAD_SHSTRNDX;
    return 0;
}

static int read_segment_count(audit_elf_t *elf)
{
    const Elf64_Ehdr *eh = &elf->eh;
    elf->phnum = eh->e_phnum;
    if (eh->e_phnum == PN_XNUM && elf->shnum > 0) {
        Elf64_Shdr first;
        memcpy(&first, elf->data + eh->e_shoff, sizeof first);
        elf->phnum = first.sh_info;
    }
    if (elf->phnum == 0)
        return 0;
    if (eh->e_phentsize != sizeof(Elf64_Phdr))
        return AUDIT_E_BAD_PHENT;
    if (eh->e_phoff > elf->size ||
        elf->phnum > (elf->size - eh->e_phoff) / sizeof(Elf64_Phdr))
        return AUDIT_E_TRUNC_PHDRS;
    return 0;
}

static int check_contents(const audit_elf_t *elf)
{
    for (size_t i = 0; i < elf->phnum; i++) {
        Elf64_Phdr ph;
        audit_elf_phdr(elf, i, &ph);
        if (ph.p_type != PT_LOAD)
            continue;
        if (!in_file(ph.p_offset, ph.p_filesz, elf->size))
            return AUDIT_E_TRUNC_SEGMENT;
        if (ph.p_vaddr + ph.p_memsz < ph.p_vaddr || ph.p_vaddr + ph.p_filesz < ph.p_vaddr)
            return AUDIT_E_BAD_SEGMENT;
    }
    for (size_t i = 0; i < elf->shnum; i++) {
        Elf64_Shdr sh;
        audit_elf_shdr(elf, i, &sh);
        if (sh.sh_type != SHT_NOBITS && sh.sh_type != SHT_NULL &&
            !in_file(sh.sh_offset, sh.sh_size, elf->size))
            return AUDIT_E_TRUNC_SECTION;
    }
    return 0;
}

int audit_elf_open(audit_elf_t *elf, const uint8_t *data, size_t size)
{
    *elf = (audit_elf_t){.data = data, .size = size};
    int err = check_ident(data, size);
    if (err)
        return err;
    memcpy(&elf->eh, data, sizeof elf->eh);
    err = check_type(&elf->eh);
    if (!err)
        err = read_section_counts(elf);
    if (!err)
        err = read_segment_count(elf);
    if (!err)
        err = check_contents(elf);
    return err;
}

/* ---------------------------------------------------------------- accessors */

bool audit_elf_phdr(const audit_elf_t *elf, size_t i, Elf64_Phdr *out)
{
    if (i >= elf->phnum)
        return false;
    memcpy(out, elf->data + elf->eh.e_phoff + i * sizeof(Elf64_Phdr), sizeof *out);
    return true;
}

bool audit_elf_shdr(const audit_elf_t *elf, size_t i, Elf64_Shdr *out)
{
    if (i >= elf->shnum)
        return false;
    memcpy(out, elf->data + elf->eh.e_shoff + i * sizeof(Elf64_Shdr), sizeof *out);
    return true;
}

const uint8_t *audit_elf_bytes(const audit_elf_t *elf, uint64_t off, uint64_t len)
{
    return in_file(off, len, elf->size) ? elf->data + off : NULL;
}

const char *audit_elf_string(const audit_elf_t *elf, uint64_t tab_off, uint64_t tab_len,
                             uint64_t idx)
{
    const uint8_t *tab = audit_elf_bytes(elf, tab_off, tab_len);
    if (!tab || idx >= tab_len)
        return NULL;
    if (!memchr(tab + idx, 0, tab_len - idx))
        return NULL;
    return (const char *)tab + idx;
}

const char *audit_elf_section_name(const audit_elf_t *elf, const Elf64_Shdr *sh)
{
    Elf64_Shdr names;
    if (elf->shstrndx == 0 || !audit_elf_shdr(elf, elf->shstrndx, &names) ||
        names.sh_type == SHT_NOBITS)
        return "";
    const char *s = audit_elf_string(elf, names.sh_offset, names.sh_size, sh->sh_name);
    return s ? s : "";
}

bool audit_elf_vaddr_offset(const audit_elf_t *elf, uint64_t vaddr, uint64_t *off,
                            uint64_t *avail)
{
    for (size_t i = 0; i < elf->phnum; i++) {
        Elf64_Phdr ph;
        audit_elf_phdr(elf, i, &ph);
        if (ph.p_type != PT_LOAD || vaddr < ph.p_vaddr || vaddr - ph.p_vaddr >= ph.p_filesz)
            continue;
        *off = ph.p_offset + (vaddr - ph.p_vaddr);
        *avail = ph.p_filesz - (vaddr - ph.p_vaddr);
        return true;
    }
    return false;
}

bool audit_elf_section_at(const audit_elf_t *elf, uint64_t vaddr, Elf64_Shdr *out)
{
    for (size_t i = 1; i < elf->shnum; i++) {
        Elf64_Shdr sh;
        audit_elf_shdr(elf, i, &sh);
        if (!(sh.sh_flags & SHF_ALLOC) || sh.sh_type == SHT_NOBITS)
            continue;
        if (vaddr >= sh.sh_addr && vaddr - sh.sh_addr < sh.sh_size) {
            *out = sh;
            return true;
        }
    }
    return false;
}

bool audit_elf_find_phdr(const audit_elf_t *elf, uint32_t type, Elf64_Phdr *out)
{
    for (size_t i = 0; i < elf->phnum; i++) {
        audit_elf_phdr(elf, i, out);
        if (out->p_type == type)
            return true;
    }
    return false;
}
