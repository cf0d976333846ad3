/* tests/fuzz/fuzz_elf.c: libFuzzer target for mpk-audit's parsers. Each input is taken as a whole
 * file image and audited twice (as a file, and as a process mapping of it), then read as an
 * ld.so.cache and as /proc/PID/maps text, with both reports written to /dev/null. */
#include "tools/audit/audit_file.h"
#include "tools/audit/ldcache.h"
#include "tools/audit/procmaps.h"
#include "tools/audit/report.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static audit_decoder_t dec;
static FILE *sink;

static void report(const audit_object_t *obj)
{
    audit_reporter_t r;
    audit_reporter_text(&r, sink, true);
    r.object(&r, obj);
    audit_reporter_json(&r, sink, true);
    r.object(&r, obj);
}

static void audit_as_file(const uint8_t *data, size_t size, const audit_window_t *w, size_t nw)
{
    audit_image_t img;
    audit_image_borrow(&img, data, size);
    audit_object_t obj;
    audit_links_t links = {0};
    audit_file_opts_t opts = {.count_syscalls = true};
    if (audit_object_init(&obj, "libmpk_fuzz.so", NULL))
        return;
    audit_file_image(&img, w, nw, &opts, &dec, &obj, w ? NULL : &links);
    report(&obj);
    audit_object_free(&obj);
    audit_links_free(&links);
}

static void read_as_cache(const uint8_t *data, size_t size)
{
    uint8_t *copy = malloc(size ? size : 1);
    if (!copy)
        return;
    memcpy(copy, data, size);
    audit_image_t img;
    audit_ldcache_t cache;
    audit_image_adopt(&img, copy, size);
    if (audit_ldcache_from_image(&img, &cache) == 0) {
        audit_ldcache_lookup(&cache, "libc.so.6");
        audit_ldcache_close(&cache);
    } else {
        audit_image_close(&img);
    }
}

static void read_as_maps(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    if (!text)
        return;
    memcpy(text, data, size);
    text[size] = 0;
    audit_mappings_t m;
    if (audit_parse_exec_mappings(text, &m) == 0)
        audit_mappings_free(&m);
    free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!sink) {
        sink = fopen("/dev/null", "w");
        if (!sink || audit_decoder_open(&dec) != 0)
            abort();
    }
    audit_as_file(data, size, NULL, 0);
    audit_window_t w[2] = {{.file_off = 0, .len = size, .runtime = 0x7f0000000000},
                           {.file_off = size / 2, .len = 4096, .runtime = 0x7f1000000000}};
    audit_as_file(data, size, w, 2);
    read_as_cache(data, size);
    read_as_maps(data, size);
    return 0;
}
