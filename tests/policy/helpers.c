/* tests/policy/helpers.c: shared set-up for the config parser tests (see helpers.h). */
#include "helpers.h"

#include <criterion/criterion.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct mpk_config cfg;
struct mpk_config_error err;

int parse_n(const char *text, size_t len)
{
    mpk_config_defaults(&cfg);
    memset(&err, 0, sizeof err);
    return mpk_config_parse_text(&cfg, text, len, "t.conf", &err);
}

int parse(const char *text)
{
    return parse_n(text, strlen(text));
}

void expect_err_at(const char *where, unsigned line, unsigned col, const char *want)
{
    cr_expect_str_eq(err.where, where);
    cr_expect_eq(err.line, line, "line: got %u, want %u (msg: %s)", err.line, line, err.msg);
    cr_expect_eq(err.col, col, "col: got %u, want %u (msg: %s)", err.col, col, err.msg);
    cr_expect(strstr(err.msg, want) != NULL, "message \"%s\" lacks \"%s\"", err.msg, want);
}

void expect_error_n(const char *text, size_t len, unsigned line, unsigned col, const char *want)
{
    cr_assert_eq(parse_n(text, len), -1, "accepted: %.*s", (int)(len > 200 ? 200 : len), text);
    expect_err_at("t.conf", line, col, want);
}

void expect_error(const char *text, unsigned line, unsigned col, const char *want)
{
    expect_error_n(text, strlen(text), line, col, want);
}

static char made[16][64]; /* the temporary directories of this test, removed at its exit */
static int nmade;

static int remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st, (void)flag, (void)ftw;
    remove(path);
    return 0;
}

static void remove_temp_dirs(void)
{
    for (int i = 0; i < nmade; i++)
        nftw(made[i], remove_one, 8, FTW_DEPTH | FTW_PHYS);
}

const char *temp_dir(void)
{
    char *dir;

    cr_assert_lt(nmade, 16);
    if (nmade == 0)
        atexit(remove_temp_dirs);
    dir = made[nmade++];
    strcpy(dir, "/tmp/mpk-policy-XXXXXX");
    cr_assert_not_null(mkdtemp(dir));
    return dir;
}

const char *temp_file(const void *data, size_t len)
{
    static char path[128];
    int fd;

    snprintf(path, sizeof path, "%s/test.conf", temp_dir());
    fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    cr_assert(fd >= 0);
    cr_assert_eq(write(fd, data, len), (ssize_t)len);
    close(fd);
    return path;
}

static void forget_positions(struct mpk_config *c)
{
    memset(c->pos, 0, sizeof c->pos);
    memset(&c->libmpk_header, 0, sizeof c->libmpk_header);
    memset(&c->wx_header, 0, sizeof c->wx_header);
    memset(c->file, 0, sizeof c->file);
    c->gen = 0;
    for (unsigned i = 0; i < c->nregions; i++) {
        memset(&c->regions[i].header, 0, sizeof c->regions[i].header);
        memset(c->regions[i].pos, 0, sizeof c->regions[i].pos);
    }
}

int config_equal_ignoring_pos(const struct mpk_config *a, const struct mpk_config *b)
{
    static struct mpk_config x, y;

    memcpy(&x, a, sizeof x); /* memcpy, not =, so that padding is compared as it is */
    memcpy(&y, b, sizeof y);
    forget_positions(&x);
    forget_positions(&y);
    return memcmp(&x, &y, sizeof x) == 0;
}
