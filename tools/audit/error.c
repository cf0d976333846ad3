/* tools/audit/error.c: messages for the auditor's error codes (see error.h). Kept apart so the
 * wording users see lives in one place. */
#include "tools/audit/error.h"

#include <string.h>

static const char *const messages[AUDIT_E_END - AUDIT_E_BASE] = {
    [AUDIT_E_NOT_ELF - AUDIT_E_BASE] = "not an ELF file",
    [AUDIT_E_EMPTY - AUDIT_E_BASE] = "not an ELF file (empty file)",
    [AUDIT_E_NOT_REGULAR - AUDIT_E_BASE] = "not a regular file",
    [AUDIT_E_ELF_CLASS - AUDIT_E_BASE] =
        "32-bit ELF file: mpk-audit reads x86-64 ELF64 files only (MPK is x86-64)",
    [AUDIT_E_ELF_DATA - AUDIT_E_BASE] = "big-endian ELF file: not an x86-64 file",
    [AUDIT_E_ELF_MACHINE - AUDIT_E_BASE] = "ELF file for another machine: not an x86-64 file",
    [AUDIT_E_ELF_TYPE - AUDIT_E_BASE] =
        "relocatable object or unknown ELF type: mpk-audit reads linked programs and libraries",
    [AUDIT_E_TRUNC_HEADER - AUDIT_E_BASE] = "truncated ELF (file shorter than the ELF header)",
    [AUDIT_E_TRUNC_PHDRS - AUDIT_E_BASE] =
        "truncated ELF (program header table beyond end of file)",
    [AUDIT_E_TRUNC_SHDRS - AUDIT_E_BASE] =
        "truncated ELF (section header table beyond end of file)",
    [AUDIT_E_TRUNC_SEGMENT - AUDIT_E_BASE] =
        "truncated ELF (a loadable segment extends beyond end of file)",
    [AUDIT_E_TRUNC_SECTION - AUDIT_E_BASE] =
        "truncated ELF (a section extends beyond end of file)",
    [AUDIT_E_BAD_PHENT - AUDIT_E_BASE] = "corrupt ELF (bad program header entry size)",
    [AUDIT_E_BAD_SHENT - AUDIT_E_BASE] = "corrupt ELF (bad section header entry size)",
    [AUDIT_E_BAD_SHSTRNDX - AUDIT_E_BASE] = "corrupt ELF (bad section name table index)",
    [AUDIT_E_BAD_SEGMENT - AUDIT_E_BASE] =
        "corrupt ELF (a loadable segment's address range wraps around)",
    [AUDIT_E_BAD_DYNAMIC - AUDIT_E_BASE] =
        "corrupt ELF (dynamic section or its string table lies outside the file)",
    [AUDIT_E_BAD_INTERP - AUDIT_E_BASE] = "corrupt ELF (bad program interpreter entry)",
    [AUDIT_E_LIB_NOT_FOUND - AUDIT_E_BASE] =
        "not found (searched RPATH, LD_LIBRARY_PATH, RUNPATH, /etc/ld.so.cache and the "
        "default directories)",
    [AUDIT_E_DISASSEMBLER - AUDIT_E_BASE] = "the disassembler (capstone) could not start",
    [AUDIT_E_BAD_MAPS - AUDIT_E_BASE] = "unexpected line in /proc/PID/maps",
    [AUDIT_E_PARTIAL_READ - AUDIT_E_BASE] =
        "part of an executable mapping could not be read from /proc/PID/mem",
    [AUDIT_E_NO_PROCESS - AUDIT_E_BASE] = "no such process",
    [AUDIT_E_MAPS_ACCESS - AUDIT_E_BASE] =
        "cannot read /proc/PID/maps: permission denied (the process belongs to another user)",
    [AUDIT_E_MEM_ACCESS - AUDIT_E_BASE] =
        "cannot read the process's memory from /proc/PID/mem: permission denied (needs ptrace "
        "access: run as the same user with ptrace allowed, or as root)",
};

const char *audit_strerror(int code)
{
    if (code > AUDIT_E_BASE && code < AUDIT_E_END && messages[code - AUDIT_E_BASE])
        return messages[code - AUDIT_E_BASE];
    return strerror(code);
}
