/* tests/integration/it_audit_scan.c: a program with WRPKRU bytes of its own (never run), which
 * loads two libraries that have some too: one by path, one by bare name through the program's
 * DT_RUNPATH ($ORIGIN/runpath), which only works if dlopen still sees the program as its caller.
 * The audit log must report all three sites (tests/integration/audit_check.py scan). */
#include <dlfcn.h>
#include <stdio.h>

/* Never called: there may be no PKU (SIGILL). */
__attribute__((used, noinline)) void has_wrpkru(void)
{
    __asm__ volatile(".byte 0x0f, 0x01, 0xef" ::"a"(0), "c"(0), "d"(0) : "memory");
}

int main(int argc, char **argv)
{
    void *by_runpath, *by_path;
    if (argc < 2) {
        fprintf(stderr, "usage: %s PLUGIN\n", argv[0]);
        return 2;
    }
    by_runpath = dlopen("libit_audit_runpath.so", RTLD_NOW);
    if (!by_runpath) {
        printf("dlopen by RUNPATH failed: %s\n", dlerror());
        return 1;
    }
    by_path = dlopen(argv[1], RTLD_NOW);
    if (!by_path || !dlsym(by_path, "plugin_wrpkru") || !dlsym(by_runpath, "runpath_wrpkru")) {
        printf("dlopen by path failed: %s\n", dlerror());
        return 1;
    }
    printf("loaded both\n");
    return 0;
}
