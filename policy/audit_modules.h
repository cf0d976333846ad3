/* policy/audit_modules.h: the loaded objects (program, libraries, vdso) and their address spans,
 * so that a code address becomes module+offset anywhere, signal handlers included. The table is
 * taken in normal context (start-up, after each dlopen) and read without locks: dladdr and
 * dl_iterate_phdr take the dynamic loader's lock, which a faulting thread may hold. */
#ifndef MPK_POLICY_AUDIT_MODULES_H
#define MPK_POLICY_AUDIT_MODULES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MPK_AUDIT_MODULES_MAX 1024 /* objects beyond this many are not named */

/* Take the table again (normal context only; one refresh at a time). 0, or -ENOSPC when some
 * objects did not fit. */
int mpk_audit_modules_refresh(void);

/* The object holding code address pc: its path (NUL-terminated, cut to n) and load bias, so
 * that pc - bias is the address in the file's ELF address space (what addr2line takes).
 * Async-signal-safe. False when no known object holds pc (JIT code, unmapped, no table yet). */
bool mpk_audit_module_of(uintptr_t pc, char *path, size_t n, uintptr_t *bias);

/* The path the table uses for the main program (readlink of /proc/self/exe at start-up). */
const char *mpk_audit_program_path(void);

/* libmpk's own object (the one holding this code), for skipping and labelling its frames. */
bool mpk_audit_is_self(uintptr_t pc);

#endif
