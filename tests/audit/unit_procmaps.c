/* tests/audit/unit_procmaps.c: parsing /proc/PID/maps text (executable lines kept, paths with
 * blanks, anonymous and deleted mappings) and reading this process's own memory. */
#include "tools/audit/procmaps.h"

#include "tools/audit/error.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static const char maps[] =
    "55d0a0000000-55d0a0001000 r--p 00000000 08:01 123  /usr/bin/prog\n"
    "55d0a0001000-55d0a0005000 r-xp 00001000 08:01 123  /usr/bin/prog\n"
    "7f0000000000-7f0000010000 rwxp 00000000 00:00 0 \n"
    "7f0000020000-7f0000021000 r-xp 00000000 00:00 0\n"
    "7f0000030000-7f0000031000 r-xp 00002000 08:01 77   /tmp/my lib.so (deleted)\n"
    "7f0000040000-7f0000042000 r-xp 00000000 08:01 78   /opt/a b/libc.so\n"
    "7ffd00000000-7ffd00002000 r-xp 00000000 00:00 0    [vdso]\n";

Test(procmaps, keeps_executable_mappings)
{
    audit_mappings_t m;
    cr_assert_eq(audit_parse_exec_mappings(maps, &m), 0);
    cr_assert_eq(m.n, 6);
    cr_assert_eq(m.v[0].start, 0x55d0a0001000);
    cr_assert_eq(m.v[0].end, 0x55d0a0005000);
    cr_assert_eq(m.v[0].offset, 0x1000);
    cr_assert_str_eq(m.v[0].path, "/usr/bin/prog");
    cr_assert(audit_mapping_is_file(&m.v[0]));
    cr_assert_str_eq(m.v[1].path, "");
    cr_assert_not(audit_mapping_is_file(&m.v[1]));
    cr_assert_str_eq(m.v[2].path, "");
    cr_assert_str_eq(m.v[3].path, "/tmp/my lib.so (deleted)");
    cr_assert_not(audit_mapping_is_file(&m.v[3]));
    cr_assert_str_eq(m.v[4].path, "/opt/a b/libc.so");
    cr_assert(audit_mapping_is_file(&m.v[4]));
    cr_assert_str_eq(m.v[5].path, "[vdso]");
    cr_assert_not(audit_mapping_is_file(&m.v[5]));
    audit_mappings_free(&m);
}

Test(procmaps, malformed_lines)
{
    audit_mappings_t m;
    cr_assert_eq(audit_parse_exec_mappings("garbage\n", &m), AUDIT_E_BAD_MAPS);
    cr_assert_eq(audit_parse_exec_mappings("2000-1000 r-xp 0 0:0 0\n", &m), AUDIT_E_BAD_MAPS);
    cr_assert_eq(audit_parse_exec_mappings("", &m), 0);
    cr_assert_eq(m.n, 0);
}

Test(procmaps, own_process)
{
    audit_mappings_t m;
    cr_assert_eq(audit_read_exec_mappings(getpid(), &m), 0);
    cr_assert_gt(m.n, 0);
    audit_mappings_free(&m);
    static const char secret[] = "mpk-audit reads this back";
    uint8_t *bytes;
    size_t got;
    uintptr_t at = (uintptr_t)secret;
    cr_assert_eq(audit_read_process_memory(getpid(), at, at + sizeof secret, &bytes, &got), 0);
    cr_assert_eq(got, sizeof secret);
    cr_assert_eq(memcmp(bytes, secret, sizeof secret), 0);
    free(bytes);
    cr_assert_eq(audit_read_exec_mappings(2147483647, &m), ESRCH);
}

/* Another user's process: reading its memory must fail with a permission error, which --pid turns
 * into "permission denied (needs ptrace access ...)". Needs root to become another user. */
Test(procmaps, memory_of_another_user_is_refused)
{
    if (getuid() != 0)
        cr_skip_test("needs root to switch to user nobody");
    static const char secret[] = "not for nobody";
    uintptr_t at = (uintptr_t)secret;
    pid_t parent = getpid();
    pid_t child = fork();
    if (child == 0) {
        if (setgid(65534) != 0 || setuid(65534) != 0)
            _exit(3);
        uint8_t *bytes;
        size_t got;
        int err = audit_read_process_memory(parent, at, at + sizeof secret, &bytes, &got);
        free(bytes);
        _exit(err == EACCES || err == EPERM ? 0 : 1);
    }
    int status;
    cr_assert_eq(waitpid(child, &status, 0), child);
    cr_assert(WIFEXITED(status));
    cr_assert_eq(WEXITSTATUS(status), 0, "reading another user's memory was not refused");
}
