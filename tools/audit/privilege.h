/* tools/audit/privilege.h: whether a file runs in secure mode (setuid, setgid, file capabilities),
 * where the dynamic linker ignores LD_PRELOAD and so libmpk cannot reach the program. */
#ifndef MPK_AUDIT_PRIVILEGE_H
#define MPK_AUDIT_PRIVILEGE_H

#include "tools/audit/finding.h"

#include <sys/stat.h>

/* Sets obj->setuid, setgid, file_caps from the file's mode and its security.capability xattr. */
void audit_read_privilege(const char *path, const struct stat *st, audit_object_t *obj);

#endif
