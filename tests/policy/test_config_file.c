/* tests/policy/test_config_file.c: mpk_config_parse_file: files that cannot be read are clear
 * errors, and the streamed reader gives the same result as parsing from memory. */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "helpers.h"

static int parse_path(const char *path)
{
    mpk_config_defaults(&cfg);
    memset(&err, 0, sizeof err);
    return mpk_config_parse_file(&cfg, path, &err);
}

Test(file, parses_a_file)
{
    const char text[] = "[libmpk]\nmode = audit\n[region r]\nfile = /x/*\nrights = read\n";
    const char *path = temp_file(text, sizeof text - 1);

    cr_assert_eq(parse_path(path), 0, "%s", err.msg);
    cr_expect_eq(cfg.mode, MPK_MODE_AUDIT);
    cr_expect_str_eq(cfg.regions[0].file, "/x/*");
    cr_expect_str_eq(cfg.file, path);
}

Test(file, errors_name_the_file)
{
    const char text[] = "[libmpk]\n\nmode = loud\n";
    const char *path = temp_file(text, sizeof text - 1);

    cr_assert_eq(parse_path(path), -1);
    expect_err_at(path, 3, 8, "invalid value 'loud' for mode");
}

Test(file, missing_file)
{
    cr_assert_eq(parse_path("/nonexistent/libmpk.conf"), -1);
    expect_err_at("/nonexistent/libmpk.conf", 0, 0,
                  "cannot open the config file: No such file or directory");
}

Test(file, directory)
{
    const char *dir = temp_dir();

    cr_assert_eq(parse_path(dir), -1);
    expect_err_at(dir, 0, 0, "is a directory: expected a config file");
}

Test(file, unreadable_file)
{
    const char *path = temp_file("[libmpk]\n", 9);

    cr_assert_eq(chmod(path, 0), 0);
    if (access(path, R_OK) == 0)
        cr_skip_test("running as root: a mode 000 file is still readable (see not_a_directory "
                     "and read_error for the error paths)");
    cr_assert_eq(parse_path(path), -1);
    expect_err_at(path, 0, 0, "cannot open the config file: Permission denied");
}

/* open() fails even for root when a path goes through a regular file. */
Test(file, not_a_directory)
{
    char path[200];

    snprintf(path, sizeof path, "%s/x.conf", temp_file("", 0));
    cr_assert_eq(parse_path(path), -1);
    expect_err_at(path, 0, 0, "cannot open the config file: Not a directory");
}

Test(file, symlink_loop)
{
    char path[200];

    snprintf(path, sizeof path, "%s/loop", temp_dir());
    cr_assert_eq(symlink(path, path), 0);
    cr_assert_eq(parse_path(path), -1);
    expect_err_at(path, 0, 0, "Too many levels of symbolic links");
}

/* read() failing after open() succeeded: /proc/self/mem opens, but offset 0 is never mapped. */
Test(file, read_error)
{
    cr_assert_eq(parse_path("/proc/self/mem"), -1);
    expect_err_at("/proc/self/mem", 0, 0, "cannot read the config file: Input/output error");
}

Test(file, empty_path)
{
    cr_assert_eq(parse_path(""), -1);
    cr_expect(strstr(err.msg, "the path is empty"), "%s", err.msg);
}

Test(file, path_too_long)
{
    static char path[5000];

    memset(path, 'a', sizeof path - 1);
    cr_assert_eq(parse_path(path), -1);
    cr_expect(strstr(err.msg, "config file path too long: at most 4095 bytes"), "%s", err.msg);
    cr_expect_eq(strlen(err.where), sizeof err.where - 1, "where is cut short, not overrun");
    cr_expect_str_eq(err.where + sizeof err.where - 4, "...");
}

Test(file, dev_null_is_empty)
{
    cr_assert_eq(parse_path("/dev/null"), 0, "%s", err.msg);
}

Test(file, binary_file)
{
    const char elf[] = "\x7f" "ELF\x02\x01\x01\0\0\0\0\0\0\0\0\0";
    const char *path = temp_file(elf, sizeof elf - 1);

    cr_assert_eq(parse_path(path), -1);
    expect_err_at(path, 1, 1, "binary data (control byte 0x7f): expected a text file");
}

Test(file, line_of_200k, .timeout = 5)
{
    static char text[200 * 1024];
    const char *path;

    memset(text, 'x', sizeof text);
    memcpy(text, "[libmpk]\n", 9);
    path = temp_file(text, sizeof text);
    cr_assert_eq(parse_path(path), -1);
    expect_err_at(path, 2, 4097, "line too long: more than 4096 bytes");
}

/* Lines of every length up to the limit, crossing the reader's buffer at every offset: the
 * streamed file must parse like the same text in memory. */
Test(file, lines_across_buffer_boundaries)
{
    static char text[1 << 20];
    static struct mpk_config from_memory;
    size_t len = 0;
    unsigned lines = 0;
    const char *path;

    len += (size_t)snprintf(text + len, sizeof text - len, "[libmpk]\r\n");
    lines++;
    for (unsigned n = 1; len + n + 10 < sizeof text / 2 && n < MPK_CONFIG_LINE_MAX; n += 37) {
        text[len++] = '#';
        memset(text + len, 'c', n - 1);
        len += n - 1;
        text[len++] = '\n';
        lines++;
    }
    len += (size_t)snprintf(text + len, sizeof text - len, "max_keys = 77\r\nlog = /");
    memset(text + len, 'L', MPK_CONFIG_LINE_MAX - 7);
    len += MPK_CONFIG_LINE_MAX - 7;
    len += (size_t)snprintf(text + len, sizeof text - len, "\r\nmode = off");
    path = temp_file(text, len);

    cr_assert_eq(parse_n(text, len), 0, "%s", err.msg);
    memcpy(&from_memory, &cfg, sizeof cfg);
    cr_assert_eq(parse_path(path), 0, "%s:%u:%u: %s", err.where, err.line, err.col, err.msg);
    cr_expect(config_equal_ignoring_pos(&cfg, &from_memory));
    cr_expect_eq(cfg.max_keys, 77);
    cr_expect_eq(cfg.mode, MPK_MODE_OFF);
    cr_expect_eq(strlen(cfg.log), MPK_CONFIG_LINE_MAX - 6);
    cr_expect_eq(cfg.pos[MPK_KEY_MAX_KEYS].line, lines + 1);
    cr_expect_eq(cfg.pos[MPK_KEY_MODE].line, lines + 3);
}
