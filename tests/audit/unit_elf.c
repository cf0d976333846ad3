/* tests/audit/unit_elf.c: the ELF reader on hand-made headers (each corruption gives its own
 * error) and on every truncation of a real program (an error, never a crash). */
#include "tools/audit/audit_file.h"
#include "tools/audit/elf_file.h"
#include "tools/audit/elf_info.h"
#include "tools/audit/error.h"

#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define CODE_OFF 0x100
#define SHDR_OFF 0x200
#define IMAGE_SIZE (SHDR_OFF + 3 * sizeof(Elf64_Shdr))

static uint8_t img[IMAGE_SIZE];

/* A static ET_EXEC: one RX PT_LOAD over 16 bytes of code holding a WRPKRU, and a section table
 * (null, .text, .shstrtab). */
static void build(void)
{
    memset(img, 0, sizeof img);
    Elf64_Ehdr eh = {0};
    memcpy(eh.e_ident, ELFMAG, SELFMAG);
    eh.e_ident[EI_CLASS] = ELFCLASS64;
    eh.e_ident[EI_DATA] = ELFDATA2LSB;
    eh.e_ident[EI_VERSION] = EV_CURRENT;
    eh.e_type = ET_EXEC;
    eh.e_machine = EM_X86_64;
    eh.e_version = EV_CURRENT;
    eh.e_phoff = sizeof eh;
    eh.e_phentsize = sizeof(Elf64_Phdr);
    eh.e_phnum = 1;
    eh.e_shoff = SHDR_OFF;
    eh.e_shentsize = sizeof(Elf64_Shdr);
    eh.e_shnum = 3;
    eh.e_shstrndx = 2;
    eh.e_ehsize = sizeof eh;
    memcpy(img, &eh, sizeof eh);
    Elf64_Phdr ph = {.p_type = PT_LOAD, .p_flags = PF_R | PF_X, .p_offset = CODE_OFF,
                     .p_vaddr = 0x400100, .p_filesz = 16, .p_memsz = 16};
    memcpy(img + sizeof eh, &ph, sizeof ph);
    memcpy(img + CODE_OFF, "\x31\xc9\x31\xd2\x31\xc0\x0f\x01\xef\xc3", 10);
    memcpy(img + 0x180, "\0.text\0.shstrtab\0", 17);
    Elf64_Shdr sh[3] = {{0}};
    sh[1] = (Elf64_Shdr){.sh_name = 1, .sh_type = SHT_PROGBITS, .sh_flags = SHF_ALLOC |
                         SHF_EXECINSTR, .sh_addr = 0x400100, .sh_offset = CODE_OFF,
                         .sh_size = 16};
    sh[2] = (Elf64_Shdr){.sh_name = 7, .sh_type = SHT_STRTAB, .sh_offset = 0x180, .sh_size = 17};
    memcpy(img + SHDR_OFF, sh, sizeof sh);
}

static Elf64_Ehdr *eh(void)
{
    return (Elf64_Ehdr *)img;   /* img is static and aligned enough for the test's own edits */
}

static Elf64_Phdr *ph(void)
{
    return (Elf64_Phdr *)(img + sizeof(Elf64_Ehdr));
}

static int open_image(size_t size)
{
    audit_elf_t elf;
    return audit_elf_open(&elf, img, size);
}

TestSuite(elf, .init = build);

Test(elf, valid_image_opens_and_is_static)
{
    audit_elf_t elf;
    cr_assert_eq(audit_elf_open(&elf, img, sizeof img), 0);
    cr_assert_eq(elf.phnum, 1);
    cr_assert_eq(elf.shnum, 3);
    audit_elf_info_t info;
    cr_assert_eq(audit_elf_info_read(&elf, &info), 0);
    cr_assert_eq(info.kind, AUDIT_KIND_STATIC);
    cr_assert_null(info.interp);
    audit_elf_info_free(&info);
}

Test(elf, valid_image_scans_to_one_finding)
{
    audit_decoder_t dec;
    cr_assert_eq(audit_decoder_open(&dec), 0);
    audit_object_t obj;
    cr_assert_eq(audit_object_init(&obj, "mem", NULL), 0);
    audit_image_t im;
    audit_image_borrow(&im, img, sizeof img);
    audit_file_opts_t opts = {0};
    cr_assert_eq(audit_file_image(&im, NULL, 0, &opts, &dec, &obj, NULL), 0);
    cr_assert_eq(obj.error, 0);
    cr_assert_eq(obj.nfindings, 1);
    cr_assert_eq(obj.findings[0].addr, 0x400106);
    cr_assert_eq(obj.findings[0].cls, AUDIT_CLASS_INSTRUCTION);
    audit_object_free(&obj);
    audit_decoder_close(&dec);
}

Test(elf, not_elf_and_empty)
{
    audit_elf_t elf;
    cr_assert_eq(audit_elf_open(&elf, (const uint8_t *)"hello, world", 12), AUDIT_E_NOT_ELF);
    cr_assert_eq(audit_elf_open(&elf, (const uint8_t *)"", 0), AUDIT_E_EMPTY);
    cr_assert_eq(audit_elf_open(&elf, (const uint8_t *)"\x7f" "EL", 3), AUDIT_E_NOT_ELF);
}

