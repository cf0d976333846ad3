/* preload/dlopen.c: dlopen, watched in audit mode so that the objects it loads are scanned for
 * WRPKRU and XRSTOR before the program runs their code.
 *
 * glibc's dlopen looks at its return address to find the calling object, whose DT_RUNPATH and
 * namespace decide where a bare name is searched. A wrapper that calls dlopen becomes the
 * caller. So the symbol is a small stub that jumps to the real dlopen, leaving the caller's
 * return address in place, in every case but one: in audit mode, when the caller's search
 * path cannot differ from libmpk's, it calls the real dlopen itself and scans afterwards.
 * Objects loaded past the watch (a caller with RPATH or RUNPATH, a name with $ORIGIN, another
 * namespace) are scanned at the next watched dlopen. */
#include "preload/preload.h"

#include "policy/audit.h"

#include <dlfcn.h>
#include <link.h>
#include <string.h>

typedef void *(*dlopen_fn)(const char *, int);
typedef int (*dlclose_fn)(void *);

dlopen_fn _mpk_dlopen_next; /* read by the stub */
bool _mpk_dlopen_watch;     /* read by the stub: set once at start-up in audit mode */
static dlclose_fn dlclose_next;

/* glibc 2.34 moved dlopen into libc with a new version; older programs bind the old one,
 * which is the same function. */
dlopen_fn _mpk_dlopen_resolve(void);
dlopen_fn _mpk_dlopen_resolve(void)
{
    if (!_mpk_dlopen_next) {
        void *p = dlvsym(RTLD_NEXT, "dlopen", "GLIBC_2.34");
        _mpk_dlopen_next = (dlopen_fn)(p ? p : dlsym(RTLD_NEXT, "dlopen"));
    }
    return _mpk_dlopen_next;
}

static int real_dlclose(void *h)
{
    if (!dlclose_next) {
        void *p = dlvsym(RTLD_NEXT, "dlclose", "GLIBC_2.34");
        dlclose_next = (dlclose_fn)(p ? p : dlsym(RTLD_NEXT, "dlclose"));
    }
    return dlclose_next(h);
}

static void *real_dlopen(const char *file, int mode) { return _mpk_dlopen_resolve()(file, mode); }

/* Would the loader search for `file` the same way if libmpk called dlopen instead of the
 * object at `caller`? Only the caller's own DT_RPATH/DT_RUNPATH, $ORIGIN and namespace depend
 * on who calls (libmpk has none of them; the program's DT_RPATH applies to both). */
int _mpk_dlopen_watchable(const char *file, int mode, void *caller);
int _mpk_dlopen_watchable(const char *file, int mode, void *caller)
{
    struct link_map *lm = NULL;
    Dl_info info;
    Lmid_t ns = LM_ID_BASE;
    (void)mode;
    if (!file || strchr(file, '$'))
        return 0;
    if (!dladdr1(caller, &info, (void **)&lm, RTLD_DL_LINKMAP) || !lm)
        return 0;
    if (dlinfo(lm, RTLD_DI_LMID, &ns) != 0 || ns != LM_ID_BASE)
        return 0;
    if (strchr(file, '/'))
        return 1;
    for (const ElfW(Dyn) *d = lm->l_ld; d && d->d_tag != DT_NULL; d++)
        if (d->d_tag == DT_RUNPATH || (d->d_tag == DT_RPATH && lm->l_name && lm->l_name[0]))
            return 0;
    return 1;
}

void *_mpk_dlopen_watched(const char *file, int mode);
void *_mpk_dlopen_watched(const char *file, int mode)
{
    void *h = real_dlopen(file, mode);
    if (h)
        mpk_audit_loaded();
    return h;
}

/* dlopen(file, mode): rdi, rsi. Three paths: not resolved yet (resolve, then jump); not
 * watching, or a caller whose search path is its own (jump); watched (tail-call the C
 * function). The jumps keep the caller's return address for the real dlopen. */
__asm__(".text\n"
        ".globl dlopen\n"
        ".type dlopen, @function\n"
        "dlopen:\n"
        "  movq _mpk_dlopen_next(%rip), %rax\n"
        "  testq %rax, %rax\n"
        "  jz 2f\n"
        "  cmpb $0, _mpk_dlopen_watch(%rip)\n"
        "  jne 3f\n"
        "1:\n"
        "  jmp *%rax\n"
        "2:\n"
        "  pushq %rdi\n"
        "  pushq %rsi\n"
        "  subq $8, %rsp\n" /* 16-byte alignment for the call */
        "  call _mpk_dlopen_resolve\n"
        "  addq $8, %rsp\n"
        "  popq %rsi\n"
        "  popq %rdi\n"
        "  jmp *%rax\n"
        "3:\n"
        "  pushq %rdi\n"
        "  pushq %rsi\n"
        "  subq $8, %rsp\n"
        "  movq 24(%rsp), %rdx\n" /* the caller's return address */
        "  call _mpk_dlopen_watchable\n"
        "  addq $8, %rsp\n"
        "  popq %rsi\n"
        "  popq %rdi\n"
        "  testl %eax, %eax\n"
        "  jnz _mpk_dlopen_watched\n"
        "  movq _mpk_dlopen_next(%rip), %rax\n"
        "  jmp *%rax\n"
        ".size dlopen, .-dlopen\n");

void _mpk_preload_audit_loader(struct mpk_audit_loader *ld)
{
    _mpk_dlopen_resolve();
    ld->dlopen = real_dlopen;
    ld->dlclose = real_dlclose;
}
