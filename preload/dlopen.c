/* preload/dlopen.c: dlopen, watched in audit mode so that the objects it loads are scanned for
 * WRPKRU and XRSTOR before the program runs their code.
 *
 * glibc's dlopen looks at its return address to find the calling object, whose DT_RUNPATH,
 * DT_RPATH and namespace decide where a bare name is searched. A wrapper that calls dlopen
 * becomes that caller. So the symbol is a small stub that jumps to the real dlopen, leaving the
 * caller's return address in place, in every case but one: in audit mode, when the caller's
 * search path cannot differ from libmpk's, it calls the real dlopen itself and scans
 * afterwards. Objects loaded past the watch (a caller with RPATH or RUNPATH, a name with
 * $ORIGIN, another namespace) are scanned at the next watched dlopen. */
#include "preload/preload.h"

#include "policy/audit.h"

#include <dlfcn.h>
#include <link.h>
#include <string.h>

/* Would the loader search for `file` the same way if libmpk called dlopen instead of the
 * object at `caller`? Only the caller's own DT_RUNPATH, DT_RPATH (the program's applies to
 * both), $ORIGIN and namespace depend on who calls; libmpk has none of them. */
static bool watchable(const char *file, void *caller)
{
    struct link_map *lm = NULL;
    Dl_info info;
    Lmid_t ns = LM_ID_BASE;
    if (!file || strchr(file, '$'))
        return false;
    if (!dladdr1(caller, &info, (void **)&lm, RTLD_DL_LINKMAP) || !lm)
        return false;
    if (dlinfo(lm, RTLD_DI_LMID, &ns) != 0 || ns != LM_ID_BASE)
        return false;
    if (strchr(file, '/'))
        return true;
    for (const ElfW(Dyn) *d = lm->l_ld; d && d->d_tag != DT_NULL; d++)
        if (d->d_tag == DT_RUNPATH || (d->d_tag == DT_RPATH && lm->l_name && lm->l_name[0]))
            return false;
    return true;
}

void *_mpk_dlopen_watched(const char *file, int mode);
void *_mpk_dlopen_watched(const char *file, int mode)
{
    void *h = _mpk_real_dlopen()(file, mode);
    if (h)
        mpk_audit_loaded();
    return h;
}

/* Where the stub goes: the real dlopen, or the watched path. */
void *_mpk_dlopen_route(const char *file, int mode, void *caller);
void *_mpk_dlopen_route(const char *file, int mode, void *caller)
{
    mpk_dlopen_fn next = _mpk_real_dlopen();
    (void)mode;
    if (mpk_audit_watches_dlopen() && watchable(file, caller))
        return (void *)_mpk_dlopen_watched;
    return (void *)next;
}

/* dlopen(file, mode): ask the router with the caller's return address, then jump there with
 * the arguments and the stack as the caller left them. */
__asm__(".text\n"
        ".globl dlopen\n"
        ".type dlopen, @function\n"
        "dlopen:\n"
        "  pushq %rdi\n"
        "  pushq %rsi\n"
        "  subq $8, %rsp\n"       /* 16-byte alignment for the call */
        "  movq 24(%rsp), %rdx\n" /* the caller's return address */
        "  call _mpk_dlopen_route\n"
        "  addq $8, %rsp\n"
        "  popq %rsi\n"
        "  popq %rdi\n"
        "  jmp *%rax\n"
        ".size dlopen, .-dlopen\n");

void _mpk_preload_audit_loader(struct mpk_audit_loader *ld)
{
    void *close = dlvsym(RTLD_NEXT, "dlclose", "GLIBC_2.34");
    ld->dlopen = _mpk_real_dlopen();
    ld->dlclose = (int (*)(void *))(close ? close : dlsym(RTLD_NEXT, "dlclose"));
}