Test(elf, foreign_files)
{
    img[EI_CLASS] = ELFCLASS32;
    cr_assert_eq(open_image(sizeof img), AUDIT_E_ELF_CLASS);
    build();
    img[EI_DATA] = ELFDATA2MSB;
    cr_assert_eq(open_image(sizeof img), AUDIT_E_ELF_DATA);
    build();
    eh()->e_machine = EM_AARCH64;
    cr_assert_eq(open_image(sizeof img), AUDIT_E_ELF_MACHINE);
    build();
    eh()->e_type = ET_REL;
    cr_assert_eq(open_image(sizeof img), AUDIT_E_ELF_TYPE);
}

Test(elf, truncations_name_what_is_missing)
{
    cr_assert_eq(open_image(40), AUDIT_E_TRUNC_HEADER);
    cr_assert_eq(open_image(SHDR_OFF + 10), AUDIT_E_TRUNC_SHDRS);
    eh()->e_phoff = IMAGE_SIZE - 10;
    cr_assert_eq(open_image(sizeof img), AUDIT_E_TRUNC_PHDRS);
    build();
    ph()->p_filesz = IMAGE_SIZE;
    cr_assert_eq(open_image(sizeof img), AUDIT_E_TRUNC_SEGMENT);
    build();
    ((Elf64_Shdr *)(img + SHDR_OFF))[1].sh_size = 1u << 30;
    cr_assert_eq(open_image(sizeof img), AUDIT_E_TRUNC_SECTION);
}

Test(elf, corrupt_tables)
{
    eh()->e_phentsize = 32;
    cr_assert_eq(open_image(sizeof img), AUDIT_E_BAD_PHENT);
    build();
    eh()->e_shentsize = 40;
    cr_assert_eq(open_image(sizeof img), AUDIT_E_BAD_SHENT);
    build();
    eh()->e_shstrndx = 7;
    cr_assert_eq(open_image(sizeof img), AUDIT_E_BAD_SHSTRNDX);
    build();
    ph()->p_vaddr = UINT64_MAX - 4;
    cr_assert_eq(open_image(sizeof img), AUDIT_E_BAD_SEGMENT);
    build();
    eh()->e_phoff = UINT64_MAX - 8;     /* offset arithmetic must not wrap */
    cr_assert_eq(open_image(sizeof img), AUDIT_E_TRUNC_PHDRS);
    build();
    eh()->e_shoff = UINT64_MAX - 8;
    cr_assert_eq(open_image(sizeof img), AUDIT_E_TRUNC_SHDRS);
}

Test(elf, extended_section_numbering)
{
    eh()->e_shnum = 0;
    ((Elf64_Shdr *)(img + SHDR_OFF))[0].sh_size = 3;
    audit_elf_t elf;
    cr_assert_eq(audit_elf_open(&elf, img, sizeof img), 0);
    cr_assert_eq(elf.shnum, 3);
    ((Elf64_Shdr *)(img + SHDR_OFF))[0].sh_size = 1000;     /* more than the file holds */
    cr_assert_eq(audit_elf_open(&elf, img, sizeof img), AUDIT_E_TRUNC_SHDRS);
}

Test(elf, unterminated_interpreter)
{
    eh()->e_phnum = 2;
    Elf64_Phdr interp = {.p_type = PT_INTERP, .p_offset = CODE_OFF, .p_filesz = 3};
    memcpy(img + sizeof(Elf64_Ehdr) + sizeof(Elf64_Phdr), &interp, sizeof interp);
    audit_elf_t elf;
    cr_assert_eq(audit_elf_open(&elf, img, sizeof img), 0);
    audit_elf_info_t info;
    cr_assert_eq(audit_elf_info_read(&elf, &info), AUDIT_E_BAD_INTERP);
    audit_elf_info_free(&info);
}

/* Every prefix of a real linked program: an error for each (never a crash), none for the whole. */
Test(elf, every_truncation_of_a_real_program, .timeout = 300)
{
    audit_image_t whole;
    struct stat st;
    cr_assert_eq(audit_image_open(AUDIT_SAMPLE, &whole, &st), 0);
    audit_decoder_t dec;
    cr_assert_eq(audit_decoder_open(&dec), 0);
    audit_file_opts_t opts = {.count_syscalls = true};
    for (size_t size = 0; size <= whole.size; size += size < 8192 ? 1 : 97) {
        /* A copy of exactly size bytes, so reading past it is caught by ASan builds. */
        uint8_t *copy = malloc(size ? size : 1);
        memcpy(copy, whole.data, size);
        audit_image_t im;
        audit_image_borrow(&im, copy, size);
        audit_object_t obj;
        cr_assert_eq(audit_object_init(&obj, "cut", NULL), 0);
        cr_assert_eq(audit_file_image(&im, NULL, 0, &opts, &dec, &obj, NULL), 0);
        if (size < whole.size)
            cr_assert_neq(obj.error, 0, "prefix of %zu bytes accepted", size);
        audit_object_free(&obj);
        free(copy);
    }
    audit_object_t obj;
    cr_assert_eq(audit_object_init(&obj, "whole", NULL), 0);
    cr_assert_eq(audit_file_image(&whole, NULL, 0, &opts, &dec, &obj, NULL), 0);
    cr_assert_eq(obj.error, 0);
    cr_assert_gt(obj.nfindings, 0);
    audit_object_free(&obj);
    audit_decoder_close(&dec);
    audit_image_close(&whole);
}
