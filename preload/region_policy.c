/* preload/region_policy.c: the [region NAME] rules turned into the manager's two questions
 * (which rule does a new mapping fall under; what may the calling thread do under a rule),
 * and the calls that rename threads, after which every thread's rights are decided again.
 * Both questions are asked with the manager lock held, from mmap or the fault handler: plain
 * system calls only, no allocation. */
#include "preload/preload.h"

#include "core/fault.h"
#include "core/region.h"
#include "core/report.h"
#include "policy/config.h"
#include "policy/glob.h"

#include <errno.h>
#include <stdarg.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>

const struct mpk_config *_mpk_preload_config(void);

/* The mapping's flags, in the rules' terms. */
static unsigned map_flags(int prot, int flags, int fd)
{
    unsigned f = (flags & MAP_ANONYMOUS) || fd < 0 ? MPK_MAP_ANON : MPK_MAP_FILE;
    f |= (flags & MAP_TYPE) == MAP_PRIVATE ? MPK_MAP_PRIVATE : MPK_MAP_SHARED;
    if (prot & PROT_EXEC)
        f |= MPK_MAP_EXEC;
    if (prot & PROT_WRITE)
        f |= MPK_MAP_WRITE;
    return f;
}

/* The path of the file behind fd, or false. */
static bool fd_path(int fd, char *buf, size_t n)
{
    char link[32];
    long r;
    _mpk_format(link, sizeof link, "/proc/self/fd/%d", fd);
    r = mpk_sys(SYS_readlink, link, buf, n - 1, 0, 0, 0);
    if (r <= 0)
        return false;
    buf[r] = 0;
    return buf[0] == '/';
}

static unsigned region_match(uintptr_t start, size_t len, int prot, int flags, int fd)
{
    const struct mpk_config *c = _mpk_preload_config();
    static char path[MPK_CONFIG_PATH_MAX]; /* the manager lock is held: one caller at a time */
    unsigned f = map_flags(prot, flags, fd);
    int have_path = -1; /* not read yet */
    (void)start;
    for (unsigned i = 0; i < c->nregions; i++) {
        const struct mpk_region *r = &c->regions[i];
        if ((f & r->flags) != r->flags || len < r->min_size)
            continue;
        if (r->file[0]) {
            if (have_path < 0)
                have_path = (f & MPK_MAP_FILE) && fd_path(fd, path, sizeof path);
            if (!have_path || !mpk_glob_match(r->file, path))
                continue;
        }
        return i + 1;
    }
    return 0;
}

/* The rule's rights if the calling thread's name is one it names, else no access. */
static unsigned region_rights(unsigned rule)
{
    const struct mpk_region *r = &_mpk_preload_config()->regions[rule - 1];
    char name[17] = {0};
    if (r->threads[0]) {
        if (mpk_sys(SYS_prctl, PR_GET_NAME, name, 0, 0, 0, 0) != 0 || !mpk_glob_match(r->threads, name))
            return MPK_AD;
    }
    return r->rights == MPK_RIGHTS_RW ? 0 : r->rights == MPK_RIGHTS_READ ? MPK_WD : MPK_AD;
}

static const char *region_name(unsigned rule)
{
    return _mpk_preload_config()->regions[rule - 1].name;
}

void _mpk_preload_region_settings(mpk_settings_t *s)
{
    const struct mpk_config *c = _mpk_preload_config();
    s->nregions = c->nregions;
    s->region_match = region_match;
    s->region_rights = region_rights;
    s->region_name = region_name;
    for (unsigned i = 0; i < c->nregions && i < MPK_MAX_REGIONS; i++) {
        s->region_sealed[i + 1] = (uint8_t)c->regions[i].sealed;
        s->any_region_sealed |= c->regions[i].sealed != MPK_SEALED_NO;
    }
}

/* ---- renaming threads ------------------------------------------------------------------------ */

MPK_EXPORT int pthread_setname_np(pthread_t thread, const char *name)
{
    mpk_setname_fn f = _mpk_real_setname();
    int r;
    if (!f)
        return ENOSYS;
    r = f(thread, name);
    /* glibc has read the name (strlen) by then; EFAULT is the kernel's, on a key it cannot
     * bring in: core/fault.c brings it in, and the rename is simply done again. */
    if (r == EFAULT && _mpk_fault_for_syscall(name, strlen(name) + 1, false))
        r = f(thread, name);
    if (r == 0)
        _mpk_region_renamed();
    return r;
}

/* glibc's prctl is the system call; PR_SET_NAME renames the calling thread. */
MPK_EXPORT int prctl(int option, ...)
{
    unsigned long a[4];
    va_list ap;
    long r;
    va_start(ap, option);
    for (int i = 0; i < 4; i++)
        a[i] = va_arg(ap, unsigned long);
    va_end(ap);
    r = mpk_sys(SYS_prctl, option, a[0], a[1], a[2], a[3], 0);
    /* As for pthread_setname_np: the kernel reads at most 16 bytes of the name. */
    if (r == -EFAULT && option == PR_SET_NAME && _mpk_fault_for_syscall((const void *)a[0], 16, false))
        r = mpk_sys(SYS_prctl, option, a[0], a[1], a[2], a[3], 0);
    if (r == 0 && option == PR_SET_NAME)
        _mpk_region_renamed();
    return (int)mpk_ret(r);
}
