/* tests/policy/test_config_syntax.c: configs that parse, and what they set: every key, the
 * value forms, comments, quoting, line endings, positions, default.conf. */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "helpers.h"

Test(syntax, empty_text_gives_defaults)
{
    static struct mpk_config d;

    cr_assert_eq(parse(""), 0);
    mpk_config_defaults(&d);
    cr_assert(config_equal_ignoring_pos(&cfg, &d));
}

Test(syntax, defaults_are_documented_values)
{
    mpk_config_defaults(&cfg);
    cr_expect_eq(cfg.mode, MPK_MODE_ENFORCE);
    cr_expect_str_eq(cfg.log, "");
    cr_expect_eq(cfg.log_format, MPK_LOG_TEXT);
    cr_expect(cfg.backtrace);
    cr_expect_not(cfg.verbose);
    cr_expect_eq(cfg.max_keys, 4096);
    cr_expect_eq(cfg.hw_keys, 0);
    cr_expect_eq(cfg.evict, MPK_EVICT_LRU);
    cr_expect_eq(cfg.pin, 0);
    cr_expect_eq(cfg.on_free_in_use, MPK_FREE_KEEP);
    cr_expect_eq(cfg.on_bad_key, MPK_BAD_KEY_REFUSE);
    cr_expect_eq(cfg.sync_signal, SIGRTMAX - 2);
    cr_expect_eq(cfg.new_key, MPK_NEW_KEY_THIS_THREAD);
    cr_expect_eq(cfg.on_remap, MPK_REMAP_RESET);
    cr_expect_eq(cfg.self_write, MPK_SELF_WRITE_AUDIT);
    cr_expect_eq(cfg.sealed, MPK_SEALED_NO);
    cr_expect_eq(cfg.numbers, MPK_NUMBERS_UNIQUE);
    cr_expect_not(cfg.wx.enable);
    cr_expect_eq(cfg.wx.cross_thread, MPK_WX_CROSS_DENY);
    cr_expect_eq(cfg.wx.rwx, MPK_WX_RWX_ALLOW);
    cr_expect_str_eq(cfg.wx.file, "");
    cr_expect_eq(cfg.wx.min_size, 0);
    cr_expect_eq(cfg.nregions, 0);
}

Test(syntax, default_conf_equals_builtin_defaults)
{
    static struct mpk_config d;

    mpk_config_defaults(&cfg);
    cr_assert_eq(mpk_config_parse_file(&cfg, MPK_SOURCE_DIR "/policy/default.conf", &err), 0,
                 "%s:%u:%u: %s", err.where, err.line, err.col, err.msg);
    mpk_config_defaults(&d);
    cr_assert(config_equal_ignoring_pos(&cfg, &d), "policy/default.conf drifted from "
                                                   "mpk_config_defaults()");
    /* And it does say every [libmpk] and [wx] key, so a changed default shows up here. */
    for (int k = 0; k < MPK_CONFIG_NKEYS; k++)
        if (k != MPK_KEY_WX_FILE) /* "not set" is its default: only a comment says it */
            cr_expect_eq(cfg.pos[k].source, MPK_SRC_FILE, "key %d not in default.conf", k);
}

