/* tests/audit/unit_ldcache.c: ld.so.cache parsing on synthetic caches in both layouts, and on
 * damaged ones (read as no cache, or as entries without usable strings). */
#include "tools/audit/ldcache.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define NEW_HEADER 48
#define NEW_ENTRY 24

typedef struct entry {
    int32_t flags;
    const char *key;
    const char *value;
    uint64_t hwcap;
} entry_t;

static void put32(uint8_t *p, uint32_t v)
{
    memcpy(p, &v, 4);
}

/* A new-format cache at offset base of a malloc'ed image of *size bytes; strings follow entries,
 * their offsets relative to the new header. */
static uint8_t *make_cache(const entry_t *e, size_t n, size_t base, size_t *size)
{
    size_t strings = base + NEW_HEADER + n * NEW_ENTRY;
    size_t len = strings;
    for (size_t i = 0; i < n; i++)
        len += strlen(e[i].key) + 1 + strlen(e[i].value) + 1;
    uint8_t *c = calloc(1, len);
    memcpy(c + base, "glibc-ld.so.cache1.1", 20);
    put32(c + base + 20, (uint32_t)n);
    size_t at = strings;
    for (size_t i = 0; i < n; i++) {
        uint8_t *p = c + base + NEW_HEADER + i * NEW_ENTRY;
        memcpy(p, &e[i].flags, 4);
        put32(p + 4, (uint32_t)(at - base));
        strcpy((char *)c + at, e[i].key);
        at += strlen(e[i].key) + 1;
        put32(p + 8, (uint32_t)(at - base));
        strcpy((char *)c + at, e[i].value);
        at += strlen(e[i].value) + 1;
        memcpy(p + 16, &e[i].hwcap, 8);
    }
    *size = len;
    return c;
}

static const entry_t entries[] = {
    {0x0303, "libfoo.so.1", "/hw/libfoo.so.1", 1ull << 62},
    {0x0303, "libfoo.so.1", "/lib/libfoo.so.1", 0},
    {0x0003, "libbar.so.2", "/lib32/libbar.so.2", 0},   /* not x86-64 */
    {0x0303, "libbaz.so", "/hw/libbaz.so", 1ull << 62},
};

Test(ldcache, new_format_lookup)
{
    size_t size;
    uint8_t *c = make_cache(entries, 4, 0, &size);
    audit_image_t img;
    audit_image_adopt(&img, c, size);
    audit_ldcache_t cache;
    cr_assert_eq(audit_ldcache_from_image(&img, &cache), 0);
    cr_assert_str_eq(audit_ldcache_lookup(&cache, "libfoo.so.1"), "/lib/libfoo.so.1");
    cr_assert_null(audit_ldcache_lookup(&cache, "libbar.so.2"));
    cr_assert_str_eq(audit_ldcache_lookup(&cache, "libbaz.so"), "/hw/libbaz.so");
    cr_assert_null(audit_ldcache_lookup(&cache, "libnone.so"));
    audit_ldcache_close(&cache);
}

Test(ldcache, behind_an_old_format_table)
{
    size_t size;
    /* Old header (16) + 2 old entries (24) = 40, new header aligned to 8 = 40. */
    uint8_t *c = make_cache(entries, 2, 40, &size);
    memcpy(c, "ld.so-1.7.0", 11);
    put32(c + 12, 2);
    audit_image_t img;
    audit_image_adopt(&img, c, size);
    audit_ldcache_t cache;
    cr_assert_eq(audit_ldcache_from_image(&img, &cache), 0);
    cr_assert_str_eq(audit_ldcache_lookup(&cache, "libfoo.so.1"), "/lib/libfoo.so.1");
    audit_ldcache_close(&cache);
}

Test(ldcache, damaged_caches)
{
    size_t size;
    uint8_t *c = make_cache(entries, 4, 0, &size);
    audit_image_t img;
    audit_ldcache_t cache;
    /* More entries than the file holds: no cache. */
    put32(c + 20, 1000000);
    audit_image_borrow(&img, c, size);
    cr_assert_eq(audit_ldcache_from_image(&img, &cache), EINVAL);
    /* Not a cache at all. */
    audit_image_borrow(&img, "garbage", 7);
    cr_assert_eq(audit_ldcache_from_image(&img, &cache), EINVAL);
    /* A string offset past the end: that entry is skipped. */
    put32(c + 20, 4);
    put32(c + NEW_HEADER + NEW_ENTRY + 8, 0xfffffff0u);
    audit_image_borrow(&img, c, size);
    cr_assert_eq(audit_ldcache_from_image(&img, &cache), 0);
    cr_assert_str_eq(audit_ldcache_lookup(&cache, "libfoo.so.1"), "/hw/libfoo.so.1");
    /* Unterminated last string: skipped, no overread. */
    c[size - 1] = 'x';
    cr_assert_null(audit_ldcache_lookup(&cache, "libbaz.so"));
    free(c);
}

Test(ldcache, system_cache_knows_libc)
{
    audit_ldcache_t cache;
    if (audit_ldcache_open("/etc/ld.so.cache", &cache) != 0)
        cr_skip_test("no readable /etc/ld.so.cache");
    const char *libc = audit_ldcache_lookup(&cache, "libc.so.6");
    cr_assert_not_null(libc);
    cr_assert(strstr(libc, "libc.so.6") != NULL);
    audit_ldcache_close(&cache);
}
