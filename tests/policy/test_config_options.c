/* tests/policy/test_config_options.c: LIBMPK_OPTIONS ("key=value:key=value", [libmpk] keys),
 * its errors (LIBMPK_OPTIONS:1:COL), and that it overrides the file. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "helpers.h"

static int options(const char *opts)
{
    mpk_config_defaults(&cfg);
    memset(&err, 0, sizeof err);
    return mpk_config_parse_options(&cfg, opts, &err);
}

static void expect_options_error(const char *opts, unsigned col, const char *want)
{
    cr_assert_eq(options(opts), -1, "accepted: %s", opts);
    expect_err_at("LIBMPK_OPTIONS", 1, col, want);
}

Test(options, sets_libmpk_keys)
{
    cr_assert_eq(options("mode=audit:log=audit.log:pin=1,2:sync_signal=SIGUSR1:hw_keys=auto"), 0,
                 "%s", err.msg);
    cr_expect_eq(cfg.mode, MPK_MODE_AUDIT);
    cr_expect_str_eq(cfg.log, "audit.log");
    cr_expect_eq(cfg.pin, 6);
    cr_expect_eq(cfg.pos[MPK_KEY_LOG].source, MPK_SRC_OPTIONS);
    cr_expect_eq(cfg.pos[MPK_KEY_LOG].line, 1);
    cr_expect_eq(cfg.pos[MPK_KEY_LOG].col, 16);
}

Test(options, blanks_and_empty_entries)
{
    cr_assert_eq(options(": mode = audit ::\tlog_format=json:"), 0, "%s", err.msg);
    cr_expect_eq(cfg.mode, MPK_MODE_AUDIT);
    cr_expect_eq(cfg.log_format, MPK_LOG_JSON);
    cr_assert_eq(options(""), 0);
}

Test(options, quoted_value_may_hold_colons)
{
    cr_assert_eq(options("log=\"/tmp/a:b c\":mode=off"), 0, "%s", err.msg);
    cr_expect_str_eq(cfg.log, "/tmp/a:b c");
    cr_expect_eq(cfg.mode, MPK_MODE_OFF);
}

Test(options, override_the_file)
{
    cr_assert_eq(parse("[libmpk]\nmode = audit\nmax_keys = 10\n"), 0);
    cr_assert_eq(mpk_config_parse_options(&cfg, "mode=off", &err), 0, "not a duplicate: %s",
                 err.msg);
    cr_expect_eq(cfg.mode, MPK_MODE_OFF);
    cr_expect_eq(cfg.max_keys, 10);
    cr_expect_eq(cfg.pos[MPK_KEY_MODE].source, MPK_SRC_OPTIONS);
    cr_expect_eq(cfg.pos[MPK_KEY_MAX_KEYS].source, MPK_SRC_FILE);
}

Test(options, unknown_key)
{
    expect_options_error("mode=audit:mdoe=off", 12,
                         "unknown key 'mdoe' in LIBMPK_OPTIONS; did you mean 'mode'?");
    expect_options_error("colour=on", 1, "unknown key 'colour' in LIBMPK_OPTIONS: expected mode, "
                                         "log,");
}

Test(options, other_sections_keys)
{
    expect_options_error("rights=rw", 1, "'rights' cannot be set in LIBMPK_OPTIONS, which sets "
                                         "[libmpk] keys only: it goes under [region NAME] in the "
                                         "config file");
    expect_options_error("mode=off:enable=on", 10, "it goes under [wx]");
}

Test(options, duplicate_key)
{
    expect_options_error("mode=audit:mode=off", 12, "duplicate key 'mode' (first set at "
                                                    "column 6)");
}

Test(options, syntax_errors)
{
    expect_options_error("mode", 5, "expected '=' after 'mode' (LIBMPK_OPTIONS is key=value "
                                    "pairs separated by ':')");
    expect_options_error("mode audit", 6, "expected '=' after 'mode'");
    expect_options_error("mode:log=x", 5, "expected '=' after 'mode'");
    expect_options_error("=audit", 1, "expected a key name before '='");
    expect_options_error("mode=", 6, "empty value for 'mode'");
    expect_options_error("mode=:log=x", 6, "empty value for 'mode'");
    expect_options_error("log=\"abc", 5, "unterminated quoted value");
    expect_options_error("log=\"a\"b", 8, "unexpected text after the closing quote: expected ':' "
                                          "or the end");
}

Test(options, bad_values)
{
    expect_options_error("mode=enfroce", 6, "did you mean 'enforce'?");
    expect_options_error("max_keys=0", 10, "out of range for max_keys");
    expect_options_error("log=x:sync_signal=SIGSEGV", 19, "cannot be SIGSEGV");
}

Test(options, binary)
{
    expect_options_error("mode=\x01", 6, "binary data (control byte 0x01)");
    expect_options_error("mode=audit\nlog=x", 11, "control byte 0x0a");
    expect_options_error("log=\xff", 5, "invalid UTF-8 byte 0xff");
}

Test(options, long_values)
{
    static char opts[300 * 1024];
    int n = sprintf(opts, "log=\"");

    memset(opts + n, 'a', MPK_CONFIG_LINE_MAX + 10);
    strcpy(opts + n + MPK_CONFIG_LINE_MAX + 10, "\"");
    expect_options_error(opts, 5, "quoted value too long: more than 4096 bytes");

    n = sprintf(opts, "log=/");
    memset(opts + n, 'a', MPK_CONFIG_PATH_MAX);
    opts[n + MPK_CONFIG_PATH_MAX] = '\0';
    expect_options_error(opts, 5, "log path too long");

    memset(opts, ':', sizeof opts - 1); /* long, and harmless */
    opts[sizeof opts - 1] = '\0';
    cr_assert_eq(options(opts), 0, "%s", err.msg);
}
