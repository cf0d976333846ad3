/* tools/audit/error.h: the auditor's error codes: errno values plus codes for what is wrong with
 * a file's contents, so every layer below the reports returns a value and never prints. */
#ifndef MPK_AUDIT_ERROR_H
#define MPK_AUDIT_ERROR_H

/* Above every errno value, so one int carries either kind. */
enum {
    AUDIT_E_BASE = 0x10000,
    AUDIT_E_NOT_ELF,        /* no ELF magic */
    AUDIT_E_EMPTY,          /* zero-length file */
    AUDIT_E_NOT_REGULAR,    /* device, fifo, socket */
    AUDIT_E_ELF_CLASS,      /* 32-bit ELF */
    AUDIT_E_ELF_DATA,       /* big-endian ELF */
    AUDIT_E_ELF_MACHINE,    /* not x86-64 */
    AUDIT_E_ELF_TYPE,       /* relocatable object or unknown e_type */
    AUDIT_E_TRUNC_HEADER,   /* shorter than the ELF header */
    AUDIT_E_TRUNC_PHDRS,    /* program header table beyond end of file */
    AUDIT_E_TRUNC_SHDRS,    /* section header table beyond end of file */
    AUDIT_E_TRUNC_SEGMENT,  /* a PT_LOAD's file bytes beyond end of file */
    AUDIT_E_TRUNC_SECTION,  /* a section's bytes beyond end of file */
    AUDIT_E_BAD_PHENT,      /* e_phentsize is not sizeof(Elf64_Phdr) */
    AUDIT_E_BAD_SHENT,      /* e_shentsize is not sizeof(Elf64_Shdr) */
    AUDIT_E_BAD_SHSTRNDX,   /* section name table index out of range */
    AUDIT_E_BAD_SEGMENT,    /* a PT_LOAD whose address range wraps around */
    AUDIT_E_BAD_DYNAMIC,    /* dynamic section or its string table unreadable */
    AUDIT_E_BAD_INTERP,     /* PT_INTERP not a string inside the file */
    AUDIT_E_LIB_NOT_FOUND,  /* --deps: a DT_NEEDED library found nowhere */
    AUDIT_E_DISASSEMBLER,   /* capstone would not open */
    AUDIT_E_BAD_MAPS,       /* a /proc/PID/maps line we cannot parse */
    AUDIT_E_PARTIAL_READ,   /* part of a process mapping could not be read */
    AUDIT_E_NO_PROCESS,     /* --pid: no such process */
    AUDIT_E_MAPS_ACCESS,    /* --pid: /proc/PID/maps not readable by us */
    AUDIT_E_MEM_ACCESS,     /* --pid: /proc/PID/mem not readable by us (no ptrace access) */
    AUDIT_E_END
};

/* The message for code: strerror() for errno values, ours above AUDIT_E_BASE. Never NULL. */
const char *audit_strerror(int code);

#endif
