/* tests/policy/helpers.h: shared set-up for the config parser tests: parse a string or a
 * temporary file into a static config and check the error it gives. */
#ifndef MPK_TESTS_POLICY_HELPERS_H
#define MPK_TESTS_POLICY_HELPERS_H

#include <stddef.h>

#include "policy/config.h"

/* The config and error of the current test; static because struct mpk_config is large. */
extern struct mpk_config cfg;
extern struct mpk_config_error err;

/* Defaults, then text parsed as the file "t.conf": 0 or -1. */
int parse(const char *text);
int parse_n(const char *text, size_t len);

/* Parsing text fails at line:col with a message containing want (Criterion asserts). */
void expect_error(const char *text, unsigned line, unsigned col, const char *want);
void expect_error_n(const char *text, size_t len, unsigned line, unsigned col, const char *want);
/* The last error (err) is at where:line:col and its message contains want. */
void expect_err_at(const char *where, unsigned line, unsigned col, const char *want);

/* A new file holding data[0..len), in a fresh temporary directory; returns its path (static). */
const char *temp_file(const void *data, size_t len);
/* A fresh temporary directory (static path). */
const char *temp_dir(void);

/* Two configs equal apart from where their settings were made. */
int config_equal_ignoring_pos(const struct mpk_config *a, const struct mpk_config *b);

#endif
