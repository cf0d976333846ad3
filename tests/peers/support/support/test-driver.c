/* tests/peers/support/support/test-driver.c: our stand-in for glibc's test driver, included at
 * the end of a test that defines do_test(): runs it in this process and exits 1 if any check
 * failed, else with do_test's status. Options: -v / --verbose (repeatable). */
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

int test_verbose;

static atomic_int peers_failures;

void support_record_failure(void)
{
    atomic_fetch_add(&peers_failures, 1);
}

int support_failures(void)
{
    return atomic_load(&peers_failures);
}

void peers_compare_failed(const char *file, int line, const char *left_expr, long long left,
                          const char *right_expr, long long right)
{
    printf("error: %s:%d: value of %s (%lld) != value of %s (%lld)\n", file, line, left_expr,
           left, right_expr, right);
    support_record_failure();
}

int main(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-v") == 0 || strcmp(argv[i], "--verbose") == 0) {
            test_verbose++;
        } else {
            fprintf(stderr, "usage: %s [-v|--verbose]...\n", argv[0]);
            return 2;
        }
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    int status = do_test();
    fflush(stdout);
    int failures = support_failures();
    if (failures > 0) {
        printf("error: %d test failure(s)\n", failures);
        return 1;
    }
    return status;
}
