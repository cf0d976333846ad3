/* tools/audit/privilege.c: the three things that make the kernel pass AT_SECURE to a program.
 * Kept alone because it is about the file, not its contents. */
#include "tools/audit/privilege.h"

#include <sys/xattr.h>

void audit_read_privilege(const char *path, const struct stat *st, audit_object_t *obj)
{
    obj->setuid = (st->st_mode & S_ISUID) != 0;
    /* setgid without group-execute marks mandatory locking, not privilege. */
    obj->setgid = (st->st_mode & S_ISGID) && (st->st_mode & S_IXGRP);
    obj->file_caps = getxattr(path, "security.capability", NULL, 0) > 0;
}
