/* core/selfwrite.h: writes to this process's memory that the kernel makes past PKRU (the "PKU
 * Pitfalls" routes a preload can see): the check and its policy, self_write. */
#ifndef MPK_CORE_SELFWRITE_H
#define MPK_CORE_SELFWRITE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <sys/uio.h>

/* open-like call `op` of path with flags: 0 to go on, -EACCES when self_write = refuse and it
 * opens this process's mem file for writing. Callers test _mpk_in_play() first. */
int _mpk_self_write_open(const char *op, const char *path, int flags);

/* process_vm_writev to pid: 0 to go on, -EPERM when self_write = refuse and pid is this
 * process (or one of its threads). */
int _mpk_self_write_vm(const char *op, pid_t pid, const struct iovec *remote, unsigned long n);

/* The two tests alone (tests/unit/test_selfwrite.c): path names this process's mem file; id is
 * this process's pid or one of its threads. */
bool _mpk_self_write_path(const char *path);
bool _mpk_self_write_id(long id);

#endif
