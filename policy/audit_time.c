/* policy/audit_time.c: UTC date and time from seconds since the epoch, by the proleptic
 * Gregorian calendar, with no table, lock or allocation. */
#include "policy/audit_time.h"

#include <time.h>

/* Civil date of a day number (days since 1970-01-01). Years run from March, so that the leap
 * day ends a year; eras are the 400-year cycles of the calendar (146097 days each). */
static void civil_date(int64_t days, int64_t *year, unsigned *month, unsigned *day)
{
    int64_t z = days + 719468; /* days since 0000-03-01 */
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    unsigned doe = (unsigned)(z - era * 146097);                             /* day of era */
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;    /* year of era */
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);                  /* from March 1 */
    unsigned mp = (5 * doy + 2) / 153;                                       /* March = 0 */
    *day = doy - (153 * mp + 2) / 5 + 1;
    *month = mp < 10 ? mp + 3 : mp - 9;
    *year = (int64_t)yoe + era * 400 + (*month <= 2);
}

void mpk_audit_put_time(mpk_abuf_t *b, int64_t sec, long usec)
{
    int64_t days = sec / 86400, year;
    unsigned rem = (unsigned)(sec % 86400), month, day;
    if (sec < 0) {
        days = 0;
        rem = 0;
    }
    civil_date(days, &year, &month, &day);
    mpk_abuf_udec(b, (unsigned long long)year, 4);
    mpk_abuf_close(b, "-");
    mpk_abuf_udec(b, month, 2);
    mpk_abuf_close(b, "-");
    mpk_abuf_udec(b, day, 2);
    mpk_abuf_close(b, "T");
    mpk_abuf_udec(b, rem / 3600, 2);
    mpk_abuf_close(b, ":");
    mpk_abuf_udec(b, rem / 60 % 60, 2);
    mpk_abuf_close(b, ":");
    mpk_abuf_udec(b, rem % 60, 2);
    mpk_abuf_close(b, ".");
    mpk_abuf_udec(b, (unsigned long long)usec, 6);
    mpk_abuf_close(b, "Z");
}

void mpk_audit_now(int64_t *sec, long *usec)
{
    struct timespec ts = {0, 0};
    clock_gettime(CLOCK_REALTIME, &ts); /* the vDSO: async-signal-safe, no lock */
    *sec = ts.tv_sec;
    *usec = ts.tv_nsec / 1000;
}
