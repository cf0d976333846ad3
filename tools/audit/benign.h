/* tools/audit/benign.h: known, harmless sites (glibc's pkey functions, the dynamic linker's
 * XRSTOR that leaves PKRU alone, libmpk itself): labelled, still listed, never counted. */
#ifndef MPK_AUDIT_BENIGN_H
#define MPK_AUDIT_BENIGN_H

#include "tools/audit/finding.h"

#include <stdbool.h>

/* True for file names (or sonames) matching libmpk*.so*. */
bool audit_is_libmpk_name(const char *name);

/* Sets f->benign to the reason when the site is known to be harmless in obj. */
void audit_label_benign(const audit_object_t *obj, audit_finding_t *f);

#endif