Test(syntax, every_libmpk_key)
{
    cr_assert_eq(parse("[libmpk]\n"
                       "mode = audit\n"
                       "log = /tmp/mpk.log\n"
                       "log_format = json\n"
                       "backtrace = off\n"
                       "verbose = on\n"
                       "max_keys = 100\n"
                       "hw_keys = 7\n"
                       "evict = random\n"
                       "pin = 1, 3,5\n"
                       "on_free_in_use = revoke\n"
                       "on_bad_key = abort\n"
                       "sync_signal = SIGUSR2\n"
                       "new_key = all_threads\n"
                       "on_remap = keep\n"
                       "self_write = refuse\n"
                       "sealed = refuse\n"
                       "numbers = kernel\n"), 0, "%s", err.msg);
    cr_expect_eq(cfg.mode, MPK_MODE_AUDIT);
    cr_expect_str_eq(cfg.log, "/tmp/mpk.log");
    cr_expect_eq(cfg.log_format, MPK_LOG_JSON);
    cr_expect_not(cfg.backtrace);
    cr_expect(cfg.verbose);
    cr_expect_eq(cfg.max_keys, 100);
    cr_expect_eq(cfg.hw_keys, 7);
    cr_expect_eq(cfg.evict, MPK_EVICT_RANDOM);
    cr_expect_eq(cfg.pin, (1 << 1) | (1 << 3) | (1 << 5));
    cr_expect_eq(cfg.on_free_in_use, MPK_FREE_REVOKE);
    cr_expect_eq(cfg.on_bad_key, MPK_BAD_KEY_ABORT);
    cr_expect_eq(cfg.sync_signal, SIGUSR2);
    cr_expect_eq(cfg.new_key, MPK_NEW_KEY_ALL_THREADS);
    cr_expect_eq(cfg.on_remap, MPK_REMAP_KEEP);
    cr_expect_eq(cfg.self_write, MPK_SELF_WRITE_REFUSE);
    cr_expect_eq(cfg.sealed, MPK_SEALED_REFUSE);
    cr_expect_eq(cfg.numbers, MPK_NUMBERS_KERNEL);
}

Test(syntax, every_enum_word)
{
    const char *texts[] = { "mode = enforce", "mode = off", "on_free_in_use = keep",
                            "on_free_in_use = refuse", "on_bad_key = refuse", "new_key = this_thread",
                            "on_remap = reset",
                            "self_write = allow",
                            "sealed = no", "sealed = audit", "numbers = unique",
                            "evict = lru",
                            "log_format = text", "backtrace = on", "verbose = off" };

    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
        char buf[100];

        snprintf(buf, sizeof buf, "[libmpk]\n%s\n", texts[i]);
        cr_expect_eq(parse(buf), 0, "%s: %s", texts[i], err.msg);
    }
    parse("[libmpk]\nmode = off\non_free_in_use = refuse\n");
    cr_expect_eq(cfg.mode, MPK_MODE_OFF);
    cr_expect_eq(cfg.on_free_in_use, MPK_FREE_REFUSE);
}

Test(syntax, wx_section)
{
    cr_assert_eq(parse("[wx]\nenable = on\ncross_thread = allow\nrwx = deny\n"
                       "file = */libluajit*\nmin_size = 64K\n"), 0, "%s", err.msg);
    cr_expect(cfg.wx.enable);
    cr_expect_eq(cfg.wx.cross_thread, MPK_WX_CROSS_ALLOW);
    cr_expect_eq(cfg.wx.rwx, MPK_WX_RWX_DENY);
    cr_expect_str_eq(cfg.wx.file, "*/libluajit*");
    cr_expect_eq(cfg.wx.min_size, 64 * 1024);
    cr_assert_eq(parse("[wx]\nrwx = audit\n"), 0);
    cr_expect_eq(cfg.wx.rwx, MPK_WX_RWX_AUDIT);
}

