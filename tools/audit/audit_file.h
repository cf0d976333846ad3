/* tools/audit/audit_file.h: auditing one file: open it, read its ELF properties (kind,
 * interpreter, setuid, libmpk or not), scan it, and keep what --deps needs to follow it. */
#ifndef MPK_AUDIT_AUDIT_FILE_H
#define MPK_AUDIT_AUDIT_FILE_H

#include "tools/audit/decode.h"
#include "tools/audit/elf_info.h"
#include "tools/audit/finding.h"
#include "tools/audit/image.h"
#include "tools/audit/scan_elf.h"

#include <stdbool.h>

typedef struct audit_file_opts {
    bool count_syscalls;    /* verbose: count syscalls whose number cannot be told */
} audit_file_opts_t;

/* Audits the file at obj->path. Problems with the file go to obj->error; links (may be NULL)
 * receives the dynamic entries when the file is ELF. Returns 0 or ENOMEM. */
int audit_file(const audit_file_opts_t *opts, audit_decoder_t *dec, audit_object_t *obj,
               audit_links_t *links);

/* The same on an image already in memory (the fuzzer's entry). windows as audit_scan_elf. */
int audit_file_image(const audit_image_t *img, const audit_window_t *windows, size_t nwindows,
                     const audit_file_opts_t *opts, audit_decoder_t *dec, audit_object_t *obj,
                     audit_links_t *links);

/* Reads the properties of obj from an opened ELF (kind, interpreter, soname, libmpk). */
int audit_file_properties(const audit_elf_t *elf, audit_object_t *obj, audit_links_t *links);

#endif
