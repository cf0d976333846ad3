/* tests/policy/test_config_errors.c: every kind of bad config gives an error at the right
 * line:column with a message that says what is wrong and what was expected. */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <stdio.h>
#include <string.h>

#include "helpers.h"

/* Arrays, not pointers: Criterion copies parameters into each test's own process, where the
 * addresses of string literals may differ. */
struct bad {
    char text[128];
    size_t len; /* 0: strlen(text) */
    unsigned line, col;
    char want[256]; /* a part of the message */
};

#define BAD(t, l, c, w) { t, 0, l, c, w }
/* For texts that hold NUL bytes. */
#define BADN(t, l, c, w) { t, sizeof t - 1, l, c, w }

/* ---- unknown keys and sections, with "did you mean" ---- */

static struct bad unknown[] = {
    BAD("[libmpk]\nmdoe = audit\n", 2, 1, "unknown key 'mdoe' in [libmpk]; did you mean 'mode'?"),
    BAD("[libmpk]\nmax = 5\n", 2, 1, "unknown key 'max' in [libmpk]; did you mean 'max_keys'?"),
    BAD("[libmpk]\nModE = audit\n", 2, 1, "did you mean 'mode'?"),
    BAD("[libmpk]\nhwkeys = 2\n", 2, 1, "did you mean 'hw_keys'?"),
    BAD("[libmpk]\nfrobnicate = 1\n", 2, 1,
        "unknown key 'frobnicate' in [libmpk]: expected mode, log, log_format, backtrace, "
        "verbose, max_keys, hw_keys, evict, pin, on_free_in_use, on_bad_key, sync_signal, new_key, "
        "on_remap, self_write, sealed or numbers"),
    BAD("[wx]\nenabled = on\n", 2, 1, "unknown key 'enabled' in [wx]; did you mean 'enable'?"),
    BAD("[region r]\nright = rw\n", 2, 1, "did you mean 'rights'?"),
    BAD("[libmkp]\n", 1, 2, "unknown section [libmkp]: expected [libmpk], [wx] or [region NAME];"
                            " did you mean [libmpk]?"),
    BAD("[regoin x]\n", 1, 2, "did you mean [region NAME]?"),
    BAD("[WX]\n", 1, 2, "did you mean [wx]?"),
    BAD("[policy]\n", 1, 2, "unknown section [policy]: expected [libmpk], [wx] or [region NAME]"),
    BAD("[libmpk]\nrights = rw\n", 2, 1,
        "key 'rights' does not belong in [libmpk]: it goes under [region NAME]"),
    BAD("[region r]\nmode = audit\n", 2, 1, "it goes under [libmpk]"),
    BAD("[wx]\nthreads = all\n", 2, 1, "it goes under [region NAME]"),
    BAD("mode = audit\n", 1, 1, "key 'mode' before any section header: put it under [libmpk]"),
    BAD("# c\n\n  file = /x\n", 3, 3, "before any section header: put it under [region NAME] or "
                                      "[wx]"),
    BAD("enable = on\n", 1, 1, "put it under [wx]"),
    BAD("mdoe = x\n", 1, 1, "unknown key 'mdoe' before any section header; did you mean 'mode' "
                            "(under [libmpk])?"),
    BAD("hello = x\n", 1, 1, "a config file starts with [libmpk], [wx] or [region NAME]"),
};

ParameterizedTestParameters(errors, unknown_keys_and_sections)
{
    return cr_make_param_array(struct bad, unknown, sizeof unknown / sizeof unknown[0]);
}

ParameterizedTest(struct bad *b, errors, unknown_keys_and_sections)
{
    expect_error(b->text, b->line, b->col, b->want);
}

/* ---- duplicates ---- */

static struct bad duplicates[] = {
    BAD("[libmpk]\nmode = audit\nmode = off\n", 3, 1, "duplicate key 'mode' (first set at line 2)"),
    BAD("[libmpk]\nmode = audit\n[wx]\n[libmpk]\n", 4, 1,
        "duplicate section [libmpk] (first at line 1)"),
    BAD("[libmpk]\nmode = audit\n[wx]\n[libmpk]\nmode = off\n", 4, 1, "duplicate section"),
    BAD("[wx]\n\n[wx]\n", 3, 1, "duplicate section [wx] (first at line 1)"),
    BAD("[wx]\nenable = on\nenable = on\n", 3, 1, "duplicate key 'enable' (first set at line 2)"),
    BAD("[region r]\nrights = rw\nmin_size = 1\nrights = none\n", 4, 1,
        "duplicate key 'rights' (first set at line 2)"),
    BAD("[region a]\nmin_size=1\nrights=rw\n[region a]\n", 4, 9,
        "duplicate region name 'a' (first at line 1)"),
};