Test(syntax, regions)
{
    cr_assert_eq(parse("[region secrets]\n"
                       "file = /var/lib/*.key\n"
                       "min_size = 1M\n"
                       "flags = shared | write\n"
                       "rights = none\n"
                       "threads = crypto-*\n"
                       "sealed = refuse\n"
                       "\n"
                       "[region big.heap-2]\n"
                       "min_size = 0x100000\n"
                       "rights = rw\n"
                       "[region code]\n"
                       "flags = file|exec|private\n"
                       "rights = read\n"
                       "threads = all\n"
                       "sealed = audit\n"), 0, "%s", err.msg);
    cr_assert_eq(cfg.nregions, 3);
    cr_expect_str_eq(cfg.regions[0].name, "secrets");
    cr_expect_str_eq(cfg.regions[0].file, "/var/lib/*.key");
    cr_expect_eq(cfg.regions[0].min_size, 1 << 20);
    cr_expect_eq(cfg.regions[0].flags, MPK_MAP_SHARED | MPK_MAP_WRITE);
    cr_expect_eq(cfg.regions[0].rights, MPK_RIGHTS_NONE);
    cr_expect_str_eq(cfg.regions[0].threads, "crypto-*");
    cr_expect_eq(cfg.regions[0].sealed, MPK_SEALED_REFUSE);
    cr_expect_eq(cfg.regions[1].sealed, MPK_SEALED_NO, "sealed is not set: no");
    cr_expect_eq(cfg.regions[2].sealed, MPK_SEALED_AUDIT);
    cr_expect_str_eq(cfg.regions[1].name, "big.heap-2");
    cr_expect_str_eq(cfg.regions[1].file, "");
    cr_expect_eq(cfg.regions[1].min_size, 0x100000);
    cr_expect_eq(cfg.regions[1].rights, MPK_RIGHTS_RW);
    cr_expect_str_eq(cfg.regions[1].threads, "");
    cr_expect_eq(cfg.regions[2].flags, MPK_MAP_FILE | MPK_MAP_EXEC | MPK_MAP_PRIVATE);
    cr_expect_eq(cfg.regions[2].rights, MPK_RIGHTS_READ);
    cr_expect_str_eq(cfg.regions[2].threads, "", "threads = all is stored as \"\"");
    cr_expect_eq(cfg.regions[1].header.line, 9);
    cr_expect_eq(cfg.regions[1].header.col, 1);
}

Test(syntax, sixty_four_regions_fit)
{
    static char text[64 * 64];
    size_t len = 0;

    for (int i = 0; i < 64; i++)
        len += (size_t)snprintf(text + len, sizeof text - len, "[region r%d]\nmin_size = 1\n"
                                                               "rights = rw\n", i);
    cr_assert_eq(parse(text), 0, "%s", err.msg);
    cr_expect_eq(cfg.nregions, 64);
    cr_expect_str_eq(cfg.regions[63].name, "r63");
}

Test(syntax, comments_and_blank_lines)
{
    cr_assert_eq(parse("# leading comment\n"
                       "\n"
                       "   \t\n"
                       "[libmpk]   # after a header\n"
                       "  # indented comment\n"
                       "mode = audit # after a value\n"
                       "log = /tmp/a#b\n"         /* '#' not after a blank is data */
                       "\tmax_keys\t=\t8\t\n"), 0, "%s", err.msg);
    cr_expect_eq(cfg.mode, MPK_MODE_AUDIT);
    cr_expect_str_eq(cfg.log, "/tmp/a#b");
    cr_expect_eq(cfg.max_keys, 8);
}

Test(syntax, quoted_values)
{
    cr_assert_eq(parse("[libmpk]\nlog = \" /tmp/my log # 1 \\\"x\\\" \\\\ \"  # c\n"), 0, "%s",
                 err.msg);
    cr_expect_str_eq(cfg.log, " /tmp/my log # 1 \"x\" \\ ");
    cr_assert_eq(parse("[libmpk]\nmode = \"audit\"\n"), 0);
    cr_expect_eq(cfg.mode, MPK_MODE_AUDIT);
    cr_assert_eq(parse("[region a]\nfile=\"/x y/*\"\nrights=\"rw\"\n"), 0, "%s", err.msg);
    cr_expect_str_eq(cfg.regions[0].file, "/x y/*");
}

Test(syntax, crlf_bom_and_no_final_newline)
{
    cr_assert_eq(parse("\xEF\xBB\xBF[libmpk]\r\nmode = audit\r\n\r\nmax_keys = 9"), 0, "%s",
                 err.msg);
    cr_expect_eq(cfg.mode, MPK_MODE_AUDIT);
    cr_expect_eq(cfg.max_keys, 9);
    cr_expect_eq(cfg.pos[MPK_KEY_MAX_KEYS].line, 4);
}

