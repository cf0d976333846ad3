/* tests/fuzz/fuzz_config.c: libFuzzer target for the config parser. The input is parsed as a
 * config file (from memory and streamed from a file, which must agree) and as LIBMPK_OPTIONS;
 * nothing may crash, overrun or hang, and what parses must hold only valid values. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* memfd_create */
#endif
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "policy/config.h"
#include "policy/glob.h"

static struct mpk_config from_text, from_file;
static struct mpk_config_error text_err, file_err;

#define CHECK(cond) do { if (!(cond)) { fprintf(stderr, "check failed: %s\n", #cond); __builtin_trap(); } } while (0)

static void check_string(const char *s, size_t cap)
{
    CHECK(strnlen(s, cap) < cap);
}

/* Whatever parsed must be within the documented ranges. */
static void check_config(const struct mpk_config *c)
{
    CHECK(c->mode <= MPK_MODE_OFF && c->log_format <= MPK_LOG_JSON);
    CHECK(c->max_keys >= 1 && c->max_keys <= MPK_CONFIG_MAX_KEYS_MAX);
    CHECK(c->hw_keys <= 15 && (c->pin & 1) == 0);
    CHECK(c->sync_signal >= 1 && c->sync_signal <= 64);
    CHECK(c->wx.min_size <= MPK_CONFIG_SIZE_MAX);
    check_string(c->log, sizeof c->log);
    check_string(c->wx.file, sizeof c->wx.file);
    CHECK(c->nregions <= MPK_CONFIG_REGIONS_MAX);
    for (unsigned i = 0; i < c->nregions; i++) {
        const struct mpk_region *r = &c->regions[i];

        check_string(r->name, sizeof r->name);
        check_string(r->file, sizeof r->file);
        check_string(r->threads, sizeof r->threads);
        CHECK(r->name[0] && r->rights <= MPK_RIGHTS_RW && r->min_size <= MPK_CONFIG_SIZE_MAX);
        CHECK(r->file[0] || r->min_size || r->flags);
        mpk_glob_match(r->file, "/usr/lib/x86_64-linux-gnu/libc.so.6");
        mpk_glob_match(r->threads, "worker-1");
    }
}

static void check_error(const struct mpk_config_error *e)
{
    char buf[8192];

    check_string(e->where, sizeof e->where);
    check_string(e->msg, sizeof e->msg);
    CHECK(e->msg[0] != '\0');
    CHECK(mpk_config_format_error(e, buf, sizeof buf) < sizeof buf);
}

/* The streamed reader must see the same lines as the in-memory one. */
static void parse_both(const uint8_t *data, size_t size)
{
    char path[64];
    int text_rc, file_rc, fd = memfd_create("fuzz.conf", MFD_CLOEXEC);

    mpk_config_defaults(&from_text);
    text_rc = mpk_config_parse_text(&from_text, (const char *)data, size, "fuzz.conf", &text_err);
    if (text_rc == 0)
        check_config(&from_text);
    else
        check_error(&text_err);
    if (fd < 0 || write(fd, data, size) != (ssize_t)size) {
        if (fd >= 0)
            close(fd);
        return;
    }
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    mpk_config_defaults(&from_file);
    file_rc = mpk_config_parse_file(&from_file, path, &file_err);
    close(fd);
    CHECK(file_rc == text_rc);
    if (text_rc != 0) {
        CHECK(file_err.line == text_err.line && file_err.col == text_err.col);
        CHECK(strcmp(file_err.msg, text_err.msg) == 0);
    } else {
        CHECK(from_file.mode == from_text.mode && from_file.max_keys == from_text.max_keys);
        CHECK(from_file.nregions == from_text.nregions);
        CHECK(strcmp(from_file.log, from_text.log) == 0);
    }
}

static void parse_options(const uint8_t *data, size_t size)
{
    static char opts[64 * 1024];
    size_t n = size < sizeof opts - 1 ? size : sizeof opts - 1;

    memcpy(opts, data, n);
    opts[n] = '\0';
    mpk_config_defaults(&from_text);
    if (mpk_config_parse_options(&from_text, opts, &text_err) == 0)
        check_config(&from_text);
    else
        check_error(&text_err);
}

/* The first byte splits the rest into a glob and a string to match. */
static void match_glob(const uint8_t *data, size_t size)
{
    static char pattern[512], s[4096];
    size_t split, n;

    if (size == 0)
        return;
    split = data[0] < size - 1 ? data[0] : size - 1;
    n = split < sizeof pattern - 1 ? split : sizeof pattern - 1;
    memcpy(pattern, data + 1, n);
    pattern[n] = '\0';
    n = size - 1 - split < sizeof s - 1 ? size - 1 - split : sizeof s - 1;
    memcpy(s, data + 1 + split, n);
    s[n] = '\0';
    mpk_glob_match(pattern, s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    parse_both(data, size);
    parse_options(data, size);
    match_glob(data, size);
    return 0;
}