ParameterizedTestParameters(errors, duplicates)
{
    return cr_make_param_array(struct bad, duplicates, sizeof duplicates / sizeof duplicates[0]);
}

ParameterizedTest(struct bad *b, errors, duplicates)
{
    expect_error(b->text, b->line, b->col, b->want);
}

/* The same key in two regions is not a duplicate. */
Test(errors, same_key_in_two_regions_is_fine)
{
    cr_assert_eq(parse("[region a]\nmin_size=1\nrights=rw\n[region b]\nmin_size=1\nrights=rw\n"),
                 0, "%s", err.msg);
}

/* ---- values: not allowed, out of range, malformed ---- */

static struct bad values[] = {
    BAD("[libmpk]\nmode = enfroce\n", 2, 8, "invalid value 'enfroce' for mode: expected enforce, "
                                            "audit or off; did you mean 'enforce'?"),
    BAD("[libmpk]\nmode = audit off\n", 2, 8, "invalid value 'audit off' for mode"),
    BAD("[libmpk]\nlog_format = JSON\n", 2, 14, "expected text or json; did you mean 'json'?"),
    BAD("[libmpk]\nbacktrace = yes\n", 2, 13, "invalid value 'yes' for backtrace: expected off "
                                              "or on"),
    BAD("[libmpk]\nevict = fifo\n", 2, 9, "expected lru, random or none"),
    BAD("[libmpk]\non_free_in_use = free\n", 2, 18, "expected keep, revoke or refuse"),
    BAD("[libmpk]\non_bad_key = ignore\n", 2, 14, "expected refuse or abort"),
    BAD("[libmpk]\nnew_key = everyone\n", 2, 11, "expected this_thread or all_threads"),
    BAD("[libmpk]\non_remap = retag\n", 2, 12, "invalid value 'retag' for on_remap: expected reset or keep"),
    BAD("[libmpk]\nself_write = deny\n", 2, 14, "expected allow, audit or refuse"),
    BAD("[libmpk]\nsealed = yes\n", 2, 10, "invalid value 'yes' for sealed: expected no, audit or refuse"),
    BAD("[libmpk]\nnumbers = reuse\n", 2, 11, "invalid value 'reuse' for numbers: expected unique or kernel"),
    BAD("[region r]\nmin_size = 1\nrights = rw\nsealed = on\n", 4, 10, "invalid value 'on' for sealed: expected no, audit or refuse"),
    BAD("[wx]\ncross_thread = maybe\n", 2, 16, "expected deny or allow"),
    BAD("[wx]\nrwx = warn\n", 2, 7, "expected allow, audit or deny"),
    BAD("[region r]\nrights = write\n", 2, 10, "invalid value 'write' for rights: expected none, "
                                               "read or rw"),
    BAD("[libmpk]\nmax_keys = 0\n", 2, 12, "'0' is out of range for max_keys: expected a number "
                                           "from 1 to 1048576"),
    BAD("[libmpk]\nmax_keys = 1048577\n", 2, 12, "out of range for max_keys: expected a number "
                                                 "from 1 to 1048576"),
    BAD("[libmpk]\nmax_keys = 99999999999999999999999\n", 2, 12, "out of range for max_keys"),
    BAD("[libmpk]\nmax_keys = 0xfffffffffffffffff\n", 2, 12, "out of range for max_keys"),
    BAD("[libmpk]\nmax_keys = -1\n", 2, 12, "invalid value '-1' for max_keys: expected a number "
                                            "from 1 to 1048576"),
    BAD("[libmpk]\nmax_keys = 0x\n", 2, 13, "unexpected 'x' after the number in max_keys"),
    BAD("[libmpk]\nmax_keys = 12abc\n", 2, 14, "unexpected 'abc' after the number in max_keys: "
                                               "expected a number from 1 to 1048576"),
    BAD("[libmpk]\nhw_keys = 16\n", 2, 11, "'16' is out of range for hw_keys: expected auto or a "
                                           "number from 1 to 15"),
    BAD("[libmpk]\nhw_keys = 0\n", 2, 11, "out of range for hw_keys"),
    BAD("[libmpk]\nhw_keys = many\n", 2, 11, "invalid value 'many' for hw_keys"),
    BAD("[wx]\nmin_size = 129T\n", 2, 12, "'129T' is out of range for min_size: expected a size "
                                          "from 0 to 128T"),
    BAD("[wx]\nmin_size = 0x800000000001\n", 2, 12, "out of range for min_size"),
    BAD("[wx]\nmin_size = 18446744073709551615K\n", 2, 12, "out of range for min_size"),
    BAD("[wx]\nmin_size = 64KB\n", 2, 14, "unexpected 'KB' after the number in min_size"),
    BAD("[wx]\nmin_size = 64P\n", 2, 14, "unexpected 'P' after the number in min_size"),
    BAD("[wx]\nmin_size = 99999999999999999999999\n", 2, 12, "out of range for min_size"),
    BAD("[wx]\nmin_size = big\n", 2, 12, "invalid value 'big' for min_size: expected a size"),
    BAD("[libmpk]\npin = 16\n", 2, 7, "'16' is out of range for pin: expected none or key "
                                      "numbers from 1 to 15"),
    BAD("[libmpk]\npin = 0\n", 2, 7, "out of range for pin"),
    BAD("[libmpk]\npin = 1,,2\n", 2, 9, "empty entry in the pin list"),
    BAD("[libmpk]\npin = 1,2,\n", 2, 11, "empty entry in the pin list"),
    BAD("[libmpk]\npin = 3, 3\n", 2, 10, "key 3 is pinned twice"),
    BAD("[libmpk]\npin = 1 2\n", 2, 8, "unexpected ' 2' after the number in pin"),
    BAD("[libmpk]\npin = all\n", 2, 7, "invalid value 'all' for pin"),
    BAD("[region r]\nflags = anon|fiel\n", 2, 14, "unknown flag 'fiel': expected anon, file, "
                                                  "private, shared, exec or write; did you mean "
                                                  "'file'?"),
    BAD("[region r]\nflags = anon | file\n", 2, 16, "flags 'anon' and 'file' can never both hold"),
    BAD("[region r]\nflags = private|shared\n", 2, 17, "'private' and 'shared'"),
    BAD("[region r]\nflags = exec|exec\n", 2, 14, "flag 'exec' is given twice"),
    BAD("[region r]\nflags = exec|\n", 2, 14, "empty entry in flags"),
    BAD("[libmpk]\nlog = stdout\n", 2, 7, "would write to a file named 'stdout'"),
    BAD("[libmpk]\nsync_signal = SIGSEGV\n", 2, 15, "sync_signal cannot be SIGSEGV (11): libmpk "
                                                   "handles protection-key faults with it"),
    BAD("[libmpk]\nsync_signal = 9\n", 2, 15, "sync_signal cannot be SIGKILL (9): it cannot be "
                                              "caught"),
    BAD("[libmpk]\nsync_signal = SIGBUS\n", 2, 15, "cannot be SIGBUS (7)"),
    BAD("[libmpk]\nsync_signal = 6\n", 2, 15, "cannot be SIGABRT (6)"),
    BAD("[libmpk]\nsync_signal = SIGSTOP\n", 2, 15, "cannot be SIGSTOP (19)"),
    BAD("[libmpk]\nsync_signal = SIGILL\n", 2, 15, "cannot be SIGILL (4)"),
    BAD("[libmpk]\nsync_signal = SIGFPE\n", 2, 15, "cannot be SIGFPE (8)"),
    BAD("[libmpk]\nsync_signal = SIGTRAP\n", 2, 15, "cannot be SIGTRAP (5)"),
    BAD("[libmpk]\nsync_signal = 32\n", 2, 15, "sync_signal cannot be signal 32: signals 32 to "
                                               "SIGRTMIN+2 (36) are reserved for the C library"),
    BAD("[libmpk]\nsync_signal = SIGRTMIN\n", 2, 15, "cannot be signal 34"),
    BAD("[libmpk]\nsync_signal = SIGRTMIN+2\n", 2, 15, "cannot be signal 36"),
    BAD("[libmpk]\nsync_signal = SIGRTMAX-30\n", 2, 15, "cannot be signal 34"),
    BAD("[libmpk]\nsync_signal = 65\n", 2, 15, "'65' is out of range for sync_signal: expected a "
                                               "signal number from 1 to 64"),
    BAD("[libmpk]\nsync_signal = 0\n", 2, 15, "out of range for sync_signal"),
    BAD("[libmpk]\nsync_signal = SIGRTMIN+31\n", 2, 15, "out of range for sync_signal: real-time "
                                                        "signals run from SIGRTMIN (34) to "
                                                        "SIGRTMAX (64)"),
    BAD("[libmpk]\nsync_signal = SIGRTMAX-31\n", 2, 15, "out of range for sync_signal"),
    BAD("[libmpk]\nsync_signal = USR1\n", 2, 15, "invalid value 'USR1' for sync_signal; did you "
                                                 "mean 'SIGUSR1'?"),
    BAD("[libmpk]\nsync_signal = sigrtmax-2\n", 2, 15, "did you mean 'SIGRTMAX-2'?"),
    BAD("[libmpk]\nsync_signal = SIGINT\n", 2, 15, "invalid value 'SIGINT' for sync_signal: "
                                                   "expected a signal number from 1 to 64, "
                                                   "SIGUSR1, SIGUSR2, SIGRTMIN+N or SIGRTMAX-N"),
    BAD("[libmpk]\nsync_signal = SIGRTMIN-1\n", 2, 15, "invalid value 'SIGRTMIN-1'"),
    BAD("[libmpk]\nsync_signal = 10x\n", 2, 17, "unexpected 'x' after the number in sync_signal"),
    BAD("[libmpk]\nsync_signal = 0xZ\n", 2, 15, "invalid value '0xZ' for sync_signal"),
};

