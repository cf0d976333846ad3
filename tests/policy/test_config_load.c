/* tests/policy/test_config_load.c: mpk_config_load (defaults < LIBMPK_CONFIG < LIBMPK_OPTIONS,
 * then cross-field checks), mpk_config_open_log and errors about earlier settings. */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "helpers.h"

static int load(char *const envp[])
{
    memset(&cfg, 0xAB, sizeof cfg); /* load must start from the defaults */
    memset(&err, 0, sizeof err);
    return mpk_config_load(&cfg, envp, &err);
}

static char *env(const char *fmt, const char *arg)
{
    static char bufs[8][6000];
    static int next;
    char *b = bufs[next++ % 8];

    snprintf(b, sizeof bufs[0], fmt, arg);
    return b;
}

Test(load, no_environment_gives_defaults)
{
    static struct mpk_config d;
    char *envp[] = { "PATH=/bin", "LIBMPK_CONFIGX=/nonexistent", "XLIBMPK_OPTIONS=mode=x", NULL };

    mpk_config_defaults(&d);
    cr_assert_eq(load(NULL), 0, "%s", err.msg);
    cr_expect(config_equal_ignoring_pos(&cfg, &d));
    cr_assert_eq(load(envp), 0, "%s", err.msg);
    cr_expect(config_equal_ignoring_pos(&cfg, &d));
}

Test(load, precedence_defaults_file_options)
{
    const char text[] = "[libmpk]\nmode = audit\nmax_keys = 10\n";
    const char *path = temp_file(text, sizeof text - 1);
    char *envp[] = { env("LIBMPK_CONFIG=%s", path), "LIBMPK_OPTIONS=mode=off", NULL };

    cr_assert_eq(load(envp), 0, "%s", err.msg);
    cr_expect_eq(cfg.mode, MPK_MODE_OFF, "LIBMPK_OPTIONS overrides the file");
    cr_expect_eq(cfg.max_keys, 10, "the file overrides the defaults");
    cr_expect_eq(cfg.log_format, MPK_LOG_TEXT, "defaults stay where nothing says otherwise");
    cr_expect_str_eq(cfg.file, path);
}

Test(load, first_definition_wins)
{
    char *envp[] = { "LIBMPK_OPTIONS=mode=audit", "LIBMPK_OPTIONS=mode=off", NULL };

    cr_assert_eq(load(envp), 0);
    cr_expect_eq(cfg.mode, MPK_MODE_AUDIT, "as getenv would");
}

Test(load, empty_libmpk_config)
{
    char *envp[] = { "LIBMPK_CONFIG=", NULL };

    cr_assert_eq(load(envp), -1);
    expect_err_at("LIBMPK_CONFIG", 0, 0, "set but empty: name a config file, or unset it");
}

Test(load, empty_libmpk_options_is_fine)
{
    char *envp[] = { "LIBMPK_OPTIONS=", NULL };

    cr_assert_eq(load(envp), 0, "%s", err.msg);
}

Test(load, missing_config_file)
{
    char *envp[] = { "LIBMPK_CONFIG=/nonexistent/x.conf", NULL };

    cr_assert_eq(load(envp), -1);
    expect_err_at("/nonexistent/x.conf", 0, 0, "No such file or directory");
}

Test(load, bad_file_stops_before_options)
{
    const char text[] = "[libmpk]\nmode = 3\n";
    const char *path = temp_file(text, sizeof text - 1);
    char *envp[] = { env("LIBMPK_CONFIG=%s", path), "LIBMPK_OPTIONS=mode=off", NULL };

    cr_assert_eq(load(envp), -1);
    expect_err_at(path, 2, 8, "invalid value '3' for mode");
}

Test(load, bad_options)
{
    char *envp[] = { "LIBMPK_OPTIONS=mode=audit:verbose=yes", NULL };

    cr_assert_eq(load(envp), -1);
    expect_err_at("LIBMPK_OPTIONS", 1, 20, "invalid value 'yes' for verbose");
}

/* ---- checks between settings ---- */

Test(load, pinned_keys_leave_one_for_the_others)
{
    char *bad[] = { "LIBMPK_OPTIONS=hw_keys=2:pin=1,2", NULL };
    char *ok[] = { "LIBMPK_OPTIONS=hw_keys=3:pin=1,2", NULL };

    cr_assert_eq(load(bad), -1);
    expect_err_at("LIBMPK_OPTIONS", 1, 15, "2 keys are pinned but hw_keys = 2 leaves no hardware "
                                           "key for the others");
    cr_assert_eq(load(ok), 0, "%s", err.msg);
}