Test(syntax, utf8_text_is_fine)
{
    cr_assert_eq(parse("# caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x94\x91\n[region k\xC3\xA9y]\n"), -1);
    /* (a region name is ASCII; but UTF-8 in comments, paths and globs is fine) */
    cr_assert_eq(parse("# caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x94\x91\n[libmpk]\n"
                       "log = /tmp/caf\xC3\xA9.log\n"), 0, "%s", err.msg);
    cr_expect_str_eq(cfg.log, "/tmp/caf\xC3\xA9.log");
}

Test(syntax, numbers_and_sizes)
{
    cr_assert_eq(parse("[libmpk]\nmax_keys = 0x10\n"), 0);
    cr_expect_eq(cfg.max_keys, 16);
    cr_assert_eq(parse("[libmpk]\nmax_keys = 0XaB\n"), 0);
    cr_expect_eq(cfg.max_keys, 0xab);
    cr_assert_eq(parse("[libmpk]\nmax_keys = 010\n"), 0, "leading zeros are decimal");
    cr_expect_eq(cfg.max_keys, 10);
    cr_assert_eq(parse("[libmpk]\nmax_keys = 1048576\n"), 0);
    cr_expect_eq(cfg.max_keys, 1048576);
    cr_assert_eq(parse("[libmpk]\nmax_keys = 1\nhw_keys = 15\n"), 0);
    cr_expect_eq(cfg.hw_keys, 15);

    const struct { const char *v; unsigned long long bytes; } sizes[] = {
        { "0", 0 }, { "4096", 4096 }, { "64K", 64 << 10 }, { "64k", 64 << 10 },
        { "3M", 3ull << 20 }, { "2G", 2ull << 30 }, { "128T", 128ull << 40 },
        { "0x10K", 16 << 10 }, { "140737488355328", 1ull << 47 },
    };
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        char text[100];

        snprintf(text, sizeof text, "[wx]\nmin_size = %s\n", sizes[i].v);
        cr_expect_eq(parse(text), 0, "%s: %s", sizes[i].v, err.msg);
        cr_expect_eq(cfg.wx.min_size, sizes[i].bytes, "%s", sizes[i].v);
    }
}

Test(syntax, sync_signal_forms)
{
    const struct { const char *v; int sig; } ok[] = {
        { "SIGUSR1", SIGUSR1 }, { "SIGUSR2", SIGUSR2 }, { "10", 10 }, { "SIGRTMAX", 64 },
        { "SIGRTMAX-2", 62 }, { "SIGRTMIN+3", 37 }, { "37", 37 }, { "64", 64 }, { "1", 1 },
        { "0x3f", 63 },
    };

    cr_assert_eq(SIGRTMIN, 34, "these cases assume glibc's SIGRTMIN");
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        char text[100];

        snprintf(text, sizeof text, "[libmpk]\nsync_signal = %s\n", ok[i].v);
        cr_expect_eq(parse(text), 0, "%s: %s", ok[i].v, err.msg);
        cr_expect_eq(cfg.sync_signal, ok[i].sig, "%s", ok[i].v);
    }
}

Test(syntax, hw_keys_auto_and_pin_none)
{
    cr_assert_eq(parse("[libmpk]\nhw_keys = auto\npin = none\n"), 0);
    cr_expect_eq(cfg.hw_keys, 0);
    cr_expect_eq(cfg.pin, 0);
    cr_assert_eq(parse("[libmpk]\npin = 15\n"), 0);
    cr_expect_eq(cfg.pin, 1 << 15);
}

Test(syntax, positions_are_recorded)
{
    cr_assert_eq(parse("[libmpk]\n  mode =   audit\n[region r]\nmin_size = 1\n  rights = rw\n"),
                 0);
    cr_expect_eq(cfg.pos[MPK_KEY_MODE].source, MPK_SRC_FILE);
    cr_expect_eq(cfg.pos[MPK_KEY_MODE].line, 2);
    cr_expect_eq(cfg.pos[MPK_KEY_MODE].col, 12, "the value's column");
    cr_expect_eq(cfg.pos[MPK_KEY_LOG].source, MPK_SRC_DEFAULT);
    cr_expect_eq(cfg.pos[MPK_KEY_LOG].line, 0);
    cr_expect_eq(cfg.regions[0].pos[MPK_RKEY_RIGHTS].line, 5);
    cr_expect_eq(cfg.regions[0].pos[MPK_RKEY_RIGHTS].col, 12);
    cr_expect_str_eq(cfg.file, "t.conf");
}