ParameterizedTestParameters(errors, bad_values)
{
    return cr_make_param_array(struct bad, values, sizeof values / sizeof values[0]);
}

ParameterizedTest(struct bad *b, errors, bad_values)
{
    expect_error(b->text, b->line, b->col, b->want);
}

/* ---- syntax ---- */

static struct bad syntax[] = {
    BAD("[libmpk\n", 1, 8, "unterminated section header: expected ']'"),
    BAD("[region r # x\n", 1, 14, "unterminated section header"),
    BAD("[libmpk]\nlog = \"abc\n", 2, 7, "unterminated quoted value: expected a closing '\"'"),
    BAD("[libmpk]\nlog = \"abc\\\"\n", 2, 7, "unterminated quoted value"),
    BAD("[libmpk]\nlog = \"a\\nb\"\n", 2, 9, "unknown escape '\\n' in a quoted value"),
    BAD("[libmpk]\nmode audit\n", 2, 6, "expected '=' after 'mode' (a setting is written key = "
                                        "value)"),
    BAD("[libmpk]\nmode\n", 2, 5, "expected '=' after 'mode'"),
    BAD("[libmpk]\n= audit\n", 2, 1, "expected a key name before '='"),
    BAD("[libmpk]\nmode =\n", 2, 7, "empty value for 'mode': expected enforce, audit or off"),
    BAD("[libmpk]\nmode = # comment\n", 2, 8, "empty value for 'mode'"),
    BAD("[libmpk]\nlog = \"\"\n", 2, 8, "empty value for 'log': expected stderr or a file path"),
    BAD("[region r]\nfile =   \n", 2, 10, "empty value for 'file': expected a glob on file paths"),
    BAD("[region r]\nthreads =\n", 2, 10, "empty value for 'threads': expected all or a glob on "
                                         "thread names"),
    BAD("[libmpk]\nsync_signal =\n", 2, 14, "empty value for 'sync_signal': expected a signal "
                                          "number from 1 to 64"),
    BAD("[region r]\nflags = \n", 2, 9, "empty value for 'flags': expected flags separated by "
                                       "'|'"),
    BAD("[libmpk]\npin =\n", 2, 6, "empty value for 'pin': expected none or key numbers"),
    BAD("[libmpk] x\n", 1, 10, "unexpected text after the section header"),
    BAD("[libmpk]\nlog = \"a\" b\n", 2, 11, "unexpected text after the closing quote"),
    BAD("[region]\n", 1, 8, "section [region] needs a name: [region NAME]"),
    BAD("[region a b]\n", 1, 10, "invalid character in region name 'a b'"),
    BAD("[region a/b]\n", 1, 10, "invalid character in region name"),
    BAD("[libmpk x]\n", 1, 9, "section [libmpk] takes no name"),
    BAD("[wx on]\n", 1, 5, "section [wx] takes no name"),
    BAD("[]\n", 1, 1, "empty section header: expected [libmpk], [wx] or [region NAME]"),
    BAD("[ ]\n", 1, 1, "empty section header"),
};

