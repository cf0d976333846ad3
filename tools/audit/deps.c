/* tools/audit/deps.c: the dynamic linker's library search, reproduced statically. What it leaves
 * out (glibc-hwcaps subdirectories, secure-mode limits on $ORIGIN) is listed in README.md. */
#include "tools/audit/deps.h"

#include "tools/audit/error.h"

#include <ctype.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

const char *const audit_default_lib_dirs[] = {
    "/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu", "/lib64", "/usr/lib64", "/lib",
    "/usr/lib", NULL,
};

/* What $LIB and $PLATFORM expand to for x86-64 Debian's glibc. */
#define DST_LIB "lib/x86_64-linux-gnu"
#define DST_PLATFORM "x86_64"

/* ---------------------------------------------------------------- the list */

int audit_dso_add(audit_dso_list_t *list, char *path, char *loaded_as, audit_links_t *links,
                  size_t parent)
{
    if (list->n == list->cap) {
        size_t cap = list->cap ? list->cap * 2 : 16;
        audit_dso_t *v = realloc(list->v, cap * sizeof *v);
        if (!v) {
            free(path);
            free(loaded_as);
            audit_links_free(links);
            return ENOMEM;
        }
        list->v = v;
        list->cap = cap;
    }
    list->v[list->n++] = (audit_dso_t){
        .path = path, .loaded_as = loaded_as, .links = *links, .parent = parent};
    *links = (audit_links_t){0};
    return 0;
}

void audit_dso_list_free(audit_dso_list_t *list)
{
    for (size_t i = 0; i < list->n; i++) {
        free(list->v[i].path);
        free(list->v[i].loaded_as);
        audit_links_free(&list->v[i].links);
    }
    free(list->v);
    *list = (audit_dso_list_t){0};
}

bool audit_dso_list_has_name(const audit_dso_list_t *list, const char *name)
{
    for (size_t i = 0; i < list->n; i++) {
        const audit_dso_t *d = &list->v[i];
        if ((d->loaded_as && strcmp(d->loaded_as, name) == 0) ||
            (d->links.soname && strcmp(d->links.soname, name) == 0))
            return true;
    }
    return false;
}

size_t audit_dso_list_find_path(const audit_dso_list_t *list, const char *path)
{
    for (size_t i = 0; i < list->n; i++)
        if (strcmp(list->v[i].path, path) == 0)
            return i;
    return AUDIT_NO_PARENT;
}

/* ---------------------------------------------------------------- candidates */

/* The dynamic linker skips files of the wrong class or machine and keeps searching. */
static bool is_loadable_library(const char *path)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return false;
    Elf64_Ehdr eh;
    ssize_t got = pread(fd, &eh, sizeof eh, 0);
    close(fd);
    return got == (ssize_t)sizeof eh && memcmp(eh.e_ident, ELFMAG, SELFMAG) == 0 &&
           eh.e_ident[EI_CLASS] == ELFCLASS64 && eh.e_machine == EM_X86_64 &&
           (eh.e_type == ET_DYN || eh.e_type == ET_EXEC);
}

/* 0 with *out set when dir/name is a loadable library; ENOENT otherwise; ENOMEM. */
static int try_candidate(const char *dir, size_t dirlen, const char *name, char **out)
{
    char path[PATH_MAX];
    int n = dirlen ? snprintf(path, sizeof path, "%.*s/%s", (int)dirlen, dir, name)
                   : snprintf(path, sizeof path, "./%s", name);
    if (n < 0 || (size_t)n >= sizeof path || !is_loadable_library(path))
        return ENOENT;
    *out = realpath(path, NULL);
    return *out ? 0 : (errno == ENOMEM ? ENOMEM : ENOENT);
}

/* ---------------------------------------------------------------- path lists */

static int append(char *out, size_t outlen, size_t *pos, const char *s, size_t n)
{
    if (n >= outlen - *pos)
        return ENAMETOOLONG;
    memcpy(out + *pos, s, n);
    *pos += n;
    out[*pos] = 0;
    return 0;
}

/* Length of the dynamic string token at s ("$ORIGIN", "${LIB}", ...) and its value. */
static size_t match_dst(const char *s, size_t len, const char *origin, const char **value)
{
    static const struct { const char *name; const char *value; } tokens[] = {
        {"ORIGIN", NULL}, {"LIB", DST_LIB}, {"PLATFORM", DST_PLATFORM},
    };
    for (size_t i = 0; i < sizeof tokens / sizeof *tokens; i++) {
        size_t tl = strlen(tokens[i].name);
        *value = tokens[i].value ? tokens[i].value : origin;
        if (len >= 1 + tl && strncmp(s + 1, tokens[i].name, tl) == 0 &&
            (len == 1 + tl || !(isalnum((unsigned char)s[1 + tl]) || s[1 + tl] == '_')))
            return 1 + tl;
        if (len >= 3 + tl && s[1] == '{' && strncmp(s + 2, tokens[i].name, tl) == 0 &&
            s[2 + tl] == '}')
            return 3 + tl;
    }
    return 0;
}

