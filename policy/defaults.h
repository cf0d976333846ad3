/* policy/defaults.h: the settings' choices and their built-in values, in one table that the
 * config parser (policy/config_defaults.c) and the manager (core/boot.c) both read;
 * policy/default.conf writes the same values out (tests/policy/test_config_syntax.c and
 * tests/unit/test_settings.c keep the three equal). */
#ifndef MPK_POLICY_DEFAULTS_H
#define MPK_POLICY_DEFAULTS_H

#include <signal.h>
#include <stdbool.h>

/* The manager acts on these values as they are: one enum each, never translated. */
enum mpk_mode { MPK_MODE_ENFORCE, MPK_MODE_AUDIT, MPK_MODE_OFF };
enum mpk_log_format { MPK_LOG_TEXT, MPK_LOG_JSON };
enum mpk_evict { MPK_EVICT_LRU, MPK_EVICT_RANDOM, MPK_EVICT_NONE };
enum mpk_on_free_in_use { MPK_FREE_KEEP, MPK_FREE_REVOKE, MPK_FREE_REFUSE };
enum mpk_on_bad_key { MPK_BAD_KEY_REFUSE, MPK_BAD_KEY_ABORT };
enum mpk_new_key { MPK_NEW_KEY_THIS_THREAD, MPK_NEW_KEY_ALL_THREADS };
enum mpk_on_remap { MPK_REMAP_RESET, MPK_REMAP_KEEP };
enum mpk_self_write { MPK_SELF_WRITE_ALLOW, MPK_SELF_WRITE_AUDIT, MPK_SELF_WRITE_REFUSE };
enum mpk_seal { MPK_SEALED_NO, MPK_SEALED_AUDIT, MPK_SEALED_REFUSE };
enum mpk_numbers { MPK_NUMBERS_UNIQUE, MPK_NUMBERS_KERNEL };
enum mpk_wx_cross_thread { MPK_WX_CROSS_DENY, MPK_WX_CROSS_ALLOW };
enum mpk_wx_rwx { MPK_WX_RWX_ALLOW, MPK_WX_RWX_AUDIT, MPK_WX_RWX_DENY };

/* [libmpk] */
#define MPK_DEFAULT_MODE MPK_MODE_ENFORCE
#define MPK_DEFAULT_LOG_FORMAT MPK_LOG_TEXT
#define MPK_DEFAULT_BACKTRACE true
#define MPK_DEFAULT_VERBOSE false
#define MPK_DEFAULT_MAX_KEYS 4096
#define MPK_DEFAULT_HW_KEYS 0 /* auto: every hardware key the manager can get */
#define MPK_DEFAULT_EVICT MPK_EVICT_LRU
#define MPK_DEFAULT_PINS 0    /* none */
#define MPK_DEFAULT_ON_FREE_IN_USE MPK_FREE_KEEP
#define MPK_DEFAULT_ON_BAD_KEY MPK_BAD_KEY_REFUSE
#define MPK_DEFAULT_SYNC_SIGNAL (SIGRTMAX - 2)
#define MPK_DEFAULT_NEW_KEY MPK_NEW_KEY_THIS_THREAD /* the kernel's rule */
#define MPK_DEFAULT_ON_REMAP MPK_REMAP_RESET /* the kernel's rule */
#define MPK_DEFAULT_SELF_WRITE MPK_SELF_WRITE_AUDIT /* the call goes on as without libmpk */
#define MPK_DEFAULT_SEALED MPK_SEALED_NO /* the kernel's rule: the program may change its mappings */
#define MPK_DEFAULT_NUMBERS MPK_NUMBERS_UNIQUE /* a freed number never comes back */

/* [wx] */
#define MPK_DEFAULT_WX_ENABLE false
#define MPK_DEFAULT_WX_CROSS_THREAD MPK_WX_CROSS_DENY
#define MPK_DEFAULT_WX_RWX MPK_WX_RWX_ALLOW
#define MPK_DEFAULT_WX_MIN_SIZE 0

#endif