ParameterizedTestParameters(errors, syntax)
{
    return cr_make_param_array(struct bad, syntax, sizeof syntax / sizeof syntax[0]);
}

ParameterizedTest(struct bad *b, errors, syntax)
{
    expect_error(b->text, b->line, b->col, b->want);
}

/* ---- regions and globs ---- */

static struct bad regions[] = {
    BAD("[region r]\nmin_size = 1\n", 1, 1, "region 'r' has no rights: add rights = none, read "
                                            "or rw"),
    BAD("[region r]\nmin_size = 1\n[libmpk]\n", 1, 1, "region 'r' has no rights"),
    BAD("[libmpk]\n[region r]\nrights = rw\n[libmpk]\n", 2, 1,
        "region 'r' would match every mapping: give it a file, a min_size above 0 or flags"),
    BAD("[region r]\nmin_size = 0\nrights = rw\n", 1, 1, "would match every mapping"),
    BAD("[region r]\nthreads = main\nrights = rw\n", 1, 1, "would match every mapping"),
    BAD("[region r]\nfile = /usr/[abc\n", 2, 13, "invalid glob for file: an unterminated '['"),
    BAD("[region r]\nfile = /x\\\n", 2, 10, "invalid glob for file: a lone '\\' at the end"),
    BAD("[region r]\nthreads = w[z-a]\n", 2, 13, "invalid glob for threads: a range that goes "
                                                 "backwards"),
    BAD("[region r]\nfile = libc.so*\n", 2, 8, "file = 'libc.so*' can never match: mapping paths "
                                               "are absolute, so start it with '/' or '*' (e.g. "
                                               "'*/libc.so*')"),
    BAD("[region r]\nfile = \\*x\n", 2, 8, "can never match"),
    BAD("[wx]\nfile = lib/x.so\n", 2, 8, "can never match"),
};

