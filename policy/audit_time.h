/* policy/audit_time.h: the UTC timestamp of audit records, computed without gmtime (which takes
 * a lock and may allocate) so that records can be written from signal handlers. */
#ifndef MPK_POLICY_AUDIT_TIME_H
#define MPK_POLICY_AUDIT_TIME_H

#include "policy/audit_buf.h"

#include <stdint.h>

/* "YYYY-MM-DDTHH:MM:SS.uuuuuuZ" for sec (since the epoch, >= 0) and usec. */
void mpk_audit_put_time(mpk_abuf_t *b, int64_t sec, long usec);

/* The current time (CLOCK_REALTIME): seconds and microseconds. */
void mpk_audit_now(int64_t *sec, long *usec);

#endif
