/* tools/audit/ldcache.c: the ld.so.cache formats: "glibc-ld.so.cache1.1" alone (glibc >= 2.32
 * writes only that) or behind the old "ld.so-1.7.0" table. Every offset is checked against the
 * file, so a damaged cache is read as no cache. */
#include "tools/audit/ldcache.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <sys/stat.h>

#define MAGIC_OLD "ld.so-1.7.0"
#define MAGIC_NEW "glibc-ld.so.cache1.1"
#define OLD_HEADER 16       /* magic[11], pad to 12, uint32 nlibs */
#define OLD_ENTRY 12        /* int32 flags, uint32 key, uint32 value */
#define NEW_HEADER 48       /* magic+version[20], nlibs, len_strings, flags, pad, ext, unused[3] */
#define NEW_ENTRY 24        /* int32 flags, uint32 key, value, osversion, uint64 hwcap */
#define FLAG_X86_64_LIBC6 0x0303    /* FLAG_ELF_LIBC6 | FLAG_X8664_LIB64 */

static uint32_t u32_at(const uint8_t *p)
{
    uint32_t v;
    memcpy(&v, p, 4);
    return v;
}

/* Where the new-format header starts, behind an old table if there is one. */
static bool find_new_header(const uint8_t *d, size_t size, size_t *base)
{
    *base = 0;
    if (size >= OLD_HEADER && memcmp(d, MAGIC_OLD, strlen(MAGIC_OLD)) == 0) {
        uint64_t end = OLD_HEADER + (uint64_t)u32_at(d + 12) * OLD_ENTRY;
        *base = (size_t)((end + 7) & ~(uint64_t)7);   /* aligned like the new header */
        if (end > size)
            return false;
    }
    return *base <= size && size - *base >= NEW_HEADER &&
           memcmp(d + *base, MAGIC_NEW, strlen(MAGIC_NEW)) == 0;
}

int audit_ldcache_from_image(audit_image_t *img, audit_ldcache_t *c)
{
    size_t base;
    if (!find_new_header(img->data, img->size, &base))
        return EINVAL;
    uint32_t nlibs = u32_at(img->data + base + 20);
    if (nlibs > (img->size - base - NEW_HEADER) / NEW_ENTRY)
        return EINVAL;
    *c = (audit_ldcache_t){.img = *img, .base = base, .nlibs = nlibs};
    *img = (audit_image_t){0};
    return 0;
}

int audit_ldcache_open(const char *path, audit_ldcache_t *c)
{
    *c = (audit_ldcache_t){0};
    audit_image_t img;
    struct stat st;
    int err = audit_image_open(path, &img, &st);
    if (err)
        return err;
    err = audit_ldcache_from_image(&img, c);
    audit_image_close(&img);
    return err;
}

/* A string at offset off from the new header, NUL-terminated inside the file, else NULL. */
static const char *cache_string(const audit_ldcache_t *c, uint32_t off)
{
    size_t at = c->base + off;
    if (at < c->base || at >= c->img.size || !memchr(c->img.data + at, 0, c->img.size - at))
        return NULL;
    return (const char *)c->img.data + at;
}

const char *audit_ldcache_lookup(const audit_ldcache_t *c, const char *name)
{
    const char *fallback = NULL;
    for (uint32_t i = 0; i < c->nlibs; i++) {
        const uint8_t *e = c->img.data + c->base + NEW_HEADER + (size_t)i * NEW_ENTRY;
        int32_t flags;
        uint64_t hwcap;
        memcpy(&flags, e, 4);
        memcpy(&hwcap, e + 16, 8);
        const char *key = cache_string(c, u32_at(e + 4));
        if (flags != FLAG_X86_64_LIBC6 || !key || strcmp(key, name) != 0)
            continue;
        const char *value = cache_string(c, u32_at(e + 8));
        if (value && hwcap == 0)
            return value;
        if (value && !fallback)
            fallback = value;
    }
    return fallback;
}

void audit_ldcache_close(audit_ldcache_t *c)
{
    audit_image_close(&c->img);
    *c = (audit_ldcache_t){0};
}