ParameterizedTestParameters(errors, regions)
{
    return cr_make_param_array(struct bad, regions, sizeof regions / sizeof regions[0]);
}

ParameterizedTest(struct bad *b, errors, regions)
{
    expect_error(b->text, b->line, b->col, b->want);
}

Test(errors, region_name_too_long)
{
    char text[200];

    snprintf(text, sizeof text, "[region %064d]\n", 0);
    expect_error(text, 1, 9, "region name too long: at most 63 characters");
    snprintf(text, sizeof text, "[region %063d]\nmin_size=1\nrights=rw\n", 0);
    cr_expect_eq(parse(text), 0, "63 characters are fine: %s", err.msg);
}

Test(errors, too_many_regions)
{
    static char text[65 * 64];
    size_t len = 0;

    for (int i = 0; i < 65; i++)
        len += (size_t)snprintf(text + len, sizeof text - len,
                                "[region r%d]\nmin_size = 1\nrights = rw\n", i);
    expect_error(text, 64 * 3 + 1, 1, "too many [region] sections: at most 64");
}

Test(errors, glob_too_long)
{
    char text[400];

    snprintf(text, sizeof text, "[region r]\nfile = /%0255d\n", 0);
    expect_error(text, 2, 8, "glob too long for file: at most 255 bytes");
    snprintf(text, sizeof text, "[region r]\nfile = /%0254d\nrights = rw\n", 0);
    cr_expect_eq(parse(text), 0, "255 bytes are fine: %s", err.msg);
}

/* ---- binary data and long lines ---- */

