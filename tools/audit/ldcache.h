/* tools/audit/ldcache.h: looking library names up in /etc/ld.so.cache, as the dynamic linker does
 * after the RPATH/RUNPATH/LD_LIBRARY_PATH directories. */
#ifndef MPK_AUDIT_LDCACHE_H
#define MPK_AUDIT_LDCACHE_H

#include "tools/audit/image.h"

#include <stddef.h>
#include <stdint.h>

typedef struct audit_ldcache {
    audit_image_t img;
    size_t base;    /* offset of the "glibc-ld.so.cache1.1" header; string offsets count from it */
    uint32_t nlibs;
} audit_ldcache_t;

/* Opens and checks a cache file. Returns 0, an errno, or EINVAL for a file in no format we read;
 * the caller then searches without a cache, as the dynamic linker would. */
int audit_ldcache_open(const char *path, audit_ldcache_t *c);

/* The same over an image the cache takes over (tests); EINVAL leaves img untouched. */
int audit_ldcache_from_image(audit_image_t *img, audit_ldcache_t *c);

/* The path of an x86-64 libc6 entry for name (one without hwcap subdirectory preferred), or NULL.
 * The string lives as long as the cache. */
const char *audit_ldcache_lookup(const audit_ldcache_t *c, const char *name);

void audit_ldcache_close(audit_ldcache_t *c);

#endif
