/* preload/wx_policy.c: the [wx] section turned into the manager's W^X settings, and the check
 * of which regions may be converted (private mappings, those [wx] file names), which needs the
 * mapping's name from /proc/self/maps: only read when a region is first flipped. */
#include "preload/preload.h"

#include "policy/config.h"
#include "policy/glob.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

const struct mpk_config *_mpk_preload_config(void);

/* One line of /proc/self/maps: start, end, whether private, the path ("" if anonymous). */
static bool parse_line(const char *l, uintptr_t *lo, uintptr_t *hi, bool *private_map, const char **path)
{
    char *end;
    int field = 0;
    *lo = strtoul(l, &end, 16);
    if (*end != '-')
        return false;
    *hi = strtoul(end + 1, &end, 16);
    if (*end != ' ')
        return false;
    *private_map = end[4] == 'p';
    /* address perms offset dev inode path: the path starts after the fifth field */
    for (const char *p = end; *p; p++) {
        if (*p == ' ' && p[1] != ' ' && ++field == 5) {
            *path = p + 1;
            return true;
        }
    }
    *path = "";
    return true;
}

/* Every mapping that meets [a, b) is private and (if [wx] file is set) a file it matches. */
static bool eligible(uintptr_t a, uintptr_t b, const char **why)
{
    const struct mpk_config *c = _mpk_preload_config();
    static char buf[8192]; /* the manager lock is held: one caller at a time */
    char line[4200];
    size_t ll = 0;
    uintptr_t covered = a;
    ssize_t n;
    int fd = open("/proc/self/maps", O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        *why = "not converted: /proc/self/maps unreadable; left to mprotect";
        return false;
    }
    *why = NULL;
    while ((n = read(fd, buf, sizeof buf)) > 0 && !*why) {
        for (ssize_t i = 0; i < n && !*why; i++) {
            uintptr_t lo, hi;
            bool priv;
            const char *path;
            if (buf[i] != '\n') {
                if (ll < sizeof line - 1)
                    line[ll++] = buf[i];
                continue;
            }
            line[ll] = 0;
            ll = 0;
            if (!parse_line(line, &lo, &hi, &priv, &path) || hi <= a || lo >= b)
                continue;
            if (!priv)
                *why = "not converted: a shared mapping; left to mprotect";
            else if (!strcmp(path, "[stack]"))
                *why = "not converted: the stack; left to mprotect";
            else if (c->wx.file[0] && (!path[0] || path[0] == '[' || !mpk_glob_match(c->wx.file, path)))
                *why = "not converted: not a mapping [wx] file names; left to mprotect";
            else if (lo <= covered && hi > covered)
                covered = hi;
        }
    }
    close(fd);
    if (!*why && covered < b)
        *why = "not converted: not all of the range is mapped; left to mprotect";
    return !*why;
}

void _mpk_preload_wx_settings(mpk_settings_t *s)
{
    const struct mpk_config *c = _mpk_preload_config();
    s->wx_enable = c->wx.enable;
    s->wx_cross_allow = c->wx.cross_thread == MPK_WX_CROSS_ALLOW;
    s->wx_rwx = c->wx.rwx == MPK_WX_RWX_DENY    ? MPK_RWX_DENY
                : c->wx.rwx == MPK_WX_RWX_AUDIT ? MPK_RWX_AUDIT
                                                : MPK_RWX_ALLOW;
    s->wx_min_size = (size_t)c->wx.min_size;
    s->wx_eligible = eligible;
}