Test(load, pin_in_file_conflicts_with_option)
{
    const char text[] = "[libmpk]\npin = 4\n";
    const char *path = temp_file(text, sizeof text - 1);
    char *envp[] = { env("LIBMPK_CONFIG=%s", path), "LIBMPK_OPTIONS=hw_keys=1", NULL };

    cr_assert_eq(load(envp), -1);
    expect_err_at(path, 2, 7, "1 keys are pinned but hw_keys = 1");
}

Test(load, pinned_key_beyond_max_keys)
{
    char *envp[] = { "LIBMPK_OPTIONS=max_keys=4:pin=7", NULL };

    cr_assert_eq(load(envp), -1);
    expect_err_at("LIBMPK_OPTIONS", 1, 16, "key 7 is pinned but max_keys = 4");
}

Test(load, at_most_twelve_pins_with_auto)
{
    char *bad[] = { "LIBMPK_OPTIONS=pin=1,2,3,4,5,6,7,8,9,10,11,12,13", NULL };
    char *ok[] = { "LIBMPK_OPTIONS=pin=1,2,3,4,5,6,7,8,9,10,11,12", NULL };

    cr_assert_eq(load(bad), -1);
    expect_err_at("LIBMPK_OPTIONS", 1, 5, "13 keys are pinned: at most 12 can be");
    cr_assert_eq(load(ok), 0, "%s", err.msg);
}

/* ---- the log sink ---- */

Test(log, stderr_by_default)
{
    mpk_config_defaults(&cfg);
    cr_expect_eq(mpk_config_open_log(&cfg, &err), 2);
    cr_assert_eq(parse("[libmpk]\nlog = stderr\n"), 0);
    cr_expect_eq(mpk_config_open_log(&cfg, &err), 2);
}

Test(log, opens_a_file_for_appending)
{
    char text[300], buf[64];
    const char *path = temp_file("old\n", 4);
    int fd;

    snprintf(text, sizeof text, "[libmpk]\nlog = %s\n", path);
    cr_assert_eq(parse(text), 0, "%s", err.msg);
    fd = mpk_config_open_log(&cfg, &err);
    cr_assert(fd > 2, "%s", err.msg);
    cr_expect(fcntl(fd, F_GETFD) & FD_CLOEXEC);
    cr_expect(fcntl(fd, F_GETFL) & O_APPEND);
    cr_assert_eq(write(fd, "new\n", 4), 4);
    close(fd);
    fd = open(path, O_RDONLY);
    cr_assert_eq(read(fd, buf, sizeof buf), 8);
    cr_expect_eq(memcmp(buf, "old\nnew\n", 8), 0);
    close(fd);
}

Test(log, creates_a_missing_file)
{
    char text[300], path[200];
    struct stat st;
    int fd;

    snprintf(path, sizeof path, "%s/new.log", temp_dir());
    snprintf(text, sizeof text, "[libmpk]\nlog = %s\n", path);
    cr_assert_eq(parse(text), 0);
    fd = mpk_config_open_log(&cfg, &err);
    cr_assert(fd > 2, "%s", err.msg);
    close(fd);
    cr_assert_eq(stat(path, &st), 0);
    cr_expect(S_ISREG(st.st_mode));
}

Test(log, cannot_open_points_at_the_log_line)
{
    cr_assert_eq(parse("[libmpk]\nmode = audit\n\nlog  =  /nonexistent/dir/x.log\n"), 0);
    cr_assert_eq(mpk_config_open_log(&cfg, &err), -1);
    expect_err_at("t.conf", 4, 9, "cannot open the log file '/nonexistent/dir/x.log': No such "
                                  "file or directory");
}

Test(log, cannot_open_from_options)
{
    char *envp[] = { "LIBMPK_OPTIONS=mode=audit:log=/nonexistent/x.log", NULL };

    cr_assert_eq(load(envp), 0);
    cr_assert_eq(mpk_config_open_log(&cfg, &err), -1);
    expect_err_at("LIBMPK_OPTIONS", 1, 16, "cannot open the log file '/nonexistent/x.log'");
}

Test(log, directory)
{
    char text[300];
    const char *dir = temp_dir();

    snprintf(text, sizeof text, "[libmpk]\nlog = %s\n", dir);
    cr_assert_eq(parse(text), 0);
    cr_assert_eq(mpk_config_open_log(&cfg, &err), -1);
    expect_err_at("t.conf", 2, 7, "Is a directory");
}

Test(log, error_at_a_default_setting)
{
    mpk_config_defaults(&cfg);
    cr_assert_eq(mpk_config_error_at(&cfg, &cfg.pos[MPK_KEY_MODE], &err, "x %d %s", 5, "y"), -1);
    expect_err_at("built-in default", 0, 0, "x 5 y");
}
