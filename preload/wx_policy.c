/* preload/wx_policy.c: the check of which regions W^X may convert (private mappings, those [wx]
 * file names), which needs the mapping's name from /proc/self/maps: only read when a region is
 * first flipped. */
#include "preload/preload.h"

#include "core/verify.h"
#include "policy/config.h"
#include "policy/glob.h"

#include <stdlib.h>
#include <string.h>

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

typedef struct {
    const struct mpk_config *c;
    uintptr_t a, b, covered; /* the range asked about; how far from a the mappings reach */
    const char *why;         /* why not, once a mapping says so */
} eligible_t;

/* One line of maps against the range: false (stop) once a mapping rules it out. */
static bool eligible_line(void *ctx, const char *l)
{
    eligible_t *e = ctx;
    uintptr_t lo, hi;
    bool priv;
    const char *path;
    if (!parse_line(l, &lo, &hi, &priv, &path) || hi <= e->a || lo >= e->b)
        return true;
    if (!priv)
        e->why = "not converted: a shared mapping; left to mprotect";
    else if (!strcmp(path, "[stack]"))
        e->why = "not converted: the stack; left to mprotect";
    else if (e->c->wx.file[0] && (!path[0] || path[0] == '[' || !mpk_glob_match(e->c->wx.file, path)))
        e->why = "not converted: not a mapping [wx] file names; left to mprotect";
    else if (lo <= e->covered && hi > e->covered)
        e->covered = hi;
    return !e->why;
}

/* Every mapping that meets [a, b) is private and (if [wx] file is set) a file it matches. */
static bool eligible(uintptr_t a, uintptr_t b, const char **why)
{
    eligible_t e = {_mpk_preload_config(), a, b, a, NULL};
    if (!_mpk_proc_lines("/proc/self/maps", eligible_line, &e))
        e.why = "not converted: /proc/self/maps unreadable; left to mprotect";
    else if (!e.why && e.covered < b)
        e.why = "not converted: not all of the range is mapped; left to mprotect";
    *why = e.why;
    return !e.why;
}

/* The [wx] values themselves come with the rest (preload/settings_map.c); this adds the check
 * of which regions may be converted. */
void _mpk_preload_wx_settings(mpk_settings_t *s) { s->wx_eligible = eligible; }
