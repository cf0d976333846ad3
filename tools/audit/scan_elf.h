/* tools/audit/scan_elf.h: auditing one image end to end: its executable bytes scanned at every
 * offset, each candidate classified and labelled, the findings added to the object. */
#ifndef MPK_AUDIT_SCAN_ELF_H
#define MPK_AUDIT_SCAN_ELF_H

#include "tools/audit/decode.h"
#include "tools/audit/elf_file.h"
#include "tools/audit/finding.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Part of a file that a process maps: file bytes [file_off, file_off + len) at runtime. */
typedef struct audit_window {
    uint64_t file_off;
    uint64_t len;
    uint64_t runtime;
} audit_window_t;

/* Scans the executable PT_LOADs (windows == NULL), or the given windows of the file with
 * runtime addresses. count_syscalls counts syscalls whose number cannot be told. Returns 0 or
 * ENOMEM; findings go to obj. */
int audit_scan_elf(const audit_elf_t *elf, const audit_window_t *windows, size_t nwindows,
                   bool count_syscalls, audit_decoder_t *dec, audit_object_t *obj);

/* Scans bytes with no ELF around them (anonymous executable memory) loaded at addr. */
int audit_scan_memory(const uint8_t *bytes, size_t size, uint64_t addr, bool count_syscalls,
                      audit_decoder_t *dec, audit_object_t *obj);

#endif