Test(syntax, columns_count_characters)
{
    /* "\xC3\xA9" is two bytes but one column: the 'x' is in column 11, byte 12. */
    cr_assert_eq(parse("[libmpk]\nlog = \"\xC3\xA9\" x\n"), -1);
    cr_expect_eq(err.line, 2);
    cr_expect_eq(err.col, 11);
    /* Inside a quoted value, columns still point into the line. */
    cr_assert_eq(parse("[libmpk]\npin = \"1,\xC3\xA9\"\n"), -1);
    cr_expect_eq(err.col, 10);
}

Test(syntax, later_parse_overrides_earlier)
{
    cr_assert_eq(parse("[libmpk]\nmode = audit\n"), 0);
    cr_assert_eq(mpk_config_parse_text(&cfg, "[libmpk]\nmode = off\n", 20, "second", &err), 0,
                 "not a duplicate: another input");
    cr_expect_eq(cfg.mode, MPK_MODE_OFF);
    cr_expect_str_eq(cfg.file, "second");
}

Test(syntax, text_need_not_be_nul_terminated)
{
    const char text[] = { '[', 'w', 'x', ']', '\n', 'e', 'n', 'a', 'b', 'l', 'e', '=', 'o', 'n',
                          'X' };

    cr_assert_eq(parse_n(text, sizeof text - 1), 0, "%s", err.msg);
    cr_expect(cfg.wx.enable);
}

Test(syntax, line_of_exactly_the_limit)
{
    static char text[5000];
    size_t n = (size_t)snprintf(text, sizeof text, "[libmpk]\nlog = ");

    memset(text + n, 'a', MPK_CONFIG_LINE_MAX - 6);
    n += MPK_CONFIG_LINE_MAX - 6;
    memcpy(text + n, "\r\n", 2);
    cr_assert_eq(parse_n(text, n + 2), 0, "a 4096-byte line (plus CRLF) is fine: %s", err.msg);
    cr_expect_eq(strlen(cfg.log), MPK_CONFIG_LINE_MAX - 6);
}

Test(syntax, format_error)
{
    char buf[200];
    struct mpk_config_error e = { "a.conf", 3, 7, "bad thing" };
    size_t n = mpk_config_format_error(&e, buf, sizeof buf);

    cr_expect_str_eq(buf, "libmpk: error: a.conf:3:7: bad thing\n");
    cr_expect_eq(n, strlen(buf));
    e.line = e.col = 0;
    mpk_config_format_error(&e, buf, sizeof buf);
    cr_expect_str_eq(buf, "libmpk: error: a.conf: bad thing\n");
    n = mpk_config_format_error(&e, buf, 10);
    cr_expect_str_eq(buf, "libmpk: e", "truncated, NUL-terminated");
    cr_expect_eq(n, strlen("libmpk: error: a.conf: bad thing\n"), "full length, as snprintf");
}

/* mpk_config_error_at is for callers' own messages: its small printf must format them right. */
Test(syntax, error_at_formats_like_printf)
{
    char many[600];

    mpk_config_defaults(&cfg);
    mpk_config_error_at(&cfg, &cfg.pos[MPK_KEY_LOG], &err, "%d %u %zu %llu %x %c %% [%.*s]",
                        -42, 7u, (size_t)123456789, 18446744073709551615ull, 0xbeefu, 'z', 3,
                        "abcdef");
    cr_expect_str_eq(err.msg, "-42 7 123456789 18446744073709551615 beef z % [abc]");
    memset(many, 'm', sizeof many - 1);
    many[sizeof many - 1] = '\0';
    mpk_config_error_at(&cfg, &cfg.pos[MPK_KEY_LOG], &err, "%s", many);
    cr_expect_eq(strlen(err.msg), sizeof err.msg - 1, "cut to the buffer, NUL-terminated");
}
