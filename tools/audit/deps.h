/* tools/audit/deps.h: finding the shared libraries a program would load (DT_NEEDED), in the
 * dynamic linker's order, without running anything. */
#ifndef MPK_AUDIT_DEPS_H
#define MPK_AUDIT_DEPS_H

#include "tools/audit/elf_info.h"
#include "tools/audit/ldcache.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define AUDIT_NO_PARENT SIZE_MAX

/* One loaded object: the program, its interpreter, or a library. */
typedef struct audit_dso {
    char *path;         /* canonical path */
    char *loaded_as;    /* the DT_NEEDED string that brought it in, or NULL */
    audit_links_t links;
    size_t parent;      /* index of the object whose DT_NEEDED loaded it, or AUDIT_NO_PARENT */
} audit_dso_t;

typedef struct audit_dso_list {
    audit_dso_t *v;
    size_t n;
    size_t cap;
} audit_dso_list_t;

/* Where the search looks besides each object's own RPATH / RUNPATH. */
typedef struct audit_deps_env {
    const char *ld_library_path;        /* NULL when unset, or ignored (secure mode) */
    const audit_ldcache_t *cache;       /* NULL when there is none */
    const char *const *default_dirs;    /* NULL-terminated */
} audit_deps_env_t;

/* The standard directories of x86-64 Debian/Ubuntu and of other distributions. */
extern const char *const audit_default_lib_dirs[];

/* Appends an object; takes over path, loaded_as and links (even on failure). Returns 0/ENOMEM. */
int audit_dso_add(audit_dso_list_t *list, char *path, char *loaded_as, audit_links_t *links,
                  size_t parent);
void audit_dso_list_free(audit_dso_list_t *list);

/* True when an object already in the list answers to name (its soname or the name it was loaded
 * as), as the dynamic linker reuses it without searching. */
bool audit_dso_list_has_name(const audit_dso_list_t *list, const char *name);

/* Index of the object with this canonical path, or AUDIT_NO_PARENT. */
size_t audit_dso_list_find_path(const audit_dso_list_t *list, const char *path);

/* Finds the file for DT_NEEDED name of list->v[requester]: DT_RPATH of the requester and its
 * loaders (unless the requester has DT_RUNPATH), LD_LIBRARY_PATH, the requester's DT_RUNPATH,
 * ld.so.cache, the default directories (the last two skipped under DF_1_NODEFLIB). Only ELF64
 * x86-64 files count. Returns 0 with *out a malloc'ed canonical path, AUDIT_E_LIB_NOT_FOUND,
 * or ENOMEM. */
int audit_deps_find(const audit_deps_env_t *env, const audit_dso_list_t *list, size_t requester,
                    const char *name, char **out);

/* Expands $ORIGIN, ${ORIGIN}, $LIB, $PLATFORM in one path-list element. Returns 0, ENOMEM, or
 * ENAMETOOLONG; origin is the directory of the object that carries the entry. */
int audit_expand_dst(const char *elem, size_t len, const char *origin, char *out, size_t outlen);

#endif