int audit_expand_dst(const char *elem, size_t len, const char *origin, char *out, size_t outlen)
{
    size_t pos = 0;
    out[0] = 0;
    for (size_t i = 0; i < len;) {
        const char *value;
        size_t tok = elem[i] == '$' ? match_dst(elem + i, len - i, origin, &value) : 0;
        int err = tok ? append(out, outlen, &pos, value, strlen(value))
                      : append(out, outlen, &pos, elem + i, 1);
        if (err)
            return err;
        i += tok ? tok : 1;
    }
    return 0;
}

/* The directory holding the object at path, for $ORIGIN. */
static void origin_of(const char *path, char *out, size_t outlen)
{
    const char *slash = strrchr(path, '/');
    if (!slash)
        snprintf(out, outlen, ".");
    else if (slash == path)
        snprintf(out, outlen, "/");
    else
        snprintf(out, outlen, "%.*s", (int)(slash - path), path);
}

/* Tries name in every directory of a ':'/';'-separated list (an empty element is the current
 * directory). 0 with *out, ENOENT when none has it, ENOMEM. */
static int search_list(const char *list, const char *origin, const char *name, char **out)
{
    if (!list)
        return ENOENT;
    for (const char *p = list;;) {
        size_t len = strcspn(p, ":;");
        char dir[PATH_MAX];
        if (audit_expand_dst(p, len, origin, dir, sizeof dir) == 0) {
            int err = try_candidate(dir, strlen(dir), name, out);
            if (err != ENOENT)
                return err;
        }
        if (!p[len])
            return ENOENT;
        p += len + 1;
    }
}

static int search_dso_path(const audit_dso_t *d, const char *list, const char *name, char **out)
{
    char origin[PATH_MAX];
    origin_of(d->path, origin, sizeof origin);
    return search_list(list, origin, name, out);
}

/* DT_RPATH of the requester, then of each object that loaded it, up to the program; objects
 * with DT_RUNPATH contribute none (glibc ignores their DT_RPATH). */
static int search_rpaths(const audit_dso_list_t *list, size_t requester, const char *name,
                         char **out)
{
    for (size_t i = requester; i != AUDIT_NO_PARENT; i = list->v[i].parent) {
        const audit_dso_t *d = &list->v[i];
        if (d->links.runpath || !d->links.rpath)
            continue;
        int err = search_dso_path(d, d->links.rpath, name, out);
        if (err != ENOENT)
            return err;
    }
    return ENOENT;
}

static int search_defaults(const audit_deps_env_t *env, const char *name, char **out)
{
    const char *cached = env->cache ? audit_ldcache_lookup(env->cache, name) : NULL;
    if (cached && is_loadable_library(cached)) {
        *out = realpath(cached, NULL);
        if (*out)
            return 0;
    }
    for (const char *const *dir = env->default_dirs; dir && *dir; dir++) {
        int err = try_candidate(*dir, strlen(*dir), name, out);
        if (err != ENOENT)
            return err;
    }
    return ENOENT;
}

int audit_deps_find(const audit_deps_env_t *env, const audit_dso_list_t *list, size_t requester,
                    const char *name, char **out)
{
    const audit_dso_t *req = &list->v[requester];
    *out = NULL;
    int err;
    if (strchr(name, '/')) {
        /* A name with a slash is a path, relative to the current directory. */
        char expanded[PATH_MAX], origin[PATH_MAX];
        origin_of(req->path, origin, sizeof origin);
        err = audit_expand_dst(name, strlen(name), origin, expanded, sizeof expanded);
        if (!err && is_loadable_library(expanded))
            *out = realpath(expanded, NULL);
        return *out ? 0 : AUDIT_E_LIB_NOT_FOUND;
    }
    err = req->links.runpath ? ENOENT : search_rpaths(list, requester, name, out);
    if (err == ENOENT)
        err = search_list(env->ld_library_path, ".", name, out);
    if (err == ENOENT && req->links.runpath)
        err = search_dso_path(req, req->links.runpath, name, out);
    if (err == ENOENT && !req->links.nodeflib)
        err = search_defaults(env, name, out);
    return err == ENOENT ? AUDIT_E_LIB_NOT_FOUND : err;
}
