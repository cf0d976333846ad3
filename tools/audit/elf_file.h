/* tools/audit/elf_file.h: a bounds-checked view of an ELF64 x86-64 file image: header, program
 * and section headers, strings, address-to-offset mapping. All other code reads ELF through it. */
#ifndef MPK_AUDIT_ELF_FILE_H
#define MPK_AUDIT_ELF_FILE_H

#include <elf.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct audit_elf {
    const uint8_t *data;
    size_t size;
    Elf64_Ehdr eh;      /* a copy: a hostile e_phoff may be unaligned, so nothing is cast */
    size_t phnum;       /* real counts, after the PN_XNUM / extended-numbering escapes */
    size_t shnum;
    size_t shstrndx;    /* 0 when there is no section name table */
} audit_elf_t;

/* Checks the header and that every table, PT_LOAD and section lies inside the file. Returns 0,
 * AUDIT_E_NOT_ELF, AUDIT_E_TRUNC_*, AUDIT_E_BAD_*, AUDIT_E_ELF_* (see error.h). After success
 * every accessor below stays inside data[0, size). */
int audit_elf_open(audit_elf_t *elf, const uint8_t *data, size_t size);

/* The i-th header, i < phnum / shnum (else false). */
bool audit_elf_phdr(const audit_elf_t *elf, size_t i, Elf64_Phdr *out);
bool audit_elf_shdr(const audit_elf_t *elf, size_t i, Elf64_Shdr *out);

/* data + off when [off, off + len) lies inside the file, else NULL. */
const uint8_t *audit_elf_bytes(const audit_elf_t *elf, uint64_t off, uint64_t len);

/* The NUL-terminated string at index idx of a string table at [tab_off, tab_off + tab_len), or
 * NULL when it runs past the table or the file. */
const char *audit_elf_string(const audit_elf_t *elf, uint64_t tab_off, uint64_t tab_len,
                             uint64_t idx);

/* A section's name, or "" when the name table does not give one. */
const char *audit_elf_section_name(const audit_elf_t *elf, const Elf64_Shdr *sh);

/* The file offset of vaddr through the PT_LOAD that holds it in its file bytes, and how many
 * file bytes follow it in that segment. False when no PT_LOAD holds it. */
bool audit_elf_vaddr_offset(const audit_elf_t *elf, uint64_t vaddr, uint64_t *off,
                            uint64_t *avail);

/* The allocated section (not NOBITS) holding vaddr; false when none does. */
bool audit_elf_section_at(const audit_elf_t *elf, uint64_t vaddr, Elf64_Shdr *out);

/* The first program header of the given type. */
bool audit_elf_find_phdr(const audit_elf_t *elf, uint32_t type, Elf64_Phdr *out);

#endif
