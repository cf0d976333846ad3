/* tests/audit/pid_check.c: the --pid test. This process maps "JIT code" (an anonymous executable
 * page with a WRPKRU and a hidden one), then runs mpk-audit --pid on itself and checks what it
 * says, including the file-backed uses_wrpkru of its own binary at its runtime address. When run
 * as root it also audits itself as user nobody, which must fail with a clear permission error. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#define JIT_SIZE 4096
#define NOBODY 65534
#define EXEC_FAILED 126

void uses_wrpkru(void);

static uint8_t *make_jit_page(void)
{
    uint8_t *p = mmap(NULL, JIT_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        return NULL;
    memset(p, 0x90, JIT_SIZE);                                  /* nops */
    memcpy(p + 0x100, "\x0f\x01\xef", 3);                       /* wrpkru */
    memcpy(p + 0x200, "\xb8\x0f\x01\xef\x00", 5);               /* mov eax, 0xef010f */
    p[JIT_SIZE - 1] = 0xc3;
    if (mprotect(p, JIT_SIZE, PROT_READ | PROT_EXEC) != 0)
        return NULL;
    return p;
}

/* Runs mpk-audit --pid getpid() (as uid when uid >= 0), output into buf; returns exit status. */
static int run_audit(int uid, char *buf, size_t len)
{
    int fds[2];
    if (pipe(fds) != 0)
        return -1;
    char pid[32];
    snprintf(pid, sizeof pid, "%d", (int)getpid());
    pid_t child = fork();
    if (child == 0) {
        dup2(fds[1], 1);
        dup2(fds[1], 2);
        close(fds[0]);
        if (uid >= 0 && (setgid(uid) != 0 || setuid(uid) != 0))
            _exit(EXEC_FAILED);
        execl(AUDIT_TOOL, AUDIT_TOOL, "--pid", pid, (char *)NULL);
        _exit(EXEC_FAILED);
    }
    close(fds[1]);
    size_t got = 0;
    ssize_t n;
    while (got + 1 < len && (n = read(fds[0], buf + got, len - 1 - got)) > 0)
        got += (size_t)n;
    buf[got] = 0;
    close(fds[0]);
    int status;
    waitpid(child, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static int expect(int ok, const char *what)
{
    printf("%s: %s\n", ok ? "ok" : "FAIL", what);
    return ok ? 0 : 1;
}

static int check_own_process(const uint8_t *jit)
{
    static char out[1 << 16];
    char want[128];
    int fails = 0;
    int status = run_audit(-1, out, sizeof out);
    printf("--- mpk-audit --pid output:\n%s---\n", out);
    fails += expect(status == 1, "exit status 1 (findings)");
    snprintf(want, sizeof want, "0x%lx: wrpkru (instruction)", (unsigned long)(jit + 0x100));
    fails += expect(strstr(out, want) != NULL, "WRPKRU in anonymous code found as instruction");
    snprintf(want, sizeof want, "0x%lx: wrpkru (hidden: inside mov eax, 0xef010f at 0x%lx)",
             (unsigned long)(jit + 0x201), (unsigned long)(jit + 0x200));
    fails += expect(strstr(out, want) != NULL, "hidden WRPKRU in anonymous code found");
    snprintf(want, sizeof want, "in uses_wrpkru+0x");
    fails += expect(strstr(out, want) != NULL, "uses_wrpkru of the mapped binary named");
    /* The file-backed finding is reported at its runtime address, inside uses_wrpkru. */
    const char *line = strstr(out, want);
    unsigned long addr = 0;
    while (line && line > out && line[-1] != '\n')
        line--;
    if (line) {
        const char *colon = strstr(line, ": 0x");
        addr = colon ? strtoul(colon + 2, NULL, 16) : 0;
    }
    uintptr_t fn = (uintptr_t)&uses_wrpkru;
    fails += expect(addr >= fn && addr < fn + 64, "uses_wrpkru reported at its runtime address");
    return fails;
}

static int check_permission_denied(void)
{
    static char out[1 << 14];
    if (getuid() != 0) {
        printf("skip: not root, cannot test a process the auditor may not inspect\n");
        return 0;
    }
    int status = run_audit(NOBODY, out, sizeof out);
    if (status == EXEC_FAILED) {
        printf("skip: user nobody cannot run %s\n", AUDIT_TOOL);
        return 0;
    }
    printf("--- mpk-audit --pid as nobody:\n%s---\n", out);
    int fails = expect(status == 2, "exit status 2 when the process may not be inspected");
    fails += expect(strstr(out, "permission denied") != NULL, "says permission denied");
    return fails;
}

int main(void)
{
    /* Under Yama ptrace_scope 1 a child may not read its parent's memory unless allowed. */
    prctl(PR_SET_PTRACER, PR_SET_PTRACER_ANY, 0, 0, 0);
    uint8_t *jit = make_jit_page();
    if (!jit) {
        perror("mmap/mprotect");
        return 1;
    }
    int fails = check_own_process(jit) + check_permission_denied();
    printf(fails ? "FAILED\n" : "PASS\n");
    return fails ? 1 : 0;
}