static struct bad binary[] = {
    BADN("[libmpk]\nmo\0de = x\n", 2, 3, "binary data (control byte 0x00): expected a text file"),
    BAD("\x01", 1, 1, "binary data (control byte 0x01)"),
    BAD("[libmpk]\nlog = a\x7f\n", 2, 8, "binary data (control byte 0x7f)"),
    BAD("[libmpk]\nlog = a\x1b[0m\n", 2, 8, "control byte 0x1b"),
    BAD("# \xff\n", 1, 3, "binary data (invalid UTF-8 byte 0xff)"),
    BAD("# \xC0\x80\n", 1, 3, "invalid UTF-8 byte 0xc0"),          /* overlong NUL */
    BAD("# \xE0\x80\x80\n", 1, 3, "invalid UTF-8 byte 0xe0"),      /* overlong */
    BAD("# \xED\xA0\x80\n", 1, 3, "invalid UTF-8 byte 0xed"),      /* surrogate */
    BAD("# \xF4\x90\x80\x80\n", 1, 3, "invalid UTF-8 byte 0xf4"),  /* above U+10FFFF */
    BAD("# \xE2\x82", 1, 3, "invalid UTF-8 byte 0xe2"),            /* cut short */
    BAD("# \xE2\x82\n", 1, 3, "invalid UTF-8 byte 0xe2"),
    BAD("# \x80\n", 1, 3, "invalid UTF-8 byte 0x80"),              /* stray continuation */
    BAD("# \xE2\x82\x41\n", 1, 3, "invalid UTF-8 byte 0xe2"),      /* bad third byte */
    BAD("\xF5\x80\x80\x80", 1, 1, "invalid UTF-8 byte 0xf5"),
    BAD("[libmpk]\nmode = audit\rmode = off\n", 2, 13, "a carriage return inside a line"),
    BAD("[libmpk]\rmode = audit\r", 1, 9, "a carriage return inside a line"),
};

ParameterizedTestParameters(errors, binary)
{
    return cr_make_param_array(struct bad, binary, sizeof binary / sizeof binary[0]);
}

ParameterizedTest(struct bad *b, errors, binary)
{
    expect_error_n(b->text, b->len ? b->len : strlen(b->text), b->line, b->col, b->want);
}

Test(errors, line_too_long)
{
    static char text[MPK_CONFIG_LINE_MAX + 100];
    int n = snprintf(text, sizeof text, "[libmpk]\nlog = ");

    memset(text + n, 'a', MPK_CONFIG_LINE_MAX - 5); /* the line is 4097 bytes */
    expect_error_n(text, (size_t)n + MPK_CONFIG_LINE_MAX - 5, 2, 4097,
                   "line too long: more than 4096 bytes");
    text[n + MPK_CONFIG_LINE_MAX - 5] = '\n';
    expect_error_n(text, (size_t)n + MPK_CONFIG_LINE_MAX - 4, 2, 4097, "line too long");
}

Test(errors, line_of_200k_is_refused_quickly, .timeout = 5)
{
    static char text[200 * 1024 + 20];

    memcpy(text, "[libmpk]\n", 9);
    memset(text + 9, 'x', sizeof text - 9);
    expect_error_n(text, sizeof text, 2, 4097, "line too long: more than 4096 bytes");
}

Test(errors, long_binary_line_says_binary)
{
    static char text[100 * 1024];

    for (size_t i = 0; i < sizeof text; i++)
        text[i] = (char)(i * 7 + 1);
    cr_assert_eq(parse_n(text, sizeof text), -1);
    cr_expect(strstr(err.msg, "binary data"), "%s", err.msg);
}

Test(errors, long_line_cut_inside_a_character)
{
    static char text[MPK_CONFIG_LINE_MAX + 100];
    size_t n = 2;

    /* "# " then 3-byte characters, so byte 4096 falls inside one: still "too long", not
     * "invalid UTF-8". */
    memcpy(text, "# ", 2);
    while (n < MPK_CONFIG_LINE_MAX + 10) {
        memcpy(text + n, "\xE2\x82\xAC", 3);
        n += 3;
    }
    cr_assert_eq(parse_n(text, n), -1);
    cr_expect(strstr(err.msg, "line too long"), "%s", err.msg);
}
