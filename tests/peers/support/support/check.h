/* tests/peers/support/support/check.h: our stand-in for the checks of glibc's test framework
 * that tst-pkey.c uses: a failed check is printed and counted, FAIL_* end the test. */
#ifndef PEERS_SUPPORT_CHECK_H
#define PEERS_SUPPORT_CHECK_H

#include <stdio.h>
#include <stdlib.h>

/* Exit status of a test that cannot run here (glibc's convention, which ctest reads too). */
#define EXIT_UNSUPPORTED 77

/* Counts one failed check (thread- and signal-safe). */
void support_record_failure(void);
/* How many checks failed so far. */
int support_failures(void);
void peers_compare_failed(const char *file, int line, const char *left_expr, long long left,
                          const char *right_expr, long long right);

/* Prints and counts a failure unless EXPR is true; the test goes on. */
#define TEST_VERIFY(expr)                                                                    \
    do {                                                                                     \
        if (!(expr)) {                                                                       \
            printf("error: %s:%d: not true: %s\n", __FILE__, __LINE__, #expr);               \
            support_record_failure();                                                        \
        }                                                                                    \
    } while (0)

/* Prints both values and counts a failure unless the two integer expressions are equal. */
#define TEST_COMPARE(left, right)                                                            \
    do {                                                                                     \
        __typeof__(left) peers_l_ = (left);                                                  \
        __typeof__(right) peers_r_ = (right);                                                \
        if (!(peers_l_ == peers_r_))                                                         \
            peers_compare_failed(__FILE__, __LINE__, #left, (long long)peers_l_, #right,     \
                                 (long long)peers_r_);                                       \
    } while (0)

/* Ends the test as failed (status 1), with a message (printf format, %m allowed). */
#define FAIL_EXIT1(...)                                                                      \
    do {                                                                                     \
        printf("error: %s:%d: ", __FILE__, __LINE__);                                        \
        printf(__VA_ARGS__);                                                                 \
        putchar('\n');                                                                       \
        fflush(stdout);                                                                      \
        exit(1);                                                                             \
    } while (0)

/* Ends the test as unsupported on this machine (status 77), with a message. */
#define FAIL_UNSUPPORTED(...)                                                                \
    do {                                                                                     \
        printf("warning: %s:%d: unsupported: ", __FILE__, __LINE__);                         \
        printf(__VA_ARGS__);                                                                 \
        putchar('\n');                                                                       \
        fflush(stdout);                                                                      \
        exit(EXIT_UNSUPPORTED);                                                              \
    } while (0)

#endif
