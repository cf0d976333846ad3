/* tools/audit/benign.c: the benign-site rules. A rule names the object (by soname, else file name)
 * and the function, because only then is it known what the code does with PKRU. */
#include "tools/audit/benign.h"

#include <fnmatch.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

/* glibc's implementations of the pkey API: programs reach them through the dynamic linker, so
 * the preload interposes every call to them, and their WRPKRU and syscalls become libmpk's. */
static const char *const glibc_pkey_functions[] = {
    "pkey_set", "pkey_get", "pkey_alloc", "pkey_free", "pkey_mprotect", "syscall",
};

/* glibc's wrappers for the "PKU Pitfalls" syscalls, and why each is harmless as a site: the
 * route is the program's call through the dynamic linker, where the preload sees it, or not
 * the program's own at all. */
static const struct {
    const char *function, *why;
} glibc_pitfall_functions[] = {
    {"mprotect", "called through the dynamic linker, so the preload interposes it"},
    {"__mprotect", "called through the dynamic linker, so the preload interposes it"},
    {"mremap", "called through the dynamic linker, so the preload interposes it"},
    {"__mremap", "called through the dynamic linker, so the preload interposes it"},
    {"process_vm_writev", "called through the dynamic linker, so the preload interposes it"},
    {"madvise", "called through the dynamic linker, where a preload sees it "
                "(libmpk does not check madvise today)"},
    {"__madvise", "called through the dynamic linker, where a preload sees it "
                  "(libmpk does not check madvise today)"},
    {"posix_madvise", "called through the dynamic linker, where a preload sees it "
                      "(libmpk does not check madvise today)"},
    {"ptrace", "a process cannot trace itself: the tracer is another program, "
               "which a scan of that program judges"},
    {"__restore_rt", "the return path of every signal handler the C library installs; "
                     "forging its frame needs control of the stack first"},
};

static const char *base_name(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

/* The soname when the file has one (a copy of libc may be called anything), else the file name. */
static const char *object_name(const audit_object_t *obj)
{
    return obj->soname ? obj->soname : base_name(obj->path);
}

bool audit_is_libmpk_name(const char *name)
{
    return fnmatch("libmpk*.so*", base_name(name), 0) == 0;
}

static bool is_glibc_pkey_function(const audit_finding_t *f)
{
    if (!f->function || !f->function_inside)
        return false;
    for (size_t i = 0; i < sizeof glibc_pkey_functions / sizeof *glibc_pkey_functions; i++)
        if (strcmp(f->function, glibc_pkey_functions[i]) == 0)
            return true;
    return false;
}

/* __restore_rt has no size in glibc's symbol table, so its syscall is "near" it. */
static const char *glibc_pitfall_reason(const audit_finding_t *f)
{
    if (!f->function || f->syscall_nr < 0 || !audit_syscall_why(f->syscall_nr))
        return NULL;
    for (size_t i = 0; i < sizeof glibc_pitfall_functions / sizeof *glibc_pitfall_functions; i++)
        if (strcmp(f->function, glibc_pitfall_functions[i].function) == 0 &&
            (f->function_inside || strcmp(f->function, "__restore_rt") == 0))
            return glibc_pitfall_functions[i].why;
    return NULL;
}

static bool is_dynamic_linker(const audit_object_t *obj)
{
    return fnmatch("ld-linux*.so*", object_name(obj), 0) == 0;
}

void audit_label_benign(const audit_object_t *obj, audit_finding_t *f)
{
    f->benign[0] = 0;
    if (obj->is_libmpk) {
        snprintf(f->benign, sizeof f->benign,
                 "libmpk itself: it writes PKRU on the program's behalf");
    } else if (strcmp(object_name(obj), "libc.so.6") == 0 && is_glibc_pkey_function(f)) {
        snprintf(f->benign, sizeof f->benign,
                 "glibc %s: called through the dynamic linker, so the preload interposes it",
                 f->function);
    } else if (strcmp(object_name(obj), "libc.so.6") == 0 && glibc_pitfall_reason(f)) {
        snprintf(f->benign, sizeof f->benign, "glibc %s: %s", f->function,
                 glibc_pitfall_reason(f));
    } else if (audit_elf_kind_unreachable(obj->kind) && glibc_pitfall_reason(f)) {
        snprintf(f->benign, sizeof f->benign,
                 "glibc %s, linked into a program LD_PRELOAD cannot reach at all (see the note)",
                 f->function);
    } else if (is_dynamic_linker(obj) && f->syscall_nr == 10) {
        snprintf(f->benign, sizeof f->benign,
                 "glibc dynamic linker's own mprotect, for loading objects and RELRO");
    } else if (f->cls == AUDIT_CLASS_INSTRUCTION && f->pkru_in_mask == 0) {
        snprintf(f->benign, sizeof f->benign, "%smask 0x%" PRIx32 " leaves PKRU alone",
                 is_dynamic_linker(obj) ? "glibc dynamic linker's lazy-binding resolver: "
                                        : "XRSTOR ",
                 f->mask_eax);
    }
}
