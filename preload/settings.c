/* preload/settings.c: the policy's config (LIBMPK_CONFIG, LIBMPK_OPTIONS) read once, and turned
 * into the manager's settings. A bad config stops the program before main, in every mode: a
 * security tool that silently runs without its policy is worse than one that refuses. */
#include "preload/preload.h"
#include "preload/settings_map.h"

#include "core/report.h"
#include "policy/audit.h"
#include "policy/config.h"

#include <sys/mman.h>
#include <unistd.h>

extern char **environ;

/* The policy: large, so static, never on the stack; on pages of its own, sealed read-only once
 * loaded, so that a stray write cannot rewrite the rules the manager consults (region rights are
 * decided from it in the fault handler). */
#define CONFIG_BYTES ((sizeof(struct mpk_config) + 4095) & ~(size_t)4095)
static union {
    struct mpk_config c;
    char pad[CONFIG_BYTES];
} config_pages __attribute__((aligned(4096)));
#define config (config_pages.c)
static int log_fd = 2;
static int loaded;

static void refuse_to_start(const struct mpk_config_error *e)
{
    char buf[5000];
    size_t n = mpk_config_format_error(e, buf, sizeof buf);
    mpk_sys_write(2, buf, n);
    _exit(1);
}

/* 1: run the manager with *s; 0: stay out of the way (mode off). Exits on a bad config. */
int _mpk_preload_settings(mpk_settings_t *s)
{
    struct mpk_config_error e;
    long r;
    if (!loaded) {
        if (mpk_config_load(&config, environ, &e) != 0)
            refuse_to_start(&e);
        log_fd = mpk_config_open_log(&config, &e);
        if (log_fd < 0)
            refuse_to_start(&e);
        loaded = 1;
        r = mpk_sys_mprotect(&config_pages, sizeof config_pages, PROT_READ);
        if (r)
            _mpk_stop_unsealed("the loaded policy read-only", r);
        if (config.mode != MPK_MODE_OFF) {
            mpk_audit_setup(&config, log_fd);
            _mpk_report_set_sink(mpk_audit_event);
        }
    }
    if (config.mode == MPK_MODE_OFF)
        return 0;
    _mpk_settings_from_config(&config, s);
    return 1;
}

bool _mpk_preload_verbose(void) { return config.verbose; }

/* Not from the lazy first entry: loading libunwind calls malloc, which may be what called us. */
void _mpk_preload_audit_start(void)
{
    struct mpk_audit_loader ld;
    if (!loaded || config.mode == MPK_MODE_OFF)
        return;
    _mpk_preload_audit_loader(&ld);
    mpk_audit_start(&ld);
}

const struct mpk_config *_mpk_preload_config(void) { return &config; }
