/* tests/peers/support/support/test-driver.h: our stand-in for glibc's test driver interface:
 * the verbosity a test reads (raised by each -v or --verbose on the command line). */
#ifndef PEERS_SUPPORT_TEST_DRIVER_H
#define PEERS_SUPPORT_TEST_DRIVER_H

extern int test_verbose;

#endif
